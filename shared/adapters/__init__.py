"""Ports to the outside world: Kafka, SQL databases, HTTP."""
