"""Property-based tests of every parser a person or a file reaches: chat commands (stats, outage, alert),
the CSV imports, kpis.yaml and servicebot.yaml.

The invariant for all of them: no input makes a parser raise anything but the project's own refusal
(`UserError` and its kinds, `ConfigError`, an import's row problems), every refusal names what was wrong
(the argument, field or key), and what is accepted means what was written (it round-trips, or satisfies
the rule the parser promises). Hypothesis writes the inputs: mostly near misses of valid ones, since those
reach deepest, plus arbitrary text. Each fixed defect has a plain regression test beside its property.
"""

from __future__ import annotations

import copy
import csv
import io
import tempfile
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from servicebot.chat.alerts import AlertCommand, AlertUsage, parse_alert
from servicebot.chat.commands import (
    _CONTROL,
    AboutTicket,
    CommandUsage,
    NewQuery,
    OutageCommand,
    StatsCommand,
    parse,
    usage,
)
from servicebot.config import ConfigError, load_settings
from servicebot.domain.days import WORDS, DayRange, days_of, parse_when
from servicebot.domain.errors import UserError
from servicebot.domain.kpis import Unit
from servicebot.domain.message import say
from servicebot.domain.periods import Period
from servicebot.imports import calls, outages, tickets, values
from servicebot.imports.csvfile import ImportFileError, Parsed
from servicebot.kpis import definitions as kpi_definitions
from servicebot.kpis.definitions import KpiDefinitionsError
from tests.conftest import EXAMPLE_CONFIG

FAST = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
LONDON = ZoneInfo("Europe/London")
TODAY = date(2026, 11, 30)

# -- text as people and fuzzers type it ---------------------------------------------------------------
_WORDISH = st.one_of(
    st.sampled_from(
        [
            *WORDS,
            "ict",
            "contact",
            "hr",
            "ICT",
            "2016-12",
            "2016-12-05",
            "2025-13",
            "2016-02-30",
            "1969-12-31",
            "3000-01",
            "start",
            "end",
            "email",
            "network",
            "ack",
            "snooze",
            "comment",
            "#12",
            "12",
            "|",
            "0",
            "-1",
            "²",
            "٣",
            "T-00042",
            "1" * 5000,
        ]
    ),
    st.from_regex(r"\A-?\d{1,6}(-\d{1,3}){0,2}\Z"),
    st.from_regex(r"\A#?\d{1,30}\Z"),
    st.text(min_size=1, max_size=12).filter(lambda s: s.strip() == s and " " not in s and s),
)
_LINE_TAIL = st.lists(_WORDISH, max_size=5).map(" ".join)


def _named(arg: str, said: str) -> bool:
    return arg in said or repr(arg)[1:-1] in said


def _said(command: CommandUsage) -> str:
    return str(say(*usage(command)))


# -- stats ------------------------------------------------------------------------------------------------
@settings(FAST, max_examples=500)
@given(tail=_LINE_TAIL, head=st.sampled_from(["stats", "Stats", "/stats", "STATS"]))
def test_stats_arguments_parse_to_a_command_or_the_usage_naming_the_argument(head: str, tail: str) -> None:
    line = f"{head} {tail}"
    command = parse(line)
    args = _CONTROL.sub("", tail).split()  # control characters are dropped before a line is read
    if isinstance(command, StatsCommand):
        # Round trip: the command written back out parses to the same command.
        again = parse(" ".join(["stats", command.asked, *([command.desk] if command.desk else [])]))
        assert again == command
        assert command.when == parse_when(command.asked)
        assert command.desk is None or command.desk in [a.lower() for a in args]
        try:
            days, _ = days_of(command.when, TODAY)
        except UserError as exc:  # a span that has not begun: named
            assert command.asked in str(exc.message) or str(command.when) in str(exc.message)
        else:
            assert isinstance(days, DayRange) and days.first <= days.last <= TODAY
    elif isinstance(command, CommandUsage):
        assert command.verb == "stats" and command.problem is not None
        said = _said(command)
        assert "Usage: stats" in said
        # What was wrong is named: one of the arguments as typed (or lower-cased) is in the answer.
        # (A character that cannot be printed is written escaped, as repr() does.)
        assert any(_named(a, said) or _named(a.lower(), said) for a in args), said
    else:
        # A sentence that begins with "stats" is someone's request (more than two words, none a span), or
        # about the ticket it names.
        assert isinstance(command, NewQuery | AboutTicket) and len(args) > 2


