"""Read models rebuilt from `complaints.events`."""
