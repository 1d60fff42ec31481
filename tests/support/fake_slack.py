"""A fake Slack Web API server for end-to-end tests.

Slack is unreachable from CI and from developer machines, yet the bugs worth catching live in the
real HTTP path: how slack_sdk serialises arguments, how it surfaces ``ok: false`` and HTTP 429, and
how our retry/backoff code reacts. So instead of mocking ``WebClient`` we point the real client at
this loopback server, which answers the handful of methods ServiceBot uses the way Slack does
(including its error codes and rate limiting), records every call, and lets tests inject faults.

Usage::

    with FakeSlack() as slack:
        client = WebClient(token=BOT_TOKEN, base_url=slack.api_url)
        slack.rate_limit_next("chat.postMessage")
        ...
        [call] = slack.wait_for("chat.postMessage")

Files go up as slack_sdk's ``files_upload_v2`` sends them: ``files.getUploadURLExternal`` hands out an
upload URL on this same server, the bytes are POSTed there (recorded as method ``UPLOAD_METHOD``, where
faults can be injected too), and ``files.completeUploadExternal`` shares the file into a channel or thread;
``uploaded_files()`` returns what was shared, bytes included.
"""

from __future__ import annotations

import copy
import json
import mimetypes
import socket
import struct
import threading
import time
import urllib.parse
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Final, Self, cast
from urllib.parse import parse_qs, urlsplit

__all__ = [
    "APP_ID",
    "BOT_ID",
    "BOT_TOKEN",
    "BOT_USER_ID",
    "TEAM_DOMAIN",
    "TEAM_ID",
    "UPLOAD_METHOD",
    "Call",
    "FakeSlack",
    "UploadedFile",
]

# Identifiers shared with slack_requests.py so events "from Slack" and answers "from Slack" agree.
BOT_TOKEN: Final = "xoxb-test-token"
BOT_USER_ID: Final = "UBOTSERVICE"
BOT_ID: Final = "BSERVICE"
TEAM_ID: Final = "T0COUNCIL"
TEAM_NAME: Final = "Council ICT"
TEAM_DOMAIN: Final = "council"
APP_ID: Final = "A0SERVICE"
BOT_NAME: Final = "servicebot"

RESPONSE_URL_METHOD: Final = "response_url"
# The upload URL files.getUploadURLExternal hands out: POSTs to it are recorded under this method name (args:
# file_id and the length received), and faults queued for it answer the upload itself.
UPLOAD_METHOD: Final = "files.upload_url"
# GET <base_url>/_fake/calls[?method=chat.postMessage]: a summary of recorded calls as JSON (method,
# channel, thread_ts, at, ok, status). `at` is time.monotonic(), one clock for all processes on Linux.
CALLS_PATH: Final = "/_fake/calls"

_API_PREFIX: Final = "/api/"
_RESPONSE_URL_PREFIX: Final = "/response_url/"
_UPLOAD_PREFIX: Final = "/upload/v1/"

# Slack timestamps double as message ids; starting from a fixed epoch keeps test output readable
# while the counter guarantees uniqueness and ordering, which chat.update and threading rely on.
_TS_EPOCH_MICROS: Final = 1_700_000_000_000_000
_TS_STEP_MICROS: Final = 100

# Free-text arguments are never JSON-decoded: a ticket title like "[1]" must stay a string.
_PLAIN_TEXT_ARGS: Final = frozenset({"text", "alt_text", "title", "initial_comment", "query", "name"})


@dataclass(frozen=True)
class Call:
    """One request the fake received, and how it answered.

    ``args`` merges query string and body, minus any ``token`` (that is auth, kept in ``token``).
    ``headers`` has lower-cased names, since HTTP header names are case-insensitive.
    ``at`` is ``time.monotonic()`` at arrival, so tests can measure latency against their own clock.
    ``fault`` names the injected fault that produced the answer ("fail", "rate_limit",
    "server_error", "delay"), or that left the call unanswered and undone ("hang", "reset": status 0),
    or is None for a normal answer.
    """

    method: str
    args: dict[str, Any]
    token: str | None
    headers: dict[str, str]
    at: float
    status: int = 200
    response: dict[str, Any] = field(default_factory=dict)
    fault: str | None = None
    path: str = ""

    @property
    def ok(self) -> bool:
        return self.status == 200 and self.response.get("ok") is True

    @property
    def error(self) -> str | None:
        error = self.response.get("error")
        return error if isinstance(error, str) else None

    def summary(self) -> str:
        outcome = "ok" if self.ok else f"error={self.error}"
        suffix = f" fault={self.fault}" if self.fault else ""
        return f"{self.method} [{self.status} {outcome}{suffix}]"


@dataclass(frozen=True)
class UploadedFile:
    """A file shared by ``files.completeUploadExternal``: the bytes POSTed to its upload URL and where it was
    shared. ``length`` is what ``files.getUploadURLExternal`` was told; ``content`` is what arrived."""

    id: str
    filename: str
    title: str
    content: bytes
    length: int
    alt_txt: str | None
    channel_id: str | None
    thread_ts: str | None
    initial_comment: str | None
    ts: str | None  # the message that shares it, when it was shared into a channel


