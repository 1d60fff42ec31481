"""App Home end to end: opening it publishes that person's view (views.publish through the outbox to the
fake Slack): their open tickets, the KPIs they own with RAG, the services out, and for a manager what triage
was taught lately with a Revoke button that revokes it (as `servicebot intents revoke` does)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from servicebot.services.actors import Actor, Role
from servicebot.services.intake import Source
from tests.support.fake_slack import Call
from tests.support.live_app import LiveApp, live_app

AGENT, MANAGER, REQUESTER = "U0AGENT01", "U0MANAGER1", "U0REQUESTER"
DEFAULT_KPIS = Path(__file__).resolve().parents[2] / "servicebot" / "kpis" / "default.yaml"


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveApp]:
    with live_app(tmp_path, SERVICEBOT_AGENTS=AGENT, SERVICEBOT_MANAGERS=MANAGER) as app:
        # ICT01 owned by the agent: the committed definitions with one owner added.
        text = DEFAULT_KPIS.read_text(encoding="utf-8").replace(
            "    source: fcr:ict ", f"    owners: [{AGENT}]\n    source: fcr:ict ", 1
        )
        assert f"owners: [{AGENT}]" in text
        path = tmp_path / "kpis.yaml"
        path.write_text(text, encoding="utf-8")
        app.services.kpis.load_definitions(path)
        yield app


def _home_opened(user: str) -> dict[str, Any]:
    return {"type": "app_home_opened", "user": user, "channel": "D0HOME", "tab": "home", "event_ts": "1.2"}


def _published(live: LiveApp, user: str, count: int = 1) -> list[Call]:
    return live.slack.wait_for(
        "views.publish", count=count, timeout=20, where=lambda c: c.args.get("user_id") == user
    )


def _said(call: Call) -> str:
    return json.dumps(call.args["view"]["blocks"], ensure_ascii=False)


def test_opening_app_home_publishes_that_persons_view(live: LiveApp) -> None:
    services = live.services
    ticket = services.intake.log_query(
        "the printer on floor 2 is jammed", Actor(REQUESTER), Source("console"), desk="ict"
    ).ticket
    services.tickets.assign(ticket.id, Actor(AGENT, Role.AGENT))
    services.outages.start("email", Actor(AGENT, Role.AGENT), "exchange down")

    live.sender.send_event(_home_opened(AGENT))
    [call] = _published(live, AGENT)
    view = call.args["view"]
    assert view["type"] == "home"
    said = _said(call)
    assert "Open tickets assigned to you" in said and ticket.ref in said
    assert "ICT01" in said and "Calls to ICT Help Desk resolved at the first point of contact" in said
    assert "ICT02" not in said, "only the KPIs this person owns"
    assert "no figure" in said  # nothing resolved this month: said in words beside its mark
    assert "Email" in said and "exchange down" in said
    assert "What triage has been taught lately" not in said, "an agent is not a desk lead"

    live.sender.send_event(_home_opened(REQUESTER))
    [mine] = _published(live, REQUESTER)
    assert "Tickets you raised" in _said(mine) and ticket.ref in _said(mine)
    assert "You own no KPIs" in _said(mine)


def test_a_manager_sees_what_triage_was_taught_and_revokes_it_from_app_home(live: LiveApp) -> None:
    services = live.services
    ticket = services.intake.log_query(
        "my monitor keeps flickering", Actor(REQUESTER), Source("console"), desk="ict"
    ).ticket
    services.tickets.change_intent(ticket.id, "meeting_room_av", Actor(AGENT, Role.AGENT))
    [taught] = services.training.taught()

    live.sender.send_event(_home_opened(MANAGER))
    [call] = _published(live, MANAGER)
    said = _said(call)
    assert "What triage has been taught lately" in said and f"#{taught.id}" in said
    buttons = [
        b["accessory"] for b in call.args["view"]["blocks"] if b.get("accessory", {}).get("type") == "button"
    ]
    assert [(b["action_id"], b["value"]) for b in buttons] == [("sb_home_revoke", str(taught.id))]

    # Someone else's click is refused, and nothing is revoked.
    live.sender.send_action("sb_home_revoke", str(taught.id), user_id=AGENT)
    [refused] = _published(live, AGENT)
    assert "Only managers can revoke" in _said(refused)
    assert services.training.taught()[0].active

    live.sender.send_action("sb_home_revoke", str(taught.id), user_id=MANAGER)
    again = _published(live, MANAGER, count=2)[-1]
    assert f"Revoked taught example #{taught.id}" in _said(again)
    [revoked] = services.training.taught()
    assert not revoked.active and revoked.revoked_by == MANAGER
    assert "revoked by" in _said(again)


def test_app_home_shows_the_open_alerts_theirs_to_answer_and_the_latest_digest(
    live: LiveApp, tmp_path: Path
) -> None:
    from datetime import UTC, datetime

    from handlers.blocks.alerts import ACK
    from servicebot.config import DigestSpec
    from servicebot.domain.periods import Period

    services = live.services
    month = Period.containing(datetime.now(UTC), services.settings.tz).previous
    (tmp_path / "values.csv").write_text(f"ref,period,value,ytd\nICT01,{month},50,\n")
    assert not services.imports.run("values", tmp_path / "values.csv").problems
    [opened] = [p for p in services.alerts.evaluate() if p.ref == "ICT01"]
    spec = DigestSpec(
        name="ict-morning", cron="30 8 * * mon-fri", desk="ict", channel="C0ICTLEADS", content="alert_digest"
    )
    services.digests.settings = services.settings.model_copy(update={"digests": (spec,)})
    services.digests.send_now(spec)

    live.sender.send_event(_home_opened(AGENT))
    said = _said(_published(live, AGENT)[0])
    assert (
        f"#{opened.episode} ICT01* RED" in said and "not acknowledged" in said and "commentary owed" in said
    )
    buttons = [b["accessory"] for b in _published(live, AGENT)[0].args["view"]["blocks"] if "accessory" in b]
    assert {"action_id": ACK, "value": str(opened.episode)}.items() <= buttons[0].items()
    assert "Latest digest: *ICT Service Desk: alert digest" in said

    live.sender.send_event(_home_opened(REQUESTER))
    assert "Breach alerts open" in _said(_published(live, REQUESTER)[0])
    assert "ICT01* RED" not in _said(_published(live, REQUESTER)[0]), "not theirs to answer"
