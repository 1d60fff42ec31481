"""`/servicebot <text>`: a new ticket, or any console command, answered privately."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from handlers.context import SlackContext
from handlers.intake import post_intake
from handlers.mentions import command_line
from handlers.payloads import SlashCommand, describe
from handlers.stats import answer_command_privately, stats_blocks
from servicebot.chat.commands import HELP
from servicebot.chat.replies import IntakeReply, StatsReply, TextReply, TicketReply
from servicebot.services.intake import Source


def process_command(ctx: SlackContext, body: dict[str, Any]) -> None:
    try:
        command = SlashCommand.model_validate(body)
    except ValidationError as exc:
        ctx.logger.warning("ignored malformed slash command: %s", describe(exc))
        if isinstance(body.get("response_url"), str):
            ctx.respond(body["response_url"], f"Sorry, that command could not be read ({describe(exc)}).")
        return
    reply_to = command.response_url
    text = command.text.strip()
    if not text:
        rendered, _ = ctx.render(TextReply(HELP))
        _answer(ctx, command, rendered, None)
        return
    source = Source(
        kind="command",
        key=f"command:{command.trigger_id}",
        channel=command.channel_id,
        logged_by=command.user_id,
    )
    desk = ctx.services.settings.desk_for_channel(command.channel_id)
    reply = ctx.services.conversation.handle(
        command_line(text), ctx.actor(command.user_id), source, desk.id if desk else None
    )
    if isinstance(reply, IntakeReply):
        try:
            post_intake(ctx, reply, command.channel_id, None)
        except RuntimeError:
            # The bot may not be in this channel: the requester still gets the ticket, privately.
            rendered, blocks = ctx.render(reply)
            if reply_to:
                ctx.respond(reply_to, rendered, blocks)
        return
    if isinstance(reply, StatsReply):
        # Private, with no thread for the chart: that goes to the person's DM, and the answer says so.
        note = answer_command_privately(ctx, reply, command.user_id, command.trigger_id)
        rendered, blocks = stats_blocks(reply.stats, chart_note=note)
        _answer(ctx, command, rendered, blocks)
        return
    rendered, blocks = ctx.render(reply)
    _answer(ctx, command, rendered, blocks)
    if isinstance(reply, TicketReply) and reply.outcome is not None:
        ctx.announce(reply.outcome)


def _answer(ctx: SlackContext, command: SlashCommand, text: str, blocks: list[dict[str, Any]] | None) -> None:
    if command.response_url:
        ctx.respond(command.response_url, text, blocks)
    else:
        ctx.ephemeral(command.channel_id, command.user_id, text)