@dataclass
class _Upload:
    """A file between files.getUploadURLExternal and files.completeUploadExternal."""

    id: str
    filename: str
    length: int
    alt_txt: str | None
    content: bytes | None = None
    completed: bool = False


@dataclass(frozen=True)
class _Fault:
    kind: str
    status: int = 200
    error: str = ""
    retry_after: int = 0
    seconds: float = 0.0
    channel: str | None = None  # None: any call to the method


@dataclass(frozen=True)
class _Answer:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)
    fault: str | None = None
    # A plain-text body instead of JSON (the upload URL answers "OK - <length>", as Slack's does).
    text: str | None = None


class _SlackError(Exception):
    """Raised by method handlers to answer ``{"ok": false, "error": ...}`` with HTTP 200, as Slack does."""

    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


class _BadRequest(Exception):
    """Raised while parsing a body Slack could not read; answered with invalid_json/invalid_form_data."""

    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


_Handler = Callable[["FakeSlack", dict[str, Any]], dict[str, Any]]


class FakeSlack:
    """A loopback HTTP server that speaks enough of the Slack Web API for ServiceBot's tests."""

    def __init__(
        self,
        valid_tokens: Iterable[str] | None = None,
        *,
        users: Mapping[str, Mapping[str, Any]] | None = None,
        channels: Mapping[str, str] | None = None,
        usergroups: Mapping[str, Iterable[str]] | None = None,
    ) -> None:
        """``users`` maps user id to fields overriding the generated profile (e.g. ``real_name``);
        ``channels`` maps channel id to name. Unlisted but well-formed ids still resolve, because
        tests routinely invent ids and Slack would know them. ``usergroups`` maps a user group id
        (``S…``) to its members; any other group is ``no_such_subteam``, as Slack says of one it lacks."""
        self.valid_tokens: frozenset[str] = frozenset(
            valid_tokens if valid_tokens is not None else {BOT_TOKEN}
        )
        self._users: dict[str, dict[str, Any]] = {uid: dict(u) for uid, u in (users or {}).items()}
        self._channels: dict[str, str] = {"C0ICTHELP": "ict-help", **(channels or {})}
        self._usergroups: dict[str, list[str]] = {g: list(m) for g, m in (usergroups or {}).items()}
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._calls: list[Call] = []
        self._faults: dict[str, deque[_Fault]] = {}
        self._down: dict[str, _Fault] = {}
        self._messages: dict[tuple[str, str], dict[str, Any]] = {}
        self._reactions: set[tuple[str, str, str]] = set()
        self._dm_channels: dict[str, str] = {}
        self._uploads: dict[str, _Upload] = {}
        self._shared: list[UploadedFile] = []
        self._ts_counter = 0
        self._id_counter = 0
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------------

    def start(self) -> Self:
        if self._server is not None:
            raise RuntimeError("FakeSlack is already running")
        server = _Server(("127.0.0.1", 0), _RequestHandler, self)
        # A short poll interval keeps stop() (and so every test teardown) from idling for 0.5s.
        thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.02}, name="fake-slack", daemon=True
        )
        thread.start()
        self._server, self._thread = server, thread
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("FakeSlack is not running; use start() or a with-block")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def api_url(self) -> str:
        """Base URL for ``WebClient(base_url=...)``; the trailing slash matters to urljoin."""
        return self.base_url + _API_PREFIX

    def response_url(self, id: str | None = None) -> str:
        """A response_url pointing at this fake; POSTs to it are recorded as method "response_url"."""
        return f"{self.base_url}{_RESPONSE_URL_PREFIX}{id or uuid.uuid4().hex[:12]}"

    # -- fault injection -----------------------------------------------------------------------------
    # Faults queue per method and are consumed one per call, in the order they were queued, so a
    # test can script e.g. "429, then 500, then success".

    def fail_next(self, method: str, error: str = "ratelimited", times: int = 1) -> None:
        """Answer HTTP 200 ``{"ok": false, "error": error}``, as Slack does for API-level errors."""
        self._queue(method, _Fault("fail", error=error), times)

    def rate_limit_next(self, method: str, retry_after: int = 1, times: int = 1) -> None:
        """Answer HTTP 429 with ``Retry-After``, as Slack does when a method's tier is exhausted."""
        self._queue(
            method, _Fault("rate_limit", status=429, error="ratelimited", retry_after=retry_after), times
        )

    def server_error_next(
        self, method: str, status: int = 500, times: int = 1, error: str = "fatal_error"
    ) -> None:
        self._queue(method, _Fault("server_error", status=status, error=error), times)

    def delay_next(self, method: str, seconds: float, times: int = 1) -> None:
        """Answer normally but only after ``seconds``, to exercise timeouts and slow-Slack paths."""
        self._queue(method, _Fault("delay", seconds=seconds), times)

    def hang_next(self, method: str, seconds: float, times: int = 1) -> None:
        """Hold the request for ``seconds`` (past the client's timeout), then close the connection without
        an answer and without doing the call: Slack overloaded, the request lost on its side."""
        self._queue(method, _Fault("hang", seconds=seconds), times)

    def reset_next(self, method: str, times: int = 1, *, channel: str | None = None) -> None:
        """Close the connection at once without an answer and without doing the call (a connection reset
        by a proxy or load balancer in front of Slack). `channel`: only calls for that channel meet it."""
        self._queue(method, _Fault("reset", channel=channel), times)

    def storm(self, method: str, *, times: int, retry_after: int = 1) -> None:
        """A 429 storm: ``times`` answers in a row of HTTP 429 with ``Retry-After``."""
        self.rate_limit_next(method, retry_after=retry_after, times=times)

    def down(self, method: str, kind: str, *, retry_after: int = 1, seconds: float = 0.0) -> None:
        """Every call to ``method`` meets the same fault until ``clear_faults()``: "rate_limit" (429 with
        Retry-After), "server_error" (500), "hang" (held ``seconds``, then closed unanswered) or "reset"."""
        faults = {
            "rate_limit": _Fault("rate_limit", status=429, error="ratelimited", retry_after=retry_after),
            "server_error": _Fault("server_error", status=500, error="fatal_error"),
            "hang": _Fault("hang", seconds=seconds),
            "reset": _Fault("reset"),
        }
        with self._lock:
            self._down[method] = faults[kind]

    def clear_faults(self) -> None:
        """Forget every fault still queued or standing: Slack is well again."""
        with self._lock:
            self._faults.clear()
            self._down.clear()

    def faults_left(self, method: str | None = None) -> int:
        with self._lock:
            return sum(len(q) for m, q in self._faults.items() if method is None or m == method)

    def _queue(self, method: str, fault: _Fault, times: int) -> None:
        if times < 1:
            raise ValueError(f"times must be >= 1, got {times}")
        with self._lock:
            self._faults.setdefault(method, deque()).extend([fault] * times)

    # -- queries -------------------------------------------------------------------------------------

    @property
    def calls(self) -> list[Call]:
        with self._lock:
            return list(self._calls)

    def calls_to(self, method: str) -> list[Call]:
        with self._lock:
            return [c for c in self._calls if c.method == method]

    def set_usergroup(self, group: str, members: Iterable[str]) -> None:
        """Who is in a user group from now on (a group a test adds, or changes, while the bot runs)."""
        with self._lock:
            self._usergroups[group] = list(members)

    def add_message(self, channel: str, ts: str, text: str, user: str, thread_ts: str | None = None) -> None:
        """A message a person posted, so history and replies can find it (the app only gets events)."""
        message: dict[str, Any] = {"type": "message", "text": text, "user": user, "ts": ts}
        if thread_ts:
            message["thread_ts"] = thread_ts
        with self._lock:
            self._messages[(channel, ts)] = message

    def message(self, channel: str, ts: str) -> dict[str, Any] | None:
        """The current state of a message (after any chat.update)."""
        with self._lock:
            found = self._messages.get((channel, ts))
            return copy.deepcopy(found) if found is not None else None

    def posted_messages(self) -> list[dict[str, Any]]:
        """Arguments of every successful chat.postMessage, in order."""
        return [c.args for c in self.calls_to("chat.postMessage") if c.ok]

    def uploaded_files(self) -> list[UploadedFile]:
        """Every file shared by files.completeUploadExternal, in order, with the bytes that were uploaded."""
        with self._lock:
            return list(self._shared)

    def reset(self) -> None:
        """Forget calls, queued faults and Slack-side state (messages, reactions, DMs, files)."""
        with self._lock:
            self._calls.clear()
            self._faults.clear()
            self._messages.clear()
            self._reactions.clear()
            self._dm_channels.clear()
            self._uploads.clear()
            self._shared.clear()

    def wait_for(
        self,
        method: str,
        count: int = 1,
        timeout: float = 5.0,
        *,
        where: Callable[[Call], bool] | None = None,
    ) -> list[Call]:
        """Block until at least ``count`` successful calls to ``method`` (matching ``where``) exist.

        The app under test calls Slack from worker threads after acking, so tests must wait rather
        than assert immediately. Returns the matching calls; raises AssertionError on timeout.
        """

        def matching() -> list[Call]:
            return [c for c in self._calls if c.method == method and c.ok and (where is None or where(c))]

        deadline = time.monotonic() + timeout
        with self._changed:
            while len(found := matching()) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    seen = ", ".join(c.summary() for c in self._calls) or "nothing"
                    condition = " matching the predicate" if where is not None else ""
                    raise AssertionError(
                        f"expected {count} successful {method} call(s){condition} within {timeout}s, "
                        f"got {len(found)}; calls recorded: {seen}"
                    )
                self._changed.wait(remaining)
            return found

    # -- request handling (called from server threads) -----------------------------------------------

    def _take_fault(self, method: str, args: Mapping[str, Any] | None = None) -> _Fault | None:
        with self._lock:
            if method in self._down:
                return self._down[method]
            queue = self._faults.get(method)
            if not queue:
                return None
            channel = str((args or {}).get("channel") or "")
            for fault in queue:
                if fault.channel is None or fault.channel == channel:
                    queue.remove(fault)
                    return fault
            return None

    def _record(self, call: Call) -> None:
        with self._changed:
            self._calls.append(call)
            self._changed.notify_all()

    def _answer(self, method: str, args: dict[str, Any], token: str | None, fault: _Fault | None) -> _Answer:
        if fault is not None and fault.kind != "delay":
            headers = {"Retry-After": str(fault.retry_after)} if fault.kind == "rate_limit" else {}
            return _Answer(fault.status, {"ok": False, "error": fault.error}, headers, fault.kind)
        delayed = fault.kind if fault is not None else None
        if method == RESPONSE_URL_METHOD:
            # response_urls carry their own authority; Slack ignores tokens there.
            return _Answer(200, {"ok": True}, fault=delayed)
        # Slack checks auth before it even looks up the method.
        if not token:
            return _Answer(200, {"ok": False, "error": "not_authed"}, fault=delayed)
        if token not in self.valid_tokens:
            return _Answer(200, {"ok": False, "error": "invalid_auth"}, fault=delayed)
        handler = _METHODS.get(method)
        if handler is None:
            return _Answer(200, {"ok": False, "error": "unknown_method"}, fault=delayed)
        try:
            with self._lock:
                body = handler(self, args)
        except _SlackError as e:
            return _Answer(200, {"ok": False, "error": e.error}, fault=delayed)
        return _Answer(200, {"ok": True, **body}, fault=delayed)

    def _handle(self, verb: str, path: str, headers: dict[str, str], raw_body: bytes) -> _Answer | None:
        at = time.monotonic()
        parts = urlsplit(path)
        if parts.path.startswith(_API_PREFIX):
            method = parts.path[len(_API_PREFIX) :].strip("/")
        elif parts.path.startswith(_RESPONSE_URL_PREFIX) and verb == "POST":
            method = RESPONSE_URL_METHOD
        elif parts.path.startswith(_UPLOAD_PREFIX) and verb == "POST":
            return self._handle_upload(parts.path, headers, raw_body, at)
        else:
            return None
        try:
            args = _parse_args(parts.query, headers.get("content-type", ""), raw_body)
        except _BadRequest as e:
            answer = _Answer(200, {"ok": False, "error": e.error})
            self._record(Call(method, {}, None, headers, at, answer.status, answer.body, None, parts.path))
            return answer
        token = _extract_token(headers, args)

        fault = self._take_fault(method, args)
        if fault is not None and fault.kind in ("hang", "reset"):
            if fault.kind == "hang":
                time.sleep(fault.seconds)
            # Recorded as a call that got no answer; the handler closes the socket.
            self._record(Call(method, args, token, headers, at, 0, {}, fault.kind, parts.path))
            return _Answer(0, {}, fault=fault.kind)
        if fault is not None and fault.kind == "delay":
            time.sleep(fault.seconds)
        answer = self._answer(method, args, token, fault)
        # Record before replying so a test that asserts right after its client call returns sees it.
        self._record(
            Call(method, args, token, headers, at, answer.status, answer.body, answer.fault, parts.path)
        )
        return answer

    def _handle_upload(self, path: str, headers: dict[str, str], raw_body: bytes, at: float) -> _Answer:
        """The bytes of a file, POSTed raw to the URL files.getUploadURLExternal gave (no token: the URL
        is the authority). An unknown or already completed file id gets 404, as an expired URL does."""
        file_id = path[len(_UPLOAD_PREFIX) :].strip("/")
        fault = self._take_fault(UPLOAD_METHOD)
        if fault is not None and fault.kind == "delay":
            time.sleep(fault.seconds)
        if fault is not None and fault.kind != "delay":
            headers_out = {"Retry-After": str(fault.retry_after)} if fault.kind == "rate_limit" else {}
            answer = _Answer(fault.status, {"ok": False, "error": fault.error}, headers_out, fault.kind)
        else:
            delayed = fault.kind if fault is not None else None
            with self._lock:
                upload = self._uploads.get(file_id)
                if upload is None or upload.completed:
                    answer = _Answer(404, {"ok": False, "error": "file_not_found"}, fault=delayed)
                else:
                    upload.content = raw_body
                    answer = _Answer(200, {"ok": True}, fault=delayed, text=f"OK - {len(raw_body)}")
        args = {"file_id": file_id, "length": len(raw_body)}
        self._record(
            Call(UPLOAD_METHOD, args, None, headers, at, answer.status, answer.body, answer.fault, path)
        )
        return answer

    # -- Slack-side state helpers (called with the lock held) --------------------------------------

    def _next_ts(self) -> str:
        self._ts_counter += 1
        micros = _TS_EPOCH_MICROS + self._ts_counter * _TS_STEP_MICROS
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    def _next_id(self, prefix: str) -> str:
        self._id_counter += 1
        return f"{prefix}{self._id_counter:08d}"

    def _user(self, user_id: str) -> dict[str, Any]:
        overrides = self._users.get(user_id, {})
        name = overrides.get("name", user_id.lower())
        real_name = overrides.get("real_name", f"Test User {user_id}")
        user: dict[str, Any] = {
            "id": user_id,
            "team_id": TEAM_ID,
            "name": name,
            "deleted": False,
            "real_name": real_name,
            "tz": "Europe/London",
            "tz_label": "Greenwich Mean Time",
            "tz_offset": 0,
            "is_admin": False,
            "is_bot": user_id == BOT_USER_ID,
            "profile": {
                "real_name": real_name,
                "display_name": name,
                "email": f"{name}@council.example.gov.uk",
            },
        }
        user.update({k: v for k, v in overrides.items() if k != "profile"})
        user["profile"].update(overrides.get("profile", {}))
        return user


