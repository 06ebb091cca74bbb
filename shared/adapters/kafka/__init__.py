"""Kafka adapters: topic names and provisioning, the one producer, the one consumer factory
and reading kit (consumers.py), the development broker."""
