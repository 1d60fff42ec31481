"""Triage learning through the real services and database: corrections, picks, imports, revocations."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from servicebot.bootstrap import Services, build_services
from servicebot.domain.errors import NotAllowed
from servicebot.services.actors import Actor
from servicebot.services.intake import Intake, Source
from servicebot.storage.tables import labelled_examples
from servicebot.triage.engine import TriageModel
from servicebot.triage.labelled import LabelledDataError
from tests.conftest import AGENT, REQUESTER, Clock, make_settings

TRENT = "the Trent login spins forever after I put my code in"
REQ = Actor(REQUESTER)


@pytest.fixture
def services(tmp_path: Path, clock: Clock) -> Iterator[Services]:
    built = build_services(make_settings(tmp_path), clock=clock)
    yield built
    built.close()


def catalogue_only(services: Services) -> int:
    return TriageModel.train(services.catalogue, services.settings.desks).classifier.examples


def log(services: Services, text: str, desk: str | None = "ict") -> Intake:
    return services.intake.log_query(text, REQ, Source("console"), desk)


def test_a_correction_changes_the_next_triage_of_the_same_text(services: Services) -> None:
    agent = services.actor(AGENT)
    first = log(services, TRENT)
    assert first.ticket.intent != "line_of_business_system"
    services.tickets.change_intent(first.ticket.id, "line_of_business_system", agent)

    second = log(services, TRENT)
    assert second.ticket.intent == "line_of_business_system"
    assert second.ticket.queue == "ict-applications"
    [taught] = services.training.taught()
    assert (taught.label, taught.previous, taught.source) == (
        "line_of_business_system",
        first.ticket.intent,
        "correction",
    )
    assert (taught.ticket_id, taught.created_by, taught.text) == (first.ticket.id, AGENT, TRENT)

    # Memory answered at once; the classifier is retrained in the background with one more example.
    assert services.triage.wait_until_trained()
    assert len(services.triage.model().memory) == 1
    assert services.triage.model().classifier.examples == catalogue_only(services) + 1


def test_revoking_a_correction_undoes_it(services: Services) -> None:
    agent = services.actor(AGENT)
    ticket = log(services, TRENT).ticket
    original = ticket.intent
    services.tickets.change_intent(ticket.id, "line_of_business_system", agent)
    [taught] = services.training.taught()

    assert services.training.revoke([taught.id], "U0LEAD", "wrong system") == [taught.id]
    assert services.training.revoke([taught.id], "U0LEAD", "again") == [], "a revocation is made once"
    assert log(services, TRENT).ticket.intent == original
    [audited] = services.training.taught()
    assert not audited.active and audited.revoked_by == "U0LEAD" and audited.revoke_reason == "wrong system"


def test_a_second_correction_of_a_ticket_supersedes_the_first(services: Services) -> None:
    agent = services.actor(AGENT)
    ticket = log(services, TRENT).ticket
    services.tickets.change_intent(ticket.id, "account_locked", agent)
    services.tickets.change_intent(ticket.id, "line_of_business_system", agent)
    newest, older = services.training.taught()
    assert newest.active and newest.label == "line_of_business_system" and newest.previous == "account_locked"
    assert not older.active and older.revoke_reason == "superseded"
    assert log(services, TRENT).ticket.intent == "line_of_business_system"


def test_a_pick_teaches_but_something_else_does_not(services: Services) -> None:
    asked = log(services, "it is doing the thing again")
    assert asked.needs_pick
    services.tickets.pick_intent(asked.ticket.id, "hardware_fault", REQ)
    [taught] = services.training.taught()
    assert (taught.source, taught.label, taught.previous, taught.created_by) == (
        "pick",
        "hardware_fault",
        None,
        REQUESTER,
    )
    other = log(services, "good morning, quick question for you all")
    services.tickets.pick_intent(other.ticket.id, None, REQ)
    assert len(services.training.taught()) == 1
    assert log(services, "it is doing the thing again").ticket.intent == "hardware_fault"


def test_a_refused_correction_stores_no_example(services: Services) -> None:
    ticket = log(services, TRENT).ticket
    with pytest.raises(NotAllowed):
        services.tickets.change_intent(ticket.id, "line_of_business_system", REQ)
    with services.db.read() as session:
        assert session.scalar(select(func.count()).select_from(labelled_examples)) == 0


def test_another_process_sees_what_was_taught_without_a_restart(tmp_path: Path, clock: Clock) -> None:
    settings = make_settings(tmp_path)
    worker = build_services(settings, clock=clock)
    admin = build_services(settings, clock=clock)
    try:
        worker.triage.check_every = 0.0
        assert log(worker, TRENT).ticket.intent != "line_of_business_system"
        ticket = log(admin, TRENT).ticket
        admin.tickets.change_intent(ticket.id, "line_of_business_system", admin.actor(AGENT))
        assert log(worker, TRENT).ticket.intent == "line_of_business_system"
    finally:
        worker.close()
        admin.close()


def _csv(path: Path, body: str) -> Path:
    path.write_text(body, encoding="utf-8")
    return path


def test_import_keeps_valid_rows_names_bad_ones_and_is_retrained_on(
    services: Services, tmp_path: Path
) -> None:
    source = _csv(
        tmp_path / "history.csv",
        "text,label\n"
        "the canteen menu for today,out_of_scope\n"
        "is the canteen open on friday,out_of_scope\n"
        "canteen closing time please,out_of_scope\n"
        "does the canteen take card payments,out_of_scope\n"
        "canteen has run out of sandwiches,out_of_scope\n"
        "Trent timesheets will not submit,line_of_business_system\n"
        "my payslip is wrong,payroll\n"
        ",printer_problem\n"
        "printer jammed,\n",
    )
    report = services.training.import_csv(source, "U0LEAD")
    assert report.added == 6 and report.already_known == 0
    assert report.problems == [
        "history.csv: row 9: text has no words",
        "history.csv: row 10: label is blank",
        "history.csv: row 8: label 'payroll' is neither an intent in the catalogue nor out_of_scope",
    ]
    again = services.training.import_csv(source, "U0LEAD")
    assert (again.added, again.already_known) == (0, 6)

    services.triage.wait_until_trained()
    canteen = log(services, "is the canteen open late on thursday")
    assert canteen.needs_pick and canteen.ticket.intent is None
    assert services.triage.model().classifier.examples == catalogue_only(services) + 6

    imported = services.training.taught(include_imports=True)
    assert {e.batch for e in imported} == {report.batch}
    assert services.training.taught() == [], "imports are listed only when asked for"
    assert len(services.training.revoke_batch(report.batch, "U0LEAD", "bad export")) == 6


def test_a_file_with_no_usable_rows_is_refused_whole(services: Services, tmp_path: Path) -> None:
    with pytest.raises(LabelledDataError, match="missing column"):
        services.training.import_csv(_csv(tmp_path / "a.csv", "body,intent\nx,y\n"), "U0LEAD")
    tmp = tmp_path / "b.csv"
    tmp.write_bytes(b"text,label\nprinter \xff jammed,printer_problem\n")
    with pytest.raises(LabelledDataError, match="not UTF-8"):
        services.training.import_csv(tmp, "U0LEAD")
    with services.db.read() as session:
        assert session.scalar(select(func.count()).select_from(labelled_examples)) == 0
