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
from servicebot.services.intake import Source

ALERT_ACTIONS = frozenset({ACK, SNOOZE})


def process_alert_action(ctx: SlackContext, payload: BlockActions) -> None:
    action = payload.actions[0]
    user = payload.user.id
    episode, _, days = action.chosen.partition(":")
    if not episode.isdigit() or (action.action_id == SNOOZE and not days.isdigit()):
        ctx.ephemeral(
            payload.channel_id, user, f":warning: that button's value {action.chosen!r} names no alert"
        )
        return
    command = (
        AlertCommand("ack", int(episode))
        if action.action_id == ACK
        else AlertCommand("snooze", int(episode), days)
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
    episode, ref, period = [*payload.actions[0].chosen.split(":"), "", ""][:3]
    if not episode.isdigit() or not payload.trigger_id:
        return
    try:
        client.views_open(
            trigger_id=payload.trigger_id, view=commentary_view(int(episode), ref, period or None)
        )
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
    view = body.get("view") or {}
    if view.get("callback_id") != COMMENT_VIEW:
        ctx.logger.info("no handler for view %s", view.get("callback_id"))
        return
    user = str((body.get("user") or {}).get("id") or "")
    episode = str(view.get("private_metadata") or "")
    fields = _fields(body)
    if not user or not episode.isdigit() or not fields["cause"] or not fields["action"]:
        ctx.logger.warning("ignored an unreadable commentary form")
        return
    arg = f"{fields['cause'].replace('|', '/')} | {fields['action'].replace('|', '/')} | {fields['recovery']}"
    reply = ctx.services.conversation.run(
        AlertCommand("comment", int(episode), arg), ctx.actor(user), Source(kind="action", logged_by=user)
    )
    text, blocks = ctx.render(reply)
    # The modal has closed: the answer (saved, or why not) comes as a direct message, once.
    ctx.reply(f"view:{view.get('id')}:{body.get('trigger_id')}", user, text, blocks, None)


def _fields(body: dict[str, Any]) -> dict[str, str]:
    values = ((body.get("view") or {}).get("state") or {}).get("values") or {}

    def typed(block: str) -> str:
        return str(((values.get(block) or {}).get("text") or {}).get("value") or "").strip()

    recovery = str(((values.get("recovery") or {}).get("date") or {}).get("selected_date") or "")
    try:
        recovery = date.fromisoformat(recovery).isoformat() if recovery else ""
    except ValueError:
        recovery = ""
    return {"cause": typed("cause"), "action": typed("action"), "recovery": recovery}
