"""Log output of every Mayyam process: plain text for people, JSON for machines.

``MAYYAM_LOG_FORMAT`` chooses (``text`` or ``json``) and ``MAYYAM_LOG_LEVEL``
sets the lowest level shown; the command line may override both. A JSON
record is one object per line with the time, level, logger and message, the
Kubernetes object it is about when kopf says so, the structured ``fields``
a caller passed (``logger.info(..., extra={"fields": {...}})``), and the
traceback if any.
"""

import json
import logging
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

LogFormat = Literal["text", "json"]
LogLevel = Literal["debug", "info", "warning", "error"]

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

#: Marks the handler `configure_logging` installed.
_MARK = "_mayyam_handler"


class LogSettings(BaseSettings):
    """How a process logs; read before anything else is configured."""

    model_config = SettingsConfigDict(env_prefix="MAYYAM_", extra="ignore")

    log_format: LogFormat = Field(default="text", description="text or json.")
    log_level: LogLevel = Field(default="info", description="The lowest level shown.")


class JsonFormatter(logging.Formatter):
    """Render each record as one line of JSON."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }

        # kopf's object loggers attach the object a message is about.
        reference = getattr(record, "k8s_ref", None)
        if isinstance(reference, dict):
            entry["object"] = {
                key: reference[key] for key in ("kind", "namespace", "name") if key in reference
            }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            entry.update({key: value for key, value in fields.items() if key not in entry})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(log_format: LogFormat, level: LogLevel) -> None:
    """Send all log records to standard error in ``log_format``."""
    handler = logging.StreamHandler()
    if log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))

    # Replace only a handler of ours: others (a test runner's) stay.
    root = logging.getLogger()
    for existing in [h for h in root.handlers if getattr(h, _MARK, False)]:
        root.removeHandler(existing)
    setattr(handler, _MARK, True)
    root.addHandler(handler)
    root.setLevel(level.upper())
