"""Composition root: builds the Slack app from the core services and runs it. Wiring only."""

from __future__ import annotations

import errno
import logging
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from slack_bolt import App
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler

import handlers
import handlers.connect
import handlers.http
import handlers.inbox
import handlers.roles
import servicebot.cli
from servicebot import logs
from servicebot.bootstrap import Services, build_services
from servicebot.config import ConfigError, Settings, load_settings
from servicebot.runtime.claims import release_orphans
from servicebot.runtime.inbox import Activity
from servicebot.runtime.leader import Leadership, election_for
from servicebot.runtime.scheduler import DigestScheduler
from servicebot.runtime.serving import POLL_SECONDS, CannotListen, Stop, serve_wsgi, stop_on_signals
from servicebot.runtime.supervisor import WorkerProcess
from servicebot.runtime.worker import Wake

if TYPE_CHECKING:
    pass

log = logging.getLogger("servicebot")


def slack_client(settings: Settings) -> WebClient:
    client = WebClient(token=settings.slack_bot_token, base_url=settings.slack_api_url, timeout=10)
    # Slack answers bursts with 429 + Retry-After; the SDK waits as told and tries again.
    client.retry_handlers.extend(
        [ConnectionErrorRetryHandler(max_retry_count=2), RateLimitErrorRetryHandler(max_retry_count=3)]
    )
    return client


def _not_token_unused(record: logging.LogRecord) -> bool:
    return record.getMessage() != warning_client_prioritized_and_token_skipped()


@dataclass
class SlackApp:
    app: App
    context: handlers.SlackContext


def build_slack_app(services: Services) -> SlackApp:
    settings = services.settings
    if not settings.slack_bot_token:
        raise ConfigError("SLACK_BOT_TOKEN: required to connect to Slack")
    client = slack_client(settings)
    bot_user_id = handlers.connect.check_bot_token(client, settings)
    groups = handlers.roles.SlackGroupMembers(settings)
    handlers.roles.check_groups(groups, settings)
    services.roles.attach(groups)
    # Bolt reads SLACK_BOT_TOKEN from the environment even when given a client (the one that carries
    # our base URL, timeout and retries) and then warns at every start that the token is unused.
    # The token it read is the client's own, so the warning is noise: that one message is dropped.
    logging.getLogger("slack_bolt.App").addFilter(_not_token_unused)
    app = App(
        client=client,
        signing_secret=settings.slack_signing_secret,
        process_before_response=False,
        # wsgi_app verifies every request before Bolt sees it, and Socket Mode needs no signature.
        request_verification_enabled=False,
    )
    context = handlers.SlackContext(services=services, client=client, bot_user_id=bot_user_id)
    handlers.register(app, context)
    return SlackApp(app, context)


def wsgi_app(slack: SlackApp, services: Services) -> handlers.http.WSGIApp:
    return handlers.http.wsgi_app(
        slack.app,
        services.settings.slack_signing_secret or "",
        services.health,
        record=handlers.inbox.event_recorder(slack.context),
    )


def run_worker(settings: Settings, wake: Wake, stop: Wake, activity: Activity) -> None:
    """The worker process's main: its own services and Slack client, working until `stop` is set."""
    logs.configure(settings.log_format)  # a spawned process starts with no logging; a forked one is replaced
    # APScheduler says every start, run and stop at INFO; ours says what a run did when it did something.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    services = build_services(settings, upgrade_schema=False)
    leadership: Leadership | None = None
    try:
        client = slack_client(settings)
        services.roles.attach(handlers.roles.SlackGroupMembers(settings))
        context = handlers.SlackContext(
            services=services, client=client, bot_user_id=handlers.connect.bot_user_id(client)
        )
        # A worker restarted after a crash takes over at once what the dead one had claimed.
        release_orphans(services.inbox.db, services.db)
        services.triage.model()  # trained (or loaded from the cache) before the first message, not during it
        leadership = scheduled_work(services)
        leadership.start()
        handlers.worker(context, busy=activity.busy).run_forever(wake, stop)
    finally:
        if leadership is not None:
            leadership.stop()
        services.close()


def scheduled_work(services: Services) -> Leadership:
    """The configured digests and the breach alerts' evaluation (at start, then every
    `alerts.evaluate_every_minutes`), run by the worker of the one replica elected leader, beside the relay
    that sends what they record; another replica's worker takes over when the leader stops or dies."""
    settings = services.settings
    running: list[DigestScheduler] = []

    def elected() -> None:
        scheduler = DigestScheduler(
            services.digests,
            services.db.engine,
            settings.digests,
            alerts=services.alerts,
            alerts_every_minutes=settings.alerts.evaluate_every_minutes,
        )
        scheduler.start()
        running.append(scheduler)

    def deposed() -> None:
        while running:
            running.pop().shutdown()

    return Leadership(election_for(services.db, services.digests.clock), elected, deposed)


def start_worker_process(settings: Settings, services: Services, check_every: float = 2.0) -> WorkerProcess:
    """Start the worker; new requests recorded by this process wake it at once."""
    return WorkerProcess(run_worker, (settings,), services.inbox, check_every)


