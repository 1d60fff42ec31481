"""Breach alerts in the conversation: `alerts`, `alert ack|snooze|comment <id> …`, the same words in the
console, a DM or a mention as the buttons on an alert in Slack."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from typing import Literal

from servicebot.domain.alerts import snooze_until
from servicebot.domain.errors import InvalidInput
from servicebot.domain.message import Code, Message, Span, Strong, say
from servicebot.services.actors import Actor
from servicebot.services.alerts import AlertService, AlertView

Verb = Literal["list", "ack", "snooze", "comment"]
FORMS = (
    "alerts",
    "alert ack <id>",
    "alert snooze <id> <working days, 1-20 | YYYY-MM-DD>",
    "alert comment <id> <cause> | <action> [| <expected recovery YYYY-MM-DD>]",
)
_VERBS: dict[str, Verb] = {
    "ack": "ack",
    "acknowledge": "ack",
    "snooze": "snooze",
    "comment": "comment",
    "commentary": "comment",
}
# How big a number may be is the service's to say ("no alert #…"), but not past what int() reads: Python
# refuses over 4,300 digits with a ValueError, and a pasted run of digits is no alert's number anyway.
_ID = re.compile(r"#?(\d{1,30})", re.ASCII)


@dataclass(frozen=True)
class AlertCommand:
    verb: Verb
    episode: int = 0
    arg: str = ""


@dataclass(frozen=True)
class AlertUsage:
    """`alert …` gone wrong: what was wrong, and the forms."""

    problem: str


def parse_alert(text: str) -> AlertCommand | AlertUsage | None:
    """None: the line is not about alerts ("alert the network team please…" is someone's request)."""
    parts = text.split(maxsplit=3)
    head = parts[0].lower().lstrip("/")
    if head == "alerts":
        return AlertCommand("list") if len(parts) == 1 else None
    if head != "alert":
        return None
    if len(parts) == 1:
        return AlertUsage("say what to do with which alert")
    verb = _VERBS.get(parts[1].lower())
    if verb is None:
        return (
            None
            if len(parts) > 2 and not _ID.fullmatch(parts[2])
            else AlertUsage(f"{parts[1]!r} is not something to do to an alert")
        )
    found = _ID.fullmatch(parts[2]) if len(parts) > 2 else None
    if found is None:
        return AlertUsage(f"alert {verb} needs the alert's number, as 'alerts' lists them")
    arg = parts[3].strip() if len(parts) > 3 else ""
    if verb == "ack" and arg:
        return AlertUsage("alert ack takes only the alert's number")
    if verb in ("snooze", "comment") and not arg:
        return AlertUsage(
            f"alert {verb} {found.group(1)} needs "
            + ("how long: working days (1 to 20) or a date" if verb == "snooze" else "a cause and an action")
        )
    return AlertCommand(verb, int(found.group(1)), arg)


def usage(problem: str) -> Message:
    spans: list[Span] = [f"{problem}. Forms: "]
    for i, form in enumerate(FORMS):
        spans += ([", "] if i else []) + [Code(form)]
    return say(*spans, ".")


def run_alert(alerts: AlertService, command: AlertCommand, actor: Actor) -> Message:
    settings = alerts.settings
    if command.verb == "list":
        return _listed(alerts.listed(open_only=True, limit=20), settings.tz)
    if command.verb == "ack":
        view = alerts.acknowledge(command.episode, actor)
        return say(
            f"Alert #{view.episode.id} ({view.episode.ref}) acknowledged by {view.episode.acknowledged_by}."
        )
    if command.verb == "snooze":
        until = _until(command.arg, alerts.clock(), alerts)
        view = alerts.snooze(command.episode, until, actor)
        return say(
            f"Alert #{view.episode.id} ({view.episode.ref}) snoozed until "
            f"{until.astimezone(settings.tz):%a %d %b %Y %H:%M}."
        )
    cause, action, recovery = _commentary(command.arg)
    commentary = alerts.comment(command.episode, cause, action, recovery, actor)
    return say(
        f"Commentary saved for {commentary.ref}, {commentary.period}: it is shown on the dashboard beside "
        "the "
        "figure, and the alert counts as acknowledged."
    )


def _until(arg: str, now: datetime, alerts: AlertService) -> datetime:
    text = arg.strip()
    if text.isascii() and text.isdigit():  # "²" is a digit to isdigit() but no number to int()
        # int() refuses over 4,300 digits (a ValueError): a number that long is out of range unread.
        days = int(text) if len(text) <= 6 else None
        if days is None or not 1 <= days <= 20:
            shown = text if len(text) <= 12 else text[:12] + "…"
            raise InvalidInput(f"snooze for {shown} working days: give 1 to 20, or a date (YYYY-MM-DD)")
        return snooze_until(now, days, alerts.settings.calendar(), alerts.policy)
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(
            f"snooze until {text!r}: give working days (1 to 20) or a date (YYYY-MM-DD)"
        ) from None
    return datetime.combine(day, alerts.policy.remind_at, alerts.settings.tz)


def _commentary(arg: str) -> tuple[str, str, date | None]:
    parts = [p.strip() for p in arg.split("|")]
    if len(parts) not in (2, 3):
        raise InvalidInput("alert comment: write the cause | the action [| expected recovery YYYY-MM-DD]")
    recovery = None
    if len(parts) == 3 and parts[2]:
        try:
            recovery = date.fromisoformat(parts[2])
        except ValueError:
            raise InvalidInput(f"expected recovery {parts[2]!r}: not a date (YYYY-MM-DD)") from None
    return parts[0], parts[1], recovery


def _listed(views: list[AlertView], zone: tzinfo) -> Message:
    if not views:
        return say("No open breach alerts.")
    spans: list[Span] = [Strong(f"{len(views)} open breach alert(s):")]
    for view in views:
        e = view.episode
        state = []
        if e.acknowledged_by:
            state.append(f"acknowledged by {e.acknowledged_by}")
        elif e.snoozed_until:
            state.append(f"snoozed until {e.snoozed_until:%d %b %H:%M}")
        else:
            state.append("not acknowledged")
        if e.escalated_at:
            state.append("escalated")
        state.append("commentary given" if view.commentary else "commentary owed")
        spans += [
            "\n• ",
            Code(f"#{e.id}"),
            " ",
            Strong(e.ref),
            f" {e.state.value} ({e.period or '-'}): {', '.join(state)}",
        ]
    return say(*spans)
