"""Block Kit for a digest notice (kind "digest"): the data the core recorded when the digest was due.

A header, the late or by-hand marker as context, one section per part (a KPI's line starts with its RAG as
an emoji and a word, so it reads without colour), the caveat as context. Long parts are split over
several sections: Slack takes 3,000 characters a section and 50 blocks a message.
"""

from __future__ import annotations

from typing import Any

from handlers.blocks.tickets import Block, Rendered, escape, section
from servicebot.config import Settings
from servicebot.domain.digests import Digest

RAG_EMOJI = {
    "RED": ":red_circle: RED",
    "AMBER": ":large_orange_circle: AMBER",
    "GREEN": ":large_green_circle: GREEN",
}
_SECTION_CHARS = 2800
_MAX_BLOCKS = 50
_HEADER_MAX = 150


def digest_blocks(data: dict[str, Any], _settings: Settings) -> Rendered:
    digest = Digest.from_data(data)
    title = digest.title if len(digest.title) <= _HEADER_MAX else digest.title[: _HEADER_MAX - 1] + "…"
    blocks: list[Block] = [{"type": "header", "text": {"type": "plain_text", "text": title}}]
    markers = []
    if digest.late is not None:
        markers.append(f":hourglass: {escape(str(digest.late))}")
    if digest.by_hand:
        markers.append("sent by hand")
    if markers:
        blocks.append(_context(" · ".join(markers)))
    for part in digest.sections:
        lines = [f"• {_rag(i.rag)}{escape(i.text)}" for i in part.items] or [f"_{escape(part.empty)}_"]
        chunk = f"*{escape(part.heading)}*"
        for line in lines:
            if len(chunk) + 1 + len(line) > _SECTION_CHARS:
                blocks.append(section(chunk))
                chunk = line
            else:
                chunk += "\n" + line
        blocks.append(section(chunk))
    if data.get("file"):
        blocks.append(_context(f"The file {escape(str(data['file']))} follows in the thread."))
    if digest.note:
        blocks.append(_context(escape(digest.note)))
    if len(blocks) > _MAX_BLOCKS:
        blocks = [*blocks[: _MAX_BLOCKS - 1], _context("… more than fits in one message; see the dashboard.")]
    fallback = digest.title + (f" ({digest.late})" if digest.late is not None else "")
    return fallback, blocks


def _rag(rag: str | None) -> str:
    return f"{RAG_EMOJI[rag]} " if rag in RAG_EMOJI else ""


def _context(text: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}
