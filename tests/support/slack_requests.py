"""Build, sign and send requests to our app exactly as Slack does.

End-to-end tests must exercise the real request path: signature verification, content types
(JSON for Events API, form-encoded for slash commands, ``payload=<json>`` for interactivity),
Slack's retry headers and the payload shapes Bolt's matchers inspect. Hand-written dicts drift from
what Slack really sends; these builders keep that knowledge in one place.

Builders return a :class:`Payload` ``(body, content_type)``; :class:`SlackSender` signs and POSTs
them with plain urllib so that no test-only HTTP stack sits between "Slack" and the app.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import re
import secrets
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final, NamedTuple
from urllib.parse import urlencode

from .fake_slack import APP_ID, BOT_ID, BOT_USER_ID, TEAM_DOMAIN, TEAM_ID, FakeSlack

__all__ = [
    "CHANNEL_ID",
    "REQUESTER_ID",
    "VERIFICATION_TOKEN",
    "Payload",
    "Response",
    "SlackSender",
    "app_mention_event",
    "block_actions",
    "event_callback",
    "message_event",
    "message_shortcut",
    "reaction_added_event",
    "sign",
    "slash_command",
    "url_verification",
]

REQUESTER_ID: Final = "U0REQUESTER"
CHANNEL_ID: Final = "C0ICTHELP"
# Slack still sends the deprecated verification token in every payload; apps must not rely on it.
VERIFICATION_TOKEN: Final = "legacy-verification-token"
SLACK_USER_AGENT: Final = "Slackbot 1.0 (+https://api.slack.com/robots)"

_CHANNEL_NAMES: Final = {CHANNEL_ID: "ict-help"}

# A per-run tag keeps generated ids unique even against state persisted by an earlier run
# (e.g. an event-id dedup table), while the counter keeps them unique within this run.
_RUN_TAG: Final = secrets.token_hex(2).upper()
_ids = itertools.count(1)
# Capturing the user id makes re.split alternate text / user id, which is how Slack segments mentions.
_MENTION: Final = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
_ts_lock = threading.Lock()
_last_ts_micros = 0


class Payload(NamedTuple):
    body: bytes
    content_type: str


@dataclass(frozen=True)
class Response:
    """The app's HTTP answer. Header names are lower-cased because HTTP headers are case-insensitive."""

    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")

    def json(self) -> Any:
        return json.loads(self.body)


# -- signing -----------------------------------------------------------------------------------------


