"""App Home: each person's own page in the bot, published when they open it and after they change it
(a revoke). Published through the outbox like every message the bot sends after the acknowledgement."""

from __future__ import annotations

from typing import Any

from handlers.blocks.home import home_view
from handlers.blocks.mrkdwn import mrkdwn
from handlers.context import SlackContext
from handlers.payloads import BlockActions
from servicebot.domain.errors import InvalidInput, UserError


def publish_home(ctx: SlackContext, user: str, key: str, notice: str | None = None) -> None:
    home = ctx.services.home.home(ctx.actor(user))
    view = home_view(home, ctx.services.settings.tz, notice)
    ctx.services.outbox.send(key, "views.publish", {"user_id": user, "view": view}, thread=f"home:{user}")


def on_app_home_opened(ctx: SlackContext, event: dict[str, Any], event_id: str | None) -> None:
    user = event.get("user")
    if event.get("tab", "home") != "home" or not isinstance(user, str) or not user:
        return  # the Messages tab, or an event without a person: nothing to publish
    publish_home(ctx, user, f"home:{user}:{event_id or event.get('event_ts', '')}")


def revoke_from_home(ctx: SlackContext, payload: BlockActions, value: str, action_ts: str) -> None:
    user = payload.user.id
    notice = None
    try:
        if not value.isdigit():
            raise InvalidInput(f"that button's value {value!r} does not name a taught example")
        ctx.services.home.revoke(ctx.actor(user), int(value))
        notice = f":white_check_mark: Revoked taught example #{value}; triage forgets it at its next check."
    except UserError as exc:
        notice = f":warning: {mrkdwn(exc.message)}"
    publish_home(ctx, user, f"home:{user}:revoke:{action_ts}", notice)
