"""The HTTP front door under anything a client sends: never a 5xx, and nothing kept that Slack did not sign.

The property test calls the real WSGI app (the one `serve --http` runs: Bolt, the handlers, the inbox on
SQLite, a fake Slack behind it) in this process, without sockets, so thousands of requests fit in seconds.
The examples after it go over real HTTP through waitress, as Slack's requests do."""

from __future__ import annotations

import http.client
import io
import json
import logging
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from slack_bolt import App
from sqlalchemy import func, select

import bot
import handlers.http
from handlers.http import MAX_BODY_BYTES, WSGIApp
from servicebot.bootstrap import Services, build_services
from servicebot.storage.tables import inbound_requests
from tests.conftest import make_settings
from tests.support.fake_slack import BOT_TOKEN, BOT_USER_ID, FakeSlack
from tests.support.live_app import SIGNING_SECRET, LiveApp, live_app
from tests.support.slack_requests import (
    block_actions,
    event_callback,
    message_event,
    message_shortcut,
    sign,
    slash_command,
)

INTAKE = "C0ICTHELP"


# -- the property ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Attempt:
    """One generated request: the bytes sent and whether Slack's signature over them checks out."""

    headers: dict[str, str]
    body: bytes
    content_length: str | None
    signed: bool


# Keys Bolt and the inbox look at, so generated JSON reaches their code paths and not only the parser.
_SLACK_KEYS = [
    "type",
    "event",
    "event_id",
    "actions",
    "action_ts",
    "action_id",
    "user",
    "id",
    "team",
    "team_id",
    "enterprise",
    "enterprise_id",
    "authorizations",
    "is_enterprise_install",
    "channel",
    "channel_id",
    "command",
    "trigger_id",
    "callback_id",
    "container",
    "message",
    "view",
    "ssl_check",
    "challenge",
    "token",
    "api_app_id",
    "user_id",
    "subtype",
    "text",
]
_SLACK_TYPES = [
    "event_callback",
    "url_verification",
    "block_actions",
    "message_action",
    "shortcut",
    "view_submission",
    "app_rate_limited",
    "message",
    "app_mention",
    "reaction_added",
]
_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats()  # NaN and Infinity too: json.dumps writes them, JSON has them not
    | st.sampled_from(_SLACK_TYPES)
    | st.text(max_size=20)
    | st.sampled_from(["a\x00b", "\ud800", "\udfff\ud800"])  # what a database column cannot keep
)
_json_values = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(_SLACK_KEYS) | st.text(max_size=8), inner, max_size=5)
    ),
    max_leaves=25,
)
_json_objects = st.dictionaries(st.sampled_from(_SLACK_KEYS), _json_values, max_size=8)


def _genuine() -> st.SearchStrategy[tuple[bytes, str]]:
    """Requests as Slack builds them (so some get all the way to the inbox), with generated words."""
    kinds = st.sampled_from(["event", "command", "action", "shortcut"])
    return st.tuples(kinds, st.text(min_size=1, max_size=40)).map(lambda t: _slack_payload(*t))


def _slack_payload(kind: str, text: str) -> tuple[bytes, str]:
    payload = {
        "event": lambda: event_callback(message_event(text, channel=INTAKE)),
        "command": lambda: slash_command(text=f"new {text}"),
        "action": lambda: block_actions("sb_assign", value=text),
        "shortcut": lambda: message_shortcut("log_as_ticket", message_text=text),
    }[kind]()
    return payload.body, payload.content_type


