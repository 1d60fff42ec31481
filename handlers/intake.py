"""Posting a new ticket to Slack: the card in the requester's thread and a copy in the triage channel.

Idempotent: a message already recorded is not posted again, so a replayed request only fills gaps.
"""

from __future__ import annotations

from handlers.blocks import intake_extras
from handlers.context import CARD, THREAD, TRIAGE, SlackContext
from servicebot.chat.replies import IntakeReply


def post_intake(ctx: SlackContext, reply: IntakeReply, channel: str, thread_ts: str | None) -> None:
    """`thread_ts` None: the card itself starts the ticket's thread (e.g. a slash command)."""
    ticket = reply.intake.ticket
    posted = {purpose for _, _, purpose in ctx.messages.messages_of(ticket.id)}
    new: list[tuple[str, str, str]] = []
    failed = False
    if CARD not in posted:
        text, blocks = ctx.card(ticket)
        ts = ctx.post(channel, text, blocks + intake_extras(reply), thread_ts=thread_ts)
        if ts is None:
            failed = True
        else:
            new += [(channel, ts, CARD), (channel, thread_ts or ts, THREAD)]
    desk = ctx.services.settings.desk(ticket.desk)
    if desk.triage_channel and desk.triage_channel != channel and TRIAGE not in posted:
        text, blocks = ctx.card(ticket)
        ts = ctx.post(desk.triage_channel, text, blocks)
        if ts is not None:
            new.append((desk.triage_channel, ts, TRIAGE))
    if new:
        ctx.messages.record_messages(ticket.id, new)
    if failed:
        # Raising leaves the request unfinished, so the replay posts the card later.
        raise RuntimeError(f"could not post the card for {ticket.ref} in {channel}")
