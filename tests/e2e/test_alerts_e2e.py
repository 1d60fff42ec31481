"""A breach alert's whole life in Slack: the real HTTP app, its worker and relay, the real slack-sdk client
and the fake Slack on loopback, with signed requests. The owner is told in a direct message (and the
lead channel in a post) with the figures and buttons; unanswered, reminded, then the director is told;
the owner acknowledges, writes the commentary in the modal (it reaches the dashboard), and the recovery
is said in the same threads. Evaluations run with a clock the test sets; Slack's side runs in real time."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from handlers.blocks.alerts import ACK, COMMENT, COMMENT_VIEW, SNOOZE
from servicebot.domain.outbox import Status
from servicebot.domain.periods import Period
from servicebot.reports import render
from tests.conftest import Clock
from tests.integration.test_alerts import DEFINITIONS, DIRECTOR, LEAD, OWNER, config
from tests.support.live_app import LiveApp, live_app
from tests.support.slack_requests import view_submission

OCT = Period(2026, 10)
TUESDAY = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)  # in the past, so nothing is held for the real clock


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveApp]:
    with live_app(tmp_path, SERVICEBOT_CONFIG=str(config(tmp_path))) as app:
        (tmp_path / "kpis.yaml").write_text(yaml.safe_dump(DEFINITIONS))
        app.services.kpis.load_definitions(tmp_path / "kpis.yaml")
        yield app


def publish(live: LiveApp, tmp_path: Path, value: float) -> None:
    path = tmp_path / f"values-{value}.csv"
    path.write_text(f"ref,period,value,ytd\nICT01,{OCT},{value},\n")
    assert not live.services.imports.run("values", path).problems


def evaluate(live: LiveApp, at: datetime) -> list[str]:
    live.services.alerts.clock = Clock(at)
    planned = [p.what for p in live.services.alerts.evaluate()]
    live.services.inbox.notify()  # the worker wakes and its relay sends at once, as after a request
    return planned


def drained(live: LiveApp) -> None:
    live.wait_until(
        lambda: live.services.outbox.counts()[Status.PENDING] == 0, timeout=20, what="the outbox to drain"
    )


def posts(live: LiveApp, channel: str) -> list[dict[str, Any]]:
    return [
        c.args for c in live.slack.calls_to("chat.postMessage") if c.ok and c.response["channel"] == channel
    ]


def test_the_alert_life_cycle_end_to_end(live: LiveApp, tmp_path: Path) -> None:
    dm, director_dm = "D" + OWNER[1:], "D" + DIRECTOR[1:]
    publish(live, tmp_path, 60.0)
    [opened] = evaluate(live, TUESDAY)
    assert opened.startswith("alert #1 RED 2026-10 (new) to U0OWNER1, C0ICTLEADS")
    drained(live)
    [alert] = posts(live, dm)
    [lead_post] = posts(live, LEAD)
    assert alert["text"].startswith(":red_circle: ICT01 is RED for October 2026")
    figures = json.dumps(alert["blocks"])
    assert "*Figure* 60%" in figures and "*Target* 70%" in figures and "*Floor* 65%" in figures
    buttons = next(b for b in alert["blocks"] if b["type"] == "actions")["elements"]
    assert [e["action_id"] for e in buttons] == [ACK, COMMENT, SNOOZE]
    alert_ts = next(c.response["ts"] for c in live.slack.calls_to("chat.postMessage") if c.args is alert)

    # Evaluated again at once, and after the night: nothing twice; then the morning reminder.
    assert evaluate(live, TUESDAY) == []
    [reminded] = evaluate(live, datetime(2026, 11, 25, 9, 0, tzinfo=UTC))
    assert reminded.startswith("reminder 1 of alert #1")
    drained(live)
    assert len(posts(live, dm)) == 2 and posts(live, dm)[1]["text"].startswith(":red_circle: Reminder: ICT01")

    # Unanswered for 16 working hours: the director is told, and the lead channel hears so in its thread.
    [escalated] = evaluate(live, datetime(2026, 11, 25, 15, 30, tzinfo=UTC))
    assert "escalated to Rebecca Spore (U0DIRECTOR)" in escalated
    drained(live)
    [to_director] = posts(live, director_dm)
    assert to_director["text"].startswith(":red_circle: Escalated to you: ICT01 is RED")
    lead_thread = [p for p in posts(live, LEAD) if p.get("thread_ts")]
    assert "escalated to <@U0DIRECTOR>" in lead_thread[0]["text"]

    # The owner acknowledges from the alert: answered privately, said in the threads, reminders stop.
    ack = live.sender.send_action(ACK, "1", user_id=OWNER, channel_id=dm, message_ts=alert_ts)
    assert ack.status == 200
    live.settled()
    [answer] = live.wait_until(lambda: live.slack.calls_to("response_url"), what="the private answer")
    assert "acknowledged by U0OWNER1" in answer.args["text"]
    drained(live)
    in_dm_thread = [p for p in posts(live, dm) if p.get("thread_ts") == alert_ts]
    assert [p["text"] for p in in_dm_thread] == [
        "Not acknowledged in time: escalated to <@U0DIRECTOR> (Rebecca Spore).",
        "Acknowledged by <@U0OWNER1>.",
    ]
    assert evaluate(live, datetime(2026, 11, 26, 9, 0, tzinfo=UTC)) == []

    # Add commentary: the modal opens on the click; what is typed is saved and reaches the dashboard.
    live.sender.send_action(COMMENT, f"1:ICT01:{OCT}", user_id=OWNER, channel_id=dm, message_ts=alert_ts)
    [opened_view] = live.wait_until(lambda: live.slack.calls_to("views.open"), what="the modal")
    view = opened_view.response["view"]
    assert view["callback_id"] == COMMENT_VIEW and view["private_metadata"] == "1"
    blank = live.sender.send_payload(
        view_submission(view, _typed("", "Agency staff booked", None), user_id=OWNER)
    )
    assert blank.status == 200 and blank.json()["response_action"] == "errors"
    assert set(blank.json()["errors"]) == {"cause"}
    saved = live.sender.send_payload(
        view_submission(
            view, _typed("Two agents off sick", "Agency staff booked", "2027-01-29"), user_id=OWNER
        )
    )
    assert saved.status == 200 and saved.body == b""
    live.settled()
    row = live.wait_until(lambda: live.services.kpis.row("ICT01", OCT).commentary, what="the commentary")
    assert (row.cause, row.action, str(row.recovery), row.by) == (
        "Two agents off sick",
        "Agency staff booked",
        "2027-01-29",
        OWNER,
    )
    dashboard = render(live.services.kpis.dashboard(OCT, "ict"), "md")
    assert "Two agents off sick" in dashboard and "Agency staff booked" in dashboard
    drained(live)
    assert any("Commentary saved for ICT01" in p["text"] for p in posts(live, dm))

    # Recovered: said in the threads of the first alert and the lead post; the episode closes.
    publish(live, tmp_path, 72.0)
    assert evaluate(live, datetime(2026, 11, 27, 10, 0, tzinfo=UTC)) == ["alert #1 closed: recovered"]
    drained(live)
    recovered = [p for p in live.slack.calls_to("chat.postMessage") if "has recovered" in p.args["text"]]
    assert {(p.response["channel"], p.args["thread_ts"]) for p in recovered} == {
        (dm, alert_ts),
        (
            LEAD,
            next(c.response["ts"] for c in live.slack.calls_to("chat.postMessage") if c.args is lead_post),
        ),
    }
    assert live.services.alerts.listed(open_only=True) == []
    assert live.services.outbox.counts()[Status.FAILED] == 0


def test_someone_else_pressing_acknowledge_is_told_why_not(live: LiveApp, tmp_path: Path) -> None:
    publish(live, tmp_path, 60.0)
    evaluate(live, TUESDAY)
    live.sender.send_action(ACK, "1", user_id="U0NOSY", channel_id="C0ICTLEADS")
    live.settled()
    [answer] = live.wait_until(lambda: live.slack.calls_to("response_url"), what="the private answer")
    assert "Only ICT01's owners, its director or a manager can acknowledge alert #1" in answer.args["text"]
    [view] = live.services.alerts.listed()
    assert view.episode.acknowledged_by is None


def _typed(cause: str, action: str, recovery: str | None) -> dict[str, dict[str, dict[str, Any]]]:
    return {
        "cause": {"text": {"type": "plain_text_input", "value": cause}},
        "action": {"text": {"type": "plain_text_input", "value": action}},
        "recovery": {"date": {"type": "datepicker", "selected_date": recovery}},
    }


def test_slack_failing_for_a_while_delays_alerts_and_a_digest_but_loses_and_repeats_none(
    live: LiveApp, tmp_path: Path
) -> None:
    """Server errors and rate limits, more than the SDK's own retries absorb: each alert, the digest and its
    file arrive once, after the outbox has carried them across several tries."""
    from servicebot.config import DigestSpec
    from servicebot.domain.outbox import RetryPolicy
    from tests.support.fake_slack import UPLOAD_METHOD

    # Production waits seconds to minutes between tries; the same rules on a shorter scale here.
    live.services.outbox.policy = RetryPolicy(first=0.05, factor=2, cap=0.4, max_attempts=40)
    live.slack.server_error_next("chat.postMessage", status=500, times=5)
    live.slack.rate_limit_next("chat.postMessage", retry_after=1, times=3)
    live.slack.server_error_next(UPLOAD_METHOD, status=503, times=2)
    publish(live, tmp_path, 60.0)
    evaluate(live, TUESDAY)
    spec = DigestSpec(
        name="ict-dashboard", cron="0 9 2 * *", desk="ict", channel=LEAD, content="monthly_dashboard"
    )
    live.services.digests.settings = live.services.settings.model_copy(update={"digests": (spec,)})
    live.services.digests.send_now(spec)
    live.services.inbox.notify()
    live.wait_until(
        lambda: live.services.outbox.counts()[Status.PENDING] == 0, timeout=60, what="the outbox to drain"
    )

    sent = live.services.outbox.listed(Status.SENT)
    assert live.services.outbox.counts()[Status.FAILED] == 0
    [digest] = [m.key for m in sent if m.key.startswith("digest:") and not m.key.endswith(":file")]
    assert digest.startswith("digest:ict-dashboard:by-hand:")
    assert {m.key for m in sent} == {
        f"alert:1:open:{OWNER}",
        f"alert:1:open:lead:{LEAD}",
        digest,
        f"{digest}:file",
    }
    assert any(m.attempts > 1 for m in sent), "Slack's errors were carried across tries"
    delivered = [c for c in live.slack.calls_to("chat.postMessage") if c.ok]
    assert len(delivered) == len([m for m in sent if m.method == "notice"]) == 3  # two alerts, one digest
    assert len(posts(live, "D" + OWNER[1:])) == 1
    [shared] = live.slack.uploaded_files()
    assert shared.filename.startswith("dashboard-ict-") and shared.channel_id == LEAD
