"""Tests for the Slack test toolkit itself (tests/support).

Every end-to-end test trusts FakeSlack to answer like Slack and slack_requests to sign like Slack;
if either drifted, those tests would pass against behaviour production never sees. So these tests
drive the toolkit with the real slack_sdk WebClient, SignatureVerifier and a real Bolt app.
"""

from __future__ import annotations

import json
import re
import threading
import time
import urllib.parse
from collections.abc import Iterator
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest
from slack_bolt import Ack, App, Respond, Say
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.signature import SignatureVerifier

from tests.support.fake_slack import BOT_TOKEN, BOT_USER_ID, FakeSlack
from tests.support.slack_requests import (
    CHANNEL_ID,
    SlackSender,
    app_mention_event,
    block_actions,
    event_callback,
    message_event,
    sign,
    slash_command,
)

SIGNING_SECRET = "test-signing-secret"
BLOCKS = [{"type": "section", "text": {"type": "mrkdwn", "text": "*INC0001* logged"}}]


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake


@pytest.fixture
def client(slack: FakeSlack) -> WebClient:
    return WebClient(token=BOT_TOKEN, base_url=slack.api_url, timeout=5)


# -- Web API behaviour ---------------------------------------------------------------------------------


def test_api_url_is_a_webclient_base_url(slack: FakeSlack) -> None:
    assert slack.api_url.startswith("http://127.0.0.1:")
    assert slack.api_url.endswith("/api/")


def test_post_message_returns_unique_increasing_ts_and_records_decoded_blocks(
    slack: FakeSlack, client: WebClient
) -> None:
    first = client.chat_postMessage(channel=CHANNEL_ID, text="hello", blocks=BLOCKS)
    second = client.chat_postMessage(channel=CHANNEL_ID, text="again", thread_ts=first["ts"])

    assert first["ok"] is True and first["channel"] == CHANNEL_ID
    assert re.fullmatch(r"\d{10}\.\d{6}", first["ts"])
    assert float(second["ts"]) > float(first["ts"])
    assert first["message"]["blocks"] == BLOCKS
    assert first["message"]["bot_id"] == "BSERVICE"
    assert second["message"]["thread_ts"] == first["ts"]

    call = slack.calls_to("chat.postMessage")[0]
    assert call.args["blocks"] == BLOCKS
    assert call.token == BOT_TOKEN
    assert call.ok and call.status == 200
    assert [m["text"] for m in slack.posted_messages()] == ["hello", "again"]


def test_form_encoded_json_args_are_decoded_but_text_is_not(slack: FakeSlack, client: WebClient) -> None:
    # slack_sdk form-encodes many methods and JSON-encodes structured values into the form fields.
    client.api_call(
        "chat.postMessage",
        data={"channel": CHANNEL_ID, "text": "[1]", "blocks": json.dumps(BLOCKS)},
    )
    args = slack.posted_messages()[0]
    assert args["blocks"] == BLOCKS
    assert args["text"] == "[1]"


def test_get_requests_read_the_query_string(slack: FakeSlack, client: WebClient) -> None:
    user = client.users_info(user="U0REQUESTER")["user"]
    assert user["id"] == "U0REQUESTER" and user["tz"] == "Europe/London"
    assert user["real_name"] and user["name"]
    assert slack.calls_to("users.info")[0].args == {"user": "U0REQUESTER"}


def test_auth_test_identifies_the_bot(client: WebClient) -> None:
    resp = client.auth_test()
    assert (resp["user_id"], resp["bot_id"], resp["team_id"]) == (BOT_USER_ID, "BSERVICE", "T0COUNCIL")


@pytest.mark.parametrize(("token", "error"), [(None, "not_authed"), ("xoxb-wrong", "invalid_auth")])
def test_auth_errors_raise_like_slack(slack: FakeSlack, token: str | None, error: str) -> None:
    client = WebClient(token=token, base_url=slack.api_url)
    with pytest.raises(SlackApiError) as excinfo:
        client.chat_postMessage(channel=CHANNEL_ID, text="hi")
    assert excinfo.value.response.status_code == 200
    assert excinfo.value.response["error"] == error
    assert slack.posted_messages() == []


@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing:UserWarning")
@pytest.mark.parametrize(
    ("kwargs", "error"),
    [({"channel": "", "text": "hi"}, "channel_not_found"), ({"channel": CHANNEL_ID}, "no_text")],
)
def test_post_message_validates_like_slack(client: WebClient, kwargs: dict[str, Any], error: str) -> None:
    with pytest.raises(SlackApiError) as excinfo:
        client.chat_postMessage(**kwargs)
    assert excinfo.value.response["error"] == error


