"""ServiceBot's real HTTP app (waitress + Bolt + handlers + SQLite) on loopback, pointed at a FakeSlack."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import waitress
from sqlalchemy import select
from waitress import wasyncore

import bot
import handlers
from servicebot.bootstrap import Services, build_services
from servicebot.domain.tickets import Ticket
from servicebot.runtime.supervisor import WorkerProcess
from servicebot.storage import tickets as ticket_rows
from servicebot.storage.tables import inbound_requests, tickets
from tests.conftest import make_settings
from tests.support.fake_slack import BOT_TOKEN, FakeSlack
from tests.support.slack_requests import SlackSender

SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"


@dataclass
class LiveApp:
    services: Services
    slack_app: bot.SlackApp
    slack: FakeSlack
    sender: SlackSender
    base_url: str
    worker_process: WorkerProcess | None = None

    def tickets(self) -> list[Ticket]:
        return self.services.queries.search(ticket_rows.TicketFilter(limit=10_000))

    def ticket_count(self) -> int:
        with self.services.db.transaction() as session:
            return len(session.execute(select(tickets.c.id)).all())

    def wait_until(self, condition: Callable[[], Any], timeout: float = 10.0, what: str = "condition") -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = condition()
            if value:
                return value
            time.sleep(0.02)
        raise AssertionError(f"timed out after {timeout}s waiting for {what}")

    def settled(self, timeout: float = 10.0) -> None:
        """Wait until every accepted request has been processed or has failed (work happens after ack)."""

        def idle() -> bool:
            with self.services.inbox.db.read() as session:
                rows = session.execute(
                    select(inbound_requests.c.processed_at, inbound_requests.c.attempts)
                ).all()
            return all(r.processed_at is not None or r.attempts > 0 for r in rows)

        self.wait_until(idle, timeout, "all inbound requests to be processed or to have failed")

    def inbox(self) -> list[Any]:
        with self.services.inbox.db.read() as session:
            return list(session.execute(select(inbound_requests)).all())


@contextmanager
def live_app(
    tmp_path: Path,
    *,
    worker_process: bool = False,
    usergroups: Mapping[str, Iterable[str]] | None = None,
    client_timeout: int | None = None,
    **env: str,
) -> Iterator[LiveApp]:
    """The web app as `serve_http` runs it. The worker runs in a thread of this process (same code,
    retries after 0.1 s instead of 5 s) unless `worker_process`, which starts the production process.
    `usergroups`: the Slack user groups the fake Slack knows, with their members. `client_timeout`: the
    Slack client's timeout in seconds (production: 10), for tests of a hanging Slack."""
    with FakeSlack(usergroups=usergroups) as slack:
        settings = make_settings(
            tmp_path,
            SLACK_BOT_TOKEN=BOT_TOKEN,
            SLACK_SIGNING_SECRET=SIGNING_SECRET,
            SLACK_API_URL=slack.api_url,
            **env,
        )
        services = build_services(settings)
        slack_app = bot.build_slack_app(services)
        if client_timeout is not None:
            slack_app.context.client.timeout = client_timeout
        with _worker(settings, services, slack_app, worker_process) as process:
            try:
                with serve_wsgi(bot.wsgi_app(slack_app, services)) as base_url:
                    sender = SlackSender(f"{base_url}/slack/events", SIGNING_SECRET, slack=slack)
                    yield LiveApp(services, slack_app, slack, sender, base_url, process)
            finally:
                services.close()


@contextmanager
def _worker(
    settings: Any, services: Services, slack_app: bot.SlackApp, process: bool
) -> Iterator[WorkerProcess | None]:
    if process:
        worker = bot.start_worker_process(settings, services, check_every=0.2)
        try:
            yield worker
        finally:
            worker.close()
        return
    services.inbox.retry_base = timedelta(milliseconds=100)
    wake, stop = threading.Event(), threading.Event()
    services.inbox.notify = wake.set
    thread = threading.Thread(
        target=handlers.worker(slack_app.context).run_forever, args=(wake, stop, 0.05), daemon=True
    )
    thread.start()
    try:
        yield None
    finally:
        stop.set()
        wake.set()
        thread.join(timeout=10)


@contextmanager
def serve_wsgi(app: Any, threads: int = 8) -> Iterator[str]:
    """Serve `app` with waitress (as production does) on a free loopback port; yields the base URL.

    waitress has no stop(): closing its socket under a running loop fails in select(), so the loop
    runs in short slices until asked to stop, then closes on its own thread."""
    server: Any = waitress.create_server(app, host="127.0.0.1", port=0, threads=threads, ident="servicebot")
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            wasyncore.loop(timeout=0.05, map=server._map, count=1)
        server.close()
        server.task_dispatcher.shutdown()

    thread = threading.Thread(target=loop, name="waitress", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:
        stop.set()
        thread.join(timeout=5)
