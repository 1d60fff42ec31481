"""The "Shall I log this as a ticket?" question and its **Log it** button.

The button carries everything logging takes (the words, who asked, the source message), so a click works
in any worker process, after a restart, and twice without making two tickets (the source key decides)."""

from __future__ import annotations

import json
from typing import Any

from handlers.blocks.mrkdwn import mrkdwn
from handlers.blocks.tickets import Block, Rendered, section
from servicebot.chat.replies import ConfirmReply
from servicebot.services.intake import Source

LOG_IT = "sb_log_it"
_VALUE_MAX = 2000  # Slack's limit for a button's value
_FIELDS = ("kind", "key", "channel", "ts")


def confirm_blocks(reply: ConfirmReply) -> Rendered:
    question = mrkdwn(reply.question)
    button: Block = {
        "type": "button",
        "text": {"type": "plain_text", "text": "Log it"},
        "action_id": LOG_IT,
        "value": log_it_value(reply),
        "style": "primary",
    }
    return question, [section(question), {"type": "actions", "elements": [button]}]


def log_it_value(reply: ConfirmReply) -> str:
    value: dict[str, Any] = {
        "text": reply.text,
        "requester": reply.requester,
        "desk": reply.desk,
        **{name: getattr(reply.source, name) for name in _FIELDS},
    }
    encoded = json.dumps(value, separators=(",", ":"))
    while len(encoded) > _VALUE_MAX:
        # Only terse messages are asked about, so this is a rare long one; its start is what gets logged.
        value["text"] = value["text"][: len(value["text"]) - (len(encoded) - _VALUE_MAX) - 1]
        encoded = json.dumps(value, separators=(",", ":"))
    return encoded


def parse_log_it(value: str) -> tuple[str, str, Source, str | None] | None:
    """(text, requester, source, desk) from a Log it button's value; None if it is not one of ours."""
    try:
        data = json.loads(value)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    text, requester, desk = data.get("text"), data.get("requester"), data.get("desk")
    fields = {name: data.get(name) for name in _FIELDS}
    if not isinstance(text, str) or not isinstance(requester, str) or not requester:
        return None
    if not isinstance(fields["kind"], str) or not all(
        v is None or isinstance(v, str) for v in (desk, *fields.values())
    ):
        return None
    source = Source(kind=fields["kind"], key=fields["key"], channel=fields["channel"], ts=fields["ts"])
    return text, requester, source, desk
