"""For auditors: `pintu audit` checks the event log's chain of hashes and exports one complaint's
history; `pintu replay` rebuilds the read models from the log, compares, and shows a past day."""