_odd_bodies: st.SearchStrategy[tuple[bytes, str]] = st.one_of(
    # Truncated. By a fraction: the payloads' lengths vary from run to run (fresh ids), the draws must not.
    st.tuples(_genuine(), st.floats(0, 1)).map(lambda t: (t[0][0][: int(len(t[0][0]) * t[1])], t[0][1])),
    _json_objects.map(lambda o: (json.dumps(o).encode(), "application/json")),
    _json_values.map(lambda v: (json.dumps(v).encode(), "application/json")),
    _json_objects.map(
        lambda o: (
            urllib.parse.urlencode({"payload": json.dumps(o)}).encode(),
            "application/x-www-form-urlencoded",
        )
    ),
    st.dictionaries(st.sampled_from([*_SLACK_KEYS, "payload"]), st.text(max_size=20), max_size=6).map(
        lambda f: (urllib.parse.urlencode(f).encode(), "application/x-www-form-urlencoded")
    ),
    st.integers(1, 5_000).map(lambda n: (b"[" * n + b"]" * n, "application/json")),  # nested deeply
    st.integers(1, 5_000).map(
        lambda n: (urllib.parse.urlencode({"payload": '{"a":' * n + "1" + "}" * n}).encode(), "")
    ),
    st.binary(max_size=300).map(lambda b: (b, "application/json")),
    st.binary(max_size=300).map(lambda b: (b, "application/x-www-form-urlencoded")),
    st.just((b"", "application/json")),
    st.just((b"", "")),
    st.just(MAX_BODY_BYTES + 1).map(lambda n: (b"{" * n, "application/json")),  # oversized
    st.just(('{"type": "url_verification", "challenge": "\udcff"}'.encode("utf-8", "surrogatepass"), "")),
)
# Half as Slack builds them (one_of would flatten and give them a fourteenth), half anything else.
_bodies = st.booleans().flatmap(lambda genuine: _genuine() if genuine else _odd_bodies)
_content_types = st.one_of(
    st.just(None),  # keep the body's own
    st.sampled_from(
        ["", "text/plain", "application/json; charset=utf-8", "application/x-www-form-urlencoded"]
    ),
    st.text(max_size=30),
)


# Seconds between this generator reading the clock and the server reading it, with room to spare.
_CLOCK_MARGIN = 60


@st.composite
def attempts(draw: st.DrawFn) -> Attempt:
    body, own_type = draw(_bodies)
    now = int(time.time())
    good_ts = str(now)
    if draw(st.booleans()):  # as Slack sends it, so half the requests get past the signature
        headers = {"Content-Type": own_type, **sign(SIGNING_SECRET, body, now)}
        return Attempt(headers, body, str(len(body)), signed=len(body) <= MAX_BODY_BYTES)
    content_type = draw(_content_types)
    timestamp = draw(
        st.one_of(
            st.just(good_ts),
            st.just(None),
            st.just(f"{good_ts}, {good_ts}"),  # sent twice: WSGI servers join repeated headers
            st.integers(301, 10**9).map(lambda age: str(now - age)),  # too old: a replay
            # Not from 301: the server reads its clock after this draw, and a second ticking over between
            # the two made now + 301 a valid timestamp (a flaky CI failure). The exact edge is
            # test_the_five_minute_window_is_exact_both_ways, on a fixed clock.
            st.integers(301 + _CLOCK_MARGIN, 10**40).map(lambda ahead: str(now + ahead)),  # ahead, or huge
            st.integers(-(10**12), -1).map(str),
            st.sampled_from(["abc", "", " ", f" {good_ts}", f"{good_ts}.5", "١٧٠٠٠٠٠٠٠٠", "0x10", "1e9"]),
            st.text(max_size=30),
        )
    )
    length_choice = draw(st.sampled_from(["exact", "exact", "exact", "missing", "short", "long", "junk"]))
    sent = body[: max(len(body) - 7, 0)] if length_choice == "short" else body
    content_length = {
        "exact": str(len(body)),
        "missing": None,
        "short": str(len(sent)),
        "long": str(len(body) + 10),  # the body ends early: the bytes read are fewer than announced
        "junk": draw(st.sampled_from(["-1", "abc", "", str(MAX_BODY_BYTES + 1)])),
    }[length_choice]
    read = _bytes_read(sent, content_length)
    sign_over = draw(st.sampled_from(["read", "read", "other", "none"]))
    signed_body = read if sign_over == "read" else read + b" "  # "other": the body changed after signing
    signature = draw(
        st.one_of(
            st.just(sign(SIGNING_SECRET, signed_body, _int_or(timestamp, now))["X-Slack-Signature"]),
            st.none(),
            st.just("v0=" + "0" * 64),
            st.text(max_size=70),
            st.just("v1=" + "a" * 64),
        )
    )
    if sign_over == "none":
        signature = None
    headers = {"Content-Type": own_type if content_type is None else content_type}
    if timestamp is not None:
        headers["X-Slack-Request-Timestamp"] = timestamp
    if signature is not None:
        if draw(st.booleans()) and draw(st.booleans()):
            signature = f"{signature}, {signature}"
        headers["X-Slack-Signature"] = signature
    if draw(st.booleans()):
        headers["X-Slack-Retry-Num"] = draw(st.sampled_from(["1", "x", ""]))
    correct = sign(SIGNING_SECRET, read, now)["X-Slack-Signature"]
    signed = timestamp == good_ts and signature == correct and sign_over == "read"
    return Attempt(headers, sent, content_length, signed)


