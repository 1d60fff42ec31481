"""A breach alert in Slack: the figure against its target and floor, the last six periods, and the owner's
three answers (acknowledge, add commentary, snooze). Rendered from the notice's facts at delivery."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from handlers.blocks.tickets import Block
from servicebot.config import Settings
from servicebot.domain.periods import Period
from servicebot.reports.figures import month_name, short_month

ACK, COMMENT, SNOOZE = "sb_alert_ack", "sb_alert_comment", "sb_alert_snooze"
COMMENT_VIEW = "sb_alert_commentary"
# Working days to snooze for, as offered on the alert (until the reminder time on that day).
SNOOZE_DAYS = ((1, "until tomorrow"), (2, "for 2 working days"), (5, "for a week"))

_MARK = {
    "RED": ":red_circle:",
    "AMBER": ":large_orange_circle:",
    "Above": ":arrow_up:",
    "Below": ":arrow_down:",
}
_DOT = {"improved": "improved", "fell": "worse", "unchanged": "unchanged"}


def alert_notice(data: dict[str, Any], settings: Settings) -> tuple[str, list[Block]]:
    ref, state, episode = str(data["ref"]), str(data["state"]), int(data["episode"])
    period = data.get("period")
    why = str(data.get("why") or "new")
    lead = {
        "reminder": "Reminder: ",
        "escalation": "Escalated to you: ",
    }.get(why.split(" ")[0], "")
    headline = f"{lead}{ref} is {state}" + (f" for {_month(period)}" if period else "")
    text = f"{_MARK.get(state, '')} {headline}: {data.get('description', '')}".strip()
    figures = [f"*Figure* {_value(data.get('value'), data)}"]
    if "target" in data:
        figures.append(f"*Target* {_value(data.get('target'), data)}")
        figures.append(f"*Floor* {_value(data.get('floor'), data)}")
        if data.get("dot"):
            figures.append(f"*Direction* {_DOT.get(str(data['dot']), str(data['dot']))}")
    else:
        figures.append(f"*Expected* {_value(data.get('lower'), data)} to {_value(data.get('upper'), data)}")
    trend = " · ".join(f"{_short(p)} {_value(v, data)}" for p, v in data.get("trend") or [])
    blocks: list[Block] = [
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": f"*{_MARK.get(state, '')} {headline}*\n{data.get('description', '')}",
            },
        },
        {"type": "section", "text": {"type": "mrkdwn", "text": "   ".join(figures)}},
    ]
    context = [f"Last six: {trend}"] if trend else []
    if why.startswith("worse") or why.startswith("still"):
        context.append(why.capitalize())
    if data.get("commentary"):
        context.append("Commentary given")
    else:
        context.append("The committee needs a cause and an action: *Add commentary*")
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": "  |  ".join(context)}]})
    comment: Block = {
        "type": "button",
        "text": {"type": "plain_text", "text": "Add commentary"},
        "action_id": COMMENT,
        "value": f"{episode}:{ref}:{period or ''}",
    }
    blocks.append(
        {
            "type": "actions",
            "block_id": f"alert:{episode}",
            "elements": [_ack(episode), comment, _snooze(episode)],
        }
    )
    return text, blocks


def _ack(episode: int) -> Block:
    return {
        "type": "button",
        "text": {"type": "plain_text", "text": "Acknowledge"},
        "action_id": ACK,
        "value": str(episode),
        "style": "primary",
    }


def _snooze(episode: int) -> Block:
    return {
        "type": "static_select",
        "action_id": SNOOZE,
        "placeholder": {"type": "plain_text", "text": "Snooze…"},
        "options": [
            {"text": {"type": "plain_text", "text": label}, "value": f"{episode}:{days}"}
            for days, label in SNOOZE_DAYS
        ],
    }


def outage_alert_notice(data: dict[str, Any], settings: Settings) -> tuple[str, list[Block]]:
    """A service out for longer than alerts wait for: since when, and the owners' two answers."""
    episode = int(data["episode"])
    why = str(data.get("why") or "new")
    lead = {"reminder": "Reminder: ", "escalation": "Escalated to you: "}.get(why.split(" ")[0], "")
    title = str(data.get("title") or data.get("service") or "A service")
    since = data.get("since")
    when = ""
    if since:
        local = datetime.fromisoformat(str(since)).astimezone(settings.tz)
        when = f" since {local:%H:%M on %a %d %b}"
    headline = f"{lead}{title} has been out{when} ({data.get('out_for', '')})".replace(" ()", "")
    text = f":rotating_light: {headline}"
    blocks: list[Block] = [{"type": "section", "text": {"type": "mrkdwn", "text": f"*{text}*"}}]
    if data.get("note"):
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": str(data["note"])[:2000]}]})
    blocks.append(
        {
            "type": "actions",
            "block_id": f"alert:{episode}",
            "elements": [_ack(episode), _snooze(episode)],
        }
    )
    return text, blocks


def commentary_view(episode: int, ref: str, period: str | None) -> dict[str, Any]:
    """The modal behind **Add commentary**: cause, action, expected recovery date."""

    def field(block: str, label: str, hint: str) -> Block:
        return {
            "type": "input",
            "block_id": block,
            "label": {"type": "plain_text", "text": label},
            "element": {
                "type": "plain_text_input",
                "action_id": "text",
                "multiline": True,
                "max_length": 2000,
                "placeholder": {"type": "plain_text", "text": hint},
            },
        }

    return {
        "type": "modal",
        "callback_id": COMMENT_VIEW,
        "private_metadata": str(episode),
        "title": {"type": "plain_text", "text": f"Commentary: {ref}"[:24]},
        "submit": {"type": "plain_text", "text": "Save"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            {
                "type": "context",
                "elements": [
                    {
                        "type": "mrkdwn",
                        "text": f"{ref}, {_month(period) if period else ''}: "
                        "shown on the dashboard beside the figure.",
                    }
                ],
            },
            field("cause", "Cause", "What happened"),
            field("action", "Action", "What is being done about it"),
            {
                "type": "input",
                "block_id": "recovery",
                "optional": True,
                "label": {"type": "plain_text", "text": "Expected recovery"},
                "element": {"type": "datepicker", "action_id": "date"},
            },
        ],
    }


def _month(period: Any) -> str:
    return month_name(Period.parse(str(period)))


def _short(period: Any) -> str:
    """May 26: the trend's months, short."""
    found = Period.parse(str(period))
    return f"{short_month(found)[:3]} {found.year % 100:02d}"


def _value(value: Any, data: dict[str, Any]) -> str:
    if value is None:
        return "–"
    decimals = int(data.get("decimals") or 0)
    unit = str(data.get("unit") or "")
    shown = f"{float(value):,.{decimals}f}"
    return {
        "percent": f"{shown}%",
        "seconds": f"{shown} s",
        "hours": f"{shown} h",
        "currency": f"£{shown}",
    }.get(unit, shown)
