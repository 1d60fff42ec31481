"""Delivering an outbox message to Slack: one Web API call, and what its answer means for the outbox.

The client's connection-error handler still tries again at once within the call (a dropped keep-alive
connection); a 429 is not waited out inside the call, as the bot's other calls do, but handed back with
its Retry-After: the relay then waits for it durably, without holding up the worker or other threads.
"""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from servicebot.domain.outbox import Attempt, GiveUp, Sent, TryAgain

# `ok: false` answers that may pass by themselves (Slack's own trouble); any other error is the message's
# (channel_not_found, invalid_blocks, msg_too_long, …) and trying again cannot help.
PASSING_ERRORS = frozenset(
    {"ratelimited", "rate_limited", "fatal_error", "internal_error", "service_unavailable", "request_timeout"}
)
# What later work needs of Slack's answer (e.g. the ts of a posted message).
KEPT = ("channel", "ts")


class SlackSender:
    def __init__(self, client: WebClient) -> None:
        self.client = WebClient(
            token=client.token,
            base_url=client.base_url,
            timeout=client.timeout,
            retry_handlers=[
                h for h in client.retry_handlers if not isinstance(h, RateLimitErrorRetryHandler)
            ],
        )

    def deliver(self, method: str, payload: dict[str, Any]) -> Attempt:
        try:
            response = self.client.api_call(method, json=payload)
        except SlackApiError as exc:
            status = exc.response.status_code
            error = str(exc.response.get("error") or f"HTTP {status}")
            if status == 429:
                return TryAgain(f"{method}: rate limited", _retry_after(exc.response.headers))
            if status >= 500 or error in PASSING_ERRORS:
                return TryAgain(f"{method}: {error}")
            return GiveUp(f"{method}: {error}")
        except (OSError, TimeoutError) as exc:  # network down, refused, timed out: it may come back
            return TryAgain(f"{method}: {type(exc).__name__}: {exc}")
        return Sent({key: response.get(key) for key in KEPT if response.get(key) is not None})


def _retry_after(headers: Any) -> float | None:
    for name, value in dict(headers or {}).items():
        if str(name).lower() == "retry-after":
            try:
                return max(0.0, float(value if not isinstance(value, list) else value[0]))
            except (TypeError, ValueError):
                return None
    return None
