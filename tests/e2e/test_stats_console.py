"""`stats …` in the console, driven as a manager would: the installed command, stdin in, stdout out."""

from __future__ import annotations

from pathlib import Path

from tests.support.cli import servicebot

CALLS = (
    "date,desk,line,offered,answered,answered_within_40s,abandoned,total_wait_seconds,total_handle_seconds\n"
    "2016-12-05,contact,main line,1000,950,800,50,19000,285000\n"
    "2016-12-06,contact,main line,1000,900,700,100,27000,270000\n"
    "2016-12-06,contact,highways,500,500,500,0,5000,150000\n"
)


def replies(stdout: str) -> list[str]:
    return stdout.strip().split("\n\n")


def test_a_manager_asks_for_stats_in_the_console(tmp_path: Path) -> None:
    (tmp_path / "calls.csv").write_text(CALLS, encoding="utf-8")
    imported = servicebot(tmp_path, "import", "calls", "calls.csv")
    assert imported.returncode == 0, imported.stderr
    script = "my printer on floor 2 is jammed\nstats\nstats 2016-12 contact\nstats 2016-12-06 contact\n"
    result = servicebot(tmp_path, "console", "--user", "UMANAGER1", "--role", "manager", stdin=script)
    assert result.returncode == 0, result.stderr
    logged, today, december, one_day = replies(result.stdout)
    assert logged.startswith("Logged T-00001")

    assert today.startswith("ICT Service Desk stats, ") and today.splitlines()[0].endswith("(today)")
    assert "  Contacts logged: 1 (by channel: console 1)" in today
    assert "  Open now: 1" in today
    assert "T-00001 open 0 min, triaged" in today or "T-00001 open 0 min, new" in today
    assert "KPIs, " in today and "(KPIs are monthly: the month these days end in)" in today
    assert " ICT01 " in today and "target 70%, floor 65%" in today

    assert december.splitlines()[0] == "Contact Centre stats, December 2016"
    assert "  Answered: 94.0% (2,350 of 2,500 offered)" in december
    assert "  Within 40 s: 85.1% (2,000 of 2,350 answered)" in december
    assert "  Average wait: 22 s; average handle time: 5 min" in december
    assert "KPIs, December 2016:" in december  # the days are the KPIs' month: nothing to explain
    # Each KPI with its RAG as an emoji and a word; one with no figure says so.
    assert "  🟠 AMBER CS04 Percentage of calls to the contact centre answered: 94% (target 95%" in december
    assert "  🟢 GREEN CS05 " in december
    assert "  ⚪ no figure CS01 " in december
    assert "Draw the trend chart of CS04 (the first KPI rated AMBER; none is RED) with: " in december
    assert one_day.splitlines()[0] == "Contact Centre stats, Tue 6 Dec 2016"
    assert "  Answered: 93.3% (1,400 of 1,500 offered)" in one_day


def test_stats_are_refused_to_anyone_but_a_manager_and_bad_arguments_get_the_usage(tmp_path: Path) -> None:
    script = "stats\nmine\n"
    agent = servicebot(tmp_path, "console", "--user", "UAGENT1", "--role", "agent", stdin=script)
    refused, mine = replies(agent.stdout)
    assert refused.startswith("Sorry: Desk-wide stats are for managers")
    assert "mine" in refused and "my tickets" in refused
    assert mine.startswith("Open tickets assigned to you")

    script = "\n".join(
        ["stats 2025-13", "stats yesterday ict extra", "stats 1899-01", "stats today hr", "stats 2999-12"]
    )
    result = servicebot(tmp_path, "console", "--user", "UMANAGER1", "--role", "manager", stdin=script + "\n")
    assert result.returncode == 0, result.stderr
    answers = replies(result.stdout)
    assert [a.split(". Usage: ")[0] for a in answers] == [
        "Sorry: '2025-13' is not a period: there is no month 13",
        "Sorry: extra is one word too many: stats takes a span of days and a desk, each at most once",
        "Sorry: '1899-01' is not a period: the year must be 1970 to 2999",
        "Sorry: Unknown desk 'hr'; choose one of: ict, contact",
        answers[4].split(". Usage: ")[0],
    ]
    assert answers[4].startswith("Sorry: 2999-12 has not begun yet")
    for answer in answers:
        assert "Usage: stats [today|yesterday|week|month|YYYY-MM|YYYY-MM-DD] [desk]." in answer
        assert "Traceback" not in answer and "Logged" not in answer
    tickets = servicebot(tmp_path, "tickets", "list")
    assert "T-00001" not in tickets.stdout, "no bad argument became a ticket"
