"""How every ServiceBot process logs (the web process, the worker, the command line): plain text by default,
one JSON object a line when `SERVICEBOT_LOG_FORMAT=json`, and personal data redacted from whatever is
written.

Tickets keep what people wrote; logs never do. Log lines are copied to places a ticket is not (a log
shipper, a terminal, a support case), kept longer and read by more people, so email addresses, UK phone
numbers and National Insurance numbers are rewritten in the formatted message, the exception text and the
stack before any handler writes them. Redaction runs on the text as finally formatted, so a value passed
as a %-argument or raised inside an exception is caught as surely as one in the format string.

Standard library only: the JSON is five fields with `json.dumps`, and python-json-logger would bring a
dependency for less than this file. It sits in the lowest layer (beside `files`) because it needs nothing
of ours and every layer may log; the composition root (`bot.py`) and the command line configure it."""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import Final, Literal, TextIO

LogFormat = Literal["text", "json"]
LOG_FORMATS: Final[tuple[LogFormat, ...]] = ("text", "json")
FORMAT_ENV: Final = "SERVICEBOT_LOG_FORMAT"

EMAIL: Final = "[email]"
PHONE: Final = "[phone]"
NI_NUMBER: Final = "[ni-number]"

# The local parts people use (not all RFC 5322 allows: "|" and "<" separate a Slack link's parts).
_EMAIL = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+")

# A UK number: +44 or 0044 (with an optional "(0)"), or a leading 0 (an area code may be in brackets),
# then 9 or 10 digits of the national number starting 1, 2, 3, 5, 7, 8 or 9, separated by single spaces,
# dashes or the area code's closing bracket. Not preceded by a letter, digit or "+", nor by a digit and a
# separator, nor followed by another digit group: "2026-01-05 2026-01-06", a Slack ts, a ticket's T-00042
# and a KPI's figures are runs of digits that are not a phone number.
_PHONE = re.compile(
    r"""
    (?<![\w+])(?<!\d[\s-])
    (?:
        (?:\+|\b00)44[\s-]?(?:\(0\)[\s-]?)?
      | \(0(?=\d{2,4}\))
      | 0
    )
    (?=[1235789])
    (?:\d(?:[\s-]|\)[\s-]?)?){8,9}\d
    (?![\s-]?\d)
    """,
    re.VERBOSE,
)

# A National Insurance number: two letters, six digits, a suffix A to D, with or without spaces. HMRC never
# allocates D, F, I, Q, U or V as the first letter, nor those and O as the second, nor the prefixes BG, GB,
# KN, NK, NT, TN and ZZ, so a Slack id (U012AB3CD) or a channel id cannot look like one.
_NI_NUMBER = re.compile(
    r"""
    (?<![A-Za-z0-9])
    (?!BG|GB|KN|NK|NT|TN|ZZ)
    [A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]
    \s?\d{2}\s?\d{2}\s?\d{2}\s?[A-D]
    (?![A-Za-z0-9])
    """,
    re.VERBOSE | re.IGNORECASE,
)


def redact(text: str) -> str:
    """`text` with email addresses, UK phone numbers and National Insurance numbers replaced by
    [email], [phone] and [ni-number]. Emails first: their digits must not be read as a phone number."""
    text = _EMAIL.sub(EMAIL, text)
    text = _NI_NUMBER.sub(NI_NUMBER, text)
    return _PHONE.sub(PHONE, text)


class RedactingFilter(logging.Filter):
    """On a handler: the record's message, exception text and stack are formatted and redacted in place, so
    every formatter after it (text or JSON) and every other handler sees only the redacted text."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def _utc_iso(created: float) -> str:
    return datetime.fromtimestamp(created, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC, ISO 8601), level, logger, message, and exception / stack when
    there is one. Newlines in a message stay inside the JSON string, so a line is always one record."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": _utc_iso(record.created),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "process": record.process,
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """`2026-11-30T23:33:48.123Z INFO servicebot.worker: …`: UTC like the JSON, so lines from the web process,
    the worker and the database's own log sort together whatever the machine's zone."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return _utc_iso(record.created)


def formatter(log_format: LogFormat) -> logging.Formatter:
    return JsonFormatter() if log_format == "json" else TextFormatter()


def parse_format(value: str | None) -> LogFormat:
    """SERVICEBOT_LOG_FORMAT's value (unset or empty: text). ValueError names what it may be."""
    chosen = (value or "").strip().lower() or "text"
    for known in LOG_FORMATS:
        if chosen == known:
            return known
    raise ValueError(f"{value!r} is not a log format; choose one of: {', '.join(LOG_FORMATS)}")


_HANDLER_NAME: Final = "servicebot"


def configure(
    log_format: LogFormat = "text", level: int = logging.INFO, stream: TextIO | None = None
) -> logging.Handler:
    """Send the root logger's records to `stream` (stderr) in `log_format`, redacted. Idempotent: called
    again (a worker process forked from a configured parent, a test), it replaces its own handler rather
    than adding a second, and it redacts on any other handler already on the root too."""
    root = logging.getLogger()
    for existing in list(root.handlers):
        if existing.get_name() == _HANDLER_NAME:
            root.removeHandler(existing)
            existing.close()
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(formatter(log_format))
    handler.addFilter(RedactingFilter())
    root.addHandler(handler)
    for other in root.handlers:
        if not any(isinstance(f, RedactingFilter) for f in other.filters):
            other.addFilter(RedactingFilter())
    root.setLevel(level)
    for name in _CHATTY:
        logging.getLogger(name).setLevel(max(level, logging.WARNING))
    for name in _REPORTED_BY_US:
        logging.getLogger(name).setLevel(logging.CRITICAL)
    for name in _EVERY_REQUEST:
        logging.getLogger(name).setLevel(max(level, logging.ERROR))
    return handler


# Libraries that say at INFO what they do every time (alembic each migration step at every start, APScheduler
# every run); ours say what a run changed, when it changed something.
_CHATTY: Final = ("alembic", "apscheduler")
# slack_sdk logs an ERROR for every failed try of a call, before the caller has decided anything: the start
# check then names the problem in one line, and the relay records and logs each delivery's outcome itself.
_REPORTED_BY_US: Final = ("slack_sdk",)
# waitress warns "Task queue depth is N" for every request that waits for a free thread: in a burst, one line
# per request, written by the web process while it acknowledges (more requests than threads is the normal
# state of a burst, which the inbox's batching turns into throughput, not a problem to report).
_EVERY_REQUEST: Final = ("waitress.queue",)
