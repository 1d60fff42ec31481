"""Cleaning what people type before it is matched or stored."""

from __future__ import annotations

import re
import unicodedata

MAX_TICKET_TEXT = 4000  # Slack's own limit for one message's text is 4,000 characters before truncation
MAX_TRIAGE_TEXT = 1000  # the problem is stated early; a long paste's tail adds noise and time

_SLACK_LINK = re.compile(r"<(https?://[^|>]+)\|([^>]+)>")
_SLACK_BARE_LINK = re.compile(r"<(https?://[^>|]+)>")
_SLACK_MENTION = re.compile(r"<[@#!][^>]*>")
_EMOJI_CODE = re.compile(r":[a-z0-9_+\-]+:")
_SPACE = re.compile(r"\s+")


def clean_for_ticket(text: str) -> str:
    """What is stored as the ticket's text: trimmed, control characters dropped, bounded."""
    text = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch)[0] != "C")
    text = text.strip()
    if len(text) > MAX_TICKET_TEXT:
        text = text[: MAX_TICKET_TEXT - 1].rstrip() + "…"
    return text


def normalise_for_matching(text: str) -> str:
    """Lower-case words only: Slack markup, emoji and punctuation carry no intent."""
    text = text[: MAX_TRIAGE_TEXT * 2]
    text = _SLACK_LINK.sub(r" \2 ", text)
    text = _SLACK_BARE_LINK.sub(" ", text)
    text = _SLACK_MENTION.sub(" ", text)
    text = _EMOJI_CODE.sub(" ", text)
    text = unicodedata.normalize("NFKC", text).lower()
    text = "".join(ch if ch.isalnum() or ch == "'" else " " for ch in text)
    return _SPACE.sub(" ", text).strip()[:MAX_TRIAGE_TEXT]


def has_words(text: str) -> bool:
    """False for empty, whitespace-only or emoji-only messages."""
    return any(ch.isalnum() for ch in normalise_for_matching(text))
