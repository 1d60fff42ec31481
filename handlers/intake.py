"""Posting a new ticket to Slack: the card in the requester's thread and a copy in the triage channel.

Idempotent: a message already recorded is not posted again, so a replayed request only fills gaps. A post
that got no answer (a timeout, a dropped connection) may have been made by Slack all the same, so it is
noted, and the replay first looks for the message by the key it carries (message metadata) before posting.
"""

from __future__ import annotations

from slack_sdk.errors import SlackApiError

from handlers.blocks import Block, intake_extras
from handlers.context import CARD, THREAD, TRIAGE, UNANSWERED, SlackContext
from handlers.outbox import find_posted, marked
from servicebot.chat.replies import IntakeReply


def post_intake(ctx: SlackContext, reply: IntakeReply, channel: str, thread_ts: str | None) -> None:
    """`thread_ts` None: the card itself starts the ticket's thread (e.g. a slash command)."""
    ticket = reply.intake.ticket
    posted = {purpose for _, _, purpose in ctx.messages.messages_of(ticket.id)}
    new: list[tuple[str, str, str]] = []
    failed = False
    try:
        if CARD not in posted:
            text, blocks = ctx.card(ticket)
            ts = _post_once(
                ctx, ticket.id, CARD, posted, channel, text, blocks + intake_extras(reply), thread_ts
            )
            if ts is None:
                failed = True
            else:
                new += [(channel, ts, CARD), (channel, thread_ts or ts, THREAD)]
        desk = ctx.services.settings.desk(ticket.desk)
        if desk.triage_channel and desk.triage_channel != channel and TRIAGE not in posted:
            text, blocks = ctx.card(ticket)
            ts = _post_once(ctx, ticket.id, TRIAGE, posted, desk.triage_channel, text, blocks, None)
            if ts is not None:
                new.append((desk.triage_channel, ts, TRIAGE))
    finally:
        # What went up is kept even when a later post raised, so that the replay does not post it again.
        if new:
            ctx.messages.record_messages(ticket.id, new)
    if failed:
        # Raising leaves the request unfinished, so the replay posts the card later.
        raise RuntimeError(f"could not post the card for {ticket.ref} in {channel}")


def _post_once(
    ctx: SlackContext,
    ticket_id: int,
    purpose: str,
    posted: set[str],
    channel: str,
    text: str,
    blocks: list[Block],
    thread_ts: str | None,
) -> str | None:
    key = f"{purpose}:{ticket_id}"
    if UNANSWERED[purpose] in posted:
        try:
            found = find_posted(ctx.client, channel, thread_ts, key)
        except SlackApiError as exc:
            # Not allowed to look, or Slack refusing: post, at the risk of a second copy.
            ctx.logger.warning("cannot look for the %s of ticket %d: %s", purpose, ticket_id, exc)
            found = None
        if found is not None:
            return str(found["ts"])
    try:
        return ctx.post(channel, text, blocks, thread_ts=thread_ts, metadata=marked(key))
    except (OSError, TimeoutError):
        marker = UNANSWERED[purpose]
        ctx.messages.record_messages(ticket_id, [(channel, f"{marker}{ticket_id}", marker)])
        raise
