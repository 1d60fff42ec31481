"""Slack adapters: parse a payload, call a service, render Block Kit. Thin by design.

The web process only records and acknowledges (`register`); the work happens in the worker
(`servicebot.runtime.worker`), from the recorded request, with the processors below.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App

from handlers.actions import process_action
from handlers.alerts import check_commentary, open_commentary, process_view
from handlers.blocks.alerts import COMMENT, COMMENT_VIEW
from handlers.commands import process_command
from handlers.context import SlackContext
from handlers.events import process_event
from handlers.inbox import RECORDED_EVENTS, SlackProcessor, inbox_middleware
from handlers.outbox import SlackSender
from handlers.shortcuts import LOG_AS_TICKET, process_shortcut
from servicebot.runtime.outbox import Relay
from servicebot.runtime.worker import Worker

PROCESSORS: dict[str, SlackProcessor] = {
    "event": process_event,
    "command": process_command,
    "action": process_action,
    "shortcut": process_shortcut,
    "view": process_view,
}


def register(app: App, ctx: SlackContext) -> None:
    """Every request the bot answers is recorded by the inbox middleware before these listeners ack it."""
    app.use(inbox_middleware(ctx))

    def recorded_event() -> None:
        """Bolt acknowledges Events API requests itself."""

    for event_type in sorted(RECORDED_EVENTS):
        app.event(event_type)(recorded_event)

    def acknowledge(ack: Ack, body: dict[str, Any]) -> None:
        ack()

    app.command("/servicebot")(acknowledge)
    # Before the catch-all below: Bolt runs the first listener that matches.
    app.action(COMMENT)(open_commentary)
    app.view(COMMENT_VIEW)(check_commentary)
    app.action(re.compile(r"^sb_"))(acknowledge)
    app.shortcut(LOG_AS_TICKET)(acknowledge)


def worker(ctx: SlackContext, busy: Callable[[], bool] = lambda: False) -> Worker:
    """The inbox's worker, doing Slack's kinds of work with this context."""
    processors = {kind: functools.partial(process, ctx) for kind, process in PROCESSORS.items()}
    sender = SlackSender(ctx.client, ctx.services.settings, ctx.services.outbox.where_sent)
    relay = Relay(ctx.services.outbox, sender)
    return Worker(ctx.services.inbox, processors, busy=busy, deliver=relay.run_once)


__all__ = ["PROCESSORS", "SlackContext", "Worker", "register", "worker"]
