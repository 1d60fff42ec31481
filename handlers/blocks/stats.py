"""Block Kit for a desk's stats: the same sections and words as the console (`servicebot.chat.stats`),
each section a block, every RAG an emoji beside its word (never colour alone)."""

from __future__ import annotations

from handlers.blocks.tickets import Block, Rendered, escape, section
from servicebot.chat.stats import headline_line, sections, title
from servicebot.domain.kpis import Rag
from servicebot.services.stats import DeskStats

SLACK_RAG = {Rag.RED: ":red_circle:", Rag.AMBER: ":large_orange_circle:", Rag.GREEN: ":large_green_circle:"}
_HEADER_MAX = 150  # Slack's limit for a header block's text


def slack_mark(rag: Rag | None) -> str:
    return ":white_circle:" if rag is None else SLACK_RAG[rag]


def stats_blocks(stats: DeskStats, chart_note: str | None = None) -> Rendered:
    """(fallback text, blocks). The last line says where the headline KPI's trend chart is: by default it
    follows in this message's thread; `chart_note` says otherwise (empty: say nothing)."""
    head = title(stats)
    blocks: list[Block] = [
        {"type": "header", "text": {"type": "plain_text", "text": head[:_HEADER_MAX], "emoji": True}}
    ]
    for part in sections(stats, slack_mark):
        blocks.append(section(f"*{escape(part.title)}*\n" + "\n".join(f"• {escape(x)}" for x in part.lines)))
    chart = headline_line(stats)
    if chart_note is None and chart is not None:
        chart_note = f"{chart[0].upper()}{chart[1:]} follows in this thread."
    if chart_note:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": escape(chart_note)}]})
    return head, blocks
