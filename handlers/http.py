"""The HTTP front door for Slack (WSGI): verify, refuse what is not Slack's with a clear 4xx, record the
Events API callbacks the bot works on and acknowledge them, hand the rest to Bolt (whose inbox middleware
records it before the ack); and `GET /healthz` for the load balancer.

Order matters: the signature is checked over the raw bytes before anything is decoded or parsed, so a
request nobody signed costs one HMAC and reaches nothing else (401). A signed request that cannot be read
gets a 400 naming the problem. Whatever a client sends, the answer is never a 5xx: those are kept for this
server's own trouble (the inbox cannot store, so Slack should try again)."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import math
import re
import time
import urllib.parse
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.wsgi.http_response import WsgiHttpResponse
from slack_bolt.request import BoltRequest

MAX_BODY_BYTES = 1_000_000  # Slack's payloads are far smaller; anything bigger is not Slack
MAX_CLOCK_SKEW = 5 * 60  # Slack's own advice: older than this is a replay
WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
# None when healthy, else what is wrong (e.g. the database is unreachable).
HealthCheck = Callable[[], str | None]
Clock = Callable[[], float]
# Records a verified request the bot works on and returns True (acknowledge it with an empty 200), or
# returns False to leave it to Bolt. Raises when it cannot record: the answer is then a 503, Slack retries.
Recorder = Callable[[dict[str, Any]], bool]

log = logging.getLogger("servicebot.http")
# Ten digits is a Unix time until the year 2286; anything longer or not plain ASCII digits (a header sent
# twice arrives joined by ", ") is not a timestamp Slack sent.
_TIMESTAMP = re.compile(r"[0-9]{1,10}")
_SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")
# Characters no database column can keep: PostgreSQL's text refuses NUL, and UTF-8 (SQLite's and
# PostgreSQL's encoding) has no unpaired surrogate. Slack never sends them; in a signed body they would
# make the ticket unwritable, so they become U+FFFD and the rest of the request is kept.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
# In JSON text they can only arrive escaped (a raw control character is a syntax error, and the body was
# decoded as strict UTF-8), so only a body with such an escape needs the walk over its strings.
_UNSTORABLE_ESCAPE = re.compile(r"\\u(?:0000|[dD][89abcdefABCDEF])")


NOT_RECORDED = "the request could not be recorded just now; Slack sends it again"


class BadRequest(ValueError):
    """A signed request whose body cannot be read; the message says what is wrong with it."""


def wsgi_app(
    app: App,
    signing_secret: str,
    health: HealthCheck,
    clock: Clock = time.time,
    record: Recorder = lambda body: False,
) -> WSGIApp:
    """`record`: the fast path for what needs nothing but recording before its ack (see `Recorder`)."""

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path, method = environ.get("PATH_INFO", ""), environ.get("REQUEST_METHOD", "GET")
        if path == "/healthz" and method == "GET":
            problem = health()
            if problem is not None:
                return _json(start_response, "503 Service Unavailable", {"ok": False, "database": problem})
            return _json(start_response, "200 OK", {"ok": True, "database": "ok"})
        if path != "/slack/events":
            return _json(start_response, "404 Not Found", {"ok": False, "error": "not found"})
        if method != "POST":
            return _json(start_response, "405 Method Not Allowed", {"ok": False, "error": "POST only"})
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = -1
        if length < 0 or length > MAX_BODY_BYTES:
            return _json(start_response, "413 Content Too Large", {"ok": False, "error": "body too large"})
        body = environ["wsgi.input"].read(length) if length else b""
        unverified = _unverified(signing_secret, environ, body, clock())
        if unverified:
            return _json(start_response, "401 Unauthorized", {"ok": False, "error": unverified})
        try:
            parsed = _parsed(body, environ)
        except BadRequest as exc:
            return _json(start_response, "400 Bad Request", {"ok": False, "error": str(exc)})
        try:
            recorded = record(parsed)
        except Exception:
            log.exception("could not record a request from Slack; answered 503 so that Slack sends it again")
            return _json(start_response, "503 Service Unavailable", {"ok": False, "error": NOT_RECORDED})
        if recorded:
            start_response("200 OK", [("Content-Length", "0")])
            return [b""]
        try:
            request = _bolt_request(parsed, environ)
        except BadRequest as exc:
            return _json(start_response, "400 Bad Request", {"ok": False, "error": str(exc)})
        answer = app.dispatch(request)
        response = WsgiHttpResponse(status=answer.status, headers=answer.headers, body=answer.body)
        start_response(response.status, response.get_headers())
        return response.get_body()

    return application


def _unverified(secret: str, environ: dict[str, Any], body: bytes, now: float) -> str | None:
    """Why the request cannot be trusted as Slack's (None if it can). Never raises, whatever the headers.

    Not slack_sdk's SignatureVerifier: it int()s the timestamp and decodes the body as UTF-8 before the
    HMAC, and both raise on what a stranger can send (the 500s this replaced)."""
    timestamp = environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP")
    signature = environ.get("HTTP_X_SLACK_SIGNATURE")
    if not isinstance(timestamp, str) or not timestamp:
        return "missing X-Slack-Request-Timestamp"
    if not _TIMESTAMP.fullmatch(timestamp):
        return "X-Slack-Request-Timestamp is not a Unix time in seconds"
    if abs(now - int(timestamp)) > MAX_CLOCK_SKEW:
        return "X-Slack-Request-Timestamp is more than 5 minutes away (a replay, or a clock out of step)"
    if not isinstance(signature, str) or not signature:
        return "missing X-Slack-Signature"
    if not _SIGNATURE.fullmatch(signature):
        return "X-Slack-Signature is not a v0 signature"
    base = b"v0:" + timestamp.encode("ascii") + b":" + body
    expected = "v0=" + hmac.new(secret.encode("utf-8"), base, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode("ascii"), signature.encode("ascii")):
        return "invalid signature"
    return None


def _parsed(body: bytes, environ: dict[str, Any]) -> dict[str, Any]:
    """The request's body as an object, or BadRequest naming what cannot be read.

    Bolt guesses the format from the text (a form body that merely contains the word "payload" is read
    as an empty request, and a parse error is raised outside its error handling, which is a 500). So the
    body is read here, strictly and once, and Bolt is handed the resulting object as JSON."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequest(f"the body is not UTF-8 (byte {exc.start})") from None
    content_type = str(environ.get("CONTENT_TYPE", "")).split(";")[0].strip().lower()
    parsed = _json_object(text, "body") if content_type == "application/json" else _form(text)
    problem = _unexpected_shape(parsed)
    if problem:
        raise BadRequest(problem)
    return parsed


