"""Reading outage files: every rule of a row, each rejection naming the row, the field and the reason."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from servicebot.domain.availability import Outage
from servicebot.imports.csvfile import ImportFileError, Parsed
from servicebot.imports.outages import COLUMNS, parse_outages

LONDON = ZoneInfo("Europe/London")
SERVICES = ("network", "ict", "email")
HEADER = "service,start,end,impact_start,impact_end,planned,ticket"


def parse(*rows: str, header: str = HEADER) -> Parsed[Outage]:
    return parse_outages("\n".join((header, *rows)) + "\n", "outages.csv", SERVICES, LONDON)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[arg-type, misc]


def only(parsed: Parsed[Outage]) -> Outage:
    assert parsed.problems == []
    [(_, outage)] = parsed.records
    return outage


def problem(parsed: Parsed[Outage]) -> str:
    assert parsed.records == []
    [found] = parsed.problems
    return str(found)


def test_the_columns_are_as_the_issue_names_them() -> None:
    assert COLUMNS == HEADER


def test_a_full_row() -> None:
    outage = only(
        parse("email,2017-03-07T08:00,2017-03-08T01:10,2017-03-07T08:00,2017-03-07T13:00,false,T-00042")
    )
    assert outage == Outage(
        service="email",
        started_at=utc(2017, 3, 7, 8),
        ended_at=utc(2017, 3, 8, 1, 10),
        impact_start=utc(2017, 3, 7, 8),
        impact_end=utc(2017, 3, 7, 13),
        planned=False,
        ticket_id=42,
        origin="import",
        opened_by="import",
        closed_by="import",
    )


def test_local_times_are_london_wall_time_and_offsets_are_exact() -> None:
    summer = only(parse("network,2017-07-03T09:00,2017-07-03T10:00+01:00,,,,"))
    assert summer.started_at == utc(2017, 7, 3, 8), "09:00 BST"
    assert summer.ended_at == utc(2017, 7, 3, 9)
    zulu = only(parse("network,2017-07-03T09:00Z,2017-07-03T10:00Z,,,,"))
    assert zulu.started_at == utc(2017, 7, 3, 9)


def test_empty_impact_times_are_the_outage_times_and_planned_defaults_to_false() -> None:
    outage = only(parse("ict,2017-03-07T10:00,2017-03-07T12:00,,,,"))
    assert (outage.impact_start, outage.impact_end) == (outage.started_at, outage.ended_at)
    assert outage.planned is False and outage.ticket_id is None


def test_planned_true_and_the_optional_columns_may_be_left_out() -> None:
    outage = only(parse("ict,2017-03-07T10:00,2017-03-07T12:00,,,true,", header=HEADER))
    assert outage.planned is True
    short = parse(
        "ict,2017-03-07T10:00,2017-03-07T12:00,,", header="service,start,end,impact_start,impact_end"
    )
    assert only(short).planned is False


def test_an_empty_end_is_an_outage_still_open() -> None:
    outage = only(parse("email,2017-03-07T10:00,,,,,"))
    assert outage.ended_at is None and outage.impact_end is None and outage.is_open
    assert outage.closed_by is None
    impact_over = only(parse("email,2017-03-07T10:00,,,2017-03-07T11:00,,"))
    assert impact_over.is_open and impact_over.impact_end == utc(2017, 3, 7, 11)


def test_service_ids_are_read_case_insensitively() -> None:
    assert only(parse("EMAIL,2017-03-07T10:00,2017-03-07T12:00,,,,")).service == "email"


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (
            "wifi,2017-03-07T10:00,2017-03-07T12:00,,,,",
            "row 2, service: 'wifi' is not a configured service; choose one of: network, ict, email",
        ),
        (",2017-03-07T10:00,2017-03-07T12:00,,,,", "row 2, service: is blank"),
        ("email,,2017-03-07T12:00,,,,", "row 2, start: is blank"),
        ("email,07/03/2017 10:00,2017-03-07T12:00,,,,", "row 2, start: '07/03/2017 10:00' is not a time"),
        ("email,2017-03-07T10:00,2017-03-07T25:00,,,,", "row 2, end: '2017-03-07T25:00' is not a time"),
        ("email,2017-03-07T10:00,2017-03-07T10:00,,,,", "row 2, end: must be after start"),
        ("email,2017-03-07T10:00,2017-03-07T09:00,,,,", "row 2, end: must be after start"),
        (
            "email,2017-03-07T10:00,2017-03-07T12:00,2017-03-07T09:59,,,",
            "row 2, impact_start: is before start",
        ),
        ("email,2017-03-07T10:00,2017-03-07T12:00,2017-03-07T12:01,,,", "row 2, impact_start: is after end"),
        ("email,2017-03-07T10:00,2017-03-07T12:00,,2017-03-07T12:01,,", "row 2, impact_end: is after end"),
        (
            "email,2017-03-07T10:00,2017-03-07T12:00,2017-03-07T11:00,2017-03-07T10:30,,",
            "row 2, impact_end: is before impact_start",
        ),
        ("email,2017-03-07T10:00,,2017-03-07T09:00,,,", "row 2, impact_start: is before start"),
        ("email,2017-03-07T10:00,2017-03-07T12:00,,,maybe,", "row 2, planned: 'maybe' is not true or false"),
        ("email,2017-03-07T10:00,2017-03-07T12:00,,,,INC-7", "row 2, ticket: 'INC-7' is not a ticket id"),
        ("email,2017-03-07T10:00,2017-03-07T12:00,,,,T-0", "row 2, ticket: 'T-0' is not a ticket id"),
        (
            "email,2017-03-26T01:30,2017-03-26T03:00,,,,",
            "row 2, start: 2017-03-26 01:30 does not exist in Europe/London (the clocks went forward)",
        ),
        (
            "email,2017-10-29T00:30,2017-10-29T01:30,,,,",
            "row 2, end: 2017-10-29 01:30 happens twice in Europe/London (the clocks went back)",
        ),
        ("email,2017-03-07T10:00,2017-03-07T12:00,,,", "row 2: 6 fields where the header names 7"),
    ],
    ids=[
        "unknown-service",
        "blank-service",
        "blank-start",
        "not-iso",
        "impossible-hour",
        "end-equals-start",
        "end-before-start",
        "impact-before-start",
        "impact-after-end",
        "impact-end-after-end",
        "impact-end-before-impact-start",
        "open-impact-before-start",
        "planned-not-boolean",
        "ticket-not-a-ref",
        "ticket-zero",
        "spring-gap",
        "autumn-repeat",
        "short-row",
    ],
)
def test_a_bad_row_is_refused_naming_row_field_and_reason(row: str, expected: str) -> None:
    assert problem(parse(row)).startswith(expected)


def test_a_repeated_local_time_with_its_offset_is_accepted() -> None:
    outage = only(parse("email,2017-10-29T01:30+01:00,2017-10-29T01:30+00:00,,,,"))
    assert outage.ended_at is not None
    assert (outage.ended_at - outage.started_at).total_seconds() == 3600


def test_the_good_rows_are_kept_and_the_bad_named_in_file_order() -> None:
    parsed = parse(
        "email,2017-03-07T10:00,2017-03-07T12:00,,,,",
        "wifi,2017-03-07T10:00,2017-03-07T12:00,,,,",
        "network,2017-03-08T10:00,2017-03-08T11:00,,,true,#12",
        "email,2017-03-07T10:00,2017-03-07T13:00,,,,",
    )
    assert [row for row, _ in parsed.records] == [4]
    assert [str(p) for p in parsed.problems] == [
        "row 2, start: the email outage starting 2017-03-07 10:00 UTC is also on row 5",
        "row 3, service: 'wifi' is not a configured service; choose one of: network, ict, email",
        "row 5, start: the email outage starting 2017-03-07 10:00 UTC is also on row 2",
    ]
    assert parsed.rows == 4


def test_a_file_without_the_columns_is_refused_whole() -> None:
    with pytest.raises(ImportFileError, match="missing column"):
        parse("email,2017-03-07T10:00", header="service,start")


def test_only_planned_maintenance_lies_ahead() -> None:
    from datetime import UTC, datetime

    now = datetime(2017, 3, 7, 12, 0, tzinfo=UTC)
    header = "service,start,end,planned"
    parsed = parse_outages(
        "\n".join(
            (
                header,
                "email,2017-03-07T10:00,2030-01-01T00:00,false",
                "email,2017-03-08T10:00,,false",
                "email,2017-03-11T22:00,2017-03-12T03:00,true",
            )
        )
        + "\n",
        "outages.csv",
        SERVICES,
        LONDON,
        now,
    )
    assert [str(p) for p in parsed.problems] == [
        "row 2, end: is in the future; only planned maintenance is recorded ahead",
        "row 3, start: is in the future; only planned maintenance is recorded ahead",
    ]
    assert [n for n, _ in parsed.records] == [4]
