"""The public wire contract: CloudEvents envelopes around the domain's events."""
