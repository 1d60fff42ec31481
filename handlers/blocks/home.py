"""Block Kit for a person's App Home (`services.home.Home`): their open tickets, the KPIs they own with
their RAG (emoji and word), the services out now, and for managers what triage has been taught lately,
each with a Revoke button."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from handlers.blocks.alerts import ACK
from handlers.blocks.stats import slack_mark
from handlers.blocks.tickets import Block, escape, section
from servicebot.domain.periods import Period
from servicebot.domain.tickets import format_ref
from servicebot.reports.figures import dot_word, figure, month_name, rag_word, short_month
from servicebot.services.home import Home

HOME_REVOKE = "sb_home_revoke"
_MAX_BLOCKS = 100  # Slack's limit for a home tab
_ALERT_MARK = {"RED": ":red_circle:", "AMBER": ":large_orange_circle:", "Out": ":rotating_light:"}


def _who(user: str) -> str:
    # The command line records "cli" or a name, not a person: only Slack ids become mentions.
    return f"<@{user}>" if user[:1] in "UW" and user.isalnum() else escape(user)


def _header(text: str) -> Block:
    return {"type": "header", "text": {"type": "plain_text", "text": text[:150], "emoji": True}}


def _context(text: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}


def home_view(home: Home, tz: ZoneInfo, notice: str | None = None) -> dict[str, Any]:
    blocks: list[Block] = []
    if notice:
        blocks.append(section(notice))
    blocks.append(_header(home.tickets_title))
    if home.tickets:
        lines = [
            f"• *{t.ref}* {t.status.value.replace('_', ' ')} · {escape(t.queue or 'no queue')} · "
            f"{t.priority} · {escape(' '.join(t.text.split())[:70])}"
            for t in home.tickets
        ]
        blocks.append(section("\n".join(lines)))
    else:
        blocks.append(section("None."))

    blocks.append(_header(f"Your KPIs, {month_name(home.kpi_month)}"))
    if home.kpis:
        for row in home.kpis:
            d = row.definition
            rag = rag_word(row.rag, d.suspended) if row.rag is not None or d.suspended else "no figure"
            parts = [
                f"{slack_mark(row.rag)} *{rag}* *{escape(d.ref)}* {escape(d.description)}",
                f"{figure(row.value, d.unit, d.decimals)}"
                + (f" ({short_month(row.shown)})" if row.shown and row.shown != home.kpi_month else ""),
                f"target {figure(row.target, d.unit, d.decimals)}, "
                f"floor {figure(row.floor, d.unit, d.decimals)}, DoT {dot_word(row.dot)}",
            ]
            blocks.append(section(" · ".join(parts)))
    else:
        blocks.append(section("You own no KPIs (a KPI's `owners` in the definitions)."))

    blocks.append(_header("Breach alerts open"))
    if home.alerts:
        for view in home.alerts:
            e = view.episode
            where = f" ({short_month(Period.parse(e.period))})" if e.period else ""
            state = [
                f"acknowledged by {_who(e.acknowledged_by)}" if e.acknowledged_by else "not acknowledged"
            ]
            if e.snoozed_until is not None and e.acknowledged_by is None:
                state.append(f"snoozed until {e.snoozed_until.astimezone(tz):%a %d %b %H:%M}")
            if not e.ref.startswith("outage:"):
                state.append("commentary given" if view.commentary else "*commentary owed*")
            said = (
                f"{_ALERT_MARK.get(e.state.value, '')} *#{e.id} {escape(e.ref)}* {e.state.value}{where} · "
                + (", ".join(state))
            )
            block: Block = {"type": "section", "text": {"type": "mrkdwn", "text": said}}
            if e.acknowledged_by is None:
                block["accessory"] = {
                    "type": "button",
                    "action_id": ACK,
                    "value": str(e.id),
                    "text": {"type": "plain_text", "text": "Acknowledge"},
                }
            blocks.append(block)
    else:
        blocks.append(section("None open."))

    blocks.append(_header("Services out now"))
    if home.outages:
        lines = []
        for out in home.outages:
            kind = "planned maintenance" if out.planned else "out"
            since = f"{out.started_at.astimezone(tz):%d %b %H:%M}"
            title = escape(home.service_titles.get(out.service, out.service))
            lines.append(f"• *{title}* {kind} since {since}" + (f": {escape(out.note)}" if out.note else ""))
        blocks.append(section("\n".join(lines)))
    else:
        blocks.append(section("None: every service is up."))

    if home.taught is not None:
        blocks.append(_header("What triage has been taught lately"))
        if not home.taught:
            blocks.append(section("Nothing yet: corrections and picks in Slack or the console appear here."))
        for example in home.taught:
            when = f"{example.created_at.astimezone(tz):%d %b %H:%M}"
            change = f"{example.previous} → {example.label}" if example.previous else example.label
            ticket = f" on {format_ref(example.ticket_id)}" if example.ticket_id is not None else ""
            text = escape(" ".join(example.text.split())[:120])
            by = _who(example.created_by)
            said = f"*#{example.id}* {when} · {example.source} by {by}{ticket} · `{change}`\n>{text}"
            if example.active:
                blocks.append(
                    {
                        "type": "section",
                        "text": {"type": "mrkdwn", "text": said},
                        "accessory": {
                            "type": "button",
                            "action_id": HOME_REVOKE,
                            "value": str(example.id),
                            "text": {"type": "plain_text", "text": "Revoke"},
                            "style": "danger",
                            "confirm": {
                                "title": {"type": "plain_text", "text": "Revoke this example?"},
                                "text": {"type": "mrkdwn", "text": "Triage forgets it at its next check."},
                                "confirm": {"type": "plain_text", "text": "Revoke"},
                                "deny": {"type": "plain_text", "text": "Keep"},
                            },
                        },
                    }
                )
            else:
                blocks.append(section(f"{said}\n_revoked by {_who(example.revoked_by or '?')}_"))
    if home.latest_digest is not None:
        digest = home.latest_digest
        verb = "sent" if digest.sent else "waiting to be sent"
        blocks.append(
            _context(
                f"Latest digest: *{escape(digest.title)}* to <#{digest.channel}>, {verb} "
                f"{digest.at.astimezone(tz):%d %b %H:%M}"
            )
        )
    blocks.append(_context(f"As of {home.generated_at.astimezone(tz):%d %b %Y %H:%M}"))
    return {"type": "home", "blocks": blocks[:_MAX_BLOCKS]}
