"""Development tools: the local broker, the launcher, demo, watch and the receivers. Never installed."""
