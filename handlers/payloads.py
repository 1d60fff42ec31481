"""The parts of Slack payloads the bot relies on, validated; anything else in a payload is ignored."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class MessageEvent(_Lenient):
    type: str
    channel: str
    ts: str
    user: str | None = None
    text: str = ""
    thread_ts: str | None = None
    channel_type: str | None = None
    subtype: str | None = None
    bot_id: str | None = None

    @property
    def in_thread(self) -> bool:
        return self.thread_ts is not None and self.thread_ts != self.ts


class ReactionItem(_Lenient):
    type: str
    channel: str | None = None
    ts: str | None = None


class ReactionEvent(_Lenient):
    type: str
    user: str
    reaction: str
    item: ReactionItem
    item_user: str | None = None


class SlashCommand(_Lenient):
    command: str
    text: str = ""
    user_id: str
    channel_id: str
    trigger_id: str
    response_url: str | None = None


class User(_Lenient):
    id: str


class Channel(_Lenient):
    id: str


class Action(_Lenient):
    action_id: str
    value: str | None = None
    action_ts: str | None = None
    selected_option: dict[str, Any] | None = None

    @property
    def chosen(self) -> str:
        if self.selected_option is not None:
            return str(self.selected_option.get("value", ""))
        return self.value or ""


class Container(_Lenient):
    channel_id: str | None = None
    message_ts: str | None = None


class ActionMessage(_Lenient):
    ts: str
    thread_ts: str | None = None


class BlockActions(_Lenient):
    type: str
    user: User
    actions: list[Action] = Field(min_length=1)
    container: Container = Container()
    channel: Channel | None = None
    message: ActionMessage | None = None
    trigger_id: str | None = None
    response_url: str | None = None

    @property
    def channel_id(self) -> str | None:
        return self.container.channel_id or (self.channel.id if self.channel else None)

    @property
    def thread_ts(self) -> str | None:
        if self.message is None:
            return self.container.message_ts
        return self.message.thread_ts or self.message.ts


class ShortcutMessage(_Lenient):
    ts: str
    text: str = ""
    user: str | None = None
    thread_ts: str | None = None


class MessageShortcut(_Lenient):
    type: str
    callback_id: str
    trigger_id: str
    user: User
    channel: Channel
    message: ShortcutMessage
    response_url: str | None = None


def describe(exc: ValidationError) -> str:
    """A short, specific account of what was wrong with a payload."""
    parts = []
    for err in exc.errors()[:5]:
        where = ".".join(str(p) for p in err["loc"]) or "payload"
        parts.append(f"{where}: {err['msg']}")
    return "; ".join(parts)
