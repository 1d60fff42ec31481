"""Breach alerts as the bot and every front end use them: evaluate the dashboard's states into episodes and
the messages each is owed (`domain/alerts.plan`), and let owners acknowledge, snooze and comment.

Each call is one transaction: the episode's change, its event and the messages it sends (recorded in the
outbox, delivered by the relay) are written together or not at all, so a crash between deciding and
sending neither loses an alert nor sends one twice. Evaluating again with nothing changed records nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from servicebot.config import Settings
from servicebot.domain import alerts as rules
from servicebot.domain.alerts import (
    Action,
    AlertPolicy,
    Close,
    Episode,
    Escalate,
    Improve,
    Open,
    Reading,
    Remind,
    State,
    reading_of,
)
from servicebot.domain.availability import Outage
from servicebot.domain.clock import Clock
from servicebot.domain.errors import InvalidInput, NotFound
from servicebot.domain.ids import is_row_id
from servicebot.domain.kpis import ActivityRow, Commentary, KpiDefinition, KpiRow, Unit
from servicebot.domain.message import Code, Message, Strong, User, say, to_data
from servicebot.domain.outbox import Notice
from servicebot.domain.periods import Period
from servicebot.services.actors import Actor, Permission, require
from servicebot.services.kpis import KpiService
from servicebot.services.outages import OutageService
from servicebot.storage import alerts as store
from servicebot.storage import outbox
from servicebot.storage.alerts import AlertEvent, EpisodeRecord, Recipient
from servicebot.storage.db import Database

log = logging.getLogger("servicebot.alerts")

ALERT = "alert"  # the notice kind of a KPI's alert, with its buttons (handlers/blocks/alerts.py)
OUTAGE_ALERT = "outage-alert"  # a service out for too long
TEXT = "text"
MAX_SNOOZE = timedelta(days=31)
TREND = 6  # periods shown with an alert


class _RollBack(Exception):
    """Undo a dry run's writes: its plan is the real one, computed against the real rows."""


@dataclass(frozen=True)
class Planned:
    """One thing an evaluation did (or, dry, would do), for the person who ran it."""

    ref: str
    what: str
    episode: int | None = None
    action: str = ""  # opened, reminded, escalated, improved, closed


def _unnumbered(planned: Planned) -> Planned:
    """A dry run's new episode has no number: the one its rolled-back insert drew is not the one a real
    run gets on PostgreSQL, whose sequences do not roll back."""
    if planned.action != "opened" or planned.episode is None:
        return planned
    return replace(planned, what=planned.what.replace(f"alert #{planned.episode} ", "new alert ", 1))


@dataclass(frozen=True)
class AlertView:
    """An episode as `alerts list` and the digests show it, with its events and where its messages went."""

    record: EpisodeRecord
    events: tuple[AlertEvent, ...]
    messages: tuple[tuple[str, str, str | None, str | None], ...] = ()  # key, status, channel, ts
    commentary: bool = False

    @property
    def episode(self) -> Episode:
        return self.record.episode


@dataclass(frozen=True)
class _Subject:
    """What an episode is about, as this evaluation found it: a KPI's dashboard row, or a service out."""

    ref: str
    desk: str
    owners: tuple[str, ...]
    director: str
    kind: str  # the notice kind its alerts are shown as
    facts: dict[str, Any]  # what an alert shows, besides the episode's own number, state and why
    name: str  # how the words name it: "ICT01", "Email"
    back: str  # " has recovered", " is back"
    figure: str = ""  # " (71% in November 2026)": said with an improvement or the recovery

    def notice(self, episode_id: int, state: State, why: str) -> Notice:
        data = {**self.facts, "episode": episode_id, "state": state.value, "why": why}
        return Notice(self.kind, "", data)


@dataclass
class _Judged:
    subjects: dict[str, _Subject] = field(default_factory=dict)
    readings: list[Reading] = field(default_factory=list)


