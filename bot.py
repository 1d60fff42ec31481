"""Composition root: builds the Slack app from the core services and runs it. Wiring only."""

from __future__ import annotations

import io
import json
import logging
import multiprocessing
import multiprocessing.process
import sys
import threading
import urllib.parse
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler
from slack_sdk.signature import SignatureVerifier
from sqlalchemy import text

import handlers
import servicebot.cli
from servicebot.bootstrap import Services, build_services
from servicebot.config import ConfigError, Settings, load_settings
from servicebot.runtime.inbox import Counter, InFlight
from servicebot.runtime.worker import Wake

log = logging.getLogger("servicebot")
MAX_BODY_BYTES = 1_000_000  # Slack's payloads are far smaller; anything bigger is not Slack
WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def slack_client(settings: Settings) -> WebClient:
    client = WebClient(token=settings.slack_bot_token, base_url=settings.slack_api_url, timeout=10)
    # Slack answers bursts with 429 + Retry-After; the SDK waits as told and tries again.
    client.retry_handlers.extend(
        [ConnectionErrorRetryHandler(max_retry_count=2), RateLimitErrorRetryHandler(max_retry_count=3)]
    )
    return client


@dataclass
class SlackApp:
    app: App
    context: handlers.SlackContext


def build_slack_app(services: Services) -> SlackApp:
    settings = services.settings
    if not settings.slack_bot_token:
        raise ConfigError("SLACK_BOT_TOKEN: required to connect to Slack")
    client = slack_client(settings)
    app = App(
        client=client,
        signing_secret=settings.slack_signing_secret,
        process_before_response=False,
        # wsgi_app verifies every request before Bolt sees it, and Socket Mode needs no signature.
        request_verification_enabled=False,
    )
    context = handlers.SlackContext(services=services, client=client, bot_user_id=_bot_user_id(client))
    handlers.register(app, context)
    return SlackApp(app, context)


def _bot_user_id(client: WebClient) -> str | None:
    try:
        return str(client.auth_test()["user_id"])
    except Exception as exc:  # Slack unreachable at start: Bolt's own self-event filter still applies
        log.warning("auth.test failed (%s); continuing without the bot's user id", exc)
        return None


def wsgi_app(slack: SlackApp, services: Services) -> WSGIApp:
    bolt = SlackRequestHandler(slack.app)
    verifier = SignatureVerifier(services.settings.slack_signing_secret or "")

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path, method = environ.get("PATH_INFO", ""), environ.get("REQUEST_METHOD", "GET")
        if path == "/healthz" and method == "GET":
            return _health(services, start_response)
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


def _health(services: Services, start_response: Callable[..., Any]) -> Iterable[bytes]:
    try:
        with services.db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:
        return _json(start_response, "503 Service Unavailable", {"ok": False, "database": str(exc)[:200]})
    return _json(start_response, "200 OK", {"ok": True, "database": "ok"})


def _json(start_response: Callable[..., Any], status: str, body: dict[str, Any]) -> list[bytes]:
    data = json.dumps(body).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return [data]


