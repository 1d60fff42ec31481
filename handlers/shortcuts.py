"""The message shortcut "Log as ticket": someone else's message becomes their ticket."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from handlers.context import SlackContext
from handlers.events import log_message
from handlers.payloads import MessageShortcut, describe

LOG_AS_TICKET = "log_as_ticket"


def process_shortcut(ctx: SlackContext, body: dict[str, Any]) -> None:
    try:
        shortcut = MessageShortcut.model_validate(body)
    except ValidationError as exc:
        ctx.logger.warning("ignored malformed shortcut: %s", describe(exc))
        return
    message = shortcut.message
    requester = message.user or shortcut.user.id
    log_message(
        ctx,
        shortcut.channel.id,
        message.ts,
        message.text,
        requester,
        shortcut.user.id,
        "shortcut",
        message.thread_ts,
    )