def sign(signing_secret: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    """Slack's v0 request signature: ``v0=`` + hex HMAC-SHA256 of ``v0:{timestamp}:{body}``."""
    ts = int(time.time()) if timestamp is None else timestamp
    base = b"v0:" + str(ts).encode("ascii") + b":" + body
    digest = hmac.new(signing_secret.encode("utf-8"), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": str(ts), "X-Slack-Signature": f"v0={digest}"}


# -- id helpers --------------------------------------------------------------------------------------


def fresh_ts() -> str:
    """A Slack message timestamp near "now", strictly increasing within the process."""
    global _last_ts_micros
    with _ts_lock:
        _last_ts_micros = max(int(time.time() * 1_000_000), _last_ts_micros + 1)
        micros = _last_ts_micros
    return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"


def fresh_event_id() -> str:
    return f"Ev0{_RUN_TAG}{next(_ids):06d}"


def fresh_trigger_id() -> str:
    return f"{int(time.time() * 1000)}.{next(_ids)}.{secrets.token_hex(16)}"


def _fresh_response_url(kind: str) -> str:
    # Deliberately unroutable: an app answering a response_url nobody pointed at FakeSlack should
    # fail loudly rather than silently reach the internet.
    return f"https://hooks.slack.com/{kind}/{TEAM_ID}/{next(_ids)}/{secrets.token_hex(12)}"


def _channel_name(channel_id: str) -> str:
    if channel_id.startswith("D"):
        return "directmessage"
    return _CHANNEL_NAMES.get(channel_id, channel_id.lower())


def _user_name(user_id: str) -> str:
    return user_id.lower()


def _rich_text_blocks(text: str) -> list[dict[str, Any]]:
    """The rich_text block Slack attaches to human messages, with mentions split out as Slack does."""
    elements: list[dict[str, Any]] = []
    for i, part in enumerate(_MENTION.split(text)):
        if i % 2:
            elements.append({"type": "user", "user_id": part})
        elif part:
            elements.append({"type": "text", "text": part})
    block_id = secrets.token_urlsafe(3)
    return [
        {
            "type": "rich_text",
            "block_id": block_id,
            "elements": [{"type": "rich_text_section", "elements": elements}],
        }
    ]


# -- Events API --------------------------------------------------------------------------------------


def message_event(
    text: str,
    user: str = REQUESTER_ID,
    channel: str = CHANNEL_ID,
    ts: str | None = None,
    thread_ts: str | None = None,
    channel_type: str = "channel",
    subtype: str | None = None,
    bot_id: str | None = None,
) -> dict[str, Any]:
    """A ``message`` event. Pass ``bot_id`` for a bot's message (apps' posts carry no subtype)."""
    ts = ts or fresh_ts()
    event: dict[str, Any] = {"type": "message"}
    if subtype is not None:
        event["subtype"] = subtype
    is_human = subtype is None and bot_id is None
    if is_human:
        event["client_msg_id"] = str(uuid.uuid4())
    event.update({"text": text, "user": user, "ts": ts})
    if bot_id is not None:
        event["bot_id"] = bot_id
    if is_human:
        event["blocks"] = _rich_text_blocks(text)
    event.update({"team": TEAM_ID, "channel": channel, "event_ts": ts, "channel_type": channel_type})
    if thread_ts is not None:
        event["thread_ts"] = thread_ts
    return event


def app_mention_event(
    text: str,
    user: str = REQUESTER_ID,
    channel: str = CHANNEL_ID,
    ts: str | None = None,
    thread_ts: str | None = None,
) -> dict[str, Any]:
    """An ``app_mention`` event. Prefixes ``<@UBOTSERVICE>`` if ``text`` lacks it: Slack only sends
    app_mention when the bot is mentioned, so an event without the mention cannot happen."""
    mention = f"<@{BOT_USER_ID}>"
    if mention not in text:
        text = f"{mention} {text}"
    ts = ts or fresh_ts()
    event: dict[str, Any] = {
        "type": "app_mention",
        "client_msg_id": str(uuid.uuid4()),
        "text": text,
        "user": user,
        "ts": ts,
        "blocks": _rich_text_blocks(text),
        "team": TEAM_ID,
        "channel": channel,
        "event_ts": ts,
    }
    if thread_ts is not None:
        event["thread_ts"] = thread_ts
    return event


def reaction_added_event(
    reaction: str,
    user: str = REQUESTER_ID,
    item_channel: str = CHANNEL_ID,
    item_ts: str | None = None,
    item_user: str = BOT_USER_ID,
) -> dict[str, Any]:
    return {
        "type": "reaction_added",
        "user": user,
        "reaction": reaction.strip(":"),
        "item_user": item_user,
        "item": {"type": "message", "channel": item_channel, "ts": item_ts or fresh_ts()},
        "event_ts": fresh_ts(),
    }


def _event_context(event: dict[str, Any], team_id: str, api_app_id: str) -> str:
    # Slack's opaque event_context is "4-" + unpadded urlsafe base64 of this JSON.
    channel = event.get("channel") or event.get("item", {}).get("channel")
    context = {"et": event.get("type"), "tid": team_id, "aid": api_app_id, "cid": channel}
    encoded = base64.urlsafe_b64encode(json.dumps(context, separators=(",", ":")).encode()).decode()
    return "4-" + encoded.rstrip("=")


def event_callback(
    event: dict[str, Any],
    event_id: str | None = None,
    team_id: str = TEAM_ID,
    api_app_id: str = APP_ID,
    event_time: int | None = None,
) -> Payload:
    """The Events API envelope around ``event``; ``event_id`` is unique unless given (pass the same
    one again to simulate Slack redelivering an event)."""
    envelope = {
        "token": VERIFICATION_TOKEN,
        "team_id": team_id,
        "context_team_id": team_id,
        "context_enterprise_id": None,
        "api_app_id": api_app_id,
        "event": event,
        "type": "event_callback",
        "event_id": event_id or fresh_event_id(),
        "event_time": int(time.time()) if event_time is None else event_time,
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": team_id,
                "user_id": BOT_USER_ID,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
        "event_context": _event_context(event, team_id, api_app_id),
    }
    return Payload(json.dumps(envelope).encode("utf-8"), "application/json")


def url_verification(challenge: str = "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P") -> Payload:
    body = {"token": VERIFICATION_TOKEN, "challenge": challenge, "type": "url_verification"}
    return Payload(json.dumps(body).encode("utf-8"), "application/json")


# -- slash commands and interactivity ----------------------------------------------------------------


def slash_command(
    command: str = "/servicebot",
    text: str = "",
    user_id: str = REQUESTER_ID,
    channel_id: str = CHANNEL_ID,
    trigger_id: str | None = None,
    response_url: str | None = None,
    *,
    user_name: str | None = None,
    channel_name: str | None = None,
) -> Payload:
    fields = {
        "token": VERIFICATION_TOKEN,
        "team_id": TEAM_ID,
        "team_domain": TEAM_DOMAIN,
        "channel_id": channel_id,
        "channel_name": channel_name or _channel_name(channel_id),
        "user_id": user_id,
        "user_name": user_name or _user_name(user_id),
        "command": command,
        "text": text,
        "api_app_id": APP_ID,
        "is_enterprise_install": "false",
        "response_url": response_url or _fresh_response_url("commands"),
        "trigger_id": trigger_id or fresh_trigger_id(),
    }
    return Payload(urlencode(fields).encode("utf-8"), "application/x-www-form-urlencoded")


def _interactive(payload: dict[str, Any]) -> Payload:
    return Payload(
        urlencode({"payload": json.dumps(payload)}).encode("utf-8"), "application/x-www-form-urlencoded"
    )


def _user_ref(user_id: str) -> dict[str, Any]:
    name = _user_name(user_id)
    return {"id": user_id, "username": name, "name": name, "team_id": TEAM_ID}


def block_actions(
    action_id: str,
    value: str = "",
    user_id: str = REQUESTER_ID,
    channel_id: str = CHANNEL_ID,
    message_ts: str | None = None,
    thread_ts: str | None = None,
    block_id: str | None = None,
    message: dict[str, Any] | None = None,
    *,
    trigger_id: str | None = None,
    response_url: str | None = None,
    button_text: str = "Button",
) -> Payload:
    """A button click on a bot message. ``message`` overrides the clicked message (Slack sends the
    whole message, so handlers may read its blocks); its ``ts`` is forced to ``message_ts``."""
    message_ts = message_ts or (message or {}).get("ts") or fresh_ts()
    block_id = block_id or secrets.token_urlsafe(4)
    action = {
        "action_id": action_id,
        "block_id": block_id,
        "text": {"type": "plain_text", "text": button_text, "emoji": True},
        "value": value,
        "type": "button",
        "action_ts": fresh_ts(),
    }
    if message is None:
        button = {k: action[k] for k in ("type", "action_id", "text", "value")}
        message = {
            "type": "message",
            "text": "ServiceBot message",
            "user": BOT_USER_ID,
            "bot_id": BOT_ID,
            "app_id": APP_ID,
            "team": TEAM_ID,
            "blocks": [{"type": "actions", "block_id": block_id, "elements": [button]}],
        }
    message = {**message, "ts": message_ts}
    container: dict[str, Any] = {
        "type": "message",
        "message_ts": message_ts,
        "channel_id": channel_id,
        "is_ephemeral": False,
    }
    if thread_ts is not None:
        message["thread_ts"] = thread_ts
        container["thread_ts"] = thread_ts
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": _user_ref(user_id),
        "api_app_id": APP_ID,
        "token": VERIFICATION_TOKEN,
        "container": container,
        "trigger_id": trigger_id or fresh_trigger_id(),
        "team": {"id": TEAM_ID, "domain": TEAM_DOMAIN},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": channel_id, "name": _channel_name(channel_id)},
        "message": message,
        "state": {"values": {}},
        "response_url": response_url or _fresh_response_url("actions"),
        "actions": [action],
    }
    return _interactive(payload)


def view_submission(
    view: dict[str, Any], values: dict[str, dict[str, dict[str, Any]]], user_id: str = REQUESTER_ID
) -> Payload:
    """The submit of a modal the app opened (`view` as views.open answered it), with what was typed:
    ``values`` as Slack nests them, block id → action id → {"type", "value" | "selected_date"}."""
    submitted = {**view, "state": {"values": values}}
    payload: dict[str, Any] = {
        "type": "view_submission",
        "team": {"id": TEAM_ID, "domain": TEAM_DOMAIN},
        "user": _user_ref(user_id),
        "api_app_id": APP_ID,
        "token": VERIFICATION_TOKEN,
        "trigger_id": fresh_trigger_id(),
        "view": submitted,
        "response_urls": [],
        "is_enterprise_install": False,
        "enterprise": None,
    }
    return _interactive(payload)


def message_shortcut(
    callback_id: str,
    user_id: str = REQUESTER_ID,
    channel_id: str = CHANNEL_ID,
    message_ts: str | None = None,
    message_text: str = "",
    message_user: str = REQUESTER_ID,
    *,
    trigger_id: str | None = None,
    response_url: str | None = None,
) -> Payload:
    """A message shortcut ("More actions" menu on a message), which Slack types ``message_action``."""
    message_ts = message_ts or fresh_ts()
    payload: dict[str, Any] = {
        "type": "message_action",
        "token": VERIFICATION_TOKEN,
        "action_ts": fresh_ts(),
        "team": {"id": TEAM_ID, "domain": TEAM_DOMAIN},
        "user": _user_ref(user_id),
        "channel": {"id": channel_id, "name": _channel_name(channel_id)},
        "is_enterprise_install": False,
        "enterprise": None,
        "callback_id": callback_id,
        "trigger_id": trigger_id or fresh_trigger_id(),
        "response_url": response_url or _fresh_response_url("actions"),
        "message_ts": message_ts,
        "message": {
            "client_msg_id": str(uuid.uuid4()),
            "type": "message",
            "text": message_text,
            "user": message_user,
            "ts": message_ts,
            "team": TEAM_ID,
            "blocks": _rich_text_blocks(message_text),
        },
    }
    return _interactive(payload)


# -- sending -----------------------------------------------------------------------------------------


class SlackSender:
    """POSTs signed requests to the app under test, the way Slack's servers do.

    With ``slack`` given, commands, actions and shortcuts default their ``response_url`` to that
    FakeSlack, so whatever the app sends there is recorded as method "response_url".
    """

    def __init__(
        self, url: str, signing_secret: str, *, slack: FakeSlack | None = None, timeout: float = 10.0
    ) -> None:
        self.url = url
        self.signing_secret = signing_secret
        self.slack = slack
        self.timeout = timeout

    def send(
        self,
        body: bytes,
        content_type: str,
        *,
        retry_num: int | None = None,
        retry_reason: str | None = None,
        timestamp: int | None = None,
        signature: str | None = None,
    ) -> Response:
        """Sign and POST ``body``. ``timestamp`` lets a test send a stale request and ``signature``
        a forged one. 4xx/5xx come back as a Response rather than an exception, because tests
        assert on rejections as often as on successes."""
        headers = {"Content-Type": content_type, "User-Agent": SLACK_USER_AGENT}
        headers.update(sign(self.signing_secret, body, timestamp))
        if signature is not None:
            headers["X-Slack-Signature"] = signature
        if retry_num is not None:
            headers["X-Slack-Retry-Num"] = str(retry_num)
        if retry_reason is not None:
            headers["X-Slack-Retry-Reason"] = retry_reason
        request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as resp:
                return Response(resp.status, _lower(resp.headers.items()), resp.read())
        except urllib.error.HTTPError as e:
            with e:
                return Response(e.code, _lower(e.headers.items()), e.read())

    def send_payload(
        self,
        payload: Payload,
        *,
        retry_num: int | None = None,
        retry_reason: str | None = None,
        timestamp: int | None = None,
        signature: str | None = None,
    ) -> Response:
        return self.send(
            payload.body,
            payload.content_type,
            retry_num=retry_num,
            retry_reason=retry_reason,
            timestamp=timestamp,
            signature=signature,
        )

    def send_event(
        self,
        event: dict[str, Any],
        *,
        event_id: str | None = None,
        retry_num: int | None = None,
        retry_reason: str | None = None,
        timestamp: int | None = None,
        signature: str | None = None,
    ) -> Response:
        return self.send_payload(
            event_callback(event, event_id=event_id),
            retry_num=retry_num,
            retry_reason=retry_reason,
            timestamp=timestamp,
            signature=signature,
        )

    def send_command(
        self,
        command: str = "/servicebot",
        text: str = "",
        user_id: str = REQUESTER_ID,
        channel_id: str = CHANNEL_ID,
        trigger_id: str | None = None,
        response_url: str | None = None,
        *,
        timestamp: int | None = None,
        signature: str | None = None,
    ) -> Response:
        payload = slash_command(
            command, text, user_id, channel_id, trigger_id, response_url or self._response_url("command")
        )
        return self.send_payload(payload, timestamp=timestamp, signature=signature)

    def send_action(
        self,
        action_id: str,
        value: str = "",
        user_id: str = REQUESTER_ID,
        channel_id: str = CHANNEL_ID,
        message_ts: str | None = None,
        thread_ts: str | None = None,
        block_id: str | None = None,
        message: dict[str, Any] | None = None,
        *,
        trigger_id: str | None = None,
        response_url: str | None = None,
        timestamp: int | None = None,
        signature: str | None = None,
    ) -> Response:
        payload = block_actions(
            action_id,
            value,
            user_id,
            channel_id,
            message_ts,
            thread_ts,
            block_id,
            message,
            trigger_id=trigger_id,
            response_url=response_url or self._response_url("action"),
        )
        return self.send_payload(payload, timestamp=timestamp, signature=signature)

    def send_shortcut(
        self,
        callback_id: str,
        user_id: str = REQUESTER_ID,
        channel_id: str = CHANNEL_ID,
        message_ts: str | None = None,
        message_text: str = "",
        message_user: str = REQUESTER_ID,
        *,
        trigger_id: str | None = None,
        response_url: str | None = None,
        timestamp: int | None = None,
        signature: str | None = None,
    ) -> Response:
        payload = message_shortcut(
            callback_id,
            user_id,
            channel_id,
            message_ts,
            message_text,
            message_user,
            trigger_id=trigger_id,
            response_url=response_url or self._response_url("shortcut"),
        )
        return self.send_payload(payload, timestamp=timestamp, signature=signature)

    def _response_url(self, kind: str) -> str | None:
        if self.slack is None:
            return None
        return self.slack.response_url(f"{kind}-{next(_ids)}")


def _lower(items: Iterable[tuple[str, str]]) -> dict[str, str]:
    return {str(k).lower(): str(v) for k, v in items}
