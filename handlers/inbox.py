"""Record every verified request before acknowledging it; a duplicate delivery is acknowledged and dropped."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import BoltResponse

from handlers.context import SlackContext

# Does the work of one kind of recorded Slack request; the worker binds it to a context.
SlackProcessor = Callable[[SlackContext, dict[str, Any]], None]
# The Events API events the bot works on (the worker's `process_event` knows what to do with each).
RECORDED_EVENTS = frozenset({"message", "app_mention", "reaction_added", "app_home_opened"})


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


def event_recorder(ctx: SlackContext) -> Callable[[dict[str, Any]], bool]:
    """The front door's fast path (`handlers.http.Recorder`): an Events API callback of a kind the bot
    works on is recorded and acknowledged without Bolt.

    Bolt's part in such a request is only to acknowledge it (its listeners here do nothing; the worker
    does the work from the record), yet its dispatch, the request rebuilt for it and the thread it runs
    the listener on cost the web process more than recording does, and an event is most of what Slack
    sends in a burst. Everything else (interactions, commands, url_verification, other bots' messages)
    still goes through Bolt and the inbox middleware, which record it the same way under the same key."""

    def record(body: dict[str, Any]) -> bool:
        event = body.get("event")
        if body.get("type") != "event_callback" or not isinstance(event, dict):
            return False
        if event.get("type") not in RECORDED_EVENTS or event.get("bot_id") is not None:
            return False  # a bot's message: Bolt's own filter drops the bot's echo of itself
        if ctx.bot_user_id is not None and event.get("user") == ctx.bot_user_id:
            return True  # the bot's own doing: nothing to work on, as Bolt's filter would decide
        found = request_key(body)
        if found is None:
            return False
        key, kind = found
        if not ctx.services.inbox.accept(key, kind, body):
            ctx.logger.info("duplicate delivery of %s acknowledged and dropped", key)
        return True

    return record
