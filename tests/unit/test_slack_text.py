"""The Slack side of the core's plain messages: structure in, mrkdwn out; mentions in, user ids out."""

from __future__ import annotations

import pytest

from handlers.blocks import mrkdwn
from handlers.mentions import command_line
from servicebot.chat.commands import HELP
from servicebot.domain.errors import InvalidInput
from servicebot.domain.message import Code, Emphasis, Strong, User, say


def test_mrkdwn_renders_people_as_mentions_and_structure_as_markup() -> None:
    message = say("T-00001 is assigned to ", User("U0AGENT01"), " in ", Strong("Password reset"), ".")
    assert mrkdwn(message) == "T-00001 is assigned to <@U0AGENT01> in *Password reset*."
    assert str(message) == "T-00001 is assigned to U0AGENT01 in Password reset."


def test_errors_carry_the_same_structure_as_replies() -> None:
    error = InvalidInput("Rate with ", Code("up"), ", e.g. ", Emphasis("now"))
    assert str(error) == "Rate with up, e.g. now"
    assert mrkdwn(error.message) == "Rate with `up`, e.g. _now_"


# The help text as it stood when the core still wrote Slack markup itself (plus issue 8's `new`/`log` row
# and issue 9's outages, and issue 10's stats and alerts):
# Slack must see exactly this markup.
SLACK_HELP_BEFORE = """*ServiceBot* logs and routes your request. Just describe the problem,
e.g. _"outlook keeps asking for my password"_. Commands:
• `new <text>`: log your words as a ticket as they stand (`log` answers _Shall I log this?_)
• `status [desk]`: open tickets by queue, and the services out
• `mine`: your tickets (agents: assigned to you; everyone else: raised by you)
• `show T-00042`: a ticket and its history
• `assign T-00042 [@someone]`, `resolve T-00042 [note]`
• `escalate T-00042 [queue]`, `transfer T-00042 <queue>`
• `reopen T-00042 [reason]`, `intent T-00042 <intent_id>`, `callback T-00042 [note]`, `note T-00042 <text>`
• `pick T-00042 <intent_id|none>`, `fixed T-00042` / `notfixed T-00042` (self-help), `rate T-00042 up|down`
• `outage start <service> [note]`, `outage end <service>`: a service is out, or back (agents)
• `stats [today|yesterday|week|month|YYYY-MM|YYYY-MM-DD] [desk]`: a desk's figures and KPIs (managers)
• `alerts`: open breach alerts; `alert ack|snooze|comment <id> …`: answer one (its owners, director, managers)
• `help`: this message"""


def test_help_in_slack_is_the_same_text_as_before_the_core_lost_its_markup() -> None:
    assert mrkdwn(HELP) == SLACK_HELP_BEFORE
    assert "`" not in str(HELP) and "*" not in str(HELP), "the console gets it without markup"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("assign T-00042 <@U0AGENT02|sam>", "assign T-00042 @U0AGENT02"),
        ("assign T-00042 <@U0AGENT02>", "assign T-00042 @U0AGENT02"),
        ("note T-1 spoke to <@U0AB|ann> and <@U0CD>", "note T-1 spoke to @U0AB and @U0CD"),
        # A new query keeps what the person wrote: it is the ticket's text.
        ("<@U0AB> my printer is jammed", "<@U0AB> my printer is jammed"),
    ],
)
def test_command_lines_take_people_as_user_ids(line: str, expected: str) -> None:
    assert command_line(line) == expected
