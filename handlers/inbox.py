"""Record every verified request before acknowledging it; a duplicate delivery is acknowledged and dropped."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import BoltResponse

from handlers.context import SlackContext

# Does the work of one kind of recorded Slack request; the worker binds it to a context.
SlackProcessor = Callable[[SlackContext, dict[str, Any]], None]


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
    if kind == "view_submission" and (body.get("view") or {}).get("id") and body.get("trigger_id"):
        # A form sent back with an error and submitted again is the same view: its trigger is new.
        return f"view:{body['view']['id']}:{body['trigger_id']}", "view"
    if body.get("command") and body.get("trigger_id"):
        return f"command:{body['trigger_id']}", "command"
    return None


def inbox_middleware(ctx: SlackContext) -> Callable[..., Any]:
    def middleware(body: dict[str, Any], next: Callable[[], Any]) -> Any:
        found = request_key(body)
        if found is None:
            return next()
        key, kind = found
        if not ctx.services.inbox.accept(key, kind, body):
            ctx.logger.info("duplicate delivery of %s acknowledged and dropped", key)
            return BoltResponse(status=200, body="")
        return next()

    return middleware
