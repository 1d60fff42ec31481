"""Past tickets from a file: each row that cannot be a history the bot could have recorded is named."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from servicebot.imports import tickets
from servicebot.imports.tickets import DeskRules

RULES = {
    "ict": DeskRules(
        queues={"ict-service-desk": 1, "ict-2nd-line": 2, "ict-network": 2},
        intents={"vpn_remote_access": "ict-network"},
        default_queue="ict-service-desk",
        second_line_queue="ict-2nd-line",
    )
}
HEADER = "ref,desk,logged_at,text,first_response_at,resolved_at,rating,rated_at,escalated,queue,intent"
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def problems(*rows: str) -> list[str]:
    parsed = tickets.parse(
        "\n".join((HEADER, *rows)) + "\n", "past.csv", RULES, ZoneInfo("Europe/London"), NOW
    )
    return [str(p) for p in parsed.problems]


def test_each_impossible_row_is_named() -> None:
    assert problems(
        "A1,ict,2016-12-05T09:00,ok,2016-12-05T09:05,2016-12-05T09:20,positive,,,,",
        "A2,ict,2030-01-01T09:00,from the future,,,,,,,",
        "A3,ict,2016-12-05T09:00," + "x" * 4001 + ",,,,,,,",
        "A4,ict,2016-12-05T09:00,late reply,2016-12-05T11:00,2016-12-05T10:00,,,,,",
        "A5,ict,2016-12-05T09:00,rated when,,2016-12-05T10:00,,2016-12-05T11:00,,,",
        "A6,ict,2016-12-05T09:00,escalated to the first line,,,,,true,ict-service-desk,",
        "A7,ict,2016-12-05T09:00,unknown intent,,,,,,,printer_problem",
        "A8,hr,2016-12-05T09:00,unknown desk,,,,,,,",
    ) == [
        "row 3, logged_at: is in the future",
        "row 4, text: is 4,001 characters, over the 4,000 allowed",
        "row 5, first_response_at: is after resolved_at",
        "row 6, rated_at: is given but rating is empty",
        "row 7, queue: 'ict-service-desk' is a 1st-line queue, but the row says the ticket was escalated",
        "row 8, intent: 'printer_problem' is not one of the ict desk's intents",
        "row 9, desk: 'hr' is not a desk; the desks are ict",
    ]