def _int_or(text: str | None, default: int) -> int:
    try:
        return int(text or "")
    except ValueError:
        return default


def _bytes_read(sent: bytes, content_length: str | None) -> bytes:
    try:
        length = int(content_length or 0)
    except ValueError:
        return b""
    return sent[:length] if 0 <= length <= MAX_BODY_BYTES else b""


def _call(app: WSGIApp, attempt: Attempt) -> tuple[int, bytes]:
    environ: dict[str, Any] = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/slack/events",
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "3000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.input": io.BytesIO(attempt.body),
        "wsgi.url_scheme": "http",
    }
    if attempt.content_length is not None:
        environ["CONTENT_LENGTH"] = attempt.content_length
    for name, value in attempt.headers.items():
        key = name.upper().replace("-", "_")
        environ[key if key == "CONTENT_TYPE" else f"HTTP_{key}"] = value
    statuses: list[str] = []
    body = b"".join(app(environ, lambda status, headers, exc_info=None: statuses.append(status)))
    return int(statuses[0].split()[0]), body


@pytest.fixture
def front_door(tmp_path: Path) -> Iterator[tuple[WSGIApp, Services]]:
    """The web process's WSGI app exactly as `serve --http` builds it; no worker, so what is stored stays."""
    with FakeSlack() as slack:
        settings_ = make_settings(
            tmp_path,
            SLACK_BOT_TOKEN=BOT_TOKEN,
            SLACK_SIGNING_SECRET=SIGNING_SECRET,
            SLACK_API_URL=slack.api_url,
        )
        services = build_services(settings_)
        try:
            yield bot.wsgi_app(bot.build_slack_app(services), services), services
        finally:
            services.close()


def _stored(services: Services) -> int:
    with services.inbox.db.read() as session:
        return int(session.execute(select(func.count()).select_from(inbound_requests)).scalar_one())


def test_no_request_gets_a_5xx_and_nothing_unsigned_is_stored(front_door: tuple[WSGIApp, Services]) -> None:
    app, services = front_door
    logging.getLogger("slack_bolt").setLevel(logging.CRITICAL)  # thousands of "unhandled request" warnings
    seen = {"signed": 0, "stored": 0}

    @settings(
        max_examples=2000,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(attempt=attempts())
    def check(attempt: Attempt) -> None:
        before = _stored(services)
        status, body = _call(app, attempt)
        assert status < 500, (status, body)
        if attempt.signed:
            seen["signed"] += 1
            seen["stored"] += _stored(services) > before
        else:
            assert status in (401, 413), (status, body)
            assert _stored(services) == before, "an unsigned request was stored"

    check()
    # The generator must reach past the signature check and into the inbox, or the property says little.
    assert seen["signed"] > 200 and seen["stored"] > 20, seen


# -- the named cases, over real HTTP ------------------------------------------------------------------------
@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveApp]:
    with live_app(tmp_path) as app:
        yield app


def _post(live: LiveApp, body: bytes, headers: list[tuple[str, str]]) -> tuple[int, dict[str, Any]]:
    """POST with exactly these headers (repeats included), which urllib cannot send."""
    host, port = urllib.parse.urlsplit(live.base_url).netloc.split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        connection.putrequest("POST", "/slack/events")
        for name, value in [*headers, ("Content-Length", str(len(body)))]:
            connection.putheader(name, value)
        connection.endheaders(body)
        response = connection.getresponse()
        return response.status, json.loads(response.read() or b"{}")
    finally:
        connection.close()


def _event_body() -> bytes:
    return event_callback(message_event("the printer on floor 2 is jammed", channel=INTAKE)).body


