"""Slack writes a person as `<@U…|name>`; the core's commands take them as `@U…` (as a console user types
them), so a typed command reads the same in both front ends."""

from __future__ import annotations

import re

from servicebot.chat.commands import NewQuery, parse

_MENTION = re.compile(r"<@([A-Z0-9]+)(?:\|[^>]*)?>")


def command_line(text: str) -> str:
    """Mentions in a command's arguments become `@U…`; a new query is left as the person wrote it."""
    if isinstance(parse(text), NewQuery):
        return text
    return _MENTION.sub(r"@\1", text)
