"""What `servicebot demo load` says it wrote: per desk, contacts, first-contact resolution (by the domain's
own rules), time to fix, ratings and the monthly FCR range."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from servicebot.config import Settings
from servicebot.demo.profiles import ICT_DESK
from servicebot.domain.fcr import contact_facts
from servicebot.domain.tickets import EventKind, Resolution, Ticket


@dataclass
class Tally:
    """What the report says, derived per ticket from its events with the domain's own FCR rules."""

    tickets: int = 0
    events: int = 0
    resolved: int = 0
    first_contact: int = 0
    within_a_day: int = 0
    fixed: int = 0
    fix_seconds: float = 0.0
    escalated: int = 0
    reopened: int = 0
    self_service: int = 0
    ratings: int = 0
    positive: int = 0
    still_open: int = 0
    by_month: dict[tuple[int, int], list[int]] = field(default_factory=dict)

    def add(self, ticket: Ticket, month: tuple[int, int]) -> None:
        self.tickets += 1
        self.events += len(ticket.pending)
        facts = contact_facts(ticket.pending)
        kinds = ticket.kinds_seen
        self.escalated += EventKind.ESCALATED in kinds
        self.reopened += EventKind.REOPENED in kinds
        self.still_open += ticket.is_open
        if ticket.rating is not None:
            self.ratings += 1
            self.positive += ticket.rating
        if not facts.resolved or facts.time_to_fix is None:
            return
        monthly = self.by_month.setdefault(month, [0, 0])
        monthly[0] += facts.first_contact
        monthly[1] += 1
        self.resolved += 1
        self.first_contact += facts.first_contact
        seconds = facts.time_to_fix.total_seconds()
        self.within_a_day += seconds <= 86400
        last = next(e for e in reversed(ticket.pending) if e.kind is EventKind.RESOLVED)
        if last.data.get("resolution") == Resolution.SELF_SERVICE.value:
            self.self_service += 1
        else:
            self.fixed += 1
            self.fix_seconds += seconds


def _percent(part: int, whole: int) -> str:
    return "n/a" if whole == 0 else f"{100.0 * part / whole:.1f}%"


def report(settings: Settings, tallies: dict[str, Tally], start: datetime, end: datetime, seed: int) -> str:
    total = sum(t.tickets for t in tallies.values())
    events = sum(t.events for t in tallies.values())
    last = (end - timedelta(microseconds=1)).date()
    per_desk = ", ".join(f"{t.tickets:,} {settings.desks[d].title}" for d, t in tallies.items())
    ict, ict_title = tallies[ICT_DESK], settings.desks[ICT_DESK].title
    monthly = [100.0 * f / r for f, r in ict.by_month.values() if r >= 1000]
    spread = f"; monthly {min(monthly):.1f}–{max(monthly):.1f}%" if len(monthly) > 1 else ""
    average_fix = ict.fix_seconds / ict.fixed / 3600 if ict.fixed else 0.0
    open_now = sum(t.still_open for t in tallies.values())
    parts = [
        f"Wrote {total:,} demo tickets ({per_desk}) with {events:,} events, logged "
        f"{start:%d %b %Y} to {last:%d %b %Y} ({settings.timezone}, seed {seed}).",
        f"{ict_title}: first-contact resolution {_percent(ict.first_contact, ict.resolved)} "
        f"({ict.first_contact:,} of {ict.resolved:,} contacts resolved{spread});",
        f"positive feedback {_percent(ict.positive, ict.ratings)} of {ict.ratings:,} ratings;",
        f"{ict.escalated:,} tickets escalated to 2nd line;",
        f"{_percent(ict.within_a_day, ict.resolved)} resolved within a day,",
        f"average time to fix {average_fix:.1f} h elapsed for fixed incidents;",
        f"{ict.self_service:,} resolved by self-help;",
        f"{_percent(ict.reopened, ict.tickets)} reopened.",
    ]
    for desk_id, tally in tallies.items():
        if desk_id != ICT_DESK:
            parts.append(
                f"{settings.desks[desk_id].title}: FCR {_percent(tally.first_contact, tally.resolved)}, "
                f"positive {_percent(tally.positive, tally.ratings)} of {tally.ratings:,} ratings."
            )
    parts.append(f"{open_now:,} tickets are still open.")
    return " ".join(parts)
