"""Logging with loguru: flat JSON lines for CloudWatch, readable lines on a terminal.

Every line passes through `scrub`, so a database URI with a password cannot reach a log even by
accident, and `diagnose` is off so tracebacks never print local variables (which hold secrets).
"""

from __future__ import annotations

import json
import sys
from datetime import UTC
from typing import TYPE_CHECKING, Any, TextIO

from loguru import logger

from job.events import Event
from job.uris import scrub

ALWAYS_LOGGED = frozenset({Event.FLOW_FINISHED, Event.RUN_FINISHED})

if TYPE_CHECKING:
    from loguru import Message, Record


def _json_sink(stream: TextIO) -> Any:
    def write(message: Message) -> None:
        record: Record = message.record
        line: dict[str, Any] = {
            "time": record["time"].astimezone(UTC).isoformat(timespec="milliseconds"),
            "level": record["level"].name,
            "message": scrub(record["message"]),
        }
        line.update({key: value for key, value in record["extra"].items() if key not in line})
        line.setdefault("event", "log")
        if record["exception"] is not None and record["exception"].type is not None:
            line["error_type"] = record["exception"].type.__name__
        stream.write(scrub(json.dumps(line, default=str, ensure_ascii=False)) + "\n")
        stream.flush()

    return write


def _text_format(record: Record) -> str:
    record["message"] = scrub(record["message"])
    return "<green>{time:HH:mm:ss}</green> <level>{level: <7}</level> {message}\n"


def configure(log_format: str = "auto", stream: TextIO | None = None, level: str = "INFO") -> str:
    """Send logs to `stream` (stderr) as JSON or text; returns the format chosen.

    Below `level` only the summary lines pass (`flow_finished`, `run_finished`): the CloudWatch metric
    filters and alarms read them, whatever the level."""
    target = stream or sys.stderr
    chosen = log_format if log_format != "auto" else ("text" if target.isatty() else "json")
    threshold = logger.level(level).no

    def wanted(record: Record) -> bool:
        return record["level"].no >= threshold or record["extra"].get("event") in ALWAYS_LOGGED

    logger.remove()
    if chosen == "json":
        logger.add(_json_sink(target), level=0, filter=wanted, backtrace=False, diagnose=False, catch=False)
    else:
        logger.add(
            target,
            format=_text_format,
            level=0,
            filter=wanted,
            backtrace=False,
            diagnose=False,
            colorize=target.isatty(),
        )
    return chosen
