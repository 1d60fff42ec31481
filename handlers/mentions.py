"""Slack writes a person as `<@U…|name>`; the core's commands take them as `@U…` (as a console user types
them), so a typed command reads the same in both front ends."""

from __future__ import annotations

import re

from servicebot.chat.commands import AboutTicket, NewQuery, parse
from servicebot.domain.errors import UserError

_MENTION = re.compile(r"<@([A-Z0-9]+)(?:\|[^>]*)?>")


def is_words(text: str) -> bool:
    """True for a line that is someone's words (a query, or words about a ticket), not a command. A command
    with a bad reference ("resolve 0") is a command: the conversation answers what is wrong with it."""
    try:
        return isinstance(parse(text), NewQuery | AboutTicket)
    except UserError:
        return False


def command_line(text: str) -> str:
    """Mentions in a command's arguments become `@U…`; words are left as the person wrote them."""
    if is_words(text):
        return text
    return _MENTION.sub(r"@\1", text)