# -- request parsing ---------------------------------------------------------------------------------


def _parse_args(query: str, content_type: str, raw_body: bytes) -> dict[str, Any]:
    args: dict[str, Any] = _flatten(parse_qs(query, keep_blank_values=True))
    media_type = content_type.split(";", 1)[0].strip().lower()
    if raw_body and media_type == "application/json":
        try:
            body = json.loads(raw_body)
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            raise _BadRequest("invalid_json") from e
        if not isinstance(body, dict):
            raise _BadRequest("invalid_json")
        # JSON-bodied calls must use the Authorization header; Slack ignores a token field here.
        body.pop("token", None)
        args.update(body)
    elif raw_body:
        try:
            args.update(_flatten(parse_qs(raw_body.decode("utf-8"), keep_blank_values=True)))
        except UnicodeDecodeError as e:
            raise _BadRequest("invalid_form_data") from e
    return {key: _decode_json_arg(key, value) for key, value in args.items()}


def _flatten(parsed: dict[str, list[str]]) -> dict[str, Any]:
    return {k: v[0] if len(v) == 1 else v for k, v in parsed.items()}


def _decode_json_arg(key: str, value: Any) -> Any:
    # slack_sdk JSON-encodes structured args (blocks, view, attachments...) into form fields; tests
    # want to assert on structure, not on string formatting.
    if key in _PLAIN_TEXT_ARGS or not isinstance(value, str):
        return value
    stripped = value.strip()
    if not (stripped.startswith(("{", "[")) and stripped.endswith(("}", "]"))):
        return value
    try:
        return json.loads(stripped)
    except json.JSONDecodeError:
        return value