def _kpi_subject(row: KpiRow | ActivityRow, desk: str) -> _Subject:
    definition = row.definition
    facts: dict[str, Any] = {
        "ref": definition.ref,
        "description": definition.description,
        "desk": desk,
        "period": None if row.shown is None else str(row.shown),
        "unit": definition.unit.value,
        "value": row.value,
        "decimals": definition.decimals,
        "director": definition.director,
        "trend": [[str(p), v] for p, v in row.trend[-TREND:]],
        "urgent": definition.urgent,
    }
    if isinstance(row, KpiRow):
        facts |= {
            "target": row.target,
            "floor": row.floor,
            "dot": None if row.dot is None else row.dot.value,
            "commentary": row.commentary is not None,
        }
    else:
        facts |= {"upper": row.upper, "lower": row.lower}
    return _Subject(
        definition.ref,
        desk,
        definition.owners,
        definition.director,
        ALERT,
        facts,
        definition.ref,
        " has recovered",
        _figure(row),
    )


def _availability_people(service: str, definitions: Sequence[KpiDefinition]) -> tuple[tuple[str, ...], str]:
    """Who answers for a service being out: the owners and director of the KPIs measuring its availability."""
    measuring = [d for d in definitions if d.source == f"availability:{service}"]
    owners = tuple(dict.fromkeys(owner for d in measuring for owner in d.owners))
    return owners, next((d.director for d in measuring if d.director), "")


