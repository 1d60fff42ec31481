"""Slack adapters: parse a payload, call a service, render Block Kit. Thin by design."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from slack_bolt import Ack, App

from handlers.actions import process_action
from handlers.commands import process_command
from handlers.context import SlackContext
from handlers.events import process_event
from handlers.inbox import INBOX_KEY, Processor, inbox_middleware, replay_pending, run_recorded
from handlers.shortcuts import LOG_AS_TICKET, process_shortcut

PROCESSORS: dict[str, Processor] = {
    "event": process_event,
    "command": process_command,
    "action": process_action,
    "shortcut": process_shortcut,
}


def register(app: App, ctx: SlackContext) -> None:
    app.use(inbox_middleware(ctx))

    def on_event(body: dict[str, Any], context: dict[str, Any]) -> None:
        # Bolt has already acknowledged Events API requests by the time this runs.
        run_recorded(ctx, context.get(INBOX_KEY), process_event, body)

    for event_type in ("message", "app_mention", "reaction_added"):
        app.event(event_type)(on_event)

    def on_command(ack: Ack, body: dict[str, Any], context: dict[str, Any]) -> None:
        ack()
        run_recorded(ctx, context.get(INBOX_KEY), process_command, body)

    app.command("/servicebot")(on_command)

    def on_action(ack: Ack, body: dict[str, Any], context: dict[str, Any]) -> None:
        ack()
        run_recorded(ctx, context.get(INBOX_KEY), process_action, body)

    app.action(re.compile(r"^sb_"))(on_action)

    def on_shortcut(ack: Ack, body: dict[str, Any], context: dict[str, Any]) -> None:
        ack()
        run_recorded(ctx, context.get(INBOX_KEY), process_shortcut, body)

    app.shortcut(LOG_AS_TICKET)(on_shortcut)


def replay(ctx: SlackContext, older_than: timedelta = timedelta(seconds=30)) -> int:
    return replay_pending(ctx, PROCESSORS, older_than)


__all__ = ["PROCESSORS", "SlackContext", "register", "replay"]