def _extract_token(headers: Mapping[str, str], args: dict[str, Any]) -> str | None:
    auth = headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[len("bearer ") :].strip() or None
    # Form and query callers may pass the token as an argument; it is auth, not an API argument.
    token = args.pop("token", None)
    return token if isinstance(token, str) and token else None


# -- Slack method implementations ---------------------------------------------------------------------


def _require(args: Mapping[str, Any], name: str, error: str) -> Any:
    value = args.get(name)
    if value in (None, "", [], {}):
        raise _SlackError(error)
    return value


def _has_content(args: Mapping[str, Any]) -> bool:
    return any(args.get(k) for k in ("text", "blocks", "attachments"))


def _auth_test(fake: FakeSlack, args: dict[str, Any]) -> dict[str, Any]:
    return {
        "url": f"https://{TEAM_DOMAIN}.slack.com/",
        "team": TEAM_NAME,
        "user": BOT_NAME,
        "team_id": TEAM_ID,
        "user_id": BOT_USER_ID,
        "bot_id": BOT_ID,
        "is_enterprise_install": False,
    }


def _chat_post_message(fake: FakeSlack, args: dict[str, Any]) -> dict[str, Any]:
    channel = str(_require(args, "channel", "channel_not_found"))
    if channel[:1] in ("U", "W"):
        # As Slack does: a user id posts into the bot's direct message with that user, and the answer
        # names the DM channel (threads and updates use it, not the user id).
        channel = _dm_channel(fake, channel)
    if not _has_content(args):
        raise _SlackError("no_text")
    ts = fake._next_ts()
    message: dict[str, Any] = {
        "type": "message",
        "text": args.get("text", ""),
        "user": BOT_USER_ID,
        "bot_id": BOT_ID,
        "app_id": APP_ID,
        "team": TEAM_ID,
        "ts": ts,
    }
    for key in ("blocks", "attachments", "thread_ts", "metadata"):
        if args.get(key):
            message[key] = copy.deepcopy(args[key])
    fake._messages[(channel, ts)] = message
    return {"channel": channel, "ts": ts, "message": copy.deepcopy(message)}


