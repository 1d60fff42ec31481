"""What every Slack handler needs: the core services, the Web API client, and Slack output helpers."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient

from handlers.blocks import Block, mrkdwn, rating_blocks, render_reply, ticket_card
from servicebot.bootstrap import Services
from servicebot.chat.replies import Reply
from servicebot.domain.tickets import Ticket
from servicebot.services.actors import Actor
from servicebot.services.messages import TicketMessages
from servicebot.services.tickets import Outcome, TicketService

CARD, TRIAGE, THREAD = "card", "triage", "thread"
# A post of the card (or its triage copy) that got no answer: Slack may have made it, so the retry looks
# for it before posting. Recorded under a made-up ts, since the real one is not known.
UNANSWERED = {CARD: "card?", TRIAGE: "triage?"}
LOG = logging.getLogger("servicebot.slack")


@dataclass
class SlackContext:
    services: Services
    client: WebClient
    bot_user_id: str | None = None
    logger: logging.Logger = LOG

    @property
    def tickets(self) -> TicketService:
        return self.services.tickets

    @property
    def messages(self) -> TicketMessages:
        return self.services.messages

    def actor(self, user_id: str) -> Actor:
        return self.services.actor(user_id)

    # -- output -----------------------------------------------------------------------------------------
    def post(
        self,
        channel: str,
        text: str,
        blocks: list[Block] | None = None,
        thread_ts: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> str | None:
        """Post a message; None (logged) when Slack refuses, so one failed post never loses the ticket.
        No answer at all (a timeout, a dropped connection) raises: Slack may have posted it."""
        try:
            response = self.client.chat_postMessage(
                channel=channel,
                text=text,
                blocks=blocks,
                thread_ts=thread_ts,
                unfurl_links=False,
                metadata=metadata,
            )
        except SlackApiError as exc:
            self.logger.warning("chat.postMessage to %s failed: %s", channel, exc.response.get("error"))
            return None
        return str(response["ts"])

    def reply(
        self, key: str, channel: str, text: str, blocks: list[Block] | None, thread_ts: str | None
    ) -> None:
        """The bot's answer to someone's message, through the outbox: sent once per message answered
        (`key`), after anything said before it in the same Slack thread."""
        payload: dict[str, Any] = {"channel": channel, "text": text, "unfurl_links": False}
        if blocks:
            payload["blocks"] = blocks
        if thread_ts:
            payload["thread_ts"] = thread_ts
        self.services.outbox.send(key, "chat.postMessage", payload, thread=reply_thread(channel, thread_ts))

    def ephemeral(self, channel: str | None, user: str, text: str, response_url: str | None = None) -> None:
        if response_url:
            self.respond(response_url, text)
            return
        if channel is None:
            return
        try:
            self.client.chat_postEphemeral(channel=channel, user=user, text=text)
        except SlackApiError as exc:
            self.logger.warning("chat.postEphemeral failed: %s", exc.response.get("error"))

    def respond(
        self,
        response_url: str,
        text: str,
        blocks: list[Block] | None = None,
        *,
        replace_original: bool = False,
        ephemeral: bool = True,
    ) -> None:
        body: dict[str, Any] = {"text": text, "response_type": "ephemeral" if ephemeral else "in_channel"}
        if blocks is not None:
            body["blocks"] = blocks
        if replace_original:
            body["replace_original"] = True
        try:
            result = WebhookClient(response_url, timeout=10).send_dict(body)
            if result.status_code >= 400:
                self.logger.warning("response_url answered %s", result.status_code)
        except OSError as exc:
            self.logger.warning("response_url unreachable: %s", exc)

    def render(self, reply: Reply) -> tuple[str, list[Block]]:
        settings = self.services.settings
        return render_reply(reply, self.services.catalogue, settings.desks, settings.tz)

    def card(self, ticket: Ticket) -> tuple[str, list[Block]]:
        settings = self.services.settings
        return ticket_card(ticket, self.services.catalogue, settings.desk(ticket.desk), settings.tz)

    # -- a ticket's messages -------------------------------------------------------------------------
    def thread_of(self, ticket_id: int) -> tuple[str, str] | None:
        for channel, ts, purpose in self.messages.messages_of(ticket_id):
            if purpose == THREAD:
                return channel, ts
        return None

    def refresh_cards(self, ticket: Ticket) -> None:
        """Redraw the ticket's cards as it is now, through the outbox: once per version of the ticket,
        after whatever was sent about it before."""
        text, blocks = self.card(ticket)
        for channel, ts, purpose in self.messages.messages_of(ticket.id):
            if purpose in (CARD, TRIAGE):
                self.services.outbox.send(
                    f"card:{channel}:{ts}:v{ticket.version}",
                    "chat.update",
                    {"channel": channel, "ts": ts, "text": text, "blocks": blocks},
                    thread=ticket_thread(ticket.id),
                )

    def announce(self, outcome: Outcome) -> None:
        """After a change: redraw the cards, tell the thread, ask for the rating once. All through the
        outbox, keyed by the ticket's version, so a replayed request sends nothing twice and a Slack outage
        delays these messages without losing them or changing their order."""
        ticket = outcome.ticket
        self.refresh_cards(ticket)
        thread = self.thread_of(ticket.id)
        if thread is None:
            return
        channel, ts = thread
        self.services.outbox.send(
            f"notice:{ticket.id}:v{ticket.version}",
            "chat.postMessage",
            {"channel": channel, "thread_ts": ts, "text": mrkdwn(outcome.message), "unfurl_links": False},
            thread=ticket_thread(ticket.id),
        )
        if outcome.ask_rating:
            text, blocks = rating_blocks(ticket)
            self.services.outbox.send(
                f"rating-ask:{ticket.id}",
                "chat.postMessage",
                {"channel": channel, "thread_ts": ts, "text": text, "blocks": blocks, "unfurl_links": False},
                thread=ticket_thread(ticket.id),
            )


def reply_thread(channel: str, thread_ts: str | None) -> str:
    """The outbox thread of the bot's answers in one Slack thread (or channel): sent in order."""
    return f"slack:{channel}:{thread_ts or ''}"


def ticket_thread(ticket_id: int) -> str:
    """The outbox thread of everything said about one ticket: its messages go out in order."""
    return f"ticket:{ticket_id}"
