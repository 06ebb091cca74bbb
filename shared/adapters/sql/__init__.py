"""SQL tables that cannot be rebuilt from the log, and the engine that holds them."""
