"""Buttons and menus on ticket cards, self-help offers, triage questions and rating prompts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import ValidationError

from handlers import blocks as b
from handlers.context import SlackContext
from handlers.payloads import BlockActions, describe
from servicebot.domain.tickets import TicketRuleError
from servicebot.services.actors import Actor, PermissionDenied
from servicebot.services.tickets import InvalidInput, Outcome, TicketNotFound, TicketService

Handler = Callable[[TicketService, int, Actor, str], Outcome]

_BY_ACTION: dict[str, Handler] = {
    b.ASSIGN: lambda s, t, a, _: s.assign(t, a),
    b.RESOLVE: lambda s, t, a, _: s.resolve(t, a),
    b.ESCALATE: lambda s, t, a, _: s.escalate(t, a),
    b.TRANSFER: lambda s, t, a, arg: s.escalate(t, a, arg),
    b.REOPEN: lambda s, t, a, _: s.reopen(t, a, "reopened from Slack"),
    b.INTENT: lambda s, t, a, arg: s.change_intent(t, arg, a),
    b.PICK: lambda s, t, a, arg: s.pick_intent(t, None if arg == "none" else arg, a),
    b.SELF_HELP_FIXED: lambda s, t, a, _: s.self_help_result(t, a, fixed=True),
    b.SELF_HELP_MORE: lambda s, t, a, _: s.self_help_result(t, a, fixed=False),
    b.RATE: lambda s, t, a, arg: s.rate(t, a, positive=arg == "up"),
}
# The rating prompt is its own message: the thanks replaces it, so nobody rates twice. (Triage questions
# and self-help offers sit on the card, which every change redraws without them.)
_REPLACES_QUESTION = frozenset({b.RATE})


def parse_value(value: str) -> tuple[int, str]:
    """Button values are "<ticket id>" or "<ticket id>:<argument>"."""
    ticket, _, arg = value.partition(":")
    if not ticket.isdigit():
        raise InvalidInput(f"that button's value {value!r} does not name a ticket")
    return int(ticket), arg


def process_action(ctx: SlackContext, body: dict[str, Any]) -> None:
    try:
        payload = BlockActions.model_validate(body)
    except ValidationError as exc:
        ctx.logger.warning("ignored malformed block action: %s", describe(exc))
        return
    action = payload.actions[0]
    handler = _BY_ACTION.get(action.action_id)
    if handler is None:
        ctx.logger.info("no handler for action %s", action.action_id)
        return
    user = payload.user.id
    try:
        ticket_id, arg = parse_value(action.chosen)
        outcome = handler(ctx.tickets, ticket_id, ctx.actor(user), arg)
    except (InvalidInput, TicketRuleError, TicketNotFound, PermissionDenied) as exc:
        ctx.ephemeral(payload.channel_id, user, f":warning: {exc}")
        return
    if action.action_id in _REPLACES_QUESTION and payload.response_url:
        ctx.respond(payload.response_url, outcome.message, replace_original=True, ephemeral=False)
        return
    ctx.announce(outcome)
