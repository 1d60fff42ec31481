"""Outages from chat (`outage start|end <service>`, staff only) and from outage files, one transaction each.

A service is either out or not: starting an outage of a service already out says so and records nothing;
ending one that is not out says so. Times come from the injected clock; impact is taken to be the whole
outage, as the person saying "email is down" and "email is back" means.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from servicebot.config import Service, Settings
from servicebot.domain.availability import Outage
from servicebot.domain.clock import Clock, utc_now
from servicebot.domain.errors import InvalidInput
from servicebot.domain.message import Code, Message, Strong, User, say
from servicebot.imports.outages import COLUMNS, KIND, parse_outages
from servicebot.services.actors import Actor, Permission, require
from servicebot.services.imports import ImportContext, Importer, Written
from servicebot.storage import outages as outage_rows
from servicebot.storage.db import Database

MAX_NOTE = 500


@dataclass(frozen=True)
class OutageOutcome:
    outage: Outage
    service: Service
    message: Message


class OutageService:
    def __init__(self, db: Database, settings: Settings, clock: Clock = utc_now) -> None:
        self.db = db
        self.settings = settings
        self.clock = clock

    def start(self, service_id: str, actor: Actor, note: str = "") -> OutageOutcome:
        require(actor, Permission.RECORD_OUTAGE)
        service = self.settings.service(service_id.lower())
        now = self.clock()
        note = " ".join(note.split())
        try:
            with self.db.transaction() as session:
                already = outage_rows.open_outages(session, service.id)
                if already:
                    raise InvalidInput(
                        f"{service.title} ({service.id}) is already out, "
                        f"since {self._when(already[0])}; say ",
                        Code(f"outage end {service.id}"),
                        " when it is back.",
                    )
                outage = outage_rows.insert_outage(
                    session,
                    Outage(
                        service=service.id,
                        started_at=now,
                        ended_at=None,
                        impact_start=now,
                        impact_end=None,
                        note=note[:MAX_NOTE],
                        origin="chat",
                        opened_by=actor.id,
                    ),
                )
        except IntegrityError:
            # Ended and started again within the same second (or two people at once): the outage that
            # starts at this instant is already recorded, so this one would be the same record.
            raise InvalidInput(
                f"An outage of {service.title} starting at this moment is already recorded; try again."
            ) from None
        message = say(
            Strong(service.title),
            f" is recorded as out since {self._when(outage)}, by ",
            User(actor.id),
            ". Say ",
            Code(f"outage end {service.id}"),
            " when it is back.",
            f" (The note was cut to its first {MAX_NOTE} characters.)" if len(note) > MAX_NOTE else "",
        )
        return OutageOutcome(outage, service, message)

    def end(self, service_id: str, actor: Actor) -> OutageOutcome:
        require(actor, Permission.RECORD_OUTAGE)
        service = self.settings.service(service_id.lower())
        now = self.clock()
        with self.db.transaction() as session:
            still_open = outage_rows.open_outages(session, service.id)
            if not still_open:
                raise InvalidInput(
                    f"{service.title} ({service.id}) is not out; ",
                    Code(f"outage start {service.id}"),
                    " records an outage.",
                )
            # Normally one; an imported open outage beside a chat one ends with it: the service is back.
            closed = [outage_rows.close(session, outage, now, actor.id) for outage in still_open]
        closed.sort(key=lambda outage: outage.started_at)
        first = closed[0]
        if len(closed) == 1:
            message = say(
                Strong(service.title),
                f" is back: the outage since {self._when(first)} is ended by ",
                User(actor.id),
                f" after {self._lasted(first)}.",
            )
        else:
            # Each one named: the person ending them should know an imported one was open too.
            each = ", ".join(f"since {self._when(o)} ({self._lasted(o)})" for o in closed)
            message = say(
                Strong(service.title),
                f" is back: {len(closed)} open outages are ended by ",
                User(actor.id),
                f": {each}.",
            )
        return OutageOutcome(first, service, message)

    def _lasted(self, outage: Outage) -> str:
        assert outage.ended_at is not None
        return _duration((outage.ended_at - outage.started_at).total_seconds())

    def open_outages(self) -> list[Outage]:
        with self.db.read() as session:
            return outage_rows.open_outages(session)

    def _when(self, outage: Outage) -> str:
        return f"{outage.started_at.astimezone(self.settings.tz):%d %b %H:%M}"


def _duration(seconds: float) -> str:
    minutes = int(seconds // 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    if days:
        return f"{days} d {hours} h {minutes} min"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min"


def outage_importer() -> Importer:
    """`servicebot import outages FILE`: rows checked against the configured services, upserted on
    (service, start), so the same file imported again changes nothing."""

    def parse(content: str, name: str, context: ImportContext) -> Any:
        settings = context.settings
        return parse_outages(content, name, (s.id for s in settings.services), settings.tz, context.now)

    def write(session: Session, records: list[Any], batch: str, _context: ImportContext) -> Written:
        counts = Counter(outage_rows.upsert(session, records, batch))
        return Written(new=counts["new"], updated=counts["updated"], unchanged=counts["unchanged"])

    return Importer(KIND, COLUMNS, parse, write)
