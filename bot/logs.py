"""Log records of an instance: the id of the update being handled, and one JSON object per line when asked."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from itertools import count

FORMAT_TEXT = "text"
FORMAT_JSON = "json"
LOG_FORMATS = (FORMAT_TEXT, FORMAT_JSON)
TEXT_LAYOUT = "%(asctime)s %(levelname)s %(name)s%(request_tag)s: %(message)s"
"""The layout of text logs: outside an update as before ids were added; inside one, ``name [telegram:4711]: ...``."""
NO_REQUEST = "-"

REQUEST_ID: ContextVar[str] = ContextVar("lianfang_request_id", default=NO_REQUEST)
"""The update (or request) being handled; worker threads started with ``asyncio.to_thread`` inherit it."""
_local_ids = count(1)


@contextmanager
def request(platform: str, event_id: str | None) -> Iterator[str]:
    """Tag every log record in the block with the update's id (the platform's, else one made here)."""
    request_id = f"{platform}:{event_id}" if event_id else f"{platform}:local-{next(_local_ids)}"
    token = REQUEST_ID.set(request_id)
    try:
        yield request_id
    finally:
        REQUEST_ID.reset(token)


class RequestIdFilter(logging.Filter):
    """Put the current request id on every record (``%(request_id)s``, and ``%(request_tag)s`` for text)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Add the id; never drop the record."""
        request_id = REQUEST_ID.get()
        record.request_id = request_id
        record.request_tag = "" if request_id == NO_REQUEST else f" [{request_id}]"
        return True


class JsonFormatter(logging.Formatter):
    """Format a record as one JSON object: time, level, logger, message, request id, and the exception if any."""

    def format(self, record: logging.LogRecord) -> str:
        """Return the record as one line of JSON."""
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", REQUEST_ID.get()),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def install(log_format: str, handler: logging.Handler | None = None) -> logging.Handler:
    """Format the root logger's output as ``log_format`` (text or json), each record tagged with its request id."""
    root = logging.getLogger()
    if handler is None:
        handler = root.handlers[0] if root.handlers else logging.StreamHandler()
    if handler not in root.handlers:
        root.addHandler(handler)
    handler.setFormatter(JsonFormatter() if log_format == FORMAT_JSON else logging.Formatter(TEXT_LAYOUT))
    if not any(isinstance(f, RequestIdFilter) for f in handler.filters):
        handler.addFilter(RequestIdFilter())
    return handler
