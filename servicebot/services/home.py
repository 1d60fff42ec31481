"""What a person's home in the bot shows (Slack's App Home): their open tickets, the KPIs they own with
their RAG, the services out now, and for managers (desk leads) what triage has been taught lately, which
they can revoke. Neutral data; the front end lays it out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from servicebot.config import Settings
from servicebot.domain.availability import Outage
from servicebot.domain.clock import Clock
from servicebot.domain.errors import NotFound
from servicebot.domain.kpis import KpiRow
from servicebot.domain.periods import Period
from servicebot.domain.tickets import Ticket
from servicebot.services.actors import Actor, Permission, Role, allowed, require
from servicebot.services.alerts import AlertService, AlertView
from servicebot.services.kpis import KpiService
from servicebot.services.outages import OutageService
from servicebot.services.outbox import OutboxService
from servicebot.services.queries import TicketQueries
from servicebot.storage.training import StoredExample
from servicebot.triage.learning import TrainingData

TAUGHT_SHOWN = 10  # Slack allows 100 blocks in a home view; each taught example takes two
ALERTS_SHOWN = 10


@dataclass(frozen=True)
class Home:
    user: str
    role: Role
    tickets_title: str
    tickets: tuple[Ticket, ...]
    kpi_month: Period
    kpis: tuple[KpiRow, ...]  # the KPIs this person owns (`owners` in the definitions)
    outages: tuple[Outage, ...]
    service_titles: dict[str, str]
    taught: tuple[StoredExample, ...] | None  # managers and admins; None: not theirs to see
    generated_at: datetime
    alerts: tuple[AlertView, ...] = ()  # open breach alerts on their KPIs (managers: all of them)
    latest_digest: LatestDigest | None = None


@dataclass(frozen=True)
class LatestDigest:
    title: str
    channel: str
    at: datetime  # when it was sent (or recorded, while it waits to be)
    sent: bool


class HomeService:
    def __init__(
        self,
        settings: Settings,
        clock: Clock,
        queries: TicketQueries,
        kpis: KpiService,
        outages: OutageService,
        training: TrainingData,
        alerts: AlertService,
        outbox: OutboxService,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.queries = queries
        self.kpis = kpis
        self.outages = outages
        self.training = training
        self.alerts = alerts
        self.outbox = outbox

    def home(self, actor: Actor) -> Home:
        now = self.clock()
        month = Period.containing(now, self.settings.tz)
        owned = tuple(row for row in self.kpis.dashboard(month).kpis if actor.id in row.definition.owners)
        return Home(
            user=actor.id,
            role=actor.role,
            tickets_title="Open tickets assigned to you" if actor.is_staff else "Tickets you raised",
            tickets=tuple(self.queries.mine(actor, limit=15)),
            kpi_month=month,
            kpis=owned,
            outages=tuple(self.outages.open_outages()),
            service_titles={s.id: s.title for s in self.settings.services},
            taught=(
                tuple(self.training.taught(limit=TAUGHT_SHOWN))
                if allowed(actor, Permission.REVOKE_TAUGHT)
                else None
            ),
            generated_at=now,
            alerts=self._alerts(actor),
            latest_digest=self._latest_digest(),
        )

    def _alerts(self, actor: Actor) -> tuple[AlertView, ...]:
        """Theirs to answer: alerts whose first message went to them; a manager answers any."""
        views = self.alerts.listed(open_only=True, limit=ALERTS_SHOWN)
        if allowed(actor, Permission.ANSWER_ALERT):
            return tuple(views)
        return tuple(v for v in views if any(r.to == actor.id for r in v.record.recipients))

    def _latest_digest(self) -> LatestDigest | None:
        message = self.outbox.latest("digest:")
        if message is None:
            return None
        data = message.payload.get("data") or {}
        return LatestDigest(
            str(data.get("title") or message.key),
            str(message.payload.get("to") or ""),
            message.sent_at or message.created_at,
            message.sent_at is not None,
        )

    def revoke(self, actor: Actor, example_id: int) -> None:
        """Undo one taught example (as `servicebot intents revoke ID` does), for a manager."""
        require(actor, Permission.REVOKE_TAUGHT)
        if not self.training.revoke([example_id], actor.id, "revoked from the App Home"):
            raise NotFound(f"Taught example #{example_id} is not there or was revoked already.")