def _duration(span: timedelta) -> str:
    minutes = int(span.total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if hours else f"{minutes} min"


class AlertService:
    def __init__(
        self, db: Database, settings: Settings, clock: Clock, kpis: KpiService, outages: OutageService
    ) -> None:
        self.db = db
        self.settings = settings
        self.clock = clock
        self.kpis = kpis
        self.outages = outages

    @property
    def policy(self) -> AlertPolicy:
        config = self.settings.alerts
        return AlertPolicy(config.remind_at, timedelta(hours=config.escalate_after_hours))

    # -- evaluation ----------------------------------------------------------------------------------------
    def evaluate(self, *, dry_run: bool = False, period: Period | None = None) -> list[Planned]:
        """Judge every KPI of every desk on the dashboard of `period` (default: the last full month), open,
        remind, escalate and close episodes, and record their messages. Idempotent: nothing new is
        recorded until a state changes or a reminder falls due."""
        now = self.clock()
        period = period or Period.containing(now, self.settings.tz).previous
        judged = self._judged(period, now)
        for attempt in range(2):
            planned: list[Planned] = []
            try:
                with self.db.transaction() as session:
                    planned = self._apply_all(session, judged, now)
                    if dry_run:
                        planned = [_unnumbered(p) for p in planned]
                        raise _RollBack
            except _RollBack:
                pass
            except IntegrityError:
                # Another evaluation opened the same episode first (a replica, a command beside the bot):
                # this one's transaction rolled back whole; plan again against what it recorded.
                if attempt:
                    raise
                continue
            return planned
        raise AssertionError("unreachable")

    def _judged(self, period: Period, now: datetime) -> _Judged:
        judged = _Judged()
        for desk in self.settings.desks:
            dashboard = self.kpis.dashboard(period, desk)
            rows: list[KpiRow | ActivityRow] = [*dashboard.kpis, *dashboard.activity]
            for row in rows:
                judged.subjects[row.definition.ref] = _kpi_subject(row, desk)
                judged.readings.append(reading_of(row, urgent=row.definition.urgent))
        after = self.settings.alerts.outage_after_minutes
        if after is not None:
            out: dict[str, Outage] = {}
            for outage in self.outages.open_outages():
                if not outage.planned and (
                    outage.service not in out or outage.impact_start < out[outage.service].impact_start
                ):
                    out[outage.service] = outage
            definitions = self.kpis.list()
            for service in self.settings.services:
                found = out.get(service.id)
                subject = self._outage_subject(service.id, service.title, found, definitions, now)
                judged.subjects[subject.ref] = subject
                judged.readings.append(
                    rules.outage_reading(
                        service.id, found.impact_start if found else None, now, timedelta(minutes=after)
                    )
                )
        return judged

    def _outage_subject(
        self,
        service: str,
        title: str,
        outage: Outage | None,
        definitions: Sequence[KpiDefinition],
        now: datetime,
    ) -> _Subject:
        owners, director = _availability_people(service, definitions)
        facts: dict[str, Any] = {"ref": rules.OUTAGE + service, "service": service, "title": title}
        if outage is not None:
            facts |= {
                "since": outage.impact_start.isoformat(),
                "out_for": _duration(now - outage.impact_start),
                "note": outage.note,
            }
        desk = next(iter(self.settings.desks))
        return _Subject(facts["ref"], desk, owners, director, OUTAGE_ALERT, facts, title, " is back")

    def _apply_all(self, session: Session, judged: _Judged, now: datetime) -> list[Planned]:
        records = {r.episode.ref: r for r in store.open_episodes(session)}
        readings = list(judged.readings)
        for ref in records.keys() - judged.subjects.keys():
            # No longer judged (the KPI's definitions were replaced, the service removed): close quietly.
            readings.append(Reading(ref, None, None, known=False, suspended=True))
        actions = rules.plan(
            readings, [r.episode for r in records.values()], now, self.settings.calendar(), self.policy
        )
        planned: list[Planned] = []
        for action in actions:
            done = self._apply(session, action, judged, records, now)
            if done is not None:
                planned.append(done)
        return planned

    def _apply(
        self,
        session: Session,
        action: Action,
        judged: _Judged,
        records: dict[str, EpisodeRecord],
        now: datetime,
    ) -> Planned | None:
        if isinstance(action, Open):
            return self._open(session, action, judged.subjects[action.reading.ref], records, now)
        record = records[action.episode.ref]
        subject = judged.subjects.get(record.episode.ref)
        if isinstance(action, Remind):
            return self._remind(session, record, subject, action.at, now)
        if isinstance(action, Escalate):
            return self._escalate(session, record, subject, action.at, now)
        if isinstance(action, Improve):
            return self._improve(session, record, action.state, subject, now)
        assert isinstance(action, Close)
        return self._close(session, record, action, subject, now)

    def _open(
        self,
        session: Session,
        action: Open,
        subject: _Subject,
        records: dict[str, EpisodeRecord],
        now: datetime,
    ) -> Planned:
        reading = action.reading
        assert reading.state is not None
        why = "new"
        if action.supersedes is not None:
            old = records[action.supersedes.ref]
            worse = old.episode.period == reading.period
            why = f"worse (was {old.episode.state.value})" if worse else f"still in breach ({reading.period})"
            if store.change(session, old, closed_at=now, close_reason="superseded"):
                store.add_event(session, AlertEvent(old.episode.id, "closed", now, None, {"reason": why}))
        episode_id = store.insert_episode(
            session,
            ref=reading.ref,
            desk=subject.desk,
            period=reading.period,
            state=reading.state,
            fingerprint=rules.fingerprint(reading.ref, reading.period, reading.state),
            urgent=reading.urgent,
            opened_at=now,
        )
        notice = subject.notice(episode_id, reading.state, why)
        recipients: list[Recipient] = []
        leads = self._leads(subject)
        for to, lead in [
            *((owner, False) for owner in subject.owners),
            *((channel, True) for channel in leads),
        ]:
            key = f"alert:{episode_id}:open:{'lead:' + to if lead else to}"
            outbox.record_notice(
                session, key, replace(notice, to=to), _thread(episode_id, to), now, action.at
            )
            recipients.append(Recipient(to, key, lead=lead))
        fresh = store.episode(session, episode_id)
        assert fresh is not None
        store.change(session, fresh, sends=1, last_sent_at=action.at, recipients=recipients)
        store.add_event(
            session,
            AlertEvent(
                episode_id,
                "opened",
                now,
                None,
                {
                    "state": reading.state.value,
                    "period": reading.period,
                    "why": why,
                    "to": [r.to for r in recipients],
                    "deliver_at": action.at.isoformat(),
                },
            ),
        )
        whom = ", ".join(r.to for r in recipients) or "nobody: no owners, and no lead_channel configured"
        return Planned(
            reading.ref,
            f"alert #{episode_id} {reading.state.value} {reading.period or ''} ({why}) to {whom}".replace(
                "  ", " "
            )
            + _held(action.at, now, self.settings),
            episode_id,
            "opened",
        )

    def _leads(self, subject: _Subject) -> list[str]:
        """The lead channels told: the KPI's desk's; for a service out, every desk's (all depend on it)."""
        desks = (
            self.settings.desks.values()
            if subject.kind == OUTAGE_ALERT
            else [self.settings.desk(subject.desk)]
        )
        return list(dict.fromkeys(d.lead_channel for d in desks if d.lead_channel))

    def _remind(
        self,
        session: Session,
        record: EpisodeRecord,
        subject: _Subject | None,
        at: datetime,
        now: datetime,
    ) -> Planned | None:
        episode = record.episode
        sends = episode.sends + 1
        if subject is None or not store.change(session, record, sends=sends, last_sent_at=at):
            return None
        to = [r for r in record.recipients if not r.lead]
        notice = subject.notice(episode.id, episode.state, f"reminder {sends - 1}")
        for recipient in to:
            outbox.record_notice(
                session,
                f"alert:{episode.id}:remind:{sends}:{recipient.to}",
                replace(notice, to=recipient.to),
                _thread(episode.id, recipient.to),
                now,
                at,
            )
        store.add_event(
            session,
            AlertEvent(episode.id, "reminded", now, None, {"n": sends - 1, "deliver_at": at.isoformat()}),
        )
        return Planned(
            episode.ref,
            f"reminder {sends - 1} of alert #{episode.id} to {', '.join(r.to for r in to) or 'nobody'}"
            + _held(at, now, self.settings),
            episode.id,
            "reminded",
        )

    def _escalate(
        self,
        session: Session,
        record: EpisodeRecord,
        subject: _Subject | None,
        at: datetime,
        now: datetime,
    ) -> Planned | None:
        episode = record.episode
        if subject is None or not store.change(session, record, escalated_at=at):
            return None
        director = subject.director
        slack_id = self.settings.alerts.directors.get(director)
        if slack_id:
            outbox.record_notice(
                session,
                f"alert:{episode.id}:escalate",
                replace(subject.notice(episode.id, episode.state, "escalation"), to=slack_id),
                _thread(episode.id, slack_id),
                now,
                at,
            )
            said = say("Not acknowledged in time: escalated to ", User(slack_id), f" ({director}).")
        else:
            said = say(
                "Not acknowledged in time, and no Slack id is configured for the director",
                f" ({director})" if director else "",
                ": tell them, and add them under ",
                Code("alerts.directors"),
                " in servicebot.yaml.",
            )
        self._tell_threads(session, record, said, "escalated", now, at)
        store.add_event(
            session, AlertEvent(episode.id, "escalated", now, None, {"director": director, "to": slack_id})
        )
        return Planned(
            episode.ref,
            f"alert #{episode.id} escalated to {director or 'no director'} "
            f"({slack_id or 'no Slack id configured'})",
            episode.id,
            "escalated",
        )

    def _improve(
        self,
        session: Session,
        record: EpisodeRecord,
        state: State,
        subject: _Subject | None,
        now: datetime,
    ) -> Planned | None:
        episode = record.episode
        if not store.change(session, record, state=state):
            return None
        figure = subject.figure if subject is not None else ""
        said = say(Strong(episode.ref), f" has improved to {state.value}{figure}, still short of target.")
        self._tell_threads(session, record, said, f"improved:{state.value}", now, now)
        store.add_event(session, AlertEvent(episode.id, "improved", now, None, {"state": state.value}))
        return Planned(episode.ref, f"alert #{episode.id} improved to {state.value}", episode.id, "improved")

    def _close(
        self,
        session: Session,
        record: EpisodeRecord,
        action: Close,
        subject: _Subject | None,
        now: datetime,
    ) -> Planned | None:
        episode = record.episode
        if not store.change(session, record, closed_at=now, close_reason=action.reason):
            return None
        if action.announce and subject is not None:
            said = say(Strong(subject.name), f"{subject.back}{subject.figure}. This alert is closed.")
            self._tell_threads(
                session,
                record,
                said,
                "recovered",
                now,
                rules.deliver_at(now, self.settings.calendar(), episode.urgent),
            )
        store.add_event(session, AlertEvent(episode.id, action.reason, now))
        return Planned(episode.ref, f"alert #{episode.id} closed: {action.reason}", episode.id, "closed")

    def _tell_threads(
        self, session: Session, record: EpisodeRecord, said: Message, what: str, now: datetime, at: datetime
    ) -> None:
        """A word in the thread of each message the episode's first alert was, in order after them."""
        for recipient in record.recipients:
            outbox.record_notice(
                session,
                f"alert:{record.episode.id}:{what}:{recipient.to}",
                Notice(TEXT, recipient.to, {"message": to_data(said)}, reply_to=recipient.key),
                _thread(record.episode.id, recipient.to),
                now,
                at,
            )

    # -- what owners do ------------------------------------------------------------------------------------
    def acknowledge(self, episode_id: int, actor: Actor) -> AlertView:
        now = self.clock()
        with self.db.transaction() as session:
            record = self._answerable(session, episode_id, actor, "acknowledge")
            if record.episode.acknowledged_by is not None:
                return self._view(session, record)  # said once is enough: pressing again changes nothing
            if store.change(session, record, acknowledged_by=actor.id, acknowledged_at=now):
                store.add_event(session, AlertEvent(episode_id, "acknowledged", now, actor.id))
                self._tell_threads(
                    session, record, say("Acknowledged by ", User(actor.id), "."), "acknowledged", now, now
                )
            return self._view(session, _reread(session, episode_id))

    def snooze(self, episode_id: int, until: datetime, actor: Actor) -> AlertView:
        now = self.clock()
        if until <= now:
            raise InvalidInput(f"snooze until {_local(until, self.settings)}: that is not in the future")
        if until - now > MAX_SNOOZE:
            raise InvalidInput(
                f"snooze until {_local(until, self.settings)}: at most {MAX_SNOOZE.days} days ahead"
            )
        with self.db.transaction() as session:
            record = self._answerable(session, episode_id, actor, "snooze")
            if store.change(session, record, snoozed_until=until, snoozed_by=actor.id):
                store.add_event(
                    session, AlertEvent(episode_id, "snoozed", now, actor.id, {"until": until.isoformat()})
                )
                said = say("Snoozed by ", User(actor.id), f" until {_local(until, self.settings)}.")
                self._tell_threads(session, record, said, f"snoozed:{record.version}", now, now)
            return self._view(session, _reread(session, episode_id))

    def comment(
        self, episode_id: int, cause: str, action: str, recovery: date | None, actor: Actor
    ) -> Commentary:
        """The owner's cause, action and expected recovery, stored where `kpi comment` stores it (shown on
        the dashboard beside the row). Commenting takes the alert on: it counts as acknowledging it."""
        now = self.clock()
        with self.db.transaction() as session:
            record = self._answerable(session, episode_id, actor, "comment on")
            episode = record.episode
            if episode.period is None:
                raise InvalidInput(f"alert #{episode_id} has no month to comment on")
            commentary = self.kpis.comment_in(
                session, episode.ref, Period.parse(episode.period), cause, action, recovery, actor.id
            )
            values: dict[str, Any] = {}
            if episode.acknowledged_by is None:
                values = {"acknowledged_by": actor.id, "acknowledged_at": now}
            if store.change(session, record, **values):
                store.add_event(session, AlertEvent(episode_id, "commented", now, actor.id))
                said = say(
                    "Commentary from ",
                    User(actor.id),
                    ": ",
                    Strong("cause"),
                    f" {commentary.cause}; ",
                    Strong("action"),
                    f" {commentary.action}",
                    f"; expected recovery {commentary.recovery:%d %B %Y}." if commentary.recovery else ".",
                )
                self._tell_threads(session, record, said, f"commented:{record.version}", now, now)
            return commentary

    def _answerable(self, session: Session, episode_id: int, actor: Actor, verb: str) -> EpisodeRecord:
        # A number no row can have is looked for nowhere: PostgreSQL would refuse it (beyond 32 bits).
        record = store.episode(session, episode_id) if is_row_id(episode_id) else None
        if record is None:
            raise NotFound(f"no alert #{episode_id}; 'alerts' lists the open ones")
        if record.closed_at is not None:
            raise InvalidInput(
                f"alert #{episode_id} ({record.episode.ref}) is closed ({record.close_reason}); "
                f"nothing to {verb}"
            )
        ref = record.episode.ref
        definitions = self.kpis.definitions_by_ref_in(session)
        if ref.startswith(rules.OUTAGE):
            service = ref.removeprefix(rules.OUTAGE)
            owners, director = _availability_people(service, list(definitions.values()))
            # A service being out is the whole desk's business: any agent may take it on.
            action = Permission.ANSWER_OUTAGE_ALERT
            named = f"the owners of {service}'s availability KPI, their director"
        else:
            definition = definitions.get(ref)
            owners = definition.owners if definition else ()
            director = definition.director if definition else ""
            action, named = Permission.ANSWER_ALERT, f"{ref}'s owners, its director"
        director_id = self.settings.alerts.directors.get(director)
        people = {*owners} | ({director_id} if director_id else set())
        require(actor, action, owners=people, owners_named=named, verb=f"{verb} alert #{episode_id}")
        return record

    # -- what people read ----------------------------------------------------------------------------------
    def open_of_desk(self, desk: str) -> list[AlertView]:
        """A desk's open KPI breach episodes, oldest first (a service out is in the digests' outages)."""
        views = self.listed(open_only=True, limit=500)
        mine = [v for v in views if v.record.desk == desk and not v.episode.ref.startswith(rules.OUTAGE)]
        return sorted(mine, key=lambda v: v.episode.id)

    def listed(self, *, open_only: bool = False, limit: int = 50) -> list[AlertView]:
        if limit < 1:
            raise InvalidInput(f"--limit must be at least 1, not {limit}")
        with self.db.read() as session:
            records = store.listed(session, open_only=open_only, limit=limit)
            events = store.events_of(session, [r.episode.id for r in records])
            return [self._view(session, r, events.get(r.episode.id, [])) for r in records]

    def _view(
        self, session: Session, record: EpisodeRecord, events: Sequence[AlertEvent] | None = None
    ) -> AlertView:
        if events is None:
            events = store.events_of(session, [record.episode.id])[record.episode.id]
        messages = tuple(
            (m.key, m.status.value, (m.result or {}).get("channel"), (m.result or {}).get("ts"))
            for m in outbox.with_prefix(session, f"alert:{record.episode.id}:")
        )
        return AlertView(record, tuple(events), messages, any(e.kind == "commented" for e in events))


def _reread(session: Session, episode_id: int) -> EpisodeRecord:
    record = store.episode(session, episode_id)
    assert record is not None
    return record


def _thread(episode_id: int, to: str) -> str:
    """Everything said to one person or channel about one episode goes out in the order it was recorded
    (a reply after the message it answers); one recipient's trouble does not hold up another's."""
    return f"alert:{episode_id}:{to}"


def _local(at: datetime, settings: Settings) -> str:
    return f"{at.astimezone(settings.tz):%a %d %b %Y %H:%M}"


def _held(at: datetime, now: datetime, settings: Settings) -> str:
    return f", held to {_local(at, settings)}" if at > now else ""


def _figure(row: KpiRow | ActivityRow) -> str:
    if row.value is None or row.shown is None:
        return ""
    unit = "%" if row.definition.unit is Unit.PERCENT else ""
    return f" ({row.value:.{row.definition.decimals}f}{unit} in {row.shown.first_day:%B %Y})"
