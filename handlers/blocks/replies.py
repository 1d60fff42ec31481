"""Block Kit for every reply model of the conversation: (fallback text, blocks)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from handlers.blocks.confirm import confirm_blocks
from handlers.blocks.mrkdwn import mrkdwn
from handlers.blocks.stats import stats_blocks
from handlers.blocks.tickets import Rendered, escape, intake_extras, section, ticket_card
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
from servicebot.config import Desk


def render_reply(reply: Reply, catalogue: Catalogue, desks: dict[str, Desk], tz: ZoneInfo) -> Rendered:
    if isinstance(reply, TextReply):
        text = mrkdwn(reply.text) if reply.ok else f":warning: {mrkdwn(reply.text)}"
        return text, [section(text)]
    if isinstance(reply, SmallTalkReply):
        text = mrkdwn(reply.text)
        return text, [section(text)]
    if isinstance(reply, ConfirmReply):
        return confirm_blocks(reply)
    if isinstance(reply, IntakeReply):
        ticket = reply.intake.ticket
        text, blocks = ticket_card(ticket, catalogue, desks[ticket.desk], tz)
        if not reply.intake.created:
            note = f"This message is already logged as *{ticket.ref}*."
            return note, [section(note), *blocks]
        return text, blocks + intake_extras(reply)
    if isinstance(reply, TicketReply):
        text, blocks = ticket_card(reply.ticket, catalogue, desks[reply.ticket.desk], tz)
        if reply.history:
            blocks.append(section("```" + "\n".join(reply.history[-40:]) + "```"))
        if reply.message.spans:
            message = mrkdwn(reply.message)
            return message, [section(message), *blocks]
        return text, blocks
    if isinstance(reply, TicketListReply):
        if not reply.tickets:
            return f"{reply.title}: none.", [section(f"*{reply.title}*: none.")]
        lines = [
            f"• *{t.ref}* {t.status.value.replace('_', ' ')} · {t.queue} · {t.priority} · "
            f"{escape(t.text[:60])}"
            for t in reply.tickets[:25]
        ]
        return reply.title, [section(f"*{reply.title}*\n" + "\n".join(lines))]
    if isinstance(reply, StatusReply):
        lines = [_service_out(out, tz) for out in reply.outages]
        outages = [section("*Services out*\n" + "\n".join(lines))] if lines else []
        if not reply.rows:
            return "No open tickets.", [section("No open tickets."), *outages]
        width = max(len(q) for q, _, _ in reply.rows)
        table = "\n".join(f"{q:<{width}}  {s:<12} {n:>7}" for q, s, n in sorted(reply.rows))
        title = "Open tickets by queue and status" + (f" ({reply.desk})" if reply.desk else "")
        return title, [section(f"*{title}*\n```{table}```"), *outages]
    if isinstance(reply, StatsReply):
        return stats_blocks(reply.stats)
    raise TypeError(f"cannot render {type(reply).__name__}")


def _service_out(out: ServiceOut, tz: ZoneInfo) -> str:
    kind = "planned maintenance" if out.planned else "out"
    since = f"{out.since.astimezone(tz):%d %b %H:%M}"
    line = f"• *{escape(out.title)}* (`{out.service}`) {kind} since {since}, recorded by {_who(out.by)}"
    return line + (f": {escape(out.note)}" if out.note else "")


def _who(user: str) -> str:
    # An import records "import", not a person; only Slack ids become mentions.
    return f"<@{user}>" if user[:1] in "UW" else escape(user)
