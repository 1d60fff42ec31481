"""Block Kit renderers: pure functions from the core's models to (fallback text, blocks)."""

from handlers.blocks.mrkdwn import mrkdwn
from handlers.blocks.replies import render_reply
from handlers.blocks.tickets import (
    ASSIGN,
    ESCALATE,
    INTENT,
    PICK,
    RATE,
    REOPEN,
    RESOLVE,
    SELF_HELP_FIXED,
    SELF_HELP_MORE,
    TRANSFER,
    Block,
    Rendered,
    intake_extras,
    pick_blocks,
    rating_blocks,
    self_help_blocks,
    ticket_card,
)

__all__ = [
    "ASSIGN",
    "ESCALATE",
    "INTENT",
    "PICK",
    "RATE",
    "REOPEN",
    "RESOLVE",
    "SELF_HELP_FIXED",
    "SELF_HELP_MORE",
    "TRANSFER",
    "Block",
    "Rendered",
    "intake_extras",
    "mrkdwn",
    "pick_blocks",
    "rating_blocks",
    "render_reply",
    "self_help_blocks",
    "ticket_card",
]
