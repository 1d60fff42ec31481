"""Builds the core services from settings. Slack-free, so the console and CLI use exactly what Slack uses."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from intents import load_catalogue
from intents.catalogue import Catalogue
from intents.small_talk import load_small_talk
from servicebot.chat.conversation import Conversation
from servicebot.config import ConfigError, Settings
from servicebot.domain.clock import Clock, utc_now
from servicebot.runtime.inbox import Inbox
from servicebot.services.actors import Actor
from servicebot.services.alerts import AlertService
from servicebot.services.availability import AvailabilityMetric
from servicebot.services.digests import DigestService, EpisodeSummary, OpenEpisodes, outbox_recorder
from servicebot.services.facts import FactsService
from servicebot.services.home import HomeService
from servicebot.services.importers import IMPORTERS
from servicebot.services.imports import ImportService
from servicebot.services.intake import IntakeService
from servicebot.services.kpis import KpiService
from servicebot.services.messages import TicketMessages
from servicebot.services.metrics import MetricsService
from servicebot.services.outages import OutageService
from servicebot.services.outbox import OutboxService
from servicebot.services.queries import TicketQueries
from servicebot.services.retention import RetentionService
from servicebot.services.roles import RoleDirectory
from servicebot.services.stats import StatsService
from servicebot.services.tickets import TicketService
from servicebot.storage import migrate
from servicebot.storage.db import Database, DatabaseUnavailable, sqlite_as_found, sqlite_file
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
    outages: OutageService
    availability: AvailabilityMetric
    conversation: Conversation
    inbox: Inbox
    facts: FactsService
    metrics: MetricsService
    imports: ImportService
    kpis: KpiService
    outbox: OutboxService
    alerts: AlertService
    retention: RetentionService
    digests: DigestService
    stats: StatsService
    home: HomeService
    roles: RoleDirectory

    def actor(self, user_id: str) -> Actor:
        """Who `user_id` is: configured ids, and Slack user groups once the Slack front end has attached
        its port (`roles.attach`)."""
        return self.roles.actor(user_id)

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

    `must_exist`: for commands that only read. Connecting creates a missing SQLite file, and the commands
    that migrate would turn any file (empty, or another program's) into a ServiceBot database; an empty
    answer ("no tickets") for a mistyped path hides the mistake. So it must be a ServiceBot database at
    the latest revision already, checked without writing anything."""
    file = sqlite_file(url)
    if must_exist and file is not None:
        if not file.exists():
            raise ConfigError(f"SERVICEBOT_DATABASE_URL: no database at {str(file)!r}; {NO_DATABASE_HINT}")
        _require_schema(repr(str(file)), *_sqlite_revision(file))
    try:
        database = Database(url)
    except DatabaseUnavailable as exc:
        raise ConfigError(f"SERVICEBOT_DATABASE_URL: {exc}") from None
    problem = database.problem()
    if problem is not None:
        database.dispose()
        raise ConfigError(f"SERVICEBOT_DATABASE_URL: cannot open {database.safe_url}: {problem}")
    if must_exist and file is None:
        try:
            _require_schema(
                database.safe_url, migrate.current_revision(database.engine), "no ServiceBot tables"
            )
        except ConfigError:
            database.dispose()
            raise
    return database


def separate_inbox(settings: Settings) -> bool:
    return settings.inbox_database_url != settings.database_url


def open_inbox_if_present(settings: Settings) -> Database | None:
    """The separate inbox file (SQLite) when it exists, checked as a reading command checks the database;
    None when there is none (no request ever arrived over Slack), which is not a reason to create one."""
    file = sqlite_file(settings.inbox_database_url)
    if not separate_inbox(settings) or file is None or not file.exists():
        return None
    return open_database(settings.inbox_database_url, must_exist=True)


def stored_revision(url: str) -> str:
    """The schema revision of the database at `url`, read without creating or changing anything; a
    ConfigError if it is not there or has no ServiceBot schema at all."""
    file = sqlite_file(url)
    if file is not None:
        if not file.exists():
            raise ConfigError(f"SERVICEBOT_DATABASE_URL: no database at {str(file)!r}; {NO_DATABASE_HINT}")
        revision, why = _sqlite_revision(file)
        where = repr(str(file))
    else:
        database = open_database(url)
        try:
            revision, why = migrate.current_revision(database.engine), "no ServiceBot tables"
        finally:
            database.dispose()
        where = database.safe_url
    if revision is None:
        raise ConfigError(
            f"SERVICEBOT_DATABASE_URL: no ServiceBot database at {where} ({why}); {NO_DATABASE_HINT}"
        )
    return revision


def _sqlite_revision(file: Path) -> tuple[str | None, str]:
    """(revision or None, why there is none): looked at as found, nothing written."""
    if file.is_file() and file.stat().st_size == 0:
        return None, "the file is empty"
    engine = sqlite_as_found(file)
    try:
        return migrate.current_revision(engine), "no ServiceBot tables in it"
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0][:200]
        # Not SQLite at all ("file is not a database"), or a file this user may not read.
        return None, f"cannot be read as SQLite: {reason}"
    finally:
        engine.dispose()


def _require_schema(where: str, revision: str | None, why: str) -> None:
    if revision is None:
        raise ConfigError(
            f"SERVICEBOT_DATABASE_URL: no ServiceBot database at {where} ({why}); {NO_DATABASE_HINT}"
        )
    head = migrate.head_revision()
    if revision == head:
        return
    if migrate.is_known(revision):
        raise ConfigError(
            f"SERVICEBOT_DATABASE_URL: the ServiceBot database at {where} is at revision {revision}, older "
            f"than this version's {head}; run 'servicebot db upgrade' to update it"
        )
    raise unknown_revision(where, revision)


