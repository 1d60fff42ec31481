"""Events API: intake-channel messages and DMs, @mentions, replies in ticket threads, :ticket: reactions."""

from __future__ import annotations

import re
from typing import Any

from pydantic import ValidationError
from slack_sdk.errors import SlackApiError

from handlers.blocks import mrkdwn
from handlers.context import SlackContext, reply_thread
from handlers.home import on_app_home_opened
from handlers.intake import post_intake
from handlers.mentions import command_line, is_words
from handlers.payloads import MessageEvent, ReactionEvent, describe
from handlers.stats import send_chart
from servicebot.chat.commands import NewQuery
from servicebot.chat.replies import IntakeReply, SmallTalkReply, StatsReply, TextReply, TicketReply
from servicebot.services.intake import Source

TICKET_REACTIONS = frozenset({"ticket", "admission_tickets"})
# Subtypes that are still a person saying something; edits, joins, bot posts and deletions are not.
_HUMAN_SUBTYPES = frozenset({None, "file_share", "thread_broadcast"})
_LEADING_MENTION = re.compile(r"^\s*<@[A-Z0-9]+(?:\|[^>]*)?>[\s,:]*")


def process_event(ctx: SlackContext, body: dict[str, Any]) -> None:
    event = body.get("event") or {}
    kind = event.get("type")
    try:
        if kind == "message":
            on_message(ctx, MessageEvent.model_validate(event))
        elif kind == "app_mention":
            on_mention(ctx, MessageEvent.model_validate(event))
        elif kind == "reaction_added":
            on_reaction(ctx, ReactionEvent.model_validate(event))
        elif kind == "app_home_opened":
            on_app_home_opened(ctx, event, body.get("event_id"))
    except ValidationError as exc:
        # Nobody to answer: the payload is Slack's, not a person's. Record why and move on.
        ctx.logger.warning("ignored malformed %s event: %s", kind, describe(exc))


def _is_person(ctx: SlackContext, event: MessageEvent) -> bool:
    return (
        event.subtype in _HUMAN_SUBTYPES
        and event.bot_id is None
        and event.user is not None
        and event.user != ctx.bot_user_id
    )


def on_message(ctx: SlackContext, event: MessageEvent) -> None:
    if not _is_person(ctx, event):
        return
    assert event.user is not None
    is_dm = event.channel_type == "im"
    if not is_dm and ctx.bot_user_id and f"<@{ctx.bot_user_id}" in event.text:
        return  # Slack sends this message again as an app_mention event, which does the work
    if event.in_thread and _comment_on_ticket(ctx, event, event.text):
        return
    settings = ctx.services.settings
    desk = settings.desk_for_channel(event.channel)
    is_intake = desk is not None and event.channel in desk.intake_channels
    if not is_dm and (not is_intake or event.in_thread):
        return
    _converse(ctx, event, event.text, "dm" if is_dm else "message", desk.id if is_intake and desk else None)


def on_mention(ctx: SlackContext, event: MessageEvent) -> None:
    if not _is_person(ctx, event):
        return
    text = _LEADING_MENTION.sub("", event.text)
    if event.in_thread and is_words(text) and _comment_on_ticket(ctx, event, text):
        return
    desk = ctx.services.settings.desk_for_channel(event.channel)
    _converse(ctx, event, text, "mention", desk.id if desk else None)


def slack_source_key(channel: str, ts: str) -> str:
    """A Slack message as a ticket's source: it makes at most one ticket, however it arrives."""
    return f"slack:{channel}:{ts}"


def _comment_on_ticket(ctx: SlackContext, event: MessageEvent, text: str) -> bool:
    assert event.thread_ts is not None and event.user is not None
    ticket_id = ctx.messages.ticket_for_thread(
        event.channel, event.thread_ts, slack_source_key(event.channel, event.thread_ts)
    )
    if ticket_id is None:
        return False
    if text.strip():
        ctx.tickets.comment(
            ticket_id, ctx.actor(event.user), text, source=slack_source_key(event.channel, event.ts)
        )
    return True


