"""Kafka adapters: topic names and provisioning, the one producer, the development broker."""