# -- outage -----------------------------------------------------------------------------------------------
@settings(FAST, max_examples=1000)
@given(tail=_LINE_TAIL)
def test_outage_arguments_parse_to_a_command_or_the_usage(tail: str) -> None:
    command = parse(f"outage {tail}")
    tail = _CONTROL.sub("", tail)  # control characters are dropped before a line is read
    args = tail.split()
    if isinstance(command, OutageCommand):
        assert command.action == args[0].lower()
        assert command.service == args[1].lower()
        assert command.action == "start" or not command.note
        assert command.note == " ".join(tail.split(maxsplit=2)[2:]).strip() or command.action == "end"
    elif isinstance(command, CommandUsage):
        assert command.verb == "outage"
        assert "outage start <service>" in _said(command)
    else:
        assert len(args) >= 2  # "outage on the network at county hall": a report of a problem


# -- alerts -----------------------------------------------------------------------------------------------
@settings(FAST, max_examples=500)
@given(tail=_LINE_TAIL, head=st.sampled_from(["alert", "alerts", "/alert", "Alert"]))
def test_alert_commands_parse_to_a_command_the_usage_or_a_request(head: str, tail: str) -> None:
    line = f"{head} {tail}".strip()
    found = parse_alert(line)
    if isinstance(found, AlertCommand):
        assert found.verb in ("list", "ack", "snooze", "comment")
        assert found.episode >= 0
        if found.verb != "list":
            assert str(found.episode) in line.replace(",", "")
    elif isinstance(found, AlertUsage):
        assert found.problem.strip()
    # parse() as a whole never raises for an alert line
    parse(line)


def test_an_alert_number_too_long_to_be_a_number_is_the_usage_not_a_crash() -> None:
    # Python refuses int() of over 4,300 digits with ValueError: that escaped parse() as a traceback.
    found = parse_alert("alert ack " + "1" * 5000)
    assert isinstance(found, AlertUsage) and "alert's number" in found.problem


# -- any line ---------------------------------------------------------------------------------------------
@settings(FAST, max_examples=500)
@given(line=st.one_of(st.text(max_size=200), _LINE_TAIL, st.builds("{} {}".format, _WORDISH, _LINE_TAIL)))
def test_any_line_parses_or_is_refused_with_a_user_error(line: str) -> None:
    try:
        parse(line)
    except UserError as exc:
        assert str(exc.message).strip()


