"""Block Kit for a ticket: its card, the self-help offer, the triage question and the rating prompt."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from intents.catalogue import Catalogue, SelfHelp
from servicebot.chat.replies import IntakeReply
from servicebot.config import Desk
from servicebot.domain.tickets import Ticket
from servicebot.domain.triage import Candidate

Block = dict[str, Any]
Rendered = tuple[str, list[Block]]

# Slack's limits: section text 3,000 characters, option text 75, 100 options per select.
_SECTION_MAX = 2900
_OPTION_MAX = 75

ASSIGN, RESOLVE, ESCALATE, TRANSFER, REOPEN, INTENT = (
    "sb_assign",
    "sb_resolve",
    "sb_escalate",
    "sb_transfer",
    "sb_reopen",
    "sb_intent",
)
PICK, SELF_HELP_FIXED, SELF_HELP_MORE, RATE = "sb_pick", "sb_selfhelp_fixed", "sb_selfhelp_more", "sb_rate"


def _text(kind: str, text: str) -> dict[str, Any]:
    return {"type": kind, "text": text}


def section(text: str) -> Block:
    if len(text) > _SECTION_MAX:
        text = text[: _SECTION_MAX - 1] + "…"
    return {"type": "section", "text": _text("mrkdwn", text)}


def _button(label: str, action_id: str, value: str, style: str | None = None) -> Block:
    button: Block = {
        "type": "button",
        "text": _text("plain_text", label),
        "action_id": action_id,
        "value": value,
    }
    if style:
        button["style"] = style
    return button


def _option(label: str, value: str) -> Block:
    return {"text": _text("plain_text", label[:_OPTION_MAX]), "value": value}


def _select(placeholder: str, action_id: str, options: list[Block]) -> Block:
    return {
        "type": "static_select",
        "placeholder": _text("plain_text", placeholder),
        "action_id": action_id,
        "options": options[:100],
    }


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _who(user: str | None) -> str:
    if not user:
        return "_unassigned_"
    return f"<@{user}>" if user[:1] in "UW" else user


def ticket_card(ticket: Ticket, catalogue: Catalogue, desk: Desk, tz: ZoneInfo) -> Rendered:
    intent = catalogue.get(ticket.intent) if ticket.intent else None
    title = intent.title if intent else "Not yet routed"
    queue = desk.queue(ticket.queue or "")
    summary = ticket.text if len(ticket.text) <= 400 else ticket.text[:399] + "…"
    fields = [
        f"*Status*\n{ticket.status.value.replace('_', ' ')}",
        f"*Queue*\n{queue.title if queue else ticket.queue}",
        f"*Priority*\n{ticket.priority}",
        f"*Assignee*\n{_who(ticket.assignee)}",
    ]
    blocks: list[Block] = [
        {
            "type": "section",
            "block_id": f"ticket:{ticket.id}",
            "text": _text("mrkdwn", f"*{ticket.ref}* · {title}\n>{escape(summary)}"),
            "fields": [_text("mrkdwn", f) for f in fields],
        },
        {
            "type": "context",
            "elements": [
                _text(
                    "mrkdwn",
                    f"Raised by {_who(ticket.requester)} · {ticket.created_at.astimezone(tz):%d %b %Y %H:%M}"
                    " · "
                    f"{desk.title}"
                    + (
                        f" · triage confidence {ticket.confidence:.0%}"
                        if ticket.confidence is not None
                        else ""
                    ),
                )
            ],
        },
    ]
    value = str(ticket.id)
    if ticket.is_open:
        other_queues = [_option(q.title, f"{ticket.id}:{q.id}") for q in desk.queues if q.id != ticket.queue]
        intents = [
            _option(i.title, f"{ticket.id}:{i.id}")
            for i in catalogue.for_desk(desk.id)
            if i.id != ticket.intent
        ]
        elements = [
            _button("Assign to me", ASSIGN, value),
            _button("Resolve", RESOLVE, value, "primary"),
            _button("Escalate to 2nd line", ESCALATE, value),
        ]
        if other_queues:
            elements.append(_select("Move to queue…", TRANSFER, other_queues))
        if intents:
            elements.append(_select("Change intent…", INTENT, intents))
        blocks.append({"type": "actions", "block_id": f"ticket_actions:{ticket.id}", "elements": elements})
    else:
        blocks.append(
            {
                "type": "actions",
                "block_id": f"ticket_actions:{ticket.id}",
                "elements": [_button("Reopen", REOPEN, value)],
            }
        )
    return f"{ticket.ref} · {title} · {ticket.status.value}", blocks


def self_help_blocks(ticket: Ticket, help_: SelfHelp) -> list[Block]:
    link = f"\n<{help_.url}|Open the guide>" if help_.url else ""
    return [
        section(f":bulb: *{help_.title}*\n{help_.text}{link}"),
        {
            "type": "actions",
            "block_id": f"self_help:{ticket.id}",
            "elements": [
                _button("That fixed it", SELF_HELP_FIXED, str(ticket.id), "primary"),
                _button("I still need help", SELF_HELP_MORE, str(ticket.id)),
            ],
        },
    ]


def pick_blocks(ticket: Ticket, suggestions: tuple[Candidate, ...]) -> list[Block]:
    buttons = [_button(c.title[:_OPTION_MAX], PICK, f"{ticket.id}:{c.intent}") for c in suggestions]
    buttons.append(_button("Something else", PICK, f"{ticket.id}:none"))
    return [
        section(f"I'm not sure what {ticket.ref} is about. Is it one of these?"),
        {"type": "actions", "block_id": f"pick:{ticket.id}", "elements": buttons},
    ]


def rating_blocks(ticket: Ticket) -> Rendered:
    text = f"<@{ticket.requester}>, {ticket.ref} is resolved. How did we do?"
    return text, [
        section(text),
        {
            "type": "actions",
            "block_id": f"rate:{ticket.id}",
            "elements": [
                _button("👍 Good", RATE, f"{ticket.id}:up"),
                _button("👎 Not good", RATE, f"{ticket.id}:down"),
            ],
        },
    ]


def intake_extras(reply: IntakeReply) -> list[Block]:
    """What follows the card on a new ticket: the self-help offer or the question, if any."""
    intake = reply.intake
    if not intake.created:
        return []
    if intake.needs_pick:
        return pick_blocks(intake.ticket, intake.triage.suggestions)
    if intake.self_help is not None:
        return self_help_blocks(intake.ticket, intake.self_help)
    return []
