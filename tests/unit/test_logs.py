"""Logs: personal data redacted from what is written (and nothing else), text or JSON lines, the format
chosen from the environment and checked like every other setting."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from servicebot import logs
from servicebot.config import ConfigError, load_settings

REDACTED = [
    # emails
    ("mail jo.bloggs@example.gov.uk please", "mail [email] please"),
    ("<mailto:a.b+tag@council.org|a.b+tag@council.org>", "<mailto:[email]|[email]>"),
    ("J_Smith99@mail.co.uk", "[email]"),
    # mobiles
    ("call 07700 900123 now", "call [phone] now"),
    ("07700900123", "[phone]"),
    ("07700-900-123", "[phone]"),
    ("+44 7700 900123", "[phone]"),
    ("+447700900123", "[phone]"),
    ("0044 7700 900 123", "[phone]"),
    ("+44 (0)7700 900123", "[phone]"),
    # landlines
    ("ring 020 7946 0958.", "ring [phone]."),
    ("(020) 7946 0958", "[phone]"),
    ("+44 (0)20 7946 0958", "[phone]"),
    ("+44 20 7946 0958", "[phone]"),
    ("0161-496-0000", "[phone]"),
    ("0161 496 0000", "[phone]"),
    ("(0161) 496 0000", "[phone]"),
    ("01632 960123", "[phone]"),
    ("01632 960 123", "[phone]"),
    ("tel:01632960123", "tel:[phone]"),
    ("0300 123 4567", "[phone]"),
    ("0800 123 4567", "[phone]"),
    # National Insurance numbers
    ("NI AB 12 34 56 C ok", "NI [ni-number] ok"),
    ("AB123456C", "[ni-number]"),
    ("ab123456c", "[ni-number]"),
    ("JG 10 37 59 A", "[ni-number]"),
    ("PZ123456D,", "[ni-number],"),
    # several at once
    (
        "from jo@x.org on 07700 900123, NI QQ123456C? no: AB123456A",
        "from [email] on [phone], NI QQ123456C? no: [ni-number]",
    ),
]

KEPT = [
    "T-00042",
    "T-80001 · triaged · Password reset · queue ict-accounts · P3",
    "U012AB3CD",
    "C0ICTHELP",
    "W0123456789",
    "Ev0123456789AB",
    "1732961234.123456",
    "13345224609.738474920.8088930838d88f008e0",
    "2026-11-30T23:33:48.123Z",
    "2026-11-30 23:33:48,123",
    "2026-01-05 2026-01-06 2026-01-07",
    "logged 23 Nov 09:14",
    "FCR 70.0% (1,234 of 1,763)",
    "ICT04 98.7% target 99.0% floor 98.0%",
    "504,050 calls answered; 74000 a year",
    "p99 52 ms at 50 concurrent, 10000 events",
    "outbox #1234567890 (ticket:42:v3)",
    "alert:17:open:U0OWNER",
    "digest:ict-daily:2026-11-30T08:30",
    "period 2016-12 ytd 0.7012345678",
    "QQ123456C",  # Q is never a first letter
    "GB123456A",  # a prefix never allocated
    "AB123456E",  # no such suffix
    "01234",
    "ticket 000123456789012 in the old system",
]


@pytest.mark.parametrize(("text", "expected"), REDACTED)
def test_personal_data_is_redacted(text: str, expected: str) -> None:
    assert logs.redact(text) == expected


@pytest.mark.parametrize("text", KEPT)
def test_ids_times_and_figures_are_kept(text: str) -> None:
    assert logs.redact(text) == text


@pytest.fixture
def captured() -> Iterator[tuple[io.StringIO, logging.Logger]]:
    root = logging.getLogger()
    before = (list(root.handlers), root.level)
    stream = io.StringIO()
    try:
        yield stream, logging.getLogger("servicebot.test")
    finally:
        for handler in list(root.handlers):
            if handler not in before[0]:
                root.removeHandler(handler)
        root.setLevel(before[1])


def test_json_lines_carry_time_level_logger_message_and_redacted_exception(
    captured: tuple[io.StringIO, logging.Logger],
) -> None:
    stream, log = captured
    logs.configure("json", stream=stream)
    log.info("ticket %s from %s", "T-00042", "jo@example.org")
    try:
        raise RuntimeError("could not reach 07700 900123\nsecond line")
    except RuntimeError:
        log.exception("worker failed for NI %s", "AB 12 34 56 C")
    first, second = (json.loads(line) for line in stream.getvalue().splitlines())
    assert first["message"] == "ticket T-00042 from [email]"
    assert (first["level"], first["logger"]) == ("INFO", "servicebot.test")
    assert first["time"].endswith("Z") and first["time"][10] == "T"
    assert "exception" not in first
    assert second["message"] == "worker failed for NI [ni-number]"
    assert second["level"] == "ERROR"
    assert "RuntimeError: could not reach [phone]\nsecond line" in second["exception"]
    assert "Traceback" in second["exception"]
    assert "07700" not in stream.getvalue() and "AB 12" not in stream.getvalue()


def test_text_lines_are_redacted_too_and_configure_twice_adds_no_second_handler(
    captured: tuple[io.StringIO, logging.Logger],
) -> None:
    stream, log = captured
    logs.configure("json", stream=io.StringIO())
    logs.configure("text", stream=stream)
    named = [h for h in logging.getLogger().handlers if h.get_name() == "servicebot"]
    assert len(named) == 1
    log.warning("reply from %s", "+44 20 7946 0958", stack_info=True)
    [line, *stack] = stream.getvalue().splitlines()
    assert line.endswith(" WARNING servicebot.test: reply from [phone]")
    assert line[:24].endswith("Z")
    assert stack and stack[0].startswith("Stack (most recent call last)")


def test_another_handler_on_the_root_is_redacted_as_well(
    captured: tuple[io.StringIO, logging.Logger],
) -> None:
    stream, log = captured
    other = io.StringIO()
    handler = logging.StreamHandler(other)
    logging.getLogger().addHandler(handler)
    logs.configure("text", stream=stream)
    log.error("from jo@example.org")
    assert other.getvalue() == "from [email]\n"


@pytest.mark.parametrize(
    ("value", "expected"), [(None, "text"), ("", "text"), ("JSON", "json"), (" text ", "text")]
)
def test_the_format_comes_from_the_environment(value: str | None, expected: str) -> None:
    env = {} if value is None else {"SERVICEBOT_LOG_FORMAT": value}
    assert load_settings({"SERVICEBOT_CONFIG": "", **env}).log_format == expected


def test_a_bad_format_names_the_variable_and_the_choices() -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings({"SERVICEBOT_LOG_FORMAT": "yaml"})
    assert str(caught.value) == "SERVICEBOT_LOG_FORMAT: 'yaml' is not a log format; choose one of: text, json"


def test_waitress_says_nothing_for_each_queued_request(captured: tuple[io.StringIO, logging.Logger]) -> None:
    """In a burst nearly every request waits for a thread: a line each, written while acknowledging."""
    stream, _ = captured
    logs.configure("text", stream=stream)
    logging.getLogger("waitress.queue").warning("Task queue depth is %d", 40)
    logging.getLogger("waitress.queue").error("something waitress thinks is wrong")
    assert "Task queue depth" not in stream.getvalue()
    assert "something waitress thinks is wrong" in stream.getvalue()
