"""Pintu's own package: the complaint domain, the event contract and the adapters every service shares."""