def run_worker(settings: Settings, wake: Wake, stop: Wake, busy: Counter) -> None:
    """The worker process's main: its own services and Slack client, working until `stop` is set."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    services = build_services(settings, upgrade_schema=False)
    try:
        client = slack_client(settings)
        context = handlers.SlackContext(services=services, client=client, bot_user_id=_bot_user_id(client))
        services.triage.model()  # trained (or loaded from the cache) before the first message, not during it
        handlers.worker(context, busy=lambda: int(busy.value)).run_forever(wake, stop)
    finally:
        services.close()


class WorkerProcess:
    """The worker beside this (web) process, restarted if it dies: the inbox keeps its work meanwhile.

    One worker: SQLite has a single writer anyway, and one process doing the work in order is plenty for
    a council's desk (hundreds of requests an hour, each a few milliseconds)."""

    def __init__(self, settings: Settings, services: Services, check_every: float = 2.0) -> None:
        self._spawn = multiprocessing.get_context("spawn")  # never fork a process with threads and sockets
        self.settings = settings
        self.wake, self.stop = self._spawn.Event(), self._spawn.Event()
        self._busy = self._spawn.Value("i", 0)
        self.restarts = 0
        self.process = self._start()
        services.inbox.db.leave_checkpoints_to_others()
        services.inbox.notify = self.wake.set
        services.inbox.in_flight = InFlight(self._busy)
        self._watch = threading.Thread(target=self._supervise, args=(check_every,), daemon=True)
        self._watch.start()

    def _start(self) -> multiprocessing.process.BaseProcess:
        process = self._spawn.Process(
            target=run_worker,
            args=(self.settings, self.wake, self.stop, self._busy),
            name="servicebot-worker",
            daemon=True,
        )
        process.start()
        return process

    def _supervise(self, check_every: float) -> None:
        while not self.stop.wait(check_every):
            if not self.process.is_alive():
                log.error("worker process exited (code %s); starting another", self.process.exitcode)
                self.restarts += 1
                self.process = self._start()

    def close(self, timeout: float = 10.0) -> None:
        self.stop.set()
        self.wake.set()
        self._watch.join(timeout)
        self.process.join(timeout)
        if self.process.is_alive():
            self.process.terminate()


def start_worker_process(settings: Settings, services: Services, check_every: float = 2.0) -> WorkerProcess:
    """Start the worker; new requests recorded by this process wake it at once."""
    return WorkerProcess(settings, services, check_every)


def serve_http(settings: Settings, *, host: str = "0.0.0.0", port: int = 3000) -> int:
    import waitress

    if not settings.slack_signing_secret:
        raise ConfigError("SLACK_SIGNING_SECRET: required to verify requests from Slack over HTTP")
    services = build_services(settings)
    slack = build_slack_app(services)
    worker = start_worker_process(settings, services)
    log.info("serving Slack events on http://%s:%d/slack/events (health: /healthz)", host, port)
    try:
        waitress.serve(wsgi_app(slack, services), host=host, port=port, threads=8, ident="servicebot")
    finally:
        worker.close()
        services.close()
    return 0


def serve_socket_mode(settings: Settings) -> int:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    services = build_services(settings)
    slack = build_slack_app(services)
    worker = start_worker_process(settings, services)
    try:
        SocketModeHandler(slack.app, settings.slack_app_token).start()  # type: ignore[no-untyped-call]
    finally:
        worker.close()
        services.close()
    return 0


def run(settings: Settings) -> int:
    """Slack if configured (Socket Mode, else HTTP), otherwise the console. Says which and why."""
    if settings.slack_app_token and settings.slack_bot_token:
        print("ServiceBot: Slack Socket Mode (SLACK_APP_TOKEN is set).", file=sys.stderr)
        return serve_socket_mode(settings)
    if settings.slack_signing_secret and settings.slack_bot_token:
        print("ServiceBot: Slack over HTTP on port 3000 (SLACK_SIGNING_SECRET is set).", file=sys.stderr)
        return serve_http(settings)
    print(
        "ServiceBot: console mode (no SLACK_BOT_TOKEN with SLACK_APP_TOKEN or SLACK_SIGNING_SECRET set). "
        f"Database: {settings.database_url}",
        file=sys.stderr,
    )
    from servicebot.console.terminal import run_console
    from servicebot.services.actors import Role

    services = build_services(settings)
    try:
        return run_console(services, user="console-user", role=Role.AGENT)
    finally:
        services.close()


def cli(argv: Sequence[str] | None = None) -> int:
    """The installed `servicebot` command: the core's command line with the Slack front end plugged in."""
    return servicebot.cli.main(
        argv,
        slack=servicebot.cli.SlackModes(
            run=run, serve_http=lambda settings, host, port: serve_http(settings, host=host, port=port)
        ),
    )


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        return run(load_settings())
    except ConfigError as exc:
        print(f"servicebot: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
