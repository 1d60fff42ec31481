"""TicketService through the real services: migrated SQLite file, shipped catalogue, real matcher."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from sqlalchemy import func, select

from servicebot.bootstrap import Services
from servicebot.domain.errors import InvalidInput, NotAllowed, NotFound
from servicebot.domain.tickets import EventKind, Status, TicketRuleError
from servicebot.services.actors import Actor, Role
from servicebot.services.intake import Intake, Source
from servicebot.storage import sources
from servicebot.storage.tables import ticket_events, ticket_sources, tickets
from servicebot.triage.text import MAX_TICKET_TEXT
from tests.conftest import AGENT, MANAGER, REQUESTER, Clock

CLEAR_QUERY = "I've forgotten my password and I'm locked out of my laptop"
REQ = Actor(REQUESTER)
OTHER = Actor("U0SOMEONE")


@dataclass
class Fixture:
    services: Services
    clock: Clock
    agent: Actor = field(init=False)
    manager: Actor = field(init=False)

    def __post_init__(self) -> None:
        self.agent = self.services.actor(AGENT)
        self.manager = self.services.actor(MANAGER)


@pytest.fixture
def fx(services: Services, clock: Clock) -> Fixture:
    return Fixture(services, clock)


def log(fx: Fixture, text: str = CLEAR_QUERY, key: str | None = None, desk: str | None = None) -> Intake:
    return fx.services.intake.log_query(text, REQ, Source("console", key=key), desk)


def kinds(fx: Fixture, ticket_id: int) -> list[EventKind]:
    return [e.kind for e in fx.services.queries.history(ticket_id)]


def count_rows(fx: Fixture, table: object) -> int:
    with fx.services.db.transaction() as session:
        return int(session.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


def test_actors_get_their_roles_from_settings(fx: Fixture) -> None:
    assert fx.agent.role is Role.AGENT
    assert fx.manager.role is Role.MANAGER
    assert fx.services.actor(REQUESTER).role is Role.REQUESTER


# -- intake -------------------------------------------------------------------------------------------
def test_clear_query_is_triaged_with_self_help(fx: Fixture) -> None:
    intake = log(fx, key="slack:C0ICTHELP:1.1")
    ticket = intake.ticket
    assert intake.created is True
    assert intake.needs_pick is False
    assert intake.truncated is False
    assert ticket.status is Status.TRIAGED
    assert ticket.intent in ("password_reset", "account_locked")
    assert ticket.queue == "ict-accounts"
    assert ticket.desk == "ict" and ticket.requester == REQUESTER
    assert ticket.text == CLEAR_QUERY
    assert ticket.created_at == fx.clock.now
    assert intake.self_help is not None and intake.self_help.title
    assert kinds(fx, ticket.id) == [EventKind.CREATED, EventKind.TRIAGED, EventKind.SELF_HELP_OFFERED]
    assert fx.services.queries.get(ticket.id) == ticket
    with fx.services.db.transaction() as session:
        row = session.execute(select(tickets).where(tickets.c.id == ticket.id)).one()
        assert sources.ticket_for_source(session, "slack:C0ICTHELP:1.1") == ticket.id
    assert (row.status, row.intent, row.queue, row.version) == ("triaged", ticket.intent, "ict-accounts", 3)


def test_same_source_key_twice_returns_the_same_ticket(fx: Fixture) -> None:
    first = log(fx, key="slack:C0ICTHELP:1.2")
    # Run the repeat in a thread: a lock wait (a nested write transaction) would stall for 30 s.
    result: dict[str, object] = {}

    def again() -> None:
        try:
            result["intake"] = log(fx, key="slack:C0ICTHELP:1.2")
        except Exception as exc:
            result["error"] = exc

    worker = threading.Thread(target=again, daemon=True)
    worker.start()
    worker.join(timeout=3)
    assert not worker.is_alive(), "a repeated source key blocked on the database lock"
    assert "error" not in result, result.get("error")
    second = result["intake"]
    assert isinstance(second, Intake)
    assert second.created is False
    assert second.ticket.id == first.ticket.id
    assert count_rows(fx, tickets) == 1
    assert count_rows(fx, ticket_sources) == 1


def test_different_source_keys_make_different_tickets(fx: Fixture) -> None:
    first = log(fx, key="slack:C0ICTHELP:2.1")
    second = log(fx, key="slack:C0ICTHELP:2.2")
    third = log(fx)  # no key: never deduplicated
    assert len({first.ticket.id, second.ticket.id, third.ticket.id}) == 3
    assert all(i.created for i in (first, second, third))


def test_text_without_words_is_refused_helpfully(fx: Fixture) -> None:
    for text in ["", "   ", "\n\t  \n", "👍", ":thumbsup: :tada:", "🙂 🙂 !!! ?"]:
        with pytest.raises(InvalidInput, match="a few words") as raised:
            log(fx, text)
        assert "e.g." in str(raised.value)
    assert count_rows(fx, tickets) == 0


def test_long_paste_is_stored_truncated(fx: Fixture) -> None:
    paste = ("The finance system shows error 0x80070005 when I post a journal. " * 700)[:40_000]
    assert len(paste) == 40_000
    intake = log(fx, paste)
    assert intake.truncated is True
    assert intake.created is True
    stored = fx.services.queries.get(intake.ticket.id)
    assert len(stored.text) <= MAX_TICKET_TEXT == 4000
    assert stored.text.startswith("The finance system shows error")
    assert stored.text.endswith("…")
    with fx.services.db.transaction() as session:
        row_text = session.execute(select(tickets.c.text).where(tickets.c.id == stored.id)).scalar_one()
    assert len(row_text) <= 4000


def test_short_text_with_a_zero_width_space_is_not_truncated(fx: Fixture) -> None:
    intake = log(fx, "my printer on floor 2 is jammed\u200b")
    assert intake.ticket.text == "my printer on floor 2 is jammed"
    assert intake.truncated is False


def test_unknown_desk_is_refused_by_name(fx: Fixture) -> None:
    with pytest.raises(InvalidInput, match="'payroll'") as raised:
        log(fx, desk="payroll")
    assert "ict" in str(raised.value) and "contact" in str(raised.value)
    assert count_rows(fx, tickets) == 0


def test_ambiguous_query_waits_for_a_pick_in_the_default_queue(fx: Fixture) -> None:
    for desk, queue in [
        (None, "ict-service-desk"),
        ("ict", "ict-service-desk"),
        ("contact", "contact-general"),
    ]:
        intake = log(fx, "hello", desk=desk)
        assert intake.needs_pick is True
        assert intake.self_help is None
        assert intake.ticket.status is Status.NEW
        assert intake.ticket.intent is None
        assert intake.ticket.queue == queue
        assert intake.ticket.desk == (desk or "ict")
        assert kinds(fx, intake.ticket.id) == [EventKind.CREATED]


def test_pick_intent_by_the_requester_triages(fx: Fixture) -> None:
    ticket_id = log(fx, "hello").ticket.id
    outcome = fx.services.tickets.pick_intent(ticket_id, "printer_problem", REQ)
    assert outcome.ticket.status is Status.TRIAGED
    assert outcome.ticket.intent == "printer_problem"
    assert outcome.ticket.queue == fx.services.catalogue.intents["printer_problem"].queue
    assert outcome.ticket.ref in str(outcome.message)
    triaged = fx.services.queries.history(ticket_id)[-1]
    assert triaged.kind is EventKind.TRIAGED
    assert triaged.actor == REQUESTER
    assert triaged.data["method"] == "picked"


def test_pick_refuses_someone_else_and_unknown_intents(fx: Fixture) -> None:
    ticket_id = log(fx, "hello").ticket.id
    with pytest.raises(NotAllowed, match="T-00001"):
        fx.services.tickets.pick_intent(ticket_id, "printer_problem", OTHER)
    with pytest.raises(InvalidInput, match="'pothole'"):
        fx.services.tickets.pick_intent(ticket_id, "pothole", REQ)  # a contact-centre intent
    assert kinds(fx, ticket_id) == [EventKind.CREATED]


def test_requester_cannot_correct_a_triaged_ticket(fx: Fixture) -> None:
    ticket_id = log(fx).ticket.id
    with pytest.raises(TicketRuleError, match="triage question is closed"):
        fx.services.tickets.pick_intent(ticket_id, "printer_problem", REQ)
    outcome = fx.services.tickets.change_intent(ticket_id, "printer_problem", fx.agent)
    assert outcome.ticket.queue == "ict-hardware"
    assert kinds(fx, ticket_id)[-2:] == [EventKind.INTENT_CHANGED, EventKind.TRANSFERRED]


def test_pick_on_a_routed_ticket_changes_nothing_and_teaches_nothing(fx: Fixture) -> None:
    """A confidently triaged, assigned, in-progress ticket: a stray pick used to unassign it, set it back to
    triaged and retrain triage from the slip. Only Change intent (staff) corrects a routed ticket."""
    ticket_id = log(fx).ticket.id  # password: triaged with confidence
    fx.services.tickets.assign(ticket_id, fx.agent)
    before = fx.services.queries.history(ticket_id)
    taught_before = len(fx.services.training.taught(include_imports=True))
    for who in (REQ, fx.agent, fx.manager):
        with pytest.raises(TicketRuleError, match=r"intent T-00001 <intent_id>"):
            fx.services.tickets.pick_intent(ticket_id, "vpn_remote_access", who)
    assert fx.services.queries.history(ticket_id) == before
    assert fx.services.queries.get(ticket_id).status is Status.IN_PROGRESS
    assert len(fx.services.training.taught(include_imports=True)) == taught_before
    assert fx.services.triage.classify(CLEAR_QUERY).intent == "password_reset"


def test_requester_cannot_run_agent_commands_and_nothing_is_stored(fx: Fixture) -> None:
    ticket_id = log(fx).ticket.id
    before = fx.services.queries.history(ticket_id)
    svc = fx.services.tickets
    calls: dict[str, Callable[[], object]] = {
        "resolve": lambda: svc.resolve(ticket_id, REQ, "fixed it myself"),
        "assign": lambda: svc.assign(ticket_id, REQ),
        "escalate": lambda: svc.escalate(ticket_id, REQ),
        "escalate-to": lambda: svc.escalate(ticket_id, REQ, "ict-service-desk"),
        "follow_up": lambda: svc.follow_up(ticket_id, REQ),
        "change_intent": lambda: svc.change_intent(ticket_id, "printer_problem", REQ),
    }
    for name, call in calls.items():
        with pytest.raises(NotAllowed, match="agents role"):
            call()
        assert fx.services.queries.history(ticket_id) == before, name
    assert fx.services.queries.get(ticket_id).status is Status.TRIAGED
    with fx.services.db.transaction() as session:
        row = session.execute(select(tickets).where(tickets.c.id == ticket_id)).one()
    assert (row.status, row.assignee, row.resolver, row.queue) == ("triaged", None, None, "ict-accounts")


def test_assign_resolve_asks_for_a_rating_once(fx: Fixture) -> None:
    svc = fx.services.tickets
    ticket_id = log(fx).ticket.id
    fx.clock.advance(minutes=2)
    assigned = svc.assign(ticket_id, fx.agent)
    assert assigned.ticket.status is Status.IN_PROGRESS
    assert assigned.ticket.assignee == AGENT
    assert assigned.ask_rating is False
    fx.clock.advance(minutes=10)
    resolved = svc.resolve(ticket_id, fx.agent, "  reset via AD  ")
    assert resolved.ticket.status is Status.RESOLVED
    assert resolved.ticket.resolver == AGENT
    assert resolved.ticket.resolved_at == fx.clock.now
    assert resolved.ask_rating is True
    history = fx.services.queries.history(ticket_id)
    assert history[-2].kind is EventKind.RESOLVED and history[-2].data["note"] == "reset via AD"
    assert history[-1].kind is EventKind.RATING_REQUESTED

    reopened = svc.reopen(ticket_id, REQ, "still locked")
    assert reopened.ticket.status is Status.IN_PROGRESS
    again = svc.resolve(ticket_id, fx.agent)
    assert again.ask_rating is False
    assert kinds(fx, ticket_id).count(EventKind.RATING_REQUESTED) == 1


def test_self_help_fixed_resolves_and_asks_for_a_rating(fx: Fixture) -> None:
    ticket_id = log(fx).ticket.id
    outcome = fx.services.tickets.self_help_result(ticket_id, REQ, fixed=True)
    assert outcome.ticket.status is Status.RESOLVED
    assert outcome.ask_rating is True
    assert fx.services.queries.history(ticket_id)[-2].data["resolution"] == "self_service"


def test_escalate_by_default_goes_to_second_line(fx: Fixture) -> None:
    ticket_id = log(fx).ticket.id
    fx.services.tickets.change_intent(ticket_id, "email_problem", fx.agent)  # email: 1st line
    fx.services.tickets.assign(ticket_id, fx.agent)
    outcome = fx.services.tickets.escalate(ticket_id, fx.agent, note="needs AD rights")
    second_line = fx.services.settings.desk("ict").second_line_queue
    assert outcome.ticket.queue == second_line == "ict-2nd-line"
    assert outcome.ticket.assignee is None
    assert outcome.ticket.status is Status.TRIAGED
    last = fx.services.queries.history(ticket_id)[-1]
    assert (last.kind, last.from_value, last.to_value) == (
        EventKind.ESCALATED,
        "ict-service-desk",
        "ict-2nd-line",
    )
    assert last.data["note"] == "needs AD rights"
    assert "escalated" in str(outcome.message)


def test_a_move_between_second_line_queues_is_a_transfer(fx: Fixture) -> None:
    """Highways and waste are both 2nd line: moving between them is a transfer, in the reply and history."""
    ticket_id = log(fx, "there's a massive pothole on the high street", desk="contact").ticket.id
    assert fx.services.queries.get(ticket_id).queue == "highways"
    outcome = fx.services.tickets.escalate(ticket_id, fx.agent, "waste")
    assert "transferred" in str(outcome.message) and "escalated" not in str(outcome.message)
    last = fx.services.queries.history(ticket_id)[-1]
    assert (last.kind, last.from_value, last.to_value) == (EventKind.TRANSFERRED, "highways", "waste")
    # … and the 2nd-line "Escalate" button on a 2nd-line ticket is a transfer too.
    again = fx.services.tickets.escalate(ticket_id, fx.agent)
    assert "transferred" in str(again.message)
    assert EventKind.ESCALATED not in kinds(fx, ticket_id)


def test_escalate_to_a_first_line_queue_is_a_transfer(fx: Fixture) -> None:
    ticket_id = log(fx).ticket.id
    outcome = fx.services.tickets.escalate(ticket_id, fx.manager, "ict-service-desk")
    assert outcome.ticket.queue == "ict-service-desk"
    assert "transferred" in str(outcome.message)
    last = fx.services.queries.history(ticket_id)[-1]
    assert (last.kind, last.to_value) == (EventKind.TRANSFERRED, "ict-service-desk")
    assert EventKind.ESCALATED not in kinds(fx, ticket_id)


def test_escalate_to_an_unknown_queue_lists_the_queues(fx: Fixture) -> None:
    ticket_id = log(fx).ticket.id
    before = fx.services.queries.history(ticket_id)
    with pytest.raises(InvalidInput, match="'ict-nowhere'") as raised:
        fx.services.tickets.escalate(ticket_id, fx.agent, "ict-nowhere")
    message = str(raised.value)
    for queue in fx.services.settings.desk("ict").queues:
        assert queue.id in message
    assert "highways" not in message  # only this desk's queues
    assert fx.services.queries.history(ticket_id) == before


def test_rate_by_the_requester(fx: Fixture) -> None:
    svc = fx.services.tickets
    ticket_id = log(fx).ticket.id
    with pytest.raises(TicketRuleError, match="not resolved yet"):
        svc.rate(ticket_id, REQ, True)
    svc.resolve(ticket_id, fx.agent)
    with pytest.raises(TicketRuleError, match="only the requester"):
        svc.rate(ticket_id, fx.agent, True)
    outcome = svc.rate(ticket_id, REQ, True)
    assert outcome.ticket.rating is True
    with pytest.raises(TicketRuleError, match="already been rated"):
        svc.rate(ticket_id, REQ, False)
    assert fx.services.queries.get(ticket_id).rating is True
    with fx.services.db.transaction() as session:
        assert session.execute(select(tickets.c.rating).where(tickets.c.id == ticket_id)).scalar_one() is True


def test_comment_records_the_role(fx: Fixture) -> None:
    ticket_id = log(fx).ticket.id
    fx.services.tickets.comment(ticket_id, REQ, "any news?")
    fx.services.tickets.comment(ticket_id, fx.agent, "looking now")
    comments = [e for e in fx.services.queries.history(ticket_id) if e.kind is EventKind.COMMENTED]
    assert [(c.actor, c.data["role"], c.data["text"]) for c in comments] == [
        (REQUESTER, "requester", "any news?"),
        (AGENT, "agent", "looking now"),
    ]


def test_unknown_ticket_is_not_found(fx: Fixture) -> None:
    svc = fx.services.tickets
    log(fx)  # ticket 1 exists; 99 does not
    calls: dict[str, Callable[[], object]] = {
        "get": lambda: fx.services.queries.get(99),
        "history": lambda: fx.services.queries.history(99),
        "resolve": lambda: svc.resolve(99, fx.agent),
        "assign": lambda: svc.assign(99, fx.agent),
        "escalate": lambda: svc.escalate(99, fx.agent),
        "rate": lambda: svc.rate(99, REQ, True),
        "reopen": lambda: svc.reopen(99, REQ),
        "pick_intent": lambda: svc.pick_intent(99, None, REQ),
        "comment": lambda: svc.comment(99, REQ, "hello"),
    }
    for name, call in calls.items():
        with pytest.raises(NotFound, match="T-00099"):
            call()
        assert count_rows(fx, ticket_events) == 3, name


def test_mine_and_queue_status(fx: Fixture) -> None:
    svc = fx.services.tickets
    mine_id = log(fx).ticket.id
    log(fx, "hello")
    svc.assign(mine_id, fx.agent)
    assert [t.id for t in fx.services.queries.mine(fx.agent)] == [mine_id]
    assert len(fx.services.queries.mine(REQ)) == 2
    assert fx.services.queries.mine(OTHER) == []
    status = {(q, s): n for q, s, n in fx.services.queries.queue_status("ict")}
    assert status == {("ict-accounts", "in_progress"): 1, ("ict-service-desk", "new"): 1}
    assert fx.services.queries.queue_status("contact") == []
    svc.resolve(mine_id, fx.agent)
    status = {(q, s): n for q, s, n in fx.services.queries.queue_status("ict")}
    assert status == {("ict-service-desk", "new"): 1}, "resolved tickets are not open work"


def test_concurrent_resolve_has_exactly_one_winner(fx: Fixture) -> None:
    svc = fx.services.tickets
    ticket_id = log(fx).ticket.id
    svc.assign(ticket_id, fx.agent)
    threads = 8
    barrier = threading.Barrier(threads)
    successes: list[bool] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def resolve() -> None:
        barrier.wait(timeout=10)
        try:
            outcome = svc.resolve(ticket_id, fx.agent, "done")
        except BaseException as exc:
            with lock:
                errors.append(exc)
        else:
            with lock:
                successes.append(outcome.ask_rating)

    workers = [threading.Thread(target=resolve) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=30)
    assert not any(w.is_alive() for w in workers)
    assert successes == [True]
    assert len(errors) == threads - 1
    for error in errors:
        assert isinstance(error, TicketRuleError), repr(error)
        assert "already resolved" in str(error)
    history = fx.services.queries.history(ticket_id)
    assert [e.kind for e in history].count(EventKind.RESOLVED) == 1
    assert [e.kind for e in history].count(EventKind.RATING_REQUESTED) == 1
    assert [e.seq for e in history] == list(range(1, len(history) + 1))
    with fx.services.db.transaction() as session:
        resolved_rows = session.execute(
            select(func.count())
            .select_from(ticket_events)
            .where(ticket_events.c.ticket_id == ticket_id, ticket_events.c.kind == "resolved")
        ).scalar_one()
    assert resolved_rows == 1