def test_unknown_method(client: WebClient) -> None:
    with pytest.raises(SlackApiError) as excinfo:
        client.api_call("chat.sendCarrierPigeon")
    assert excinfo.value.response["error"] == "unknown_method"


def test_chat_update_needs_a_known_message(client: WebClient) -> None:
    posted = client.chat_postMessage(channel=CHANNEL_ID, text="Status: open")
    updated = client.chat_update(channel=CHANNEL_ID, ts=posted["ts"], text="Status: resolved")
    assert updated["message"]["text"] == "Status: resolved"
    with pytest.raises(SlackApiError) as excinfo:
        client.chat_update(channel=CHANNEL_ID, ts="1.000001", text="nope")
    assert excinfo.value.response["error"] == "message_not_found"


def test_other_methods_answer_realistically(client: WebClient) -> None:
    dm = client.conversations_open(users="U0REQUESTER")["channel"]["id"]
    assert dm.startswith("D")
    assert client.conversations_open(users="U0REQUESTER")["channel"]["id"] == dm
    assert client.conversations_info(channel=CHANNEL_ID)["channel"]["name"] == "ict-help"
    assert client.chat_postEphemeral(channel=CHANNEL_ID, user="U0REQUESTER", text="psst")["message_ts"]
    posted = client.chat_postMessage(channel=dm, text="Your ticket")
    assert client.chat_getPermalink(channel=dm, message_ts=posted["ts"])["permalink"].startswith("https://")
    client.reactions_add(channel=CHANNEL_ID, timestamp=posted["ts"], name="eyes")
    with pytest.raises(SlackApiError, match="already_reacted"):
        client.reactions_add(channel=CHANNEL_ID, timestamp=posted["ts"], name="eyes")
    view = {"type": "modal", "title": {"type": "plain_text", "text": "Log a call"}, "blocks": BLOCKS}
    assert client.views_open(trigger_id="123.456.abc", view=view)["view"]["id"].startswith("V")
    assert client.views_publish(user_id="U0REQUESTER", view={"type": "home", "blocks": []})["ok"]


# -- fault injection -----------------------------------------------------------------------------------


def test_fail_next_is_consumed_in_order(slack: FakeSlack, client: WebClient) -> None:
    slack.fail_next("chat.postMessage", error="channel_not_found", times=2)
    for _ in range(2):
        with pytest.raises(SlackApiError) as excinfo:
            client.chat_postMessage(channel=CHANNEL_ID, text="hi")
        assert excinfo.value.response["error"] == "channel_not_found"
    client.chat_postMessage(channel=CHANNEL_ID, text="hi")

    assert [(c.ok, c.fault) for c in slack.calls_to("chat.postMessage")] == [
        (False, "fail"),
        (False, "fail"),
        (True, None),
    ]
    assert len(slack.posted_messages()) == 1


def test_rate_limit_without_retry_handler_surfaces_429_and_retry_after(
    slack: FakeSlack, client: WebClient
) -> None:
    slack.rate_limit_next("chat.postMessage", retry_after=7)
    with pytest.raises(SlackApiError) as excinfo:
        client.chat_postMessage(channel=CHANNEL_ID, text="hi")
    response = excinfo.value.response
    assert response.status_code == 429
    assert response["error"] == "ratelimited"
    assert response.headers["Retry-After"] == "7"
    assert slack.calls_to("chat.postMessage")[0].status == 429


def test_rate_limit_with_retry_handler_succeeds_on_second_try(slack: FakeSlack) -> None:
    client = WebClient(
        token=BOT_TOKEN,
        base_url=slack.api_url,
        retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=1)],
    )
    slack.rate_limit_next("chat.postMessage", retry_after=1)

    resp = client.chat_postMessage(channel=CHANNEL_ID, text="hi")

    assert resp["ok"] is True
    first, second = slack.calls_to("chat.postMessage")
    assert (first.status, second.status) == (429, 200)
    assert second.at - first.at >= 1.0


def test_server_error_next(slack: FakeSlack, client: WebClient) -> None:
    slack.server_error_next("chat.postMessage", status=503)
    with pytest.raises(SlackApiError) as excinfo:
        client.chat_postMessage(channel=CHANNEL_ID, text="hi")
    assert excinfo.value.response.status_code == 503
    assert slack.calls_to("chat.postMessage")[0].fault == "server_error"


def test_delay_next_slows_the_answer_but_still_succeeds(slack: FakeSlack, client: WebClient) -> None:
    slack.delay_next("auth.test", 0.3)
    started = time.monotonic()
    assert client.auth_test()["ok"] is True
    assert time.monotonic() - started >= 0.3
    assert slack.calls_to("auth.test")[0].fault == "delay"


# -- waiting -------------------------------------------------------------------------------------------


