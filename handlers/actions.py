"""Buttons and menus on ticket cards, self-help offers, triage questions and rating prompts.

A button names a verb of the conversation (`servicebot.chat.commands.TICKET_COMMANDS`), so a click does
exactly what the typed command does."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from pydantic import ValidationError

from handlers import blocks as b
from handlers.alerts import ALERT_ACTIONS, process_alert_action
from handlers.blocks.confirm import LOG_IT, parse_log_it
from handlers.blocks.home import HOME_REVOKE
from handlers.context import SlackContext
from handlers.home import revoke_from_home
from handlers.intake import post_intake
from handlers.payloads import BlockActions, describe
from servicebot.chat.commands import NewQuery, TicketCommand
from servicebot.chat.replies import IntakeReply, TextReply, TicketReply
from servicebot.services.intake import Source

# action id → (verb, the argument when the button carries none)
_VERBS: dict[str, tuple[str, str]] = {
    b.ASSIGN: ("assign", ""),
    b.RESOLVE: ("resolve", ""),
    b.ESCALATE: ("escalate", ""),
    b.TRANSFER: ("transfer", ""),
    b.REOPEN: ("reopen", "reopened from Slack"),
    b.INTENT: ("intent", ""),
    b.PICK: ("pick", ""),
    b.SELF_HELP_FIXED: ("fixed", ""),
    b.SELF_HELP_MORE: ("notfixed", ""),
    b.RATE: ("rate", ""),
}
# The rating prompt is its own message: the thanks replaces it, so nobody rates twice. (Triage questions
# and self-help offers sit on the card, which every change redraws without them.)
_REPLACES_QUESTION = frozenset({b.RATE})


def parse_value(value: str) -> tuple[int, str] | None:
    """Button values are "<ticket id>" or "<ticket id>:<argument>"."""
    ticket, _, arg = value.partition(":")
    if not ticket.isdigit():
        return None
    return int(ticket), arg


def process_action(ctx: SlackContext, body: dict[str, Any]) -> None:
    try:
        payload = BlockActions.model_validate(body)
    except ValidationError as exc:
        ctx.logger.warning("ignored malformed block action: %s", describe(exc))
        return
    action = payload.actions[0]
    if action.action_id == LOG_IT:
        _log_it(ctx, payload, action.chosen)
        return
    if action.action_id in ALERT_ACTIONS:
        process_alert_action(ctx, payload)
        return
    if action.action_id == HOME_REVOKE:
        revoke_from_home(ctx, payload, action.chosen, action.action_ts or payload.trigger_id or "")
        return
    found = _VERBS.get(action.action_id)
    if found is None:
        ctx.logger.info("no handler for action %s", action.action_id)
        return
    user = payload.user.id
    value = parse_value(action.chosen)
    if value is None:
        ctx.ephemeral(
            payload.channel_id,
            user,
            f":warning: that button's value {action.chosen!r} does not name a ticket",
        )
        return
    verb, default_arg = found
    ticket_id, arg = value
    command = TicketCommand(verb, ticket_id, arg or default_arg)
    reply = ctx.services.conversation.run(command, ctx.actor(user), Source(kind="action", logged_by=user))
    if isinstance(reply, TextReply):
        text, _ = ctx.render(reply)
        ctx.ephemeral(payload.channel_id, user, text)
        return
    assert isinstance(reply, TicketReply) and reply.outcome is not None
    if action.action_id in _REPLACES_QUESTION and payload.response_url:
        ctx.respond(
            payload.response_url, b.mrkdwn(reply.outcome.message), replace_original=True, ephemeral=False
        )
        return
    ctx.announce(reply.outcome)


def _log_it(ctx: SlackContext, payload: BlockActions, value: str) -> None:
    """**Log it** on "Shall I log this as a ticket?": log the words asked about, once, and say so in place of
    the question."""
    presser = payload.user.id
    found = parse_log_it(value)
    if found is None:
        ctx.ephemeral(payload.channel_id, presser, ":warning: that button does not say what to log")
        return
    text, requester, source, desk = found
    source = replace(source, logged_by=presser)
    reply = ctx.services.conversation.run(NewQuery(text, explicit=True), ctx.actor(requester), source, desk)
    if not isinstance(reply, IntakeReply):
        rendered, _ = ctx.render(reply)
        ctx.ephemeral(payload.channel_id, presser, rendered)
        return
    ticket = reply.intake.ticket
    done = f"Logged as *{ticket.ref}*." if reply.intake.created else f"Already logged as *{ticket.ref}*."
    if payload.response_url:
        ctx.respond(payload.response_url, done, replace_original=True, ephemeral=False)
    channel = source.channel or payload.channel_id
    if channel is not None:
        # A slash command's question has no message of its own to thread under: the card starts one.
        post_intake(ctx, reply, channel, source.ts)
