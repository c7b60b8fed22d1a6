"""Logs: one flat JSON object per line on stdout, for loguru (the app) and for gunicorn's own messages.

Keys: "time" (ISO 8601), "level", "message", "event", then fields. Nothing secret is ever passed in:
no token, password, hash, DSN or full email (see emails.mask_email).
"""

from __future__ import annotations

import contextlib
import json
import logging
import sys
import traceback
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from loguru import logger

from job.uris import scrub

if TYPE_CHECKING:
    from loguru import Message

_handler_id: int | None = None


def configure_logging(level: str = "INFO") -> None:
    """Send loguru to stdout as JSON lines; replaces loguru's default handler and our own earlier one only."""
    global _handler_id
    previous = 0 if _handler_id is None else _handler_id
    with contextlib.suppress(ValueError):  # already removed by someone else
        logger.remove(previous)
    # diagnose=False: loguru would otherwise print variable values (secrets among them) in tracebacks.
    _handler_id = logger.add(_write_json, level=level, format="{message}", diagnose=False, backtrace=False)


def _write_json(message: Message) -> None:
    record = message.record
    payload: dict[str, Any] = {
        "time": record["time"].isoformat(),
        "level": record["level"].name,
        "message": scrub(record["message"]),
        "event": "log",
    }
    payload.update(record["extra"])
    exception = record["exception"]
    if exception is not None and exception.type is not None:
        payload["exception"] = exception.type.__name__
        payload["traceback"] = "".join(traceback.format_tb(exception.traceback))
    sys.stdout.write(scrub(json.dumps(payload, default=str)) + "\n")
    sys.stdout.flush()


class GunicornJsonFormatter(logging.Formatter):
    """gunicorn's own log lines (boot, workers, signals) in the same JSON shape as the app's."""

    def format(self, record: logging.LogRecord) -> str:
        payload = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(),
            "level": record.levelname,
            "message": record.getMessage(),
            "event": "gunicorn",
            "logger": record.name,
        }
        if record.exc_info and record.exc_info[0] is not None:
            payload["exception"] = record.exc_info[0].__name__
            payload["traceback"] = "".join(traceback.format_tb(record.exc_info[2]))
        return scrub(json.dumps(payload))
