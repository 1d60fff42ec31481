"""A digest as data: what a scheduled (or hand-sent) summary says, in neutral terms, without markup.

The service composes one from the figures (`services/digests.py`); a front end renders it (Block Kit in
`handlers/blocks/digest.py`, plain text here for the terminal). `data()` is the JSON-able form that travels
through the outbox as a notice of kind "digest", and `from_data` reads it back, so what Slack shows is
exactly what was recorded when the digest was due.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

# A run that starts this long after its time is marked late ("late: due 08:30, sent 10:12"): the
# scheduler itself starts a due job within a second, so anything later means the bot was down.
LATE_AFTER = timedelta(minutes=2)


@dataclass(frozen=True)
class Item:
    """One line of a section; `rag` ("RED", "AMBER", "GREEN") when the line is a KPI's state."""

    text: str
    rag: str | None = None


@dataclass(frozen=True)
class Section:
    heading: str
    items: tuple[Item, ...] = ()
    empty: str = "none"  # what to say when there are no items ("no open outages")


@dataclass(frozen=True)
class Late:
    """Due at `due`, sent at `sent`: both local times as people read them ("08:30", "10:12", or with the
    date when the day differs)."""

    due: str
    sent: str

    def __str__(self) -> str:
        return f"late: due {self.due}, sent {self.sent}"


@dataclass(frozen=True)
class Attachment:
    """A file sent with the digest (the monthly dashboard)."""

    filename: str
    title: str
    content: bytes


@dataclass(frozen=True)
class Digest:
    name: str
    content: str  # daily_stats | weekly_summary | monthly_dashboard | alert_digest
    desk: str
    channel: str
    title: str  # "ICT Service Desk: alert digest, Thu 24 Dec 2026"
    scheduled_at: datetime  # UTC: the run it is for (by hand: when it was asked for)
    sections: tuple[Section, ...] = ()
    late: Late | None = None
    by_hand: bool = False
    note: str = ""  # a caveat under the figures (e.g. what period they cover)
    attachment: Attachment | None = field(default=None, compare=False)

    def data(self) -> dict[str, Any]:
        """The notice's data: facts only, JSON-able; the attachment travels as an upload of its own."""
        return {
            "name": self.name,
            "content": self.content,
            "desk": self.desk,
            "title": self.title,
            "scheduled_at": self.scheduled_at.isoformat(),
            "late": None if self.late is None else {"due": self.late.due, "sent": self.late.sent},
            "by_hand": self.by_hand,
            "note": self.note,
            "sections": [
                {
                    "heading": s.heading,
                    "empty": s.empty,
                    "items": [{"text": i.text, "rag": i.rag} for i in s.items],
                }
                for s in self.sections
            ],
            "file": None if self.attachment is None else self.attachment.filename,
        }

    @classmethod
    def from_data(cls, data: dict[str, Any], channel: str = "") -> Digest:
        late = data.get("late")
        return cls(
            name=str(data["name"]),
            content=str(data["content"]),
            desk=str(data["desk"]),
            channel=channel,
            title=str(data["title"]),
            scheduled_at=datetime.fromisoformat(str(data["scheduled_at"])),
            late=None if not late else Late(str(late["due"]), str(late["sent"])),
            by_hand=bool(data.get("by_hand")),
            note=str(data.get("note") or ""),
            sections=tuple(
                Section(
                    str(s["heading"]),
                    tuple(Item(str(i["text"]), i.get("rag")) for i in s.get("items") or ()),
                    str(s.get("empty") or "none"),
                )
                for s in data.get("sections") or ()
            ),
        )


def late_marker(scheduled_at: datetime, now: datetime, zone: Any) -> Late | None:
    """`Late` when `now` is more than LATE_AFTER past `scheduled_at`, in local times (`zone`)."""
    if now - scheduled_at <= LATE_AFTER:
        return None
    due, sent = scheduled_at.astimezone(zone), now.astimezone(zone)
    if due.date() == sent.date():
        return Late(f"{due:%H:%M}", f"{sent:%H:%M}")
    return Late(f"{due:%a %d %b %H:%M}", f"{sent:%a %d %b %H:%M}")


def render_text(digest: Digest) -> str:
    """The digest as plain text for a terminal: title, the late or by-hand marker, each section."""
    lines = [digest.title]
    if digest.late is not None:
        lines.append(f"({digest.late})")
    if digest.by_hand:
        lines.append("(sent by hand)")
    for section in digest.sections:
        lines.append("")
        lines.append(section.heading)
        if not section.items:
            lines.append(f"  {section.empty}")
        for item in section.items:
            tag = f"[{item.rag}] " if item.rag else ""
            lines.append(f"  - {tag}{item.text}")
    if digest.attachment is not None:
        lines.append("")
        lines.append(f"File: {digest.attachment.filename} ({len(digest.attachment.content):,} bytes)")
    if digest.note:
        lines.append("")
        lines.append(digest.note)
    return "\n".join(lines)
