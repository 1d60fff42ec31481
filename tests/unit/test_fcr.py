"""First-contact resolution facts derived from histories built through the real ticket aggregate."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from servicebot.domain.fcr import contact_facts, fcr_rate
from servicebot.domain.tickets import SYSTEM_ACTOR, Ticket, TicketEvent, TriageDecision

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
REQUESTER, AGENT, AGENT2 = "U0REQUESTER", "U0AGENT01", "U0AGENT02"
PASSWORD = TriageDecision("password_reset", "ict-accounts", "P3", 0.9)
PRINTER = TriageDecision("printer_fault", "ict-hardware", "P4", 0.9)

_ids = iter(range(1, 10_000))


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def triaged() -> Ticket:
    ticket = Ticket.open(
        next(_ids),
        desk="ict",
        requester=REQUESTER,
        text="forgot my password",
        source="console",
        queue="ict-service-desk",
        at=T0,
    )
    ticket.triage(PASSWORD, SYSTEM_ACTOR, T0)
    return ticket


def history(*steps: Callable[[Ticket], object]) -> list[TicketEvent]:
    ticket = triaged()
    for step in steps:
        step(ticket)
    return list(ticket.pending)


def fixed_first_time() -> list[TicketEvent]:
    return history(lambda t: t.assign(AGENT, AGENT, at(5)), lambda t: t.resolve(AGENT, at(20)))


def test_resolved_with_no_breaks_is_first_contact() -> None:
    facts = contact_facts(fixed_first_time())
    assert facts.resolved is True
    assert facts.first_contact is True
    assert facts.reasons == ()
    assert facts.resolver == AGENT
    assert facts.resolved_at == at(20)


BREAKS: dict[str, tuple[Callable[[Ticket], object], str]] = {
    "escalated": (lambda t: t.escalate("ict-2nd-line", AGENT, at(10)), "escalated"),
    "transferred": (lambda t: t.transfer("ict-network", AGENT, at(10)), "transferred"),
    "intent-moved-queue": (lambda t: t.change_intent(PRINTER, AGENT, at(10)), "transferred"),
    "follow_up": (lambda t: t.follow_up(AGENT, at(10), "rang back"), "follow-up"),
}


@pytest.mark.parametrize("name", list(BREAKS))
def test_each_break_stops_first_contact_and_is_named(name: str) -> None:
    step, reason = BREAKS[name]
    events = history(
        lambda t: t.assign(AGENT, AGENT, at(5)),
        step,
        lambda t: t.resolve(AGENT, at(30)),
    )
    facts = contact_facts(events)
    assert facts.resolved is True
    assert facts.first_contact is False
    assert len(facts.reasons) == 1
    assert reason in facts.reasons[0]


def test_reopened_then_resolved_is_resolved_but_not_first_contact() -> None:
    events = history(
        lambda t: t.assign(AGENT, AGENT, at(5)),
        lambda t: t.resolve(AGENT, at(10)),
        lambda t: t.reopen(REQUESTER, at(60), "still broken"),
        lambda t: t.resolve(AGENT2, at(90)),
    )
    facts = contact_facts(events)
    assert facts.resolved is True
    assert facts.first_contact is False
    assert facts.reasons == ("reopened",)
    # The final resolution counts for time to fix and resolver, not the first one.
    assert facts.resolved_at == at(90)
    assert facts.resolver == AGENT2
    assert facts.time_to_fix == timedelta(minutes=90)


def test_reopened_and_still_open_is_not_resolved() -> None:
    events = history(
        lambda t: t.resolve(AGENT, at(10)),
        lambda t: t.reopen(REQUESTER, at(60)),
    )
    facts = contact_facts(events)
    assert facts.resolved is False
    assert facts.first_contact is False
    assert facts.resolved_at is None and facts.resolver is None
    assert facts.time_to_fix is None


def test_several_breaks_are_each_named_once() -> None:
    events = history(
        lambda t: t.escalate("ict-2nd-line", AGENT, at(1)),
        lambda t: t.escalate("ict-network", AGENT, at(2)),
        lambda t: t.follow_up(AGENT, at(3)),
        lambda t: t.resolve(AGENT, at(4)),
        lambda t: t.reopen(REQUESTER, at(5)),
        lambda t: t.resolve(AGENT, at(6)),
    )
    reasons = contact_facts(events).reasons
    assert len(reasons) == 3
    assert reasons[0] == "escalated"
    assert "follow-up" in reasons[1]
    assert reasons[2] == "reopened"


def test_self_service_resolution_counts_as_first_contact() -> None:
    events = history(
        lambda t: t.offer_self_help("Reset your password yourself", T0),
        lambda t: t.self_help_result(REQUESTER, True, at(4)),
    )
    facts = contact_facts(events)
    assert facts.resolved is True
    assert facts.first_contact is True
    assert facts.resolver == REQUESTER
    assert facts.time_to_fix == timedelta(minutes=4)
    assert facts.first_response_at is None  # nobody but the requester and the bot took part


def test_self_help_declined_then_fixed_by_agent_is_first_contact() -> None:
    events = history(
        lambda t: t.offer_self_help("Reset your password yourself", T0),
        lambda t: t.self_help_result(REQUESTER, False, at(2)),
        lambda t: t.assign(AGENT, AGENT, at(7)),
        lambda t: t.resolve(AGENT, at(12)),
    )
    facts = contact_facts(events)
    assert facts.first_contact is True
    assert facts.first_response_at == at(7)


def test_unresolved_tickets_are_not_in_the_denominator() -> None:
    escalated = history(
        lambda t: t.escalate("ict-2nd-line", AGENT, at(1)),
        lambda t: t.resolve(AGENT2, at(50)),
    )
    open_ticket = history(lambda t: t.assign(AGENT, AGENT, at(1)))
    open_escalated = history(lambda t: t.escalate("ict-2nd-line", AGENT, at(1)))
    rate = fcr_rate([fixed_first_time(), fixed_first_time(), escalated, open_ticket, open_escalated])
    assert (rate.resolved_first_contact, rate.resolved) == (2, 3)
    assert rate.percent == pytest.approx(200 / 3)


def test_fcr_rate_with_nothing_resolved_has_no_percentage() -> None:
    rate = fcr_rate([history(lambda t: t.assign(AGENT, AGENT, at(1)))])
    assert (rate.resolved_first_contact, rate.resolved) == (0, 0)
    assert rate.percent is None
    assert fcr_rate([]).percent is None


def test_first_response_ignores_the_requester_and_the_system() -> None:
    events = history(
        lambda t: t.offer_self_help("Reset your password yourself", at(0)),
        lambda t: t.comment(REQUESTER, "any news?", at(3), "requester"),
        lambda t: t.transfer("ict-network", SYSTEM_ACTOR, at(4)),
        lambda t: t.comment(AGENT, "looking now", at(15), "agent"),
        lambda t: t.assign(AGENT, AGENT, at(16)),
        lambda t: t.resolve(AGENT, at(30)),
    )
    assert contact_facts(events).first_response_at == at(15)


def test_first_response_is_none_until_staff_act() -> None:
    events = history(lambda t: t.comment(REQUESTER, "hello?", at(3), "requester"))
    assert contact_facts(events).first_response_at is None


def test_time_to_fix_is_resolved_minus_logged() -> None:
    events = history(
        lambda t: t.assign(AGENT, AGENT, at(60)),
        lambda t: t.resolve(AGENT, at(19 * 60 + 7)),
        lambda t: t.close(SYSTEM_ACTOR, at(48 * 60)),
    )
    facts = contact_facts(events)
    assert facts.logged_at == T0
    assert facts.time_to_fix == timedelta(hours=19, minutes=7)  # closing later does not move it
    assert contact_facts(history(lambda t: t.assign(AGENT, AGENT, at(1)))).time_to_fix is None


def test_contact_facts_need_a_created_event_first() -> None:
    with pytest.raises(ValueError, match="created"):
        contact_facts(fixed_first_time()[1:])
    with pytest.raises(ValueError, match="created"):
        contact_facts([])