# -- CSV imports ------------------------------------------------------------------------------------------
def _csv(header: list[str], rows: list[list[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


_CELL = st.one_of(
    st.sampled_from(
        [
            "",
            " ",
            "0",
            "1",
            "-1",
            "12",
            "1,000",
            "1e3",
            "nan",
            "inf",
            "true",
            "no",
            "yes",
            "x",
            "ict",
            "contact",
            "email",
            "network",
            "service desk",
            "2016-12-05",
            "2016-12-05T09:30",
            "2016-12-05T17:30Z",
            "2016-12-05 10:00+01:00",
            "2017-03-26T01:30",
            "2017-10-29T01:30",
            "9999-12-31T23:30-01:00",
            "0001-01-01T00:00",
            "2016-02-30",
            "2016-12",
            "2016-03",
            "ICT01",
            "CS05",
            "ICT01b",
            "72.3%",
            "%",
            "T-00042",
            "#42",
            "positive",
            "negative",
            "password_reset",
            "ict-service-desk",
            "ict-2nd-line",
            "1" * 5000,
            "=cmd|' /C calc'!A0",
        ]
    ),
    st.from_regex(r"\A\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2})?(Z|[+-]\d{2}:\d{2})?)?\Z"),
    st.from_regex(r"\A-?\d{1,7}(\.\d{1,3})?%?\Z"),
    st.text(max_size=20),
)


def _rows_for(columns: list[str]) -> st.SearchStrategy[tuple[list[str], list[list[str]]]]:
    header = st.permutations(columns)
    return header.flatmap(
        lambda cols: st.tuples(
            st.just(list(cols)),
            st.lists(st.lists(_CELL, min_size=len(cols), max_size=len(cols)), max_size=6),
        )
    )


def _check_parsed(parsed: Parsed[Any], content: str, columns: list[str]) -> None:
    """Every row is a record or named problems; each problem names a row of the file and a column of it."""
    data_rows = parsed.rows
    rows_with_problems = {p.row for p in parsed.problems}
    record_rows = {n for n, _ in parsed.records}
    assert not rows_with_problems & record_rows
    assert len(record_rows) + len(rows_with_problems) == data_rows
    for problem in parsed.problems:
        assert 2 <= problem.row <= data_rows + 1 + content.count("\n")
        assert problem.field is None or problem.field in columns, problem
        assert problem.reason.strip()
        assert str(problem).startswith(f"row {problem.row}")


def _parse_or_refuse(read: Any, content: str, name: str) -> Parsed[Any] | None:
    try:
        return read(content)  # type: ignore[no-any-return]
    except ImportFileError as exc:
        assert name in str(exc)
        return None


@settings(FAST, max_examples=150)
@given(data=_rows_for(list(calls.COLUMNS)))
def test_calls_files(data: tuple[list[str], list[list[str]]]) -> None:
    header, rows = data
    content = _csv(header, rows)
    parsed = _parse_or_refuse(
        lambda c: calls.parse(c, "calls.csv", frozenset({"ict", "contact"}), LONDON), content, "calls.csv"
    )
    if parsed is None:
        return
    _check_parsed(parsed, content, header)
    for _, call in parsed.records:
        assert 0 <= call.abandoned <= call.offered - call.answered
        assert 0 <= call.answered_within_40s <= call.answered <= call.offered
        assert call.total_wait_seconds >= 0 and call.total_handle_seconds >= 0
        # Round trip: the record written back as a row reads as the same record.
        row = {
            "date": call.day.isoformat() + (f"T{call.interval_start}" if call.interval_start else ""),
            "desk": call.desk,
            "line": call.line,
            "offered": str(call.offered),
            "answered": str(call.answered),
            "answered_within_40s": str(call.answered_within_40s),
            "abandoned": str(call.abandoned),
            "total_wait_seconds": repr(call.total_wait_seconds),
            "total_handle_seconds": repr(call.total_handle_seconds),
        }
        again = calls.parse(
            _csv(list(row), [list(row.values())]), "again.csv", frozenset({"ict", "contact"}), LONDON
        )
        assert [r for _, r in again.records] == [call], again.problems


@settings(FAST, max_examples=150)
@given(data=_rows_for([*outages.REQUIRED, *outages.OPTIONAL]))
def test_outage_files(data: tuple[list[str], list[list[str]]]) -> None:
    header, rows = data
    content = _csv(header, rows)
    now = datetime(2026, 11, 30, 12, tzinfo=LONDON)
    parsed = _parse_or_refuse(
        lambda c: outages.parse_outages(c, "outages.csv", ("network", "ict", "email"), LONDON, now),
        content,
        "outages.csv",
    )
    if parsed is None:
        return
    _check_parsed(parsed, content, header)
    for _, outage in parsed.records:
        assert outage.started_at.utcoffset() == timedelta(0)
        assert outage.ended_at is None or outage.ended_at > outage.started_at
        assert outage.started_at <= outage.impact_start
        if outage.impact_end is not None:
            assert outage.impact_start <= outage.impact_end
            assert outage.ended_at is None or outage.impact_end <= outage.ended_at
        assert outage.planned or (outage.ended_at or outage.started_at) <= now


_DESK_RULES = {
    "ict": tickets.DeskRules(
        queues={"ict-service-desk": 1, "ict-2nd-line": 2},
        intents={"password_reset": "ict-service-desk"},
        default_queue="ict-service-desk",
        second_line_queue="ict-2nd-line",
    )
}


@settings(FAST, max_examples=150)
@given(
    data=st.lists(st.sampled_from(tickets.OPTIONAL), unique=True, max_size=len(tickets.OPTIONAL)).flatmap(
        lambda extra: _rows_for([*tickets.REQUIRED, *extra])
    )
)
def test_ticket_files(data: tuple[list[str], list[list[str]]]) -> None:
    header, rows = data
    content = _csv(header, rows)
    now = datetime(2026, 11, 30, 12, tzinfo=LONDON)
    parsed = _parse_or_refuse(
        lambda c: tickets.parse(c, "tickets.csv", _DESK_RULES, LONDON, now), content, "tickets.csv"
    )
    if parsed is None:
        return
    _check_parsed(parsed, content, header)
    for _, past in parsed.records:
        assert past.logged_at <= now
        for later in (past.first_response_at, past.resolved_at, past.rated_at):
            assert later is None or later >= past.logged_at
        assert past.rating is None or past.resolved_at is not None
        assert past.desk in _DESK_RULES


_DEFINITIONS = {d.ref: d for d in kpi_definitions.default_definitions()}


@settings(FAST, max_examples=150)
@given(
    data=st.lists(st.sampled_from(values.OPTIONAL), unique=True).flatmap(
        lambda extra: _rows_for([*values.COLUMNS, *extra])
    )
)
def test_values_files(data: tuple[list[str], list[list[str]]]) -> None:
    header, rows = data
    content = _csv(header, rows)
    parsed = _parse_or_refuse(
        lambda c: values.parse_values(c, "values.csv", _DEFINITIONS), content, "values.csv"
    )
    if parsed is None:
        return
    _check_parsed(parsed, content, header)
    for _, row in parsed.records:
        definition = _DEFINITIONS[row.ref]
        assert row.value is not None or row.ytd is not None
        if definition.unit is Unit.PERCENT:
            for figure in (row.value, row.ytd):
                assert figure is None or 0 <= figure <= 100
        assert (row.numerator is None) == (row.denominator is None)
        assert row.denominator is None or row.denominator > 0


@settings(FAST, max_examples=300)
@given(
    header=st.lists(st.one_of(st.sampled_from(calls.COLUMNS), st.text(max_size=8)), max_size=12),
    body=st.text(max_size=300),
)
def test_any_file_is_refused_whole_or_read_row_by_row(header: list[str], body: str) -> None:
    content = ",".join(header) + "\n" + body
    for read in (
        lambda c: calls.parse(c, "f.csv", frozenset({"ict"}), LONDON),
        lambda c: outages.parse_outages(c, "f.csv", ("email",), LONDON),
        lambda c: tickets.parse(c, "f.csv", _DESK_RULES, LONDON),
        lambda c: values.parse_values(c, "f.csv", _DEFINITIONS),
    ):
        parsed = _parse_or_refuse(read, content, "f.csv")
        if parsed is not None:
            for problem in parsed.problems:
                assert problem.reason.strip()


# -- YAML documents of any shape, and near misses of real ones ---------------------------------------------
_SCALAR = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.sampled_from(["08:00", "25:00", "8:00", "mon", "ict", "C0ICT", "U1 U2", "Europe/London", "Mars/Base"]),
    st.dates(min_value=date(1, 1, 1)),
)
_ANY = st.recursive(
    _SCALAR,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)


def _paths(doc: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found: list[tuple[Any, ...]] = [prefix] if prefix else []
    if isinstance(doc, dict):
        for key, value in doc.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(doc, list):
        for index, value in enumerate(doc):
            found += _paths(value, (*prefix, index))
    return found


@st.composite
def _mutated(draw: st.DrawFn, original: Any) -> tuple[Any, tuple[Any, ...], str]:
    """The document with one place changed: a value replaced, a key removed, or a key added."""
    doc = copy.deepcopy(original)
    path = draw(st.sampled_from(_paths(doc)))
    parent = doc
    for part in path[:-1]:
        parent = parent[part]
    how = draw(st.sampled_from(["replace", "replace", "replace", "remove", "add"]))
    if how == "remove":
        del parent[path[-1]]
    elif how == "add" and isinstance(parent, dict):
        parent[draw(st.sampled_from(["colour", "targte", "extra_key"]))] = draw(_SCALAR)
    else:
        parent[path[-1]] = draw(_ANY)
    return doc, path, how


def _names_a_place(message: str, path: tuple[Any, ...]) -> bool:
    return any(str(part) in message for part in path) or any(
        k in message for k in ("colour", "targte", "extra_key")
    )


_KPI_DOC = yaml.safe_load(kpi_definitions.DEFAULT_FILE.read_text(encoding="utf-8"))
_CONFIG_DOC = yaml.safe_load(EXAMPLE_CONFIG.read_text(encoding="utf-8"))


@settings(FAST, max_examples=600)
@given(mutation=_mutated(_KPI_DOC))
def test_kpi_definitions_near_misses(mutation: tuple[Any, tuple[Any, ...], str]) -> None:
    doc, path, _ = mutation
    try:
        found = kpi_definitions.definitions_from(doc, "kpis.yaml", desks=("ict", "contact"))
    except KpiDefinitionsError as exc:
        message = str(exc)
        assert message.startswith(("invalid KPI definitions in kpis.yaml: ", "kpis.yaml: ")), message
        assert "\n" not in message
        assert _names_a_place(message, path) or message.startswith("kpis.yaml: "), (path, message)
        return
    # Accepted: every definition is one of the file's, in the file's order, with a threshold that judges.
    refs = [item["ref"] for item in doc["kpis"]]
    assert [d.ref for d in found] == refs
    for definition in found:
        assert 0 <= definition.decimals <= kpi_definitions.MAX_DECIMALS


@settings(FAST, max_examples=300)
@given(doc=_ANY)
def test_kpi_definitions_of_any_shape(doc: Any) -> None:
    try:
        kpi_definitions.definitions_from(doc, "kpis.yaml")
    except KpiDefinitionsError as exc:
        assert "kpis.yaml" in str(exc)


def _load_config(text: str) -> Any:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "servicebot.yaml"
        path.write_text(text, encoding="utf-8")
        return load_settings(
            {"SERVICEBOT_CONFIG": str(path), "SERVICEBOT_DATABASE_URL": f"sqlite:///{folder}/s.db"}
        )


@settings(FAST, max_examples=250)
@given(mutation=_mutated(_CONFIG_DOC))
def test_config_near_misses(mutation: tuple[Any, tuple[Any, ...], str]) -> None:
    doc, path, _ = mutation
    try:
        text = yaml.safe_dump(doc)
    except yaml.YAMLError:
        assume(False)
    try:
        loaded = _load_config(text)
    except ConfigError as exc:
        message = str(exc)
        assert "servicebot.yaml" in message and "\n" not in message, message
        assert _names_a_place(message, path) or "(top level)" in message, (path, message)
        return
    assert loaded.desks and loaded.default_desk.id in loaded.desks
    for desk in loaded.desks.values():
        assert desk.queue(desk.default_queue) is not None
        assert desk.queue(desk.second_line_queue) is not None


@settings(FAST, max_examples=300)
@given(text=st.one_of(st.text(max_size=200), _ANY.map(lambda d: yaml.safe_dump(d))))
def test_config_of_any_shape(text: str) -> None:
    try:
        _load_config(text)
    except ConfigError as exc:
        assert "servicebot.yaml" in str(exc) and "\n" not in str(exc)


# -- spans of days -----------------------------------------------------------------------------------------
@settings(FAST, max_examples=500)
@given(text=st.one_of(_WORDISH, st.text(max_size=12)), today=st.dates(date(1971, 1, 1), date(2998, 12, 31)))
def test_a_span_of_days_is_parsed_or_named(text: str, today: date) -> None:
    try:
        when = parse_when(text)
    except UserError as exc:
        assert repr(text.strip().lower())[1:-1] in str(exc) or repr(text.strip())[1:-1] in str(exc)
        return
    assert isinstance(when, (str, Period, date))
    try:
        days, _ = days_of(when, today)
    except UserError:
        return
    assert days.last <= today


@pytest.mark.parametrize("digits", [4301, 5000])
def test_a_snooze_too_long_to_be_a_number_is_refused_by_name(digits: int) -> None:
    from servicebot.chat import alerts as chat_alerts

    class _Service:
        clock = staticmethod(lambda: datetime(2026, 11, 30, 9, tzinfo=LONDON))

    with pytest.raises(UserError, match="snooze"):
        chat_alerts._until("1" * digits, _Service.clock(), _Service())  # type: ignore[arg-type]


def test_a_config_key_with_a_line_break_is_named_on_one_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as refused:
        _load_config(EXAMPLE_CONFIG.read_text(encoding="utf-8") + '"colour\\nscheme": 1\n')
    assert "\n" not in str(refused.value) and "'colour\\nscheme'" in str(refused.value)


def test_yaml_with_a_control_character_is_refused_on_one_line_with_where() -> None:
    with pytest.raises(ConfigError) as refused:
        _load_config("timezone: Europe/London\ndesks: \x1f\n")
    message = str(refused.value)
    assert "\n" not in message
    assert "invalid YAML at line 2, column 8: character #x001f: special characters are not allowed" in message
