"""Delivering an outbox message to Slack: one Web API call (or one file upload), and what its answer means
for the outbox.

The client's connection-error handler still tries again at once within the call (a dropped keep-alive
connection); a 429 is not waited out inside the call, as the bot's other calls do, but handed back with
its Retry-After: the relay then waits for it durably, without holding up the worker or other threads.
Notices from the core are rendered here, at delivery (`handlers/notices.py`).
"""

from __future__ import annotations

import urllib.error
from collections.abc import Callable
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from handlers.notices import RENDERERS
from servicebot.config import Settings
from servicebot.domain.outbox import NOTICE, UPLOAD, Attempt, GiveUp, Notice, Sent, TryAgain, Upload

# `ok: false` answers that may pass by themselves (Slack's own trouble); any other error is the message's
# (channel_not_found, invalid_blocks, msg_too_long, …) and trying again cannot help.
PASSING_ERRORS = frozenset(
    {"ratelimited", "rate_limited", "fatal_error", "internal_error", "service_unavailable", "request_timeout"}
)
# What later work needs of Slack's answer (e.g. the ts of a posted message, for replies in its thread).
KEPT = ("channel", "ts")

# Where an earlier outbox message went (channel, ts), or why that is not known (yet).
WhereSent = Callable[[str], "tuple[str, str] | Attempt"]


def _nowhere(key: str) -> tuple[str, str] | Attempt:
    return GiveUp(f"cannot look up the message it answers ({key})")


class SlackSender:
    def __init__(
        self, client: WebClient, settings: Settings | None = None, where_sent: WhereSent = _nowhere
    ) -> None:
        self.client = WebClient(
            token=client.token,
            base_url=client.base_url,
            timeout=client.timeout,
            retry_handlers=[
                h for h in client.retry_handlers if not isinstance(h, RateLimitErrorRetryHandler)
            ],
        )
        self.settings = settings
        self.where_sent = where_sent

    def deliver(self, method: str, payload: dict[str, Any]) -> Attempt:
        if method == NOTICE:
            return self._notice(payload)
        if method == UPLOAD:
            return self._upload(payload)
        return self._call(method, payload)

    def _call(self, method: str, payload: dict[str, Any]) -> Attempt:
        try:
            response = self.client.api_call(method, json=payload)
        except SlackApiError as exc:
            return _refused(method, exc)
        except (OSError, TimeoutError) as exc:  # network down, refused, timed out: it may come back
            return TryAgain(f"{method}: {type(exc).__name__}: {exc}")
        kept = {key: response.get(key) for key in KEPT if response.get(key) is not None}
        parent = (response.get("message") or {}).get("thread_ts")
        if parent and parent != kept.get("ts"):
            # Posted as a reply: a reply to it belongs in the same thread, under the thread's parent.
            kept["thread_ts"] = parent
        return Sent(kept)

    def _where(self, to: str, reply_to: str | None) -> tuple[str, str | None] | Attempt:
        if reply_to is None:
            return to, None
        found = self.where_sent(reply_to)
        return (found[0], found[1]) if isinstance(found, tuple) else found

    def _notice(self, payload: dict[str, Any]) -> Attempt:
        try:
            notice = Notice.of(payload)
        except (KeyError, TypeError, ValueError) as exc:
            return GiveUp(f"not a notice: {exc}")
        render = RENDERERS.get(notice.kind)
        if render is None or self.settings is None:
            return GiveUp(f"no way to show a notice of kind {notice.kind!r} in Slack")
        where = self._where(notice.to, notice.reply_to)
        if not isinstance(where, tuple):
            return where
        channel, thread_ts = where
        try:
            text, blocks = render(notice.data, self.settings)
        except (KeyError, TypeError, ValueError) as exc:
            # Data the renderer cannot read is the message's fault: it waits for a person, not a retry.
            return GiveUp(f"cannot show this {notice.kind} notice: {type(exc).__name__}: {exc}")
        call: dict[str, Any] = {"channel": channel, "text": text, "blocks": blocks, "unfurl_links": False}
        if thread_ts:
            call["thread_ts"] = thread_ts
        return self._call("chat.postMessage", call)

    def _upload(self, payload: dict[str, Any]) -> Attempt:
        try:
            upload = Upload.of(payload)
        except (KeyError, TypeError, ValueError) as exc:
            return GiveUp(f"not an upload: {exc}")
        where = self._where(upload.to, upload.reply_to)
        if not isinstance(where, tuple):
            return where
        channel, thread_ts = where
        method = "files_upload_v2"
        try:
            response = self.client.files_upload_v2(
                channel=channel,
                thread_ts=thread_ts,
                content=upload.content,
                filename=upload.filename,
                title=upload.title,
                initial_comment=upload.comment or None,
            )
        except SlackApiError as exc:
            return _refused(method, exc)
        except urllib.error.HTTPError as exc:
            # The bytes go to an upload URL outside the Web API: its errors come as plain HTTP errors.
            if exc.code == 429:
                return TryAgain(f"{method}: upload rate limited", _retry_after(exc.headers))
            if exc.code >= 500:
                return TryAgain(f"{method}: upload answered HTTP {exc.code}")
            return GiveUp(f"{method}: upload answered HTTP {exc.code}")
        except (OSError, TimeoutError) as exc:
            return TryAgain(f"{method}: {type(exc).__name__}: {exc}")
        files = [str(f.get("id")) for f in (response.get("files") or []) if isinstance(f, dict)]
        return Sent({"channel": channel, "files": files})


def _refused(method: str, exc: SlackApiError) -> Attempt:
    status = exc.response.status_code
    error = str(exc.response.get("error") or f"HTTP {status}")
    if status == 429:
        return TryAgain(f"{method}: rate limited", _retry_after(exc.response.headers))
    if status >= 500 or error in PASSING_ERRORS:
        return TryAgain(f"{method}: {error}")
    return GiveUp(f"{method}: {error}")


def _retry_after(headers: Any) -> float | None:
    for name, value in dict(headers or {}).items():
        if str(name).lower() == "retry-after":
            try:
                return max(0.0, float(value if not isinstance(value, list) else value[0]))
            except (TypeError, ValueError):
                return None
    return None
