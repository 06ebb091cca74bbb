"""The complaint domain: pure Python, no Kafka, no HTTP, no database."""
