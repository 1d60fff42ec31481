"""Stats in Slack: the answer, then the headline KPI's trend chart in the answer's thread.

Both go through the outbox in one outbox thread, so the chart is sent after the answer and lands in its
Slack thread (`Upload.reply_to`: found at delivery from what Slack answered for the answer). A slash
command's answer is private (response_url) and has no thread, so the chart goes to the person's direct
messages, in the thread of a line saying which stats it belongs to.
"""

from __future__ import annotations

from handlers.blocks.stats import stats_blocks
from handlers.context import SlackContext
from servicebot.chat.replies import StatsReply
from servicebot.chat.stats import headline_line, title
from servicebot.domain.message import Strong, say, to_data
from servicebot.domain.outbox import Notice, Upload


def send_chart(ctx: SlackContext, reply: StatsReply, answer_key: str, to: str, thread: str) -> None:
    """Record the chart's upload into the thread of the message recorded under `answer_key`."""
    chart = ctx.services.stats.chart(reply.stats)
    line = headline_line(reply.stats)
    if chart is None or line is None:
        return
    ctx.services.outbox.upload(
        f"chart:{answer_key}",
        Upload(
            to=to,
            filename=chart.filename,
            title=chart.title,
            content=chart.png,
            comment=f"{line[0].upper()}{line[1:]}, up to {chart.period}.",
            reply_to=answer_key,
        ),
        thread=thread,
    )


def answer_command_privately(ctx: SlackContext, reply: StatsReply, user: str, trigger_id: str) -> str:
    """For a slash command: the chart goes to the person's DM under a line naming the stats; returns
    the private answer's note saying so (empty when there is no chart)."""
    line = headline_line(reply.stats)
    if line is None:
        return ""
    key = f"stats:{trigger_id}"
    thread = f"stats:{user}"
    said = say("For ", Strong(title(reply.stats)), f": {line} follows in this thread.")
    ctx.services.outbox.notify(key, Notice("text", to=user, data={"message": to_data(said)}), thread=thread)
    send_chart(ctx, reply, key, user, thread)
    return f"{line[0].upper()}{line[1:]} is in your direct messages with ServiceBot."


__all__ = ["answer_command_privately", "send_chart", "stats_blocks"]
