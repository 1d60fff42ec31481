"""A breach alert's buttons, and the commentary modal behind **Add commentary**.

Acknowledge and Snooze name verbs of the conversation (`alert ack|snooze`), so a click does what the typed
command does. The modal must open within Slack's 3 s of the click (its trigger expires), so it is opened
as the click is acknowledged; what is typed into it is recorded like any request and saved by the worker.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import ValidationError
from slack_bolt import Ack
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from handlers.blocks.alerts import ACK, COMMENT_VIEW, SNOOZE, commentary_view
from handlers.context import SlackContext
from handlers.payloads import BlockActions, describe
from servicebot.chat.alerts import AlertCommand
from servicebot.domain.ids import is_row_id
from servicebot.services.intake import Source

ALERT_ACTIONS = frozenset({ACK, SNOOZE})


def _episode_id(text: str) -> int | None:
    """An alert's number from a button's value or a modal's metadata; None when it names none (not ASCII
    digits, "²" being a digit to isdigit() but no number to int(), or beyond any row id)."""
    if not (text.isascii() and text.isdigit()):
        return None
    number = int(text)
    return number if is_row_id(number) else None


def process_alert_action(ctx: SlackContext, payload: BlockActions) -> None:
    action = payload.actions[0]
    user = payload.user.id
    episode_text, _, days = action.chosen.partition(":")
    episode = _episode_id(episode_text)
    if episode is None or (action.action_id == SNOOZE and not days):
        ctx.ephemeral(
            payload.channel_id, user, f":warning: that button's value {action.chosen!r} names no alert"
        )
        return
    # How long to snooze is checked where a typed `alert snooze` is: "x" or 30 days are answered there.
    command = (
        AlertCommand("ack", episode) if action.action_id == ACK else AlertCommand("snooze", episode, days)
    )
    reply = ctx.services.conversation.run(command, ctx.actor(user), Source(kind="action", logged_by=user))
    text, _ = ctx.render(reply)
    ctx.ephemeral(payload.channel_id, user, text, payload.response_url)


def open_commentary(ack: Ack, body: dict[str, Any], client: WebClient, logger: Any) -> None:
    """In the web process: the modal, while the click's trigger is fresh. The value carries what the modal
    shows ("<episode>:<ref>:<period>"), so opening it reads nothing."""
    ack()
    try:
        payload = BlockActions.model_validate(body)
    except ValidationError as exc:
        logger.warning("ignored malformed commentary click: %s", describe(exc))
        return
    episode_text, ref, period = [*payload.actions[0].chosen.split(":"), "", ""][:3]
    episode = _episode_id(episode_text)
    if episode is None or not payload.trigger_id:
        return
    try:
        client.views_open(trigger_id=payload.trigger_id, view=commentary_view(episode, ref, period or None))
    except SlackApiError as exc:
        logger.warning("views.open for alert #%s failed: %s", episode, exc.response.get("error"))


def check_commentary(ack: Ack, body: dict[str, Any]) -> None:
    """In the web process: answer a form with a blank field in the form itself; anything else is saved by
    the worker from the recorded request (the modal closes at once)."""
    fields = _fields(body)
    errors = {
        name: "Say what happened and what is being done." for name in ("cause", "action") if not fields[name]
    }
    if errors:
        ack(response_action="errors", errors=errors)
        return
    ack()


def process_view(ctx: SlackContext, body: dict[str, Any]) -> None:
    view = _mapping(body.get("view"))
    if view.get("callback_id") != COMMENT_VIEW:
        ctx.logger.info("no handler for view %s", view.get("callback_id"))
        return
    user = _text(_mapping(body.get("user")).get("id"))
    episode = _episode_id(_text(view.get("private_metadata")))
    fields = _fields(body)
    if not user or episode is None or not fields["cause"] or not fields["action"]:
        ctx.logger.warning("ignored an unreadable commentary form")
        return
    arg = f"{fields['cause'].replace('|', '/')} | {fields['action'].replace('|', '/')} | {fields['recovery']}"
    reply = ctx.services.conversation.run(
        AlertCommand("comment", episode, arg), ctx.actor(user), Source(kind="action", logged_by=user)
    )
    text, blocks = ctx.render(reply)
    # The modal has closed: the answer (saved, or why not) comes as a direct message, once.
    ctx.reply(f"view:{view.get('id')}:{body.get('trigger_id')}", user, text, blocks, None)


def _mapping(value: object) -> dict[str, Any]:
    """A part of a payload that should be a JSON object; anything else (a string, a list) counts as empty."""
    return value if isinstance(value, dict) else {}


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def _fields(body: dict[str, Any]) -> dict[str, str]:
    """What was typed into the commentary modal; a block missing or of another shape is a blank field."""
    values = _mapping(_mapping(_mapping(body.get("view")).get("state")).get("values"))

    def entered(block: str, action: str, key: str) -> str:
        return _text(_mapping(_mapping(values.get(block)).get(action)).get(key))

    def typed(block: str) -> str:
        return entered(block, "text", "value")

    recovery = entered("recovery", "date", "selected_date")
    try:
        recovery = date.fromisoformat(recovery).isoformat() if recovery else ""
    except ValueError:
        recovery = ""
    return {"cause": typed("cause"), "action": typed("action"), "recovery": recovery}
