"""Slack's signature, case by case, over real HTTP through the app `serve --http` runs: each way a request
can fail the check is a 401 that stores nothing anywhere (no inbox row, no ticket, no outbox message), for
every kind of request Slack sends. Each kind then sends the same request correctly signed, which must be
stored, so "nothing stored" cannot pass because nothing is ever stored."""

from __future__ import annotations

import http.client
import json
import time
import urllib.parse
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from servicebot.storage.tables import inbound_requests, outbox, ticket_events, tickets
from tests.support.live_app import SIGNING_SECRET, LiveApp, live_app
from tests.support.slack_requests import (
    Payload,
    block_actions,
    event_callback,
    message_event,
    message_shortcut,
    sign,
    slash_command,
)

INTAKE = "C0ICTHELP"
OLD_SECRET = "0ld5ecret0ld5ecret0ld5ecret0ld5e"  # the secret before a rotation
TS, SIG = "X-Slack-Request-Timestamp", "X-Slack-Signature"

Headers = dict[str, str]
# A case: given the body and correctly signed headers, the (body, headers) actually sent.
Tamper = Callable[[bytes, Headers], tuple[bytes, Headers]]


def _resign(body: bytes, timestamp: int, secret: str = SIGNING_SECRET) -> Headers:
    return sign(secret, body, timestamp)


def _bad_signature(body: bytes, headers: Headers) -> tuple[bytes, Headers]:
    good = headers[SIG]
    flipped = good[:-1] + ("0" if good[-1] != "0" else "1")  # well-formed, one hex digit wrong
    return body, {**headers, SIG: flipped}


def _replayed(body: bytes, headers: Headers) -> tuple[bytes, Headers]:
    return body, _resign(body, int(time.time()) - 5 * 60 - 30)  # correctly signed, 5½ minutes old


def _from_the_future(body: bytes, headers: Headers) -> tuple[bytes, Headers]:
    return body, _resign(body, int(time.time()) + 5 * 60 + 30)


def _no_signature(body: bytes, headers: Headers) -> tuple[bytes, Headers]:
    return body, {k: v for k, v in headers.items() if k != SIG}


def _no_timestamp(body: bytes, headers: Headers) -> tuple[bytes, Headers]:
    return body, {k: v for k, v in headers.items() if k != TS}


def _one_byte_changed(body: bytes, headers: Headers) -> tuple[bytes, Headers]:
    # A letter in the middle becomes another letter: still UTF-8, still the same shape, not what was signed.
    middle = len(body) // 2
    at = next(i for i in range(middle, len(body)) if chr(body[i]).isalpha())
    changed = body[:at] + bytes([body[at] ^ 0x01]) + body[at + 1 :]
    assert len(changed) == len(body) and changed != body
    return changed, headers


def _old_secret(body: bytes, headers: Headers) -> tuple[bytes, Headers]:
    return body, _resign(body, int(headers[TS]), OLD_SECRET)


CASES: dict[str, tuple[Tamper, str]] = {
    "bad signature": (_bad_signature, "invalid signature"),
    "replay older than 5 minutes": (_replayed, "more than 5 minutes away"),
    "timestamp too far in the future": (_from_the_future, "more than 5 minutes away"),
    "missing signature header": (_no_signature, "missing X-Slack-Signature"),
    "missing timestamp header": (_no_timestamp, "missing X-Slack-Request-Timestamp"),
    "one byte changed after signing": (_one_byte_changed, "invalid signature"),
    "signed with the old secret": (_old_secret, "invalid signature"),
}

KINDS: dict[str, Callable[[], Payload]] = {
    "event": lambda: event_callback(message_event("the printer on floor 2 is jammed again", channel=INTAKE)),
    "slash command": lambda: slash_command(text="new the printer on floor 2 is jammed again"),
    "interactive (shortcut)": lambda: message_shortcut(
        "log_as_ticket", message_text="the printer on floor 2 is jammed again"
    ),
    "interactive (button)": lambda: block_actions("sb_assign", value="42"),
}


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveApp]:
    with live_app(tmp_path) as app:
        yield app


def _post(live: LiveApp, body: bytes, headers: Headers, content_type: str) -> tuple[int, dict[str, Any]]:
    host, port = urllib.parse.urlsplit(live.base_url).netloc.split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        connection.putrequest("POST", "/slack/events")
        for name, value in [("Content-Type", content_type), *headers.items()]:
            connection.putheader(name, value)
        connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body)
        response = connection.getresponse()
        return response.status, json.loads(response.read() or b"{}")
    finally:
        connection.close()


def _counts(live: LiveApp) -> dict[str, int]:
    def count(db: Any, table: Any) -> int:
        with db.read() as session:
            return int(session.execute(select(func.count()).select_from(table)).scalar_one())

    return {
        "inbox": count(live.services.inbox.db, inbound_requests),
        "tickets": count(live.services.db, tickets),
        "events": count(live.services.db, ticket_events),
        "outbox": count(live.services.db, outbox),
    }


@pytest.mark.parametrize("kind", list(KINDS))
def test_every_unverifiable_request_is_401_and_stores_nothing(live: LiveApp, kind: str) -> None:
    nothing = {"inbox": 0, "tickets": 0, "events": 0, "outbox": 0}
    for case, (tamper, error) in CASES.items():
        payload = KINDS[kind]()
        body, headers = tamper(payload.body, sign(SIGNING_SECRET, payload.body))
        status, answer = _post(live, body, headers, payload.content_type)
        assert status == 401, (kind, case, status, answer)
        assert error in answer["error"], (kind, case, answer)
    live.settled()
    assert _counts(live) == nothing, kind

    # The control: the same kind of request, correctly signed, is stored (and, for a new ticket, worked).
    payload = KINDS[kind]()
    status, _ = _post(live, payload.body, sign(SIGNING_SECRET, payload.body), payload.content_type)
    assert status == 200, kind
    live.settled()
    assert _counts(live)["inbox"] == 1, kind


def test_a_tampered_request_then_its_genuine_original_makes_one_ticket(live: LiveApp) -> None:
    """A refused request leaves no trace that could stand in for the real one (its key is not taken)."""
    payload = KINDS["event"]()
    genuine = sign(SIGNING_SECRET, payload.body)
    changed, headers = _one_byte_changed(payload.body, genuine)
    assert _post(live, changed, headers, payload.content_type)[0] == 401
    assert _post(live, payload.body, genuine, payload.content_type)[0] == 200
    live.settled()
    live.wait_until(lambda: live.ticket_count() == 1, what="the genuine event's ticket")
    [ticket] = live.tickets()
    assert ticket.text == "the printer on floor 2 is jammed again"
