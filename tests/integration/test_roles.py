"""Every role-bound action tried as every role, through the real services on a real database: the one table
below says who may do what (requester, an agent of the ticket's desk, an agent of another desk, a manager,
an admin, and someone who did not raise the ticket). An action allowed happens; one refused raises
NotAllowed naming what the person lacks and how to get it, and changes nothing."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from servicebot.bootstrap import Services, build_services
from servicebot.config import DigestSpec
from servicebot.domain.errors import NotAllowed
from servicebot.domain.periods import Period
from servicebot.services.actors import POLICY, Actor, Permission, Role
from servicebot.services.intake import Source
from tests.conftest import EXAMPLE_CONFIG, Clock, make_settings

REQUESTER, STRANGER = "U0REQUESTER", "U0STRANGER"
ICT_AGENT, CONTACT_AGENT, MANAGER, ADMIN = "U0ICTAGENT", "U0CCAGENT", "U0MANAGER1", "U0ADMIN1"
OWNER = "U0KPIOWNER"
TUESDAY = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
NOV = Period(2026, 11)

# Who each column is, as the configuration (not the test) decides: `services.actor(id)`.
PEOPLE = {
    "requester": REQUESTER,
    "agent of this desk": ICT_AGENT,
    "agent of another desk": CONTACT_AGENT,
    "manager": MANAGER,
    "admin": ADMIN,
    "someone else": STRANGER,
}
EVERYONE = frozenset(PEOPLE)
STAFF_HERE = frozenset({"agent of this desk", "manager", "admin"})
ANY_AGENT = STAFF_HERE | {"agent of another desk"}
LEADS = frozenset({"manager", "admin"})
ADMINS = frozenset({"admin"})
RAISER_OR_STAFF_HERE = STAFF_HERE | {"requester"}

KPIS = {
    "kpis": [
        {
            "ref": "ICT01",
            "description": "Calls to ICT Help Desk resolved at the first point of contact",
            "service_area": "ICT (Infrastructure)",
            "owners": [OWNER],
            "unit": "percent",
            "polarity": "higher_is_better",
            "frequency": "monthly",
            "target": 70,
            "floor": 65,
            "source": "manual",
            "desk": "ict",
        }
    ]
}


@dataclass
class World:
    services: Services
    clock: Clock
    tmp: Path
    taught: list[int]

    def ticket(self, text: str = "the printer on floor 2 is jammed") -> int:
        """A new ICT ticket raised by the requester (each case its own, so cases do not interfere)."""
        outcome = self.services.intake.log_query(text, Actor(REQUESTER), Source("console"), desk="ict")
        assert outcome.ticket.desk == "ict"
        return outcome.ticket.id

    @property
    def s(self) -> Services:
        return self.services

    def as_manager(self) -> Actor:
        return self.services.actor(MANAGER)


def _config(tmp: Path) -> Path:
    data = yaml.safe_load(EXAMPLE_CONFIG.read_text())
    data["roles"] = {
        "managers": [MANAGER],
        "admins": [ADMIN],
        "desks": {"ict": {"agents": [ICT_AGENT]}, "contact": {"agents": [CONTACT_AGENT]}},
    }
    path = tmp / "servicebot.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp("roles")
    clock = Clock(TUESDAY)
    settings = make_settings(
        tmp, SERVICEBOT_CONFIG=str(_config(tmp)), SERVICEBOT_AGENTS="", SERVICEBOT_MANAGERS=""
    )
    services = build_services(settings, clock=clock, background_training=False)
    (tmp / "kpis.yaml").write_text(yaml.safe_dump(KPIS))
    services.kpis.load_definitions(tmp / "kpis.yaml")
    (tmp / "values.csv").write_text(f"ref,period,value,ytd\nICT01,{NOV},60,\n")
    services.imports.run("values", tmp / "values.csv")
    services.alerts.evaluate()  # ICT01 is RED: alert #1, its owner's to answer
    yield World(services, clock, tmp, [])
    services.close()


# -- the actions, each done once as `actor` (a ticket action on a ticket its setup made) ------------------
def _resolved(w: World) -> int:
    ticket = w.ticket()
    w.services.tickets.resolve(ticket, w.as_manager())
    return ticket


def _self_help(w: World) -> int:
    return w.ticket("my password has expired and I can't log in")


def _correct(w: World, a: Actor, ticket: int) -> object:
    # Another intent than the one it has (what triage says depends on what earlier cases taught it).
    now = w.services.queries.get(ticket).intent
    return w.services.tickets.change_intent(
        ticket, "printer_problem" if now == "hardware_fault" else "hardware_fault", a
    )


def _taught(w: World) -> int:
    _correct(w, w.as_manager(), w.ticket())
    return w.services.training.taught(limit=1)[0].id


def _log(w: World, a: Actor, _: int) -> object:
    return w.services.intake.log_query("the scanner is broken", a, Source("console"), desk="ict")


def _outage(w: World, a: Actor, _: int) -> object:
    w.clock.advance(minutes=1)  # an outage of a service is recorded once per start time
    w.services.outages.start("network", a, "core switch")
    return w.services.outages.end("network", a)


def _digest() -> DigestSpec:
    return DigestSpec(
        name="ict-daily", cron="0 8 * * mon-fri", desk="ict", channel="C0ICTLEADS", content="daily_stats"
    )


def _comment(w: World, a: Actor, _: int) -> object:
    return w.services.kpis.comment("ICT01", NOV, "sickness", "agency cover", None, a.id, actor=a)


Setup = Callable[[World], int] | None
Do = Callable[[World, Actor, int], object]
T = World.ticket
# action: (what it needs set up first, the action, who may): the table this test is.
TABLE: dict[str, tuple[Setup, Do, frozenset[str]]] = {
    "log a ticket": (None, _log, EVERYONE),
    "assign": (T, lambda w, a, t: w.s.tickets.assign(t, a), STAFF_HERE),
    "resolve": (T, lambda w, a, t: w.s.tickets.resolve(t, a, "fixed"), STAFF_HERE),
    "escalate": (T, lambda w, a, t: w.s.tickets.escalate(t, a), STAFF_HERE),
    "transfer": (T, lambda w, a, t: w.s.tickets.transfer(t, a, "ict-network"), STAFF_HERE),
    "record a follow-up": (T, lambda w, a, t: w.s.tickets.follow_up(t, a), STAFF_HERE),
    "correct triage": (T, _correct, STAFF_HERE),
    "add a note": (T, lambda w, a, t: w.s.tickets.comment(t, a, "any news?"), RAISER_OR_STAFF_HERE),
    "reopen": (_resolved, lambda w, a, t: w.s.tickets.reopen(t, a), RAISER_OR_STAFF_HERE),
    "answer self-help": (_self_help, lambda w, a, t: w.s.tickets.self_help_result(t, a, True), RAISER_OR_STAFF_HERE),  # noqa: E501
    "record an outage": (None, _outage, ANY_AGENT),
    "desk stats": (None, lambda w, a, _: w.s.stats.desk_stats(a, "today", "today", "ict"), LEADS),
    "preview a digest": (None, lambda w, a, _: w.s.digests.preview(_digest(), w.clock(), actor=a), LEADS),
    "send a digest now": (None, lambda w, a, _: w.s.digests.send_now(_digest(), actor=a), LEADS),
    "comment on a KPI": (None, _comment, LEADS),
    "acknowledge a KPI alert": (None, lambda w, a, _: w.s.alerts.acknowledge(1, a), LEADS),
    "revoke a taught example": (_taught, lambda w, a, t: w.s.home.revoke(a, t), LEADS),
    "load KPI definitions": (None, lambda w, a, _: w.s.kpis.load_definitions(w.tmp / "kpis.yaml", actor=a), ADMINS),  # noqa: E501
    "import data": (None, lambda w, a, _: w.s.imports.run("values", w.tmp / "values.csv", actor=a), ADMINS),
}  # fmt: skip


@pytest.mark.parametrize("who", list(PEOPLE))
@pytest.mark.parametrize("action", list(TABLE))
def test_each_action_as_each_role(world: World, action: str, who: str) -> None:
    setup, do, allowed = TABLE[action]
    actor = world.services.actor(PEOPLE[who])
    subject = setup(world) if setup is not None else 0
    history = world.services.queries.history(subject) if setup is T else None
    if who in allowed:
        do(world, actor, subject)
        return
    with pytest.raises(NotAllowed) as refused:
        do(world, actor, subject)
    said = str(refused.value)
    # What they lack, what they are, and how to get it.
    assert said.startswith(("Only ", "Desk-wide stats are for managers")), said
    assert f"You ({actor.id}) are {actor.described()}." in said, said
    assert "Ask a desk lead" in said or "Ask an admin" in said, said
    if history is not None:
        assert world.services.queries.history(subject) == history, "a refused action changed the ticket"


def test_the_configuration_gives_each_person_their_role(world: World) -> None:
    actor = world.services.actor
    assert actor(REQUESTER) == Actor(REQUESTER, Role.REQUESTER)
    assert actor(ICT_AGENT) == Actor(ICT_AGENT, Role.AGENT, frozenset({"ict"}))
    assert actor(CONTACT_AGENT) == Actor(CONTACT_AGENT, Role.AGENT, frozenset({"contact"}))
    assert actor(MANAGER).role is Role.MANAGER and actor(ADMIN).role is Role.ADMIN
    assert actor(CONTACT_AGENT).works("contact") and not actor(CONTACT_AGENT).works("ict")


def test_every_permission_is_in_the_policy_table() -> None:
    assert set(POLICY) == set(Permission)


def test_a_kpi_owner_may_comment_and_answer_its_alert_whatever_their_role(world: World) -> None:
    owner = world.services.actor(OWNER)
    assert owner.role is Role.REQUESTER
    world.services.kpis.comment("ICT01", NOV, "staff sickness", "agency cover", None, OWNER, actor=owner)
    world.services.alerts.acknowledge(1, owner)


def test_a_refusal_for_another_desk_names_the_desk_and_its_keys(world: World) -> None:
    ticket = world.ticket()
    with pytest.raises(NotAllowed) as refused:
        world.services.tickets.resolve(ticket, world.services.actor(CONTACT_AGENT))
    said = str(refused.value)
    assert said.startswith("Only agents of the ict desk (or a manager) can resolve tickets."), said
    assert "an agent of contact only" in said and "roles.desks.ict.agents" in said, said
