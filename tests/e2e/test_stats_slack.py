"""`stats …` in Slack, end to end: signed requests to the real HTTP app, the worker, the outbox, and the
fake Slack Web API on loopback. A manager gets the stats in Block Kit (DM, mention, slash command), and the
headline KPI's trend chart in the answer's thread; anyone else is told why."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from servicebot.domain.periods import Period
from servicebot.reports.chart import render_png
from tests.support.fake_slack import Call, UploadedFile
from tests.support.live_app import LiveApp, live_app
from tests.support.slack_requests import app_mention_event, fresh_ts, message_event

MANAGER, REQUESTER = "U0MANAGER1", "U0REQUESTER"
DM, INTAKE = "D0MANAGER", "C0ICTHELP"
CALLS = (
    "date,desk,line,offered,answered,answered_within_40s,abandoned,total_wait_seconds,total_handle_seconds\n"
    "2016-12-05,contact,main line,1000,950,800,50,19000,285000\n"
    "2016-12-06,contact,main line,1000,900,700,100,27000,270000\n"
    "2016-12-06,contact,highways,500,500,500,0,5000,150000\n"
)


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveApp]:
    with live_app(tmp_path, SERVICEBOT_MANAGERS=MANAGER) as app:
        path = tmp_path / "calls.csv"
        path.write_text(CALLS, encoding="utf-8")
        assert app.services.imports.run("calls", path).written.new == 3
        yield app


def _text_of(blocks: list[dict[str, Any]]) -> str:
    return json.dumps(blocks, ensure_ascii=False)


def _chart(live: LiveApp) -> UploadedFile:
    live.slack.wait_for("files.completeUploadExternal", timeout=20)
    [uploaded] = live.slack.uploaded_files()
    return uploaded


def _expected_png(live: LiveApp, ref: str, period: Period) -> bytes:
    """What `servicebot chart REF --period` draws: the dashboard row's own figures."""
    return render_png(live.services.kpis.row(ref, period))


def _posted(live: LiveApp, channel: str, count: int = 1) -> list[Call]:
    return live.slack.wait_for(
        "chat.postMessage", count=count, where=lambda c: c.args.get("channel") == channel
    )


def test_a_manager_asks_by_dm_and_gets_the_stats_in_block_kit(live: LiveApp) -> None:
    ts = fresh_ts()
    live.sender.send_event(
        message_event("stats 2016-12 contact", user=MANAGER, channel=DM, ts=ts, channel_type="im")
    )
    [answer] = _posted(live, DM)
    blocks = answer.args["blocks"]
    # The answer starts a thread of its own, for the chart (Slack threads under a parent, not a reply).
    assert "thread_ts" not in answer.args
    assert blocks[0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": "Contact Centre stats, December 2016", "emoji": True},
    }
    said = _text_of(blocks)
    assert "Answered: 94.0% (2,350 of 2,500 offered)" in said
    assert ":large_orange_circle: AMBER CS04 " in said  # the emoji and the word, never colour alone
    assert ":white_circle: no figure CS01 " in said
    # The headline KPI is CS04, the first AMBER (none is RED); its chart follows in the answer's thread.
    assert "The trend chart of CS04 (the first KPI rated AMBER; none is RED) follows in this thread." in said
    chart = _chart(live)
    assert (chart.channel_id, chart.thread_ts) == (DM, answer.response["ts"])
    assert chart.filename == "CS04-2016-12.png"
    assert chart.content == _expected_png(live, "CS04", Period(2016, 12))
    assert chart.initial_comment is not None and chart.initial_comment.startswith("The trend chart of CS04")
    live.settled()
    assert live.tickets() == [], "a command is not a ticket"
    assert len(live.slack.uploaded_files()) == 1 and len(_posted(live, DM)) == 1


