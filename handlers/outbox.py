"""Delivering an outbox message to Slack: one Web API call (or one file upload), and what its answer means
for the outbox.

The client's connection-error handler still tries again at once within the call (a dropped keep-alive
connection); a 429 is not waited out inside the call, as the bot's other calls do, but handed back with
its Retry-After: the relay then waits for it durably, without holding up the worker or other threads.
Notices from the core are rendered here, at delivery (`handlers/notices.py`).
"""

from __future__ import annotations

import logging
import urllib.error
from collections.abc import Callable
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from handlers.notices import RENDERERS
from servicebot.config import Settings
from servicebot.domain.outbox import NOTICE, UPLOAD, Attempt, GiveUp, Notice, Sent, TryAgain, Upload

log = logging.getLogger("handlers.outbox")

# Every message the relay posts carries its outbox key as Slack message metadata, so that after a try that
# got no answer (Slack may have posted it all the same: a timeout is not a refusal) the next try can find it
# in the channel or thread instead of posting it a second time.
OUTBOX_EVENT = "servicebot_outbox"

# `ok: false` answers that may pass by themselves (Slack's own trouble); any other error is the message's
# (channel_not_found, invalid_blocks, msg_too_long, …) and trying again cannot help.
PASSING_ERRORS = frozenset(
    {"ratelimited", "rate_limited", "fatal_error", "internal_error", "service_unavailable", "request_timeout"}
)
# How long the relay waits for one answer. The relay runs in the worker between pieces of work, and while
# Slack hangs each try waits this out (a pass stops after a few such tries): the bot's other calls keep the
# client's 10 s, but a message that is late by one more try is better than the worker held 30 s a pass.
# Slack answers its Web API in well under a second, so 5 s is still ample for a post or an update.
RELAY_TIMEOUT = 5

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
            timeout=min(client.timeout, RELAY_TIMEOUT),
            retry_handlers=[
                h for h in client.retry_handlers if not isinstance(h, RateLimitErrorRetryHandler)
            ],
        )
        self.settings = settings
        self.where_sent = where_sent

    def deliver(
        self, method: str, payload: dict[str, Any], *, key: str = "", maybe_sent: bool = False
    ) -> Attempt:
        if method == NOTICE:
            return self._notice(payload, key, maybe_sent)
        if method == UPLOAD:
            return self._upload(payload)
        return self._call(method, payload, key, maybe_sent)

    def _call(self, method: str, payload: dict[str, Any], key: str = "", maybe_sent: bool = False) -> Attempt:
        if method == "chat.postMessage" and key:
            # (An update or a reaction done twice is the same message; a post done twice is two.)
            payload = {**payload, "metadata": marked(key)}
            if maybe_sent:
                found = self._posted(payload, key)
                if found is not None:
                    return found
        try:
            response = self.client.api_call(method, json=payload)
        except SlackApiError as exc:
            return _refused(method, exc)
        except (OSError, TimeoutError) as exc:  # network down, refused, timed out: it may come back
            return TryAgain.unanswered(f"{method}: {type(exc).__name__}: {exc}", self.client.timeout)
        kept = {key: response.get(key) for key in KEPT if response.get(key) is not None}
        parent = (response.get("message") or {}).get("thread_ts")
        if parent and parent != kept.get("ts"):
            # Posted as a reply: a reply to it belongs in the same thread, under the thread's parent.
            kept["thread_ts"] = parent
        return Sent(kept)

    def _posted(self, payload: dict[str, Any], key: str) -> Attempt | None:
        """The message of `key` if an earlier try posted it after all (Sent), a try again if Slack cannot
        say yet, or None: it is not there, so post it."""
        channel, thread = str(payload.get("channel") or ""), payload.get("thread_ts")
        try:
            found = find_posted(self.client, channel, str(thread) if thread else None, key)
        except SlackApiError as exc:
            if exc.response.status_code == 429 or exc.response.status_code >= 500:
                return TryAgain.unanswered(
                    f"looking for {key}: {exc.response.get('error')}", _retry_after(exc.response.headers)
                )
            # Not allowed to look (a scope, a DM by user id): post, at the risk of a second copy.
            log.warning("cannot look for %s in %s before posting it again: %s", key, channel, exc)
            return None
        except (OSError, TimeoutError) as exc:
            return TryAgain.unanswered(f"looking for {key}: {type(exc).__name__}: {exc}", self.client.timeout)
        if found is None:
            return None
        kept: dict[str, Any] = {"channel": channel, "ts": found.get("ts")}
        if found.get("thread_ts") and found.get("thread_ts") != found.get("ts"):
            kept["thread_ts"] = found["thread_ts"]
        return Sent(kept)

    def _where(self, to: str, reply_to: str | None) -> tuple[str, str | None] | Attempt:
        if reply_to is None:
            return to, None
        found = self.where_sent(reply_to)
        return (found[0], found[1]) if isinstance(found, tuple) else found

    def _notice(self, payload: dict[str, Any], key: str = "", maybe_sent: bool = False) -> Attempt:
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
        return self._call("chat.postMessage", call, key, maybe_sent)

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
            return TryAgain.unanswered(f"{method}: {type(exc).__name__}: {exc}", self.client.timeout)
        files = [str(f.get("id")) for f in (response.get("files") or []) if isinstance(f, dict)]
        return Sent({"channel": channel, "files": files})


def marked(key: str) -> dict[str, Any]:
    """The message metadata a post carries so that a later try can find it (`find_posted`)."""
    return {"event_type": OUTBOX_EVENT, "event_payload": {"key": key}}


def find_posted(client: WebClient, channel: str, thread_ts: str | None, key: str) -> dict[str, Any] | None:
    """The bot's message marked with `key` in the thread (or among the channel's latest), if Slack has it.
    Raises what the client raises: the caller decides what not being able to look means."""
    if thread_ts:
        response = client.conversations_replies(
            channel=channel, ts=thread_ts, include_all_metadata=True, limit=1000
        )
    else:
        response = client.conversations_history(channel=channel, include_all_metadata=True, limit=200)
    for message in response.get("messages") or []:
        metadata = message.get("metadata") or {}
        if (
            metadata.get("event_type") == OUTBOX_EVENT
            and (metadata.get("event_payload") or {}).get("key") == key
        ):
            return dict(message)
    return None


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