def _signed(body: bytes, timestamp: int | None = None) -> list[tuple[str, str]]:
    return [("Content-Type", "application/json"), *sign(SIGNING_SECRET, body, timestamp).items()]


def test_a_timestamp_that_is_not_a_number_is_401_not_500(live: LiveApp) -> None:
    body = _event_body()
    headers = [(k, "abc" if k == "X-Slack-Request-Timestamp" else v) for k, v in _signed(body)]
    status, answer = _post(live, body, headers)
    assert (status, answer["error"]) == (401, "X-Slack-Request-Timestamp is not a Unix time in seconds")
    assert live.inbox() == []


def test_a_repeated_or_missing_timestamp_is_401(live: LiveApp) -> None:
    body = _event_body()
    headers = _signed(body)
    [timestamp] = [h for h in headers if h[0] == "X-Slack-Request-Timestamp"]
    assert _post(live, body, [*headers, timestamp])[0] == 401
    assert _post(live, body, [h for h in headers if h != timestamp])[0] == 401
    assert live.inbox() == []


def test_a_signed_body_that_is_not_utf8_is_400_naming_it(live: LiveApp) -> None:
    body = b'{"type": "event_callback", "event_id": "Ev\xff\xfe"}'
    status, answer = _post(live, body, _signed(body))
    assert (status, answer["error"]) == (400, "the body is not UTF-8 (byte 42)")
    assert live.inbox() == []


def test_a_signed_form_without_a_payload_or_a_deeply_nested_one_is_400(live: LiveApp) -> None:
    form = [("Content-Type", "application/x-www-form-urlencoded")]
    body = b"text=my%20payload%20failed"
    status, answer = _post(live, body, [*form, *sign(SIGNING_SECRET, body).items()])
    assert (status, answer["error"]) == (400, "the form has neither a payload nor a command")
    body = urllib.parse.urlencode({"payload": "[" * 100_000 + "]" * 100_000}).encode()
    status, answer = _post(live, body, [*form, *sign(SIGNING_SECRET, body).items()])
    assert (status, answer["error"]) == (400, "the payload is JSON nested too deeply")


def test_a_slash_command_whose_text_says_payload_is_still_a_command(live: LiveApp) -> None:
    """Bolt reads any form body containing "payload" as an interaction; ours is read as the form it is."""
    body = slash_command(text="new the payload upload page is down").body
    form = [("Content-Type", "application/x-www-form-urlencoded")]
    assert _post(live, body, [*form, *sign(SIGNING_SECRET, body).items()])[0] == 200
    live.settled()
    assert [row.kind for row in live.inbox()] == ["command"]
    assert live.ticket_count() == 1


def test_an_old_timestamp_is_401_even_when_correctly_signed(live: LiveApp) -> None:
    body = _event_body()
    status, answer = _post(live, body, _signed(body, int(time.time()) - 5 * 60 - 30))
    assert status == 401 and "more than 5 minutes" in answer["error"]
    assert live.inbox() == []


@pytest.mark.parametrize(
    ("away", "status"),
    [(-301, 401), (-300, 200), (0, 200), (300, 200), (301, 401)],
    ids=["301s-old", "300s-old", "now", "300s-ahead", "301s-ahead"],
)
def test_the_five_minute_window_is_exact_both_ways(away: int, status: int) -> None:
    """On a fixed clock, so the edge is the rule's and not the test's timing (see _CLOCK_MARGIN)."""
    now = 1_796_111_490
    recorded: list[dict[str, Any]] = []

    def record(request: dict[str, Any]) -> bool:
        recorded.append(request)
        return True

    bolt = App(token=BOT_TOKEN, signing_secret=SIGNING_SECRET, token_verification_enabled=False)
    app = handlers.http.wsgi_app(bolt, SIGNING_SECRET, lambda: None, clock=lambda: float(now), record=record)
    body = _event_body()
    headers = {"Content-Type": "application/json", **sign(SIGNING_SECRET, body, now + away)}
    got, answer = _call(app, Attempt(headers, body, str(len(body)), signed=True))
    assert got == status, answer
    assert recorded == ([json.loads(body)] if status == 200 else [])


