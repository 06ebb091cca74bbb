"""Structured JSON logs, one object per line, carrying the complaint id being handled."""

import logging
import logging.config
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import Context, ContextVar, copy_context
from typing import Any

from shared.outages import RetryNoise

# The id as given (a UUID, mostly), made text only for a line actually logged: the router
# enters this for every complaint and logs a line per round.
_complaint_id: ContextVar[object | None] = ContextVar("complaint_id", default=None)


@contextmanager
def about_complaint(complaint_id: object) -> Iterator[None]:
    """Every log line inside this block names the complaint."""
    token = _complaint_id.set(complaint_id)
    try:
        yield
    finally:
        _complaint_id.reset(token)


def about_no_complaint() -> Context:
    """A copy of the current context that names no complaint, for a task that outlives the
    block that starts it (`asyncio.create_task(..., context=about_no_complaint())`): a task
    copies the context it is created in, so one started inside `about_complaint` would name
    that complaint on every line it ever logs."""
    context = copy_context()
    context.run(_complaint_id.set, None)
    return context


class ComplaintContext(logging.Filter):
    """Adds to every record the service and, unless the call gave one, the complaint being
    handled where the line was logged."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def filter(self, record: logging.LogRecord) -> bool:
        record.service = self.service
        if not hasattr(record, "complaint_id"):
            complaint_id = _complaint_id.get()
            record.complaint_id = None if complaint_id is None else str(complaint_id)
        return True


def logging_config(service: str, level: str = "INFO", kafka: str | None = None) -> dict[str, Any]:
    """A dictConfig usable by plain processes, uvicorn and faust workers alike.

    The client libraries' connection retries are folded into one line per outage
    (shared/outages.py); `kafka`, the bootstrap servers, tells it when Kafka is back."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "context": {"()": ComplaintContext, "service": service},
            "outages": {"()": RetryNoise, "kafka": kafka},
        },
        "formatters": {
            "json": {
                "()": "pythonjsonlogger.json.JsonFormatter",
                "fmt": "%(asctime)s %(levelname)s %(service)s %(name)s %(message)s %(complaint_id)s",
                "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
                "timestamp": False,
            }
        },
        "handlers": {
            "stdout": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stdout",
                "formatter": "json",
                "filters": ["context", "outages"],
            }
        },
        "root": {"handlers": ["stdout"], "level": level},
        "loggers": {
            "aiokafka": {"level": "WARNING"},
            "uvicorn.access": {"level": "WARNING"},
            "httpx": {"level": "WARNING"},
            "faust": {"level": "WARNING"},
            "mode": {"level": "WARNING"},
        },
    }


def configure(service: str, level: str = "INFO", kafka: str | None = None) -> None:
    logging.config.dictConfig(logging_config(service, level, kafka))