def test_a_manager_asks_by_mention_in_a_desk_channel_and_gets_that_desks_stats(live: LiveApp) -> None:
    live.sender.send_event(app_mention_event("stats yesterday", user=MANAGER, channel=INTAKE))
    [answer] = _posted(live, INTAKE)
    assert answer.args["blocks"][0]["text"]["text"].startswith("ICT Service Desk stats, ")
    assert answer.args["blocks"][0]["text"]["text"].endswith("(yesterday)")
    # The ICT desk has no KPI rated RED or AMBER here: the chart is of its first KPI, in the answer's thread.
    chart = _chart(live)
    assert (chart.channel_id, chart.thread_ts, chart.filename) == (
        INTAKE,
        answer.response["ts"],
        chart.filename,
    )
    assert chart.filename.startswith("ICT01-")


def test_asked_within_a_thread_the_answer_and_the_chart_stay_in_that_thread(live: LiveApp) -> None:
    parent = fresh_ts()
    live.sender.send_event(
        app_mention_event("stats 2016-12 contact", user=MANAGER, channel=INTAKE, thread_ts=parent)
    )
    [answer] = _posted(live, INTAKE)
    assert answer.args["thread_ts"] == parent
    # `reply_to` names the answer, itself a reply here: the outbox looks up where it went (its ts), and
    # putting the chart under the thread's parent instead needs the outbox to keep that parent.
    chart = _chart(live)
    assert chart.channel_id == INTAKE and chart.filename == "CS04-2016-12.png"


def test_a_manager_asks_by_slash_command_and_gets_the_answer_privately(live: LiveApp) -> None:
    assert live.sender.send_command(text="stats 2016-12-06 contact", user_id=MANAGER).status == 200
    [answer] = live.slack.wait_for("response_url")
    assert answer.args["response_type"] == "ephemeral"
    said = _text_of(answer.args["blocks"])
    assert "Contact Centre stats, Tue 6 Dec 2016" in said
    assert "Answered: 93.3% (1,400 of 1,500 offered)" in said
    # No thread to put the chart in: it goes to the manager's DM, under a line naming the stats.
    assert (
        "The trend chart of CS04 (the first KPI rated AMBER; none is RED) is in your direct messages" in said
    )
    [line] = _posted(live, MANAGER)
    assert line.args["text"].startswith("For *Contact Centre stats, Tue 6 Dec 2016*: the trend chart of CS04")
    chart = _chart(live)
    # Slack answers a post to a user id with the DM channel: the chart goes into that thread.
    assert (chart.channel_id, chart.thread_ts) == (line.response["channel"], line.response["ts"])
    assert line.response["channel"] == "D" + MANAGER[1:]
    assert chart.content == _expected_png(live, "CS04", Period(2016, 12))


def test_anyone_else_is_refused_with_why_and_what_to_do_instead(live: LiveApp) -> None:
    live.sender.send_event(message_event("stats week", user=REQUESTER, channel="D0REQ", channel_type="im"))
    live.sender.send_command(text="stats", user_id=REQUESTER)
    [dm] = _posted(live, "D0REQ")
    [private] = live.slack.wait_for("response_url")
    for text in (dm.args["text"], private.args["text"]):
        assert text.startswith(":warning: Desk-wide stats are for managers")
        assert "`mine`" in text
    live.settled()
    assert live.tickets() == []
    recorded = [m.key for m in live.services.outbox.listed(limit=100)]
    assert recorded and not any(key.startswith(("chart:", "stats:")) for key in recorded)


def test_bad_arguments_are_answered_with_the_usage_never_a_ticket(live: LiveApp) -> None:
    for line in ("stats 2025-13", "stats yesterday ict extra", "stats 1899-01", "stats today hr"):
        live.sender.send_command(text=line, user_id=MANAGER)
    answers = live.slack.wait_for("response_url", count=4)
    for answer in answers:
        assert answer.args["text"].startswith(":warning: ")
        assert "Usage: `stats [today|yesterday|week|month|YYYY-MM|YYYY-MM-DD] [desk]`" in answer.args["text"]
    live.settled()
    assert live.tickets() == []
