"""Builds the core services from settings. Slack-free, so the console and CLI use exactly what Slack uses."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from intents import load_catalogue
from intents.catalogue import Catalogue
from intents.small_talk import load_small_talk
from servicebot.chat.conversation import Conversation
from servicebot.config import ConfigError, Settings
from servicebot.domain.clock import Clock, utc_now
from servicebot.runtime.inbox import Inbox
from servicebot.services.actors import Actor, Role
from servicebot.services.intake import IntakeService
from servicebot.services.messages import TicketMessages
from servicebot.services.queries import TicketQueries
from servicebot.services.tickets import TicketService
from servicebot.storage import migrate
from servicebot.storage.db import Database, DatabaseUnavailable, sqlite_file
from servicebot.triage.gate import IntakeGate
from servicebot.triage.learning import LearningTriage, TrainingData


@dataclass(frozen=True)
class Services:
    settings: Settings
    db: Database
    catalogue: Catalogue
    training: TrainingData
    triage: LearningTriage
    intake: IntakeService
    tickets: TicketService
    queries: TicketQueries
    messages: TicketMessages
    conversation: Conversation
    inbox: Inbox

    def actor(self, user_id: str) -> Actor:
        return Actor(user_id, Role(self.settings.role_of(user_id)))

    def health(self) -> str | None:
        """None when the bot can work; else what is wrong."""
        return self.db.problem()

    def close(self) -> None:
        self.triage.close()
        self.inbox.close()
        self.inbox.db.dispose()
        self.db.dispose()


NO_DATABASE_HINT = (
    "create it with 'servicebot db upgrade' (or 'make run', which also loads demo data), "
    "or point SERVICEBOT_DATABASE_URL at an existing one"
)


def open_database(url: str, *, must_exist: bool = False) -> Database:
    """The database, checked to answer before anything relies on it: what cannot be opened stops the
    command at start with the reason, as bad configuration does, instead of failing mid-request.

    `must_exist`: for commands that only read. Connecting creates a missing SQLite file, and an empty
    database would answer "no tickets" for a mistyped path; saying there is none there is the truth."""
    missing = sqlite_file(url) if must_exist else None
    if missing is not None and not missing.exists():
        raise ConfigError(f"SERVICEBOT_DATABASE_URL: no database at {str(missing)!r}; {NO_DATABASE_HINT}")
    try:
        database = Database(url)
    except DatabaseUnavailable as exc:
        raise ConfigError(f"SERVICEBOT_DATABASE_URL: {exc}") from None
    problem = database.problem()
    if problem is not None:
        database.dispose()
        raise ConfigError(f"SERVICEBOT_DATABASE_URL: cannot open {database.safe_url}: {problem}")
    return database


def build_services(
    settings: Settings,
    *,
    clock: Clock = utc_now,
    upgrade_schema: bool = True,
    catalogue_dir: Path | None = None,
    background_training: bool = True,
    must_exist: bool = False,
) -> Services:
    """`must_exist`: the command only reads, so a missing SQLite file is refused (see `open_database`)."""
    db = open_database(settings.database_url, must_exist=must_exist)
    inbox_db = (
        db
        if settings.inbox_database_url == settings.database_url
        else open_database(settings.inbox_database_url)
    )
    if upgrade_schema:
        # One schema for both files keeps a single migration history; the inbox file uses one table of it.
        for database in {id(db): db, id(inbox_db): inbox_db}.values():
            migrate.upgrade(database.engine)
    catalogue = load_catalogue(catalogue_dir, settings.desks)
    training = TrainingData(db, catalogue, clock)
    triage = LearningTriage(training, settings, background=background_training)
    gate = IntakeGate(load_small_talk(catalogue_dir), catalogue)
    intake = IntakeService(db, triage, catalogue, settings, gate, clock)
    tickets = TicketService(db, catalogue, settings, clock, training)
    queries = TicketQueries(db, settings)
    return Services(
        settings=settings,
        db=db,
        catalogue=catalogue,
        training=training,
        triage=triage,
        intake=intake,
        tickets=tickets,
        queries=queries,
        messages=TicketMessages(db),
        conversation=Conversation(intake, tickets, queries, settings),
        inbox=Inbox(inbox_db, clock),
    )