def unknown_revision(where: str, revision: str) -> ConfigError:
    return ConfigError(
        f"SERVICEBOT_DATABASE_URL: the database at {where} is at revision {revision}, which this version of "
        "ServiceBot does not know (a newer version made it?); run that version, or point "
        "SERVICEBOT_DATABASE_URL at another database"
    )


def build_services(
    settings: Settings,
    *,
    clock: Clock = utc_now,
    upgrade_schema: bool = True,
    catalogue_dir: Path | None = None,
    background_training: bool = True,
    must_exist: bool = False,
) -> Services:
    """`must_exist`: the command only reads, so only a ServiceBot database at the latest revision is
    opened, and nothing is migrated or created (see `open_database`)."""
    db = open_database(settings.database_url, must_exist=must_exist)
    # A command that only reads never touches the inbox, and opening its own file would create it (and
    # migrate it): the main database, which has the same table, stands in.
    inbox_db = (
        db
        if must_exist or settings.inbox_database_url == settings.database_url
        else open_database(settings.inbox_database_url)
    )
    facts = FactsService(db, settings)
    if upgrade_schema and not must_exist:
        before = migrate.current_revision(db.engine)
        # One schema for both files keeps a single migration history; the inbox file uses one table of it.
        for database in {id(db): db, id(inbox_db): inbox_db}.values():
            migrate.upgrade(database.engine)
        if before is not None and before != migrate.current_revision(db.engine):
            facts.fill_missing()  # tickets from before the projection existed
    catalogue = load_catalogue(catalogue_dir, settings.desks)
    training = TrainingData(db, catalogue, clock)
    triage = LearningTriage(training, settings, background=background_training)
    gate = IntakeGate(load_small_talk(catalogue_dir), catalogue)
    intake = IntakeService(db, triage, catalogue, settings, gate, clock)
    tickets = TicketService(db, catalogue, settings, clock, training)
    queries = TicketQueries(db, settings)
    outages = OutageService(db, settings, clock)
    availability = AvailabilityMetric(db, settings, clock)
    metrics = MetricsService(db, settings, availability)
    kpis = KpiService(db, settings, clock, metrics)
    alerts = AlertService(db, settings, clock, kpis, outages)
    stats = StatsService(settings, clock, metrics, kpis)
    outbox = OutboxService(db, clock)
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
        outages=outages,
        availability=availability,
        conversation=Conversation(intake, tickets, queries, settings, outages, alerts, stats),
        inbox=Inbox(inbox_db, clock),
        facts=facts,
        metrics=metrics,
        imports=ImportService(
            db,
            settings,
            clock,
            catalogue,
            [*IMPORTERS, kpis.values_importer()],
            kpi_definitions=kpis.definitions_by_ref_in,
        ),
        kpis=kpis,
        outbox=outbox,
        # A reading command stands the main database in for a separate inbox file (above); the retention
        # command then opens that file itself, if it is there (`open_inbox_if_present`).
        retention=RetentionService(
            db, None if inbox_db is db and separate_inbox(settings) else inbox_db, settings, clock
        ),
        alerts=alerts,
        digests=DigestService(
            settings, clock, stats, kpis, outages, outbox_recorder(db, clock), episode_summaries(alerts)
        ),
        stats=stats,
        home=HomeService(settings, clock, queries, kpis, outages, training, alerts, outbox),
        roles=RoleDirectory(settings),
    )


def build_kpis(db: Database, settings: Settings, clock: Clock = utc_now) -> KpiService:
    """The KPI service on its own, for the commands that need nothing else (no triage model to load): its
    computed sources are the desk's own metrics, availability among them."""
    return KpiService(db, settings, clock, build_metrics(db, settings, clock))


def build_alerts(db: Database, settings: Settings, kpis: KpiService, clock: Clock = utc_now) -> AlertService:
    return AlertService(db, settings, clock, kpis, OutageService(db, settings, clock))


def build_metrics(db: Database, settings: Settings, clock: Clock = utc_now) -> MetricsService:
    return MetricsService(db, settings, AvailabilityMetric(db, settings, clock))


def build_digests(db: Database, settings: Settings, clock: Clock = utc_now) -> DigestService:
    """The digest service on its own (`servicebot digest`): figures, KPIs and outages, no triage."""
    metrics = build_metrics(db, settings, clock)
    kpis = KpiService(db, settings, clock, metrics)
    outages = OutageService(db, settings, clock)
    alerts = AlertService(db, settings, clock, kpis, outages)
    stats = StatsService(settings, clock, metrics, kpis)
    return DigestService(
        settings, clock, stats, kpis, outages, outbox_recorder(db, clock), episode_summaries(alerts)
    )


def episode_summaries(alerts: AlertService) -> OpenEpisodes:
    """The alert digest's list of open breach episodes, from the alert service."""

    def of_desk(desk: str) -> list[EpisodeSummary]:
        return [
            EpisodeSummary(
                v.episode.ref,
                v.episode.period or "-",
                v.episode.state.value,
                v.episode.acknowledged_by,
                v.episode.snoozed_until,
                v.commentary,
            )
            for v in alerts.open_of_desk(desk)
        ]

    return of_desk