def test_a_body_changed_after_signing_is_401(live: LiveApp) -> None:
    body = _event_body()
    headers = _signed(body)
    changed = body.replace(b"floor 2", b"floor 3")
    assert _post(live, changed, headers) == (401, {"ok": False, "error": "invalid signature"})
    assert live.inbox() == []


# -- the fast path: events recorded and acknowledged without Bolt ------------------------------------------
def test_an_event_the_bot_works_on_is_recorded_once_however_often_it_is_delivered(live: LiveApp) -> None:
    body = _event_body()
    answers = [_post(live, body, _signed(body)) for _ in range(3)]
    assert answers == [(200, {})] * 3
    live.settled()
    assert [row.kind for row in live.inbox()] == ["event"]
    assert live.ticket_count() == 1


def test_the_bots_own_message_is_acknowledged_and_not_recorded(live: LiveApp) -> None:
    body = event_callback(message_event("Logged T-00001", user=BOT_USER_ID, channel=INTAKE)).body
    assert _post(live, body, _signed(body)) == (200, {})
    assert live.inbox() == []


def test_another_apps_message_is_left_to_bolt_and_makes_no_ticket(live: LiveApp) -> None:
    body = event_callback(
        message_event("Build 42 failed", user="U0OTHERAPP", channel=INTAKE, bot_id="B0CI")
    ).body
    assert _post(live, body, _signed(body))[0] == 200
    live.settled()
    assert live.ticket_count() == 0


def test_a_url_verification_is_still_answered_with_its_challenge(live: LiveApp) -> None:
    body = json.dumps(
        {"type": "url_verification", "token": "t", "challenge": "3eZbrw1aBm2rZgRNFdxV"}
    ).encode()
    assert _post(live, body, _signed(body)) == (200, {"challenge": "3eZbrw1aBm2rZgRNFdxV"})
    assert live.inbox() == []


# -- what a database column cannot keep --------------------------------------------------------------------
@pytest.mark.parametrize(
    ("number", "error"),
    [
        ("Infinity", "Infinity is not a JSON number"),
        ("-Infinity", "-Infinity is not a JSON number"),
        ("NaN", "NaN is not a JSON number"),
        ("1e400", "the number 1e400 is too large"),  # Python would read it as infinity
    ],
)
def test_a_number_json_has_not_is_400_naming_it_and_nothing_is_stored(
    live: LiveApp, number: str, error: str
) -> None:
    """PostgreSQL's json type refuses NaN and Infinity: stored, such a row failed its whole batch (a 503
    for every request that shared it) and, through Bolt, was a 500."""
    for body in (
        _event_body().replace(b'"type": "message"', f'"score": {number}, "type": "message"'.encode(), 1),
        f'{{"command": "/servicebot", "trigger_id": "13.1", "n": {number}}}'.encode(),
    ):
        assert number.encode() in body
        status, answer = _post(live, body, _signed(body))
        assert (status, answer["error"]) == (400, f"the body is not JSON: {error}")
    assert live.inbox() == []


def test_a_nul_or_an_unpaired_surrogate_in_an_event_is_replaced_and_the_ticket_kept(live: LiveApp) -> None:
    """Slack never sends them, but a signed body could: PostgreSQL's text refuses NUL and UTF-8 has no
    lone surrogate, so the worker could not write the ticket and the request would fail every retry."""
    body = event_callback(
        message_event("the printer on floor 2 is jammed \x00 again \ud800", channel=INTAKE)
    ).body
    assert b"\\u0000" in body and b"\\ud800" in body
    assert _post(live, body, _signed(body)) == (200, {})
    live.settled()
    [ticket] = live.tickets()
    assert ticket.text == "the printer on floor 2 is jammed \ufffd again \ufffd"


def test_a_nul_in_a_slash_command_is_replaced_and_the_ticket_kept(live: LiveApp) -> None:
    body = slash_command(text="new the printer on floor 2 is jammed", user_name="al\x00ex").body
    assert b"%00" in body
    form = [("Content-Type", "application/x-www-form-urlencoded")]
    assert _post(live, body, [*form, *sign(SIGNING_SECRET, body).items()])[0] == 200
    live.settled()
    [row] = live.inbox()
    assert row.payload["user_name"] == "al\ufffdex" and row.processed_at is not None
    assert live.ticket_count() == 1