def serve_http(settings: Settings, *, host: str = "0.0.0.0", port: int = 3000) -> int:
    """Until SIGTERM or SIGINT: then stop accepting, answer what is in flight, stop the worker, exit 0."""
    if not settings.slack_signing_secret:
        raise ConfigError("SLACK_SIGNING_SECRET: required to verify requests from Slack over HTTP")
    services = build_services(settings)
    worker: WorkerProcess | None = None
    try:
        slack = build_slack_app(services)
        with stop_on_signals(Stop()) as stop:
            worker = start_worker_process(settings, services)
            try:
                serve_wsgi(wsgi_app(slack, services), host, port, stop, on_listening=_say_listening)
            except CannotListen as exc:
                raise _cannot_listen(host, port, exc) from None
            _say_stopping(stop)
    finally:
        if worker is not None:
            worker.close()
        services.close()  # flushes the inbox writer: every acknowledged request is on disk
    return 0


def _cannot_listen(host: str, port: int, exc: CannotListen) -> ConfigError:
    where = f"cannot listen on {host}:{port} ({exc})"
    if exc.errno == errno.EADDRINUSE:
        return ConfigError(
            f"--port: {where}; another program is using that port: stop it, or choose another port with "
            "--port (0 for any free one)"
        )
    if exc.errno == errno.EACCES:
        return ConfigError(f"--port: {where}; ports below 1024 need privileges: choose one above 1023")
    return ConfigError(
        f"--host: {where}; give an address of this machine, e.g. 127.0.0.1 (this machine only) or "
        "0.0.0.0 (every interface, the default)"
    )


def _say_listening(host: str, port: int) -> None:
    shown = "localhost" if host in ("0.0.0.0", "::") else host
    print(
        f"ServiceBot: listening on {host}:{port}: Slack at http://{shown}:{port}/slack/events, "
        f"health at http://{shown}:{port}/healthz",
        file=sys.stderr,
        flush=True,
    )


def _say_stopping(stop: Stop) -> None:
    print(f"ServiceBot: {stop.reason}: stopping the worker, then exiting.", file=sys.stderr, flush=True)


def serve_socket_mode(settings: Settings) -> int:
    """As `serve_http`, over Slack's WebSocket: a signal closes the connection, then the same clean stop."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    app_token = settings.slack_app_token or ""  # its form is checked with the rest of the settings
    services = build_services(settings)
    worker: WorkerProcess | None = None
    try:
        slack = build_slack_app(services)
        with stop_on_signals(Stop()) as stop:
            handler = SocketModeHandler(slack.app, app_token)
            handlers.connect.connect_socket_mode(handler, settings)
            try:
                worker = start_worker_process(settings, services)
                print("ServiceBot: connected to Slack over Socket Mode.", file=sys.stderr, flush=True)
                # Polled, not stop.wait(): the signal handler sets `stop` on this same thread, and an
                # Event's set() cannot take the lock its own wait() holds for a moment.
                while not stop.is_set():
                    time.sleep(POLL_SECONDS)
                _say_stopping(stop)
            finally:
                handler.close()  # type: ignore[no-untyped-call]
    finally:
        if worker is not None:
            worker.close()
        services.close()
    return 0


def run(settings: Settings) -> int:
    """Slack if configured (Socket Mode, else HTTP), otherwise the console. Says which and why."""
    # A Slack credential set without the bot token is a half-done Slack setup, not a wish for the console:
    # starting the console (exit 0 when stdin ends) would hide that the bot is not in Slack at all.
    for name, value, mode in (
        ("SLACK_APP_TOKEN", settings.slack_app_token, "Socket Mode"),
        ("SLACK_SIGNING_SECRET", settings.slack_signing_secret, "HTTP"),
    ):
        if value and not settings.slack_bot_token:
            raise ConfigError(
                f"SLACK_BOT_TOKEN: {name} is set, so 'run' would connect to Slack over {mode}, which needs "
                f"the bot token (xoxb-…) as well; set SLACK_BOT_TOKEN, or unset {name} for the console"
            )
    if settings.slack_app_token and settings.slack_bot_token:
        print("ServiceBot: Slack Socket Mode (SLACK_APP_TOKEN is set).", file=sys.stderr)
        return serve_socket_mode(settings)
    if settings.slack_signing_secret and settings.slack_bot_token:
        print("ServiceBot: Slack over HTTP on port 3000 (SLACK_SIGNING_SECRET is set).", file=sys.stderr)
        return serve_http(settings)
    print(
        "ServiceBot: console mode (no SLACK_BOT_TOKEN with SLACK_APP_TOKEN or SLACK_SIGNING_SECRET set). "
        f"Database: {settings.database_url_shown}",
        file=sys.stderr,
    )
    from servicebot.console.terminal import run_console
    from servicebot.services.actors import Role

    services = build_services(settings)
    try:
        # What the bot's schedule does, so that `alerts` shows what the figures breach today. The person at
        # the console runs this bot on their own machine: they see and do what a manager does.
        breaches = services.alerts.evaluate()
        opened = [p for p in breaches if p.action == "opened"]
        if opened:
            print(f"ServiceBot: {len(opened)} KPI(s) newly in breach; type 'alerts'.", file=sys.stderr)
        return run_console(services, user="console-user", role=Role.MANAGER)
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
    try:
        settings = load_settings()
        level = logging.INFO if settings.serves_slack else logging.WARNING
        logs.configure(settings.log_format, level=level)
        return run(settings)
    except ConfigError as exc:
        print(f"servicebot: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