def _converse(ctx: SlackContext, event: MessageEvent, text: str, kind: str, desk: str | None) -> None:
    assert event.user is not None
    source = Source(
        kind=kind, key=slack_source_key(event.channel, event.ts), channel=event.channel, ts=event.ts
    )
    reply = ctx.services.conversation.handle(command_line(text), ctx.actor(event.user), source, desk)
    thread_ts = event.thread_ts or event.ts
    if isinstance(reply, SmallTalkReply) and kind == "message":
        return  # "thanks all" in a busy intake channel is for the people there, not the bot
    if isinstance(reply, IntakeReply):
        post_intake(ctx, reply, event.channel, thread_ts)
        return
    rendered_text, blocks = ctx.render(reply)
    answer_key = f"reply:{source.key}"
    if isinstance(reply, StatsReply):
        # The answer starts its own thread (unless asked within one), so the chart can go into it: Slack
        # threads under a parent message, and the answer to a top-level question would be a reply.
        ctx.reply(answer_key, event.channel, rendered_text, blocks, thread_ts=event.thread_ts)
        send_chart(ctx, reply, answer_key, event.channel, reply_thread(event.channel, event.thread_ts))
        return
    ctx.reply(answer_key, event.channel, rendered_text, blocks, thread_ts=thread_ts)
    if isinstance(reply, TicketReply) and reply.outcome is not None:
        ctx.announce(reply.outcome)


def on_reaction(ctx: SlackContext, event: ReactionEvent) -> None:
    if event.reaction not in TICKET_REACTIONS or event.item.type != "message":
        return
    if event.user == ctx.bot_user_id or not event.item.channel or not event.item.ts:
        return
    channel, ts = event.item.channel, event.item.ts
    message = _fetch_message(ctx, channel, ts)
    if message is None:
        ctx.ephemeral(
            channel,
            event.user,
            "I couldn't read that message, so I couldn't log it. Is the bot in this channel?",
        )
        return
    requester = message.get("user") or event.item_user or event.user
    if message.get("bot_id") or requester == ctx.bot_user_id:
        ctx.ephemeral(channel, event.user, "That is a bot's message; react to the person's message instead.")
        return
    log_message(
        ctx,
        channel,
        ts,
        str(message.get("text", "")),
        requester,
        event.user,
        "reaction",
        message.get("thread_ts"),
    )


def log_message(
    ctx: SlackContext,
    channel: str,
    ts: str,
    text: str,
    requester: str,
    logged_by: str,
    kind: str,
    thread_ts: str | None = None,
) -> None:
    """Log someone's existing message as a ticket (reaction, shortcut): never read as a command."""
    source = Source(kind=kind, key=slack_source_key(channel, ts), channel=channel, ts=ts, logged_by=logged_by)
    desk = ctx.services.settings.desk_for_channel(channel)
    reply = ctx.services.conversation.run(
        # Reacting or choosing the shortcut is someone saying "log this": the gate does not ask again.
        NewQuery(text, explicit=True),
        ctx.actor(requester),
        source,
        desk.id if desk else None,
    )
    if isinstance(reply, TextReply):
        ctx.ephemeral(channel, logged_by, mrkdwn(reply.text))
        return
    assert isinstance(reply, IntakeReply)
    intake = reply.intake
    if not intake.created:
        ctx.ephemeral(channel, logged_by, f"That message is already logged as {intake.ticket.ref}.")
    post_intake(ctx, reply, channel, thread_ts or ts)


def _fetch_message(ctx: SlackContext, channel: str, ts: str) -> dict[str, Any] | None:
    """The reacted-to message: conversations.history finds top-level ones, conversations.replies the rest."""
    try:
        found = ctx.client.conversations_history(
            channel=channel, latest=ts, oldest=ts, inclusive=True, limit=1
        )
        messages = _matching(found.get("messages", []), ts)
        if not messages:
            found = ctx.client.conversations_replies(channel=channel, ts=ts, limit=1)
            messages = _matching(found.get("messages", []), ts)
    except SlackApiError as exc:
        ctx.logger.warning("could not fetch %s/%s: %s", channel, ts, exc.response.get("error"))
        return None
    return dict(messages[0]) if messages else None


def _matching(messages: list[dict[str, Any]], ts: str) -> list[dict[str, Any]]:
    return [m for m in messages if m.get("ts") == ts]
