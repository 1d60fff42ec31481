"""Plain-text rendering of replies, for the console and the CLI: user ids as they are, no markup."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from intents.catalogue import Catalogue
from servicebot.chat.replies import (
    ConfirmReply,
    IntakeReply,
    Reply,
    ServiceOut,
    SmallTalkReply,
    StatsReply,
    StatusReply,
    TextReply,
    TicketListReply,
    TicketReply,
)
from servicebot.chat.stats import headline_line, sections, title
from servicebot.domain.tickets import Ticket


def _without_emphasis(text: str) -> str:
    """The catalogue's self-help texts are written for Slack, where *bold* and `code` render; a terminal
    shows the words alone."""
    return text.replace("*", "").replace("`", "")


def ticket_line(ticket: Ticket, catalogue: Catalogue, tz: ZoneInfo) -> str:
    intent = catalogue.get(ticket.intent) if ticket.intent else None
    parts = [
        ticket.ref,
        ticket.status.value,
        intent.title if intent else "(not routed)",
        f"queue {ticket.queue}",
        ticket.priority,
        f"assignee {ticket.assignee or '-'}",
        f"logged {ticket.created_at.astimezone(tz):%d %b %H:%M}",
    ]
    return " · ".join(parts)


def render(reply: Reply, catalogue: Catalogue, tz: ZoneInfo) -> str:
    if isinstance(reply, TextReply):
        return ("" if reply.ok else "Sorry: ") + str(reply.text)
    if isinstance(reply, SmallTalkReply):
        return str(reply.text)
    if isinstance(reply, ConfirmReply):
        return f"{reply.question} Reply log to log it, or say more about the problem."
    if isinstance(reply, IntakeReply):
        return _intake(reply, catalogue, tz)
    if isinstance(reply, TicketReply):
        lines = [str(reply.message)] if reply.message.spans else []
        lines.append(ticket_line(reply.ticket, catalogue, tz))
        lines.extend(f"  {line}" for line in reply.history)
        if reply.outcome and reply.outcome.ask_rating:
            lines.append(f"How did we do? Reply rate {reply.ticket.ref} up or rate {reply.ticket.ref} down.")
        return "\n".join(lines)
    if isinstance(reply, TicketListReply):
        if not reply.tickets:
            return f"{reply.title}: none."
        return "\n".join([f"{reply.title}:"] + [f"  {ticket_line(t, catalogue, tz)}" for t in reply.tickets])
    if isinstance(reply, StatusReply):
        if not reply.rows:
            lines = ["No open tickets."]
        else:
            width = max(len(q) for q, _, _ in reply.rows)
            lines = [f"Open tickets by queue and status{f' ({reply.desk})' if reply.desk else ''}:"]
            lines += [f"  {q:<{width}}  {s:<12} {n:>7}" for q, s, n in sorted(reply.rows)]
        if reply.outages:
            lines.append("Services out:")
            lines += [f"  {_service_out(out, tz)}" for out in reply.outages]
        return "\n".join(lines)
    if isinstance(reply, StatsReply):
        return _stats(reply)
    raise TypeError(f"cannot render {type(reply).__name__}")


def _stats(reply: StatsReply) -> str:
    stats = reply.stats
    lines = [title(stats)]
    for section in sections(stats):
        lines.append(f"{section.title}:")
        lines += [f"  {line}" for line in section.lines]
    chart = headline_line(stats)
    if chart is not None and stats.headline is not None:
        ref = stats.headline.definition.ref
        lines.append(f"Draw {chart} with: servicebot chart {ref} --period {stats.kpi_month} --out {ref}.png")
    return "\n".join(lines)


def _service_out(out: ServiceOut, tz: ZoneInfo) -> str:
    kind = "planned maintenance" if out.planned else "out"
    since = f"{out.since.astimezone(tz):%d %b %H:%M}"
    line = f"{out.title} ({out.service}) {kind} since {since}, recorded by {out.by}"
    return line + (f": {out.note}" if out.note else "")


def _intake(reply: IntakeReply, catalogue: Catalogue, tz: ZoneInfo) -> str:
    intake, ticket = reply.intake, reply.intake.ticket
    if not intake.created:
        return f"This message is already logged as {ticket.ref}.\n{ticket_line(ticket, catalogue, tz)}"
    lines = [f"Logged {ticket.ref}. {ticket_line(ticket, catalogue, tz)}"]
    if intake.truncated:
        lines.append("(Your message was long, so the ticket keeps its first 4,000 characters.)")
    if intake.needs_pick:
        lines.append("I'm not sure what this is about. Is it one of these?")
        for candidate in intake.triage.suggestions:
            lines.append(f"  - {candidate.title}: reply pick {ticket.ref} {candidate.intent}")
        lines.append(f"  - Something else: reply pick {ticket.ref} none")
    elif intake.self_help is not None:
        help_ = intake.self_help
        text = f"Try this first: {help_.title}. {help_.text}" + (f" {help_.url}" if help_.url else "")
        lines.append(_without_emphasis(text))
        lines.append(f"Did that fix it? Reply fixed {ticket.ref} or notfixed {ticket.ref}.")
    return "\n".join(lines)
