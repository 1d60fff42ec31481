"""Errors a person should see: the message says what was wrong and, where it helps, what to do instead.
The ticket's own rules raise `tickets.TicketRuleError`, one of these.

Every front end catches `UserError` in one place and shows its message (Slack: a warning to that person;
console: "Sorry: …"; command line: stderr and exit 1). Anything else is a bug: logged, never shown.
"""

from __future__ import annotations

from servicebot.domain.message import Message, Span, say


class UserError(Exception):
    def __init__(self, *parts: Span | Message) -> None:
        self.message = say(*parts)
        super().__init__(str(self.message))


class InvalidInput(UserError):
    """Input that cannot become a ticket or a command."""


class NotAllowed(UserError):
    """The person's role does not allow this; the message says which role would."""


class NotFound(UserError):
    """What was asked for (a ticket, say) does not exist."""