def _chat_update(fake: FakeSlack, args: dict[str, Any]) -> dict[str, Any]:
    channel = str(_require(args, "channel", "channel_not_found"))
    ts = str(_require(args, "ts", "message_not_found"))
    message = fake._messages.get((channel, ts))
    if message is None:
        raise _SlackError("message_not_found")
    if not _has_content(args):
        raise _SlackError("no_text")
    for key in ("text", "blocks", "attachments", "metadata"):
        if key in args:
            message[key] = copy.deepcopy(args[key])
    message["edited"] = {"user": BOT_USER_ID, "ts": fake._next_ts()}
    return {"channel": channel, "ts": ts, "text": message.get("text", ""), "message": copy.deepcopy(message)}


def _chat_post_ephemeral(fake: FakeSlack, args: dict[str, Any]) -> dict[str, Any]:
    _require(args, "channel", "channel_not_found")
    _require(args, "user", "user_not_in_channel")
    if not _has_content(args):
        raise _SlackError("no_text")
    return {"message_ts": fake._next_ts()}


def _chat_get_permalink(fake: FakeSlack, args: dict[str, Any]) -> dict[str, Any]:
    channel = str(_require(args, "channel", "channel_not_found"))
    ts = str(_require(args, "message_ts", "message_not_found"))
    permalink = f"https://{TEAM_DOMAIN}.slack.com/archives/{channel}/p{ts.replace('.', '')}"
    thread_ts = fake._messages.get((channel, ts), {}).get("thread_ts")
    if thread_ts and thread_ts != ts:
        permalink += f"?thread_ts={thread_ts}&cid={channel}"
    return {"channel": channel, "permalink": permalink}


