"""The dashboard as Markdown and as CSV, from hand-built dashboards."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import replace

import pytest

from servicebot.domain.kpis import Dashboard
from servicebot.reports import render
from servicebot.reports.csv_report import COLUMNS, machine_number, safe_text
from tests.support.dashboards import HOSTILE, hostile_dashboard, sample_dashboard


def rows_of(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def table_after(markdown: str, heading: str) -> list[list[str]]:
    """The cells of the first Markdown table after a heading, header row first."""
    lines = markdown.splitlines()
    start = lines.index(heading)
    table = []
    for line in lines[start + 1 :]:
        if line.startswith("|"):
            table.append(line)
        elif table:
            break
    return [[cell.strip() for cell in line.strip("|").split(" | ")] for line in table if "---" not in line]


# -- Markdown --------------------------------------------------------------------------------------------


def test_markdown_has_the_committee_layout() -> None:
    text = render(sample_dashboard(), "md")
    headings = [line for line in text.splitlines() if line.startswith("#")]
    assert headings == [
        "# Strategic and Corporate Services Performance Dashboard",
        "## RAG summary",
        "## ICT (Infrastructure)",
        "### Key performance indicators",
        "### Activity indicators",
        "### Commentary",
        "## Finance and Procurement",
        "### Key performance indicators",
        "### Activity indicators",
        "### Commentary",
    ]
    assert "December 2016, all desks. Generated 9 Jan 2017 09:05 (UK time)." in text
    assert (
        "Director: Rebecca Spore · Cabinet member: Peter Oakford · Delivery by: Cantium Business Solutions"
        in text
    )


def test_markdown_rag_summary_counts_each_area_and_the_total() -> None:
    summary = table_after(render(sample_dashboard(), "md"), "## RAG summary")
    assert summary == [
        ["Service area", "GREEN", "AMBER", "RED", "No RAG"],
        ["ICT (Infrastructure)", "3", "1", "1", "1"],
        ["Finance and Procurement", "1", "1", "1", "0"],
        ["All service areas", "4", "2", "2", "1"],
    ]


def test_markdown_kpi_rows_show_every_column_formatted() -> None:
    rows = table_after(render(sample_dashboard(), "md"), "### Key performance indicators")
    assert rows[0] == [
        "Ref",
        "Indicator",
        "Latest",
        "RAG",
        "DoT",
        "YTD",
        "YTD RAG",
        "Target",
        "Floor",
        "Previous year",
    ]
    by_ref = {row[0]: row for row in rows[1:]}
    assert by_ref["ICT01"][2:] == ["69%", "AMBER", "↓ fell", "70%", "GREEN", "70%", "65%", "71%"]
    assert by_ref["ICT04"][2:] == ["97.4%", "RED", "↓ fell", "99.2%", "GREEN", "99.0%", "98.0%", "99.1%"]
    assert by_ref["ICT06"][2:5] == ["18.5 h", "GREEN", "↑ improved"]
    assert by_ref["ICT07"][8] == "1 min 30 s"
    assert by_ref["ICT08"][2:] == ["–", "Suspended", "–", "–", "Suspended", "90%", "80%", "88%"]


def test_markdown_names_the_month_of_an_older_figure() -> None:
    text = render(sample_dashboard(), "md")
    assert "| HR11 | Staff survey engagement score | 74% (Mar 2016) | GREEN |" in text
    assert "69% (" not in text, "a figure for the period itself carries no month"


def test_markdown_activity_rows() -> None:
    rows = table_after(render(sample_dashboard(), "md"), "### Activity indicators")
    assert rows[1] == [
        "ICT01b",
        "Calls to ICT Help Desk",
        "5,321",
        "51,051",
        "Below",
        "80,000",
        "60,000",
        "43,283",
    ]
    assert rows[2][4:7] == ["–", "–", "–"], "no expected range: shown against the previous year only"


def test_markdown_commentary_for_every_amber_and_red_row() -> None:
    text = render(sample_dashboard(), "md")
    commentary = text.split("### Commentary")[1].split("## Finance")[0]
    assert (
        "**ICT01** Calls to ICT Help Desk resolved at the first point of contact (AMBER, year to date GREEN)"
        in (commentary)
    )
    assert (
        "  - Cause: More complex profile and exchange issues required escalation to the 2nd line."
        in commentary
    )
    assert "  - Expected recovery: 28 Feb 2017" in commentary
    assert "**ICT04**" in commentary and "(RED, year to date GREEN): no commentary yet" in commentary
    assert "**ICT06**" in commentary, "GREEN for the month but AMBER for the year to date"
    assert "**ICT02**" not in commentary and "**ICT08**" not in commentary


def test_markdown_escapes_text_that_would_be_markup_or_break_a_table() -> None:
    text = render(hostile_dashboard(), "md")
    assert HOSTILE not in text
    assert re.search(r"(?<!\\)[<>]", text) is None, "every angle bracket is escaped"
    assert r"\<script\>alert('owned')\</script\>" in text
    row = next(line for line in text.splitlines() if line.startswith(r"| ICT\<b\>01"))
    assert len(re.findall(r"(?<!\\)\|", row)) == 11, "a | in a description must not add a column"
    assert r"\*\*bold\*\*" in row


def test_markdown_of_an_empty_dashboard_says_so() -> None:
    text = render(replace(sample_dashboard(), areas=()), "md")
    assert "No KPIs are defined for this dashboard." in text


# -- CSV -------------------------------------------------------------------------------------------------


def test_csv_has_one_row_per_kpi_and_activity_indicator() -> None:
    dashboard = sample_dashboard()
    rows = rows_of(render(dashboard, "csv"))
    assert list(rows[0]) == list(COLUMNS)
    assert [(row["kind"], row["ref"]) for row in rows] == [
        *(("kpi", r.definition.ref) for r in dashboard.areas[0].kpis),
        *(("activity", r.definition.ref) for r in dashboard.areas[0].activity),
        *(("kpi", r.definition.ref) for r in dashboard.areas[1].kpis),
        *(("activity", r.definition.ref) for r in dashboard.areas[1].activity),
    ]
    assert {row["period"] for row in rows} == {"2016-12"}


def test_csv_numbers_are_unrounded_and_unformatted() -> None:
    dashboard = sample_dashboard()
    area = dashboard.areas[0]
    precise = replace(area.kpis[2], value=97.43219, ytd=99.16666666666667)
    dashboard = replace(dashboard, areas=(replace(area, kpis=(precise,)),))
    (ict04, *activity) = rows_of(render(dashboard, "csv"))
    assert ict04["value"] == "97.43219" and ict04["ytd"] == "99.16666666666667"
    assert (ict04["target"], ict04["floor"], ict04["previous_year"]) == ("99", "98", "99.1")
    assert (ict04["rag"], ict04["dot"], ict04["ytd_rag"], ict04["unit"]) == (
        "RED",
        "fell",
        "GREEN",
        "percent",
    )
    assert activity[0]["ytd"] == "51051" and activity[0]["upper"] == "80000"
    assert activity[0]["in_expected_range"] == "Below"


def test_csv_rows_carry_the_month_rag_commentary_and_owners() -> None:
    rows = {row["ref"]: row for row in rows_of(render(sample_dashboard(), "csv"))}
    assert rows["HR11"]["shown"] == "2016-03" and rows["HR11"]["frequency"] == "annual"
    assert (
        rows["ICT08"]["suspended"] == "true" and rows["ICT08"]["rag"] == "" and rows["ICT08"]["value"] == ""
    )
    assert rows["ICT01"]["commentary_recovery"] == "2017-02-28"
    assert rows["ICT01"]["commentary_action"].startswith("Knowledge articles")
    assert rows["PI01"]["commentary_recovery"] == ""
    assert rows["FP05b"]["value"] == "19.1" and rows["FP05b"]["unit"] == "currency"
    assert (rows["ICT01"]["director"], rows["ICT01"]["delivery_by"]) == (
        "Rebecca Spore",
        "Cantium Business Solutions",
    )


def test_csv_text_cannot_become_a_spreadsheet_formula() -> None:
    (row,) = rows_of(render(hostile_dashboard(), "csv"))
    assert row["commentary_action"] == "'=1+1"
    assert row["cabinet_member"] == "'@Peter" and row["delivery_by"] == "'-Cantium"
    assert row["description"].startswith("<script>"), "text that is not a formula is left as it is"
    for value in row.values():
        assert not value.lstrip().startswith(("=", "+", "-", "@")), value


@pytest.mark.parametrize(
    "text", ["=SUM(A1:A9)", "+1", "-1+1", "@cmd", "\t=1", "\r=1", "  =1", "=HYPERLINK()"]
)
def test_formula_starts_are_neutralised(text: str) -> None:
    assert safe_text(text) == "'" + text


@pytest.mark.parametrize("text", ["Calls answered", "ICT01", "99.9% available", "", "a=b", "e-mail"])
def test_ordinary_text_is_untouched(text: str) -> None:
    assert safe_text(text) == text


def test_negative_numbers_stay_numbers() -> None:
    assert machine_number(-5.0) == "-5" and machine_number(-0.25) == "-0.25"
    assert machine_number(None) == "" and machine_number(504050.0) == "504050"


def test_csv_quotes_commas_quotes_and_newlines() -> None:
    dashboard = sample_dashboard()
    area = dashboard.areas[0]
    row = area.kpis[0]
    assert row.commentary is not None
    awkward = replace(row.commentary, cause='Two "major" incidents,\nthen a third')
    dashboard = replace(
        dashboard, areas=(replace(area, kpis=(replace(row, commentary=awkward),), activity=()),)
    )
    (parsed,) = rows_of(render(dashboard, "csv"))
    assert parsed["commentary_cause"] == 'Two "major" incidents,\nthen a third'


def test_csv_of_an_empty_dashboard_is_the_header_alone() -> None:
    empty: Dashboard = replace(sample_dashboard(), areas=())
    assert render(empty, "csv") == ",".join(COLUMNS) + "\n"
