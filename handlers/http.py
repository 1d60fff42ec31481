"""The HTTP front door for Slack (WSGI): verify, refuse what is not Slack's with a clear 4xx, hand the rest
to Bolt (whose inbox middleware records it before the ack); and `GET /healthz` for the load balancer."""

from __future__ import annotations

import io
import json
import urllib.parse
from collections.abc import Callable, Iterable
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk.signature import SignatureVerifier

MAX_BODY_BYTES = 1_000_000  # Slack's payloads are far smaller; anything bigger is not Slack
WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
# None when healthy, else what is wrong (e.g. the database is unreachable).
HealthCheck = Callable[[], str | None]


def wsgi_app(app: App, signing_secret: str, health: HealthCheck) -> WSGIApp:
    bolt = SlackRequestHandler(app)
    verifier = SignatureVerifier(signing_secret)

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
        headers = {k[5:].replace("_", "-").lower(): v for k, v in environ.items() if k.startswith("HTTP_")}
        if not verifier.is_valid_request(body, headers):
            return _json(start_response, "401 Unauthorized", {"ok": False, "error": "invalid signature"})
        problem = _malformed(body, environ.get("CONTENT_TYPE", ""))
        if problem:
            return _json(start_response, "400 Bad Request", {"ok": False, "error": problem})
        environ["wsgi.input"] = io.BytesIO(body)  # Bolt reads the body again
        result: Iterable[bytes] = bolt(environ, start_response)
        return result

    return application


def _malformed(body: bytes, content_type: str) -> str | None:
    """Bolt raises (a 500) on a body it cannot parse; say what is wrong with a 400 instead."""
    try:
        if content_type.startswith("application/json"):
            parsed = json.loads(body)
            return None if isinstance(parsed, dict) else "the JSON body must be an object"
        form = urllib.parse.parse_qs(body.decode("utf-8"), strict_parsing=bool(body))
        if "payload" in form:
            json.loads(form["payload"][0])
    except (ValueError, UnicodeDecodeError) as exc:
        return f"malformed request body: {exc}"
    return None


def _json(start_response: Callable[..., Any], status: str, body: dict[str, Any]) -> list[bytes]:
    data = json.dumps(body).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return [data]
