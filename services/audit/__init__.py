"""pintu audit: check the event log's chain of hashes, export one complaint's history."""