def _bolt_request(parsed: dict[str, Any], environ: dict[str, Any]) -> BoltRequest:
    headers: dict[str, str | Sequence[str]] = {
        k[5:].replace("_", "-").lower(): str(v) for k, v in environ.items() if k.startswith("HTTP_")
    }
    headers["content-type"] = "application/json"
    try:
        return BoltRequest(body=json.dumps(parsed), query=environ.get("QUERY_STRING", ""), headers=headers)
    except Exception as exc:
        # Bolt reads ids (team, enterprise, user, channel) from the body when it builds the request;
        # a signed body of a shape Slack never sends can make that fail.
        raise BadRequest(f"the body is not a request Slack sends ({type(exc).__name__})") from None


# Fields that Bolt (its built-in middleware and listener matchers) and the inbox index without checking
# their type, with the types Slack sends; a signed body with anything else would fail inside Bolt (a 500).
_OBJECT_OR_ID = (dict, str, type(None))
_FIELDS: dict[str, tuple[type, ...]] = {
    "type": (str, type(None)),
    "event": (dict,),
    "authorizations": (list,),
    "actions": (list,),
    "enterprise": _OBJECT_OR_ID,
    "team": _OBJECT_OR_ID,
    "user": _OBJECT_OR_ID,
    "channel": _OBJECT_OR_ID,
    "container": (dict,),
    "message": (dict,),
    "view": (dict,),
}
_EVENT_FIELDS: dict[str, tuple[type, ...]] = {
    "type": (str,),
    "message": (dict, type(None)),
    "previous_message": (dict, type(None)),
    "item": (dict,),
}


def _unexpected_shape(body: dict[str, Any]) -> str | None:
    for where, fields, value in [("", _FIELDS, body), ("event.", _EVENT_FIELDS, body.get("event"))]:
        if not isinstance(value, dict):
            continue
        for name, types in fields.items():
            if name in value and not isinstance(value[name], types):
                return f"{where}{name} is not what Slack sends ({type(value[name]).__name__})"
    for name in ("authorizations", "actions"):
        items = body.get(name)
        if isinstance(items, list) and not all(isinstance(item, dict) for item in items):
            return f"{name} must be a list of objects"
    return None


def _json_object(text: str, what: str) -> dict[str, Any]:
    try:
        parsed = json.loads(text, parse_constant=_not_json_number, parse_float=_finite)
    except ValueError as exc:
        raise BadRequest(f"the {what} is not JSON: {exc}") from None
    except RecursionError:
        raise BadRequest(f"the {what} is JSON nested too deeply") from None
    if not isinstance(parsed, dict):
        raise BadRequest(f"the {what} must be a JSON object")
    return _storable(parsed) if _UNSTORABLE_ESCAPE.search(text) else parsed


def _not_json_number(name: str) -> float:
    # Python's json reads NaN and Infinity, which JSON has not: PostgreSQL's json type refuses them.
    raise ValueError(f"{name} is not a JSON number")


def _finite(literal: str) -> float:
    number = float(literal)
    if not math.isfinite(number):
        raise ValueError(f"the number {literal[:20]} is too large")
    return number


def _storable(value: Any) -> Any:
    if isinstance(value, str):
        return _UNSTORABLE.sub("\ufffd", value)
    if isinstance(value, list):
        return [_storable(item) for item in value]
    if isinstance(value, dict):
        return {_storable(key): _storable(item) for key, item in value.items()}
    return value


def _form(text: str) -> dict[str, Any]:
    """A slash command (its fields) or an interaction (`payload=<JSON object>`)."""
    if not text:
        raise BadRequest("the body is empty")
    try:
        fields = urllib.parse.parse_qs(text, keep_blank_values=True, strict_parsing=True)
    except ValueError as exc:
        raise BadRequest(f"the body is not a form: {exc}") from None
    repeated = sorted(name for name, values in fields.items() if len(values) > 1)
    if repeated:
        raise BadRequest(f"the form repeats {', '.join(repeated)}")
    form = {name: values[0] for name, values in fields.items()}
    if "\x00" in text or "%00" in text:
        form = _storable(form)
    if "payload" in form:
        return _json_object(form["payload"], "payload")
    if "command" in form or "ssl_check" in form:
        return form
    raise BadRequest("the form has neither a payload nor a command")


def _json(start_response: Callable[..., Any], status: str, body: dict[str, Any]) -> list[bytes]:
    data = json.dumps(body).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return [data]