def _reactions_add(fake: FakeSlack, args: dict[str, Any]) -> dict[str, Any]:
    channel = str(_require(args, "channel", "channel_not_found"))
    ts = str(_require(args, "timestamp", "no_item_specified"))
    name = str(_require(args, "name", "invalid_name")).strip(":")
    key = (channel, ts, name)
    if key in fake._reactions:
        raise _SlackError("already_reacted")
    fake._reactions.add(key)
    return {}


def _view(fake: FakeSlack, args: dict[str, Any]) -> dict[str, Any]:
    view = _require(args, "view", "invalid_arguments")
    if not isinstance(view, dict) or "type" not in view:
        raise _SlackError("invalid_arguments")
    view_id = fake._next_id("V0")
    return {
        "id": view_id,
        "team_id": TEAM_ID,
        "type": view["type"],
        "title": view.get("title"),
        "blocks": copy.deepcopy(view.get("blocks", [])),
        "close": view.get("close"),
        "submit": view.get("submit"),
        "private_metadata": view.get("private_metadata", ""),
        "callback_id": view.get("callback_id", ""),
        "external_id": view.get("external_id", ""),
        "state": {"values": {}},
        "hash": f"{int(time.time())}.{view_id}",
        "clear_on_close": bool(view.get("clear_on_close", False)),
        "notify_on_close": bool(view.get("notify_on_close", False)),
        "root_view_id": view_id,
        "previous_view_id": None,
        "app_id": APP_ID,
        "app_installed_team_id": TEAM_ID,
        "bot_id": BOT_ID,
    }


def _views_open(fake: FakeSlack, args: dict[str, Any]) -> dict[str, Any]:
    _require(args, "trigger_id", "invalid_arguments")
    return {"view": _view(fake, args)}


def _views_publish(fake: FakeSlack, args: dict[str, Any]) -> dict[str, Any]:
    _require(args, "user_id", "invalid_arguments")
    return {"view": _view(fake, args)}


def _conversations_info(fake: FakeSlack, args: dict[str, Any]) -> dict[str, Any]:
    channel_id = str(_require(args, "channel", "channel_not_found"))
    if channel_id[:1] not in ("C", "G", "D"):
        raise _SlackError("channel_not_found")
    is_im = channel_id.startswith("D")
    channel: dict[str, Any] = {
        "id": channel_id,
        "created": 1_600_000_000,
        "is_channel": channel_id.startswith("C"),
        "is_group": channel_id.startswith("G"),
        "is_im": is_im,
        "is_private": not channel_id.startswith("C"),
        "is_archived": False,
        "is_member": True,
        "context_team_id": TEAM_ID,
    }
    if is_im:
        owner = next((u for u, d in fake._dm_channels.items() if d == channel_id), None)
        channel["user"] = owner
    else:
        channel["name"] = fake._channels.get(channel_id, channel_id.lower())
        channel["name_normalized"] = channel["name"]
    return {"channel": channel}


def _dm_channel(fake: FakeSlack, user: str) -> str:
    if user not in fake._dm_channels:
        fake._dm_channels[user] = "D" + user[1:]
    return fake._dm_channels[user]