def test_wait_for_wakes_when_a_background_call_arrives(slack: FakeSlack, client: WebClient) -> None:
    timer = threading.Timer(0.1, lambda: client.chat_postMessage(channel=CHANNEL_ID, text="later"))
    timer.start()
    try:
        [call] = slack.wait_for("chat.postMessage", timeout=3)
    finally:
        timer.join()
    assert call.args["text"] == "later"


def test_wait_for_times_out_listing_what_was_called(slack: FakeSlack, client: WebClient) -> None:
    client.auth_test()
    slack.fail_next("chat.postMessage", error="channel_not_found")
    with pytest.raises(SlackApiError):
        client.chat_postMessage(channel=CHANNEL_ID, text="hi")

    with pytest.raises(AssertionError) as excinfo:
        slack.wait_for("chat.postMessage", timeout=0.2)
    message = str(excinfo.value)
    assert "chat.postMessage" in message and "auth.test" in message
    assert "channel_not_found" in message


def test_reset_forgets_calls_and_faults(slack: FakeSlack, client: WebClient) -> None:
    slack.fail_next("auth.test")
    client.chat_postMessage(channel=CHANNEL_ID, text="hi")
    slack.reset()
    assert slack.calls == []
    assert client.auth_test()["ok"] is True


# -- signing -------------------------------------------------------------------------------------------


def test_sign_matches_slack_sdk_verifier() -> None:
    body, _ = event_callback(message_event("printer on fire"))
    headers = sign(SIGNING_SECRET, body)
    verifier = SignatureVerifier(SIGNING_SECRET)

    assert verifier.is_valid_request(body, headers)
    assert not verifier.is_valid_request(body + b" ", headers)
    assert not verifier.is_valid_request(body, sign("another-secret", body))
    assert not verifier.is_valid_request(body, sign(SIGNING_SECRET, body, timestamp=int(time.time()) - 600))


def test_payload_shapes() -> None:
    body, content_type = slash_command(text="status INC0001")
    assert content_type == "application/x-www-form-urlencoded"
    assert b"command=%2Fservicebot" in body and b"trigger_id=" in body

    body, _ = block_actions("close_ticket", value="INC0001", thread_ts="1.000001")
    payload = json.loads(urllib.parse.parse_qs(body.decode())["payload"][0])
    assert payload["type"] == "block_actions"
    assert payload["actions"][0]["value"] == "INC0001"
    assert payload["container"]["thread_ts"] == payload["message"]["thread_ts"] == "1.000001"

    a, b = message_event("x"), message_event("x")
    assert a["ts"] != b["ts"] and a["event_ts"] == a["ts"]
    first, second = (json.loads(event_callback(e).body) for e in (a, b))
    assert first["event_id"] != second["event_id"]
    assert app_mention_event("help")["text"] == f"<@{BOT_USER_ID}> help"


# -- end to end against a real Bolt app ------------------------------------------------------------------


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def bolt_url(slack: FakeSlack) -> Iterator[str]:
    app = App(
        client=WebClient(token=BOT_TOKEN, base_url=slack.api_url),
        signing_secret=SIGNING_SECRET,
    )

    @app.event("app_mention")
    def on_mention(event: dict[str, Any], say: Say) -> None:
        say(text="On it", thread_ts=event["ts"])

    @app.command("/servicebot")
    def on_command(ack: Ack, command: dict[str, Any], respond: Respond) -> None:
        ack()
        respond(text=f"You asked: {command['text']}")

    handler = SlackRequestHandler(app)
    server: WSGIServer = make_server("127.0.0.1", 0, handler, handler_class=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/slack/events"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_sender_drives_a_real_bolt_app(slack: FakeSlack, bolt_url: str) -> None:
    sender = SlackSender(bolt_url, SIGNING_SECRET, slack=slack)

    event = app_mention_event("my laptop will not boot")
    assert sender.send_event(event).status == 200
    [reply] = slack.wait_for("chat.postMessage")
    assert reply.args["thread_ts"] == event["ts"]

    assert sender.send_command(text="status INC0001").status == 200
    [response] = slack.wait_for("response_url")
    assert response.args["text"] == "You asked: status INC0001"
    assert response.path.startswith("/response_url/command-")


def test_bolt_rejects_forged_and_stale_requests_but_accepts_retries(slack: FakeSlack, bolt_url: str) -> None:
    sender = SlackSender(bolt_url, SIGNING_SECRET)
    event = app_mention_event("hi")
    assert sender.send_event(event, signature="v0=" + "0" * 64).status == 401
    assert sender.send_event(event, timestamp=int(time.time()) - 600).status == 401
    assert slack.posted_messages() == []
    assert sender.send_event(event, retry_num=1, retry_reason="http_timeout").status == 200
    slack.wait_for("chat.postMessage")
