"""What the real `servicebot serve --http` writes (stdout, stderr; web process and worker) with JSON logs on:
no token, signing secret or database password, ever; and a requester's email, phone and National Insurance
number redacted from the log lines while their ticket keeps them.

Slack echoes what it was sent in some errors (`invalid_blocks` quotes the blocks), so the fake answers the
worker's first post with an error quoting the requester's words: the worker logs that failure (a logged
line that would carry them), retries, and succeeds."""

from __future__ import annotations

import json
import queue
import re
import subprocess
import threading
import time
from pathlib import Path

from sqlalchemy import select

from servicebot.bootstrap import build_services
from servicebot.storage.tables import tickets
from tests.conftest import make_settings
from tests.support.cli import SERVICEBOT, cli_env, servicebot
from tests.support.fake_slack import FakeSlack
from tests.support.slack_requests import SlackSender, message_event

BOT_TOKEN = "xoxb-1111-2222-SECRETBOTTOKEN9f8e7d"
APP_TOKEN = "xapp-1-A111-SECRETAPPTOKEN5c4b3a"
SIGNING_SECRET = "SECRETSIGNING0123456789abcdef0123"
SECRETS = (BOT_TOKEN, APP_TOKEN, SIGNING_SECRET, "SECRETBOTTOKEN", "SECRETAPPTOKEN", "SECRETSIGNING")
EMAIL, PHONE, NI = "jo.bloggs@example.org", "07700 900123", "AB 12 34 56 C"
WORDS = f"the printer on floor 2 is jammed, email me at {EMAIL} or ring {PHONE}; my NI number is {NI}"
LISTENING = re.compile(r"^ServiceBot: listening on 127\.0\.0\.1:(\d+):")


def _wait_until(condition: object, what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def test_no_secret_and_no_personal_data_reaches_the_logs_while_the_ticket_keeps_them(tmp_path: Path) -> None:
    with FakeSlack(valid_tokens={BOT_TOKEN}) as slack:
        env = cli_env(
            tmp_path,
            SLACK_BOT_TOKEN=BOT_TOKEN,
            SLACK_APP_TOKEN=APP_TOKEN,
            SLACK_SIGNING_SECRET=SIGNING_SECRET,
            SLACK_API_URL=slack.api_url,
            SERVICEBOT_LOG_FORMAT="json",
        )
        slack.fail_next("chat.postMessage", error=f"invalid_blocks: [ERROR] in text '{WORDS}'")
        process = subprocess.Popen(
            [str(SERVICEBOT), "serve", "--http", "--host", "127.0.0.1", "--port", "0"],
            env=env,
            cwd=tmp_path,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        out: list[str] = []
        err: list[str] = []
        ports: queue.Queue[int] = queue.Queue()

        def read(stream: object, into: list[str]) -> None:
            for raw in stream:  # type: ignore[attr-defined]
                line = raw.decode("utf-8", "replace").rstrip("\n")
                into.append(line)
                found = LISTENING.match(line)
                if found:
                    ports.put(int(found.group(1)))

        readers = [
            threading.Thread(target=read, args=(process.stdout, out), daemon=True),
            threading.Thread(target=read, args=(process.stderr, err), daemon=True),
        ]
        for reader in readers:
            reader.start()
        try:
            port = ports.get(timeout=60)
            url = f"http://127.0.0.1:{port}/slack/events"
            event = message_event(WORDS, channel="C0ICTHELP")
            forged = SlackSender(url, "not-the-secret").send_event(event)
            assert forged.status == 401
            assert SlackSender(url, SIGNING_SECRET).send_event(event).status == 200
            # The first post fails (logged, with Slack's echo of the words); the retry posts the card.
            _wait_until(lambda: any(c.ok for c in slack.calls_to("chat.postMessage")), "the card, on retry")
            _wait_until(lambda: any("failed (attempt 1)" in line for line in err), "the failure's log line")
        finally:
            process.terminate()
            process.wait(timeout=60)
            for reader in readers:
                reader.join(timeout=10)

    written = "\n".join(out + err)
    for secret in SECRETS:
        assert secret not in written, f"{secret} was written"
    for personal in (EMAIL, PHONE, NI, "07700", "example.org", "AB 12"):
        assert personal not in written, f"{personal!r} was written"
    # The line that carried them is there, redacted, as JSON.
    logged = [json.loads(line) for line in err if line.startswith("{")]
    refused = next(entry for entry in logged if entry["message"].startswith("chat.postMessage to C0ICTHELP"))
    assert refused["level"] == "WARNING"
    assert "email me at [email] or ring [phone]; my NI number is [ni-number]" in refused["message"]
    failure = next(entry for entry in logged if "failed (attempt 1)" in entry["message"])
    assert failure["level"] == "ERROR" and failure["logger"] == "servicebot.worker"
    assert "could not post the card for T-00001" in failure["exception"]
    assert {"time", "level", "logger", "message"} <= set(failure)
    # Every line is a JSON record or one of the process's own plain "ServiceBot: …" lines.
    assert all(line.startswith(("{", "ServiceBot: ")) for line in err if line), err

    # The ticket keeps what the requester wrote.
    services = build_services(
        make_settings(tmp_path, SERVICEBOT_DATABASE_URL=env["SERVICEBOT_DATABASE_URL"]), upgrade_schema=False
    )
    try:
        with services.db.read() as session:
            texts = list(session.execute(select(tickets.c.text)).scalars())
    finally:
        services.close()
    assert len(texts) == 1 and EMAIL in texts[0] and PHONE in texts[0] and NI in texts[0]


def test_a_database_password_is_never_printed(tmp_path: Path) -> None:
    url = "postgresql+psycopg://servicebot:hunter2-SECRETDBPASSWORD@127.0.0.1:1/servicebot"
    for args in (["tickets", "list"], ["db", "current"], ["retention", "apply"], ["serve", "--port", "0"]):
        result = servicebot(
            tmp_path,
            *args,
            SERVICEBOT_DATABASE_URL=url,
            SLACK_SIGNING_SECRET=SIGNING_SECRET,
            SLACK_BOT_TOKEN=BOT_TOKEN,
            SERVICEBOT_LOG_FORMAT="json",
        )
        assert result.returncode == 2, (args, result.stderr)
        assert "SECRETDBPASSWORD" not in result.stdout + result.stderr, args
        assert "Traceback" not in result.stderr
        assert "servicebot:***@127.0.0.1:1" in result.stderr, (args, result.stderr)