def _conversations_open(fake: FakeSlack, args: dict[str, Any]) -> dict[str, Any]:
    if args.get("channel"):
        return {"channel": {"id": str(args["channel"])}, "no_op": True, "already_open": True}
    users = _require(args, "users", "users_list_not_supplied")
    user_ids = users if isinstance(users, list) else str(users).split(",")
    key = ",".join(sorted(str(u).strip() for u in user_ids))
    already_open = key in fake._dm_channels
    if not already_open:
        # Derived from the user ids so a failing test shows whose DM it was; several users make a
        # multi-person DM, which Slack ids like a private channel.
        prefix = "D" if len(user_ids) == 1 else "G"
        fake._dm_channels[key] = prefix + key.replace(",", "")[1:]
    return {"channel": {"id": fake._dm_channels[key]}, "no_op": already_open, "already_open": already_open}


def _in_range(ts: str, args: dict[str, Any]) -> bool:
    inclusive = str(args.get("inclusive", "")).lower() in ("1", "true")
    value = float(ts)
    if args.get("oldest"):
        oldest = float(args["oldest"])
        if value < oldest or (value == oldest and not inclusive):
            return False
    if args.get("latest"):
        latest = float(args["latest"])
        if value > latest or (value == latest and not inclusive):
            return False
    return True


def _conversations_history(fake: FakeSlack, args: dict[str, Any]) -> dict[str, Any]:
    """Top-level messages only, newest first, as Slack returns them."""
    channel = str(_require(args, "channel", "channel_not_found"))
    found = [
        copy.deepcopy(m)
        for (c, ts), m in fake._messages.items()
        if c == channel and m.get("thread_ts") in (None, ts) and _in_range(ts, args)
    ]
    found.sort(key=lambda m: float(m["ts"]), reverse=True)
    limit = int(args.get("limit") or 100)
    return {"messages": found[:limit], "has_more": len(found) > limit}


def _conversations_replies(fake: FakeSlack, args: dict[str, Any]) -> dict[str, Any]:
    """A thread's root and replies, oldest first; a reply's ts returns just that reply (as Slack does)."""
    channel = str(_require(args, "channel", "channel_not_found"))
    ts = str(_require(args, "ts", "thread_not_found"))
    message = fake._messages.get((channel, ts))
    if message is None and not any(
        c == channel and m.get("thread_ts") == ts for (c, _), m in fake._messages.items()
    ):
        raise _SlackError("thread_not_found")
    # A person's message that started the thread reached the app as an event, not through this fake: its
    # replies are known all the same.
    root = (message or {}).get("thread_ts") or ts
    if root != ts:
        return {"messages": [copy.deepcopy(message)], "has_more": False}
    found = [
        copy.deepcopy(m)
        for (c, mts), m in fake._messages.items()
        if c == channel and (mts == ts or m.get("thread_ts") == ts)
    ]
    found.sort(key=lambda m: float(m["ts"]))
    limit = int(args.get("limit") or 1000)
    return {"messages": found[:limit], "has_more": len(found) > limit}


def _files_get_upload_url_external(fake: FakeSlack, args: dict[str, Any]) -> dict[str, Any]:
    filename = str(_require(args, "filename", "invalid_arguments"))
    try:
        length = int(_require(args, "length", "invalid_arguments"))
    except ValueError:
        raise _SlackError("invalid_arguments") from None
    if length < 1:
        raise _SlackError("invalid_arguments")
    alt_txt = args.get("alt_txt")
    if isinstance(alt_txt, str) and len(alt_txt) > 1000:
        raise _SlackError("alt_txt_too_large")
    file_id = fake._next_id("F0")
    fake._uploads[file_id] = _Upload(file_id, filename, length, alt_txt if alt_txt else None)
    return {"upload_url": f"{fake.base_url}{_UPLOAD_PREFIX}{file_id}", "file_id": file_id}


def _files_complete_upload_external(fake: FakeSlack, args: dict[str, Any]) -> dict[str, Any]:
    """Shares each uploaded file (into ``channel_id``, in ``thread_ts``'s thread, with ``initial_comment``
    on the message). A file whose bytes never arrived, or that was completed already, is file_not_found."""
    files = _require(args, "files", "invalid_arguments")
    if not isinstance(files, list) or not all(isinstance(f, dict) and f.get("id") for f in files):
        raise _SlackError("invalid_arguments")
    channel = str(args["channel_id"]) if args.get("channel_id") else None
    thread_ts = str(args["thread_ts"]) if args.get("thread_ts") else None
    if thread_ts and not channel:
        raise _SlackError("invalid_arguments")
    uploads = []
    for f in files:
        upload = fake._uploads.get(str(f["id"]))
        if upload is None or upload.content is None or upload.completed:
            raise _SlackError("file_not_found")
        uploads.append(upload)
    comment = args.get("initial_comment") or None
    ts = None
    if channel:
        ts = fake._next_ts()
        message: dict[str, Any] = {
            "type": "message",
            "subtype": "file_share",
            "text": comment or "",
            "user": BOT_USER_ID,
            "bot_id": BOT_ID,
            "ts": ts,
            "files": [{"id": u.id, "name": u.filename} for u in uploads],
        }
        if thread_ts:
            message["thread_ts"] = thread_ts
        fake._messages[(channel, ts)] = message
    answered = []
    for f, upload in zip(files, uploads, strict=True):
        upload.completed = True
        title = str(f.get("title") or upload.filename)
        content = upload.content or b""
        fake._shared.append(
            UploadedFile(
                upload.id, upload.filename, title, content, upload.length, upload.alt_txt,
                channel, thread_ts, comment, ts,
            )
        )  # fmt: skip
        answered.append(
            {
                "id": upload.id,
                "name": upload.filename,
                "title": title,
                "mimetype": mimetypes.guess_type(upload.filename)[0] or "application/octet-stream",
                "size": len(content),
                "user": BOT_USER_ID,
                "shares": {}
                if channel is None
                else {"public": {channel: [{"ts": ts, "thread_ts": thread_ts}]}},
            }
        )
    return {"files": answered}


