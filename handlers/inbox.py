"""Record every verified request before acknowledging it; drop retries; replay interrupted work."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from slack_bolt import BoltResponse

from handlers.context import SlackContext

Processor = Callable[[SlackContext, dict[str, Any]], None]
INBOX_KEY = "servicebot_inbox_key"


def request_key(body: dict[str, Any]) -> tuple[str, str] | None:
    """A key that a retry or a duplicate delivery of the same request repeats, and nothing else does."""
    kind = body.get("type")
    if kind == "event_callback" and body.get("event_id"):
        return f"event:{body['event_id']}", "event"
    if kind == "block_actions":
        actions = body.get("actions") or [{}]
        user = (body.get("user") or {}).get("id", "")
        return f"action:{actions[0].get('action_ts', '')}:{user}:{actions[0].get('action_id', '')}", "action"
    if kind == "message_action" and body.get("trigger_id"):
        return f"shortcut:{body['trigger_id']}", "shortcut"
    if body.get("command") and body.get("trigger_id"):
        return f"command:{body['trigger_id']}", "command"
    return None


def inbox_middleware(ctx: SlackContext) -> Callable[..., Any]:
    def middleware(body: dict[str, Any], context: dict[str, Any], next: Callable[[], Any]) -> Any:
        found = request_key(body)
        if found is None:
            return next()
        key, kind = found
        # Round-trip through JSON: only plain data goes into the inbox, whatever Bolt parsed.
        if not ctx.services.inbox.accept(key, kind, json.loads(json.dumps(body))):
            ctx.logger.info("duplicate delivery of %s acknowledged and dropped", key)
            return BoltResponse(status=200, body="")
        context[INBOX_KEY] = key
        return next()

    return middleware


def run_recorded(ctx: SlackContext, key: str | None, process: Processor, body: dict[str, Any]) -> None:
    """Do the work; mark the inbox row done, or leave it for replay with the error recorded."""
    try:
        process(ctx, body)
    except Exception as exc:
        ctx.logger.exception("processing %s failed", key)
        if key is not None:
            ctx.services.inbox.failed(key, f"{type(exc).__name__}: {exc}")
        return
    if key is not None:
        ctx.services.inbox.done(key)


def replay_pending(
    ctx: SlackContext, processors: dict[str, Processor], older_than: timedelta = timedelta(seconds=30)
) -> int:
    """Requests accepted but never finished (a crash, Slack down): run them again. Handlers are idempotent.

    `older_than` keeps a replay from racing a request that another worker is still processing."""
    replayed = 0
    for request in ctx.services.inbox.pending(older_than):
        process = processors.get(request.kind)
        if process is None:
            continue
        run_recorded(ctx, request.key, process, request.payload)
        replayed += 1
    return replayed
