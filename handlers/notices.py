"""How each kind of notice from the core (`domain/outbox.Notice`) looks in Slack: a renderer per kind,
from the notice's facts to (fallback text, blocks), called when the outbox delivers it.

Rendering at delivery keeps the core free of markup, and a message recorded by an older version is shown
by the renderer of the version that sends it. A kind with no renderer fails that message for good (seen in
`servicebot outbox list`), since trying again cannot make one appear.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from handlers.blocks import Block, mrkdwn
from servicebot.config import Settings
from servicebot.domain.message import from_data

Renderer = Callable[[dict[str, Any], Settings], tuple[str, list[Block]]]


def text_notice(data: dict[str, Any], settings: Settings) -> tuple[str, list[Block]]:
    """data: {"message": a `domain.message` as `to_data` stores it}."""
    text = mrkdwn(from_data(data.get("message")))
    return text, [{"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}}]


RENDERERS: dict[str, Renderer] = {
    "text": text_notice,
}