def _users_info(fake: FakeSlack, args: dict[str, Any]) -> dict[str, Any]:
    user_id = str(_require(args, "user", "user_not_found"))
    if user_id[:1] not in ("U", "W"):
        raise _SlackError("user_not_found")
    return {"user": fake._user(user_id)}


def _usergroups_users_list(fake: FakeSlack, args: dict[str, Any]) -> dict[str, Any]:
    """A user group's members' ids, as Slack's ``usergroups.users.list`` answers (``include_disabled``
    aside: every fake group is enabled)."""
    group = str(_require(args, "usergroup", "invalid_arguments"))
    if group not in fake._usergroups:
        raise _SlackError("no_such_subteam")
    return {"users": list(fake._usergroups[group])}


_METHODS: Final[dict[str, _Handler]] = {
    "auth.test": _auth_test,
    "chat.postMessage": _chat_post_message,
    "chat.update": _chat_update,
    "chat.postEphemeral": _chat_post_ephemeral,
    "chat.getPermalink": _chat_get_permalink,
    "reactions.add": _reactions_add,
    "views.open": _views_open,
    "views.publish": _views_publish,
    "conversations.info": _conversations_info,
    "conversations.open": _conversations_open,
    "conversations.history": _conversations_history,
    "conversations.replies": _conversations_replies,
    "users.info": _users_info,
    "usergroups.users.list": _usergroups_users_list,
    "files.getUploadURLExternal": _files_get_upload_url_external,
    "files.completeUploadExternal": _files_complete_upload_external,
}


# -- HTTP plumbing ------------------------------------------------------------------------------------


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(
        self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], fake: FakeSlack
    ) -> None:
        self.fake = fake
        super().__init__(address, handler)


class _RequestHandler(BaseHTTPRequestHandler):
    server_version = "FakeSlack/1.0"

    def do_GET(self) -> None:
        if self.path.startswith(CALLS_PATH):
            self._calls_summary()
            return
        self._serve("GET")

    def _calls_summary(self) -> None:
        """What was called, for a harness that runs this fake in another process (see CALLS_PATH)."""
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
        method = query["method"][0] if query.get("method") else None
        fake = cast(_Server, self.server).fake
        calls = fake.calls_to(method) if method else fake.calls
        summary = [
            {
                "method": c.method,
                "channel": c.args.get("channel"),
                "thread_ts": c.args.get("thread_ts"),
                "at": c.at,
                "ok": c.ok,
                "status": c.status,
            }
            for c in calls
        ]
        self._write(200, {"Content-Type": "application/json"}, json.dumps(summary).encode("utf-8"))

    def do_POST(self) -> None:
        self._serve("POST")

    def _serve(self, verb: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw_body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        fake = cast(_Server, self.server).fake
        answer = fake._handle(verb, self.path, headers, raw_body)
        if answer is not None and answer.fault in ("hang", "reset"):
            self._drop()
            return
        if answer is None:
            self._write(404, {"Content-Type": "text/plain"}, b"not found")
            return
        if answer.text is not None:
            self._write(answer.status, {"Content-Type": "text/plain; charset=utf-8"}, answer.text.encode())
            return
        payload = json.dumps(answer.body).encode("utf-8")
        response_headers = {
            "Content-Type": "application/json; charset=utf-8",
            "X-Slack-Req-Id": uuid.uuid4().hex,
            **answer.headers,
        }
        self._write(answer.status, response_headers, payload)

    def _drop(self) -> None:
        """Close the connection without a byte of answer: the client sees a reset or a closed connection."""
        self.close_connection = True
        try:
            # SO_LINGER 0: the close sends RST, as a reset connection does, rather than a clean FIN.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
        except OSError:
            pass

    def _write(self, status: int, headers: Mapping[str, str], payload: bytes) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        # Request logs would drown pytest's captured output; recorded Calls are the better trace.
        pass
