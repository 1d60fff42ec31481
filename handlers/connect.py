"""Slack credentials checked at start: a token Slack refuses, or a Slack that cannot be reached, is one line
naming the setting and what to do (a ConfigError), not a failure at the first message."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from servicebot.config import ConfigError, Settings

if TYPE_CHECKING:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

log = logging.getLogger("servicebot")
# auth.test's answers for a token that will never work: the bot stops at start and says which token.
REFUSED_TOKEN = frozenset({"invalid_auth", "not_authed", "account_inactive", "token_revoked"})


def check_bot_token(client: WebClient, settings: Settings) -> str | None:
    """auth.test at start, so a wrong token or an unreachable Slack is one line now rather than a failure
    at the first message. Returns the bot's user id; None if Slack had a passing problem (it goes on)."""
    try:
        return str(client.auth_test()["user_id"])
    except SlackApiError as exc:
        error = _error(exc)
        if error in REFUSED_TOKEN:
            raise ConfigError(
                f"SLACK_BOT_TOKEN: Slack refused it ({error}); set the app's Bot User OAuth Token "
                "(xoxb-…, OAuth & Permissions), reinstalling the app if it was revoked"
            ) from None
        log.warning("auth.test failed (%s); continuing without the bot's user id", error)
        return None
    except OSError as exc:  # urllib's URLError included: refused, no route, DNS, TLS
        raise _unreachable(settings, exc) from None


def bot_user_id(client: WebClient) -> str | None:
    try:
        return str(client.auth_test()["user_id"])
    except Exception as exc:  # Slack unreachable at start: Bolt's own self-event filter still applies
        log.warning("auth.test failed (%s); continuing without the bot's user id", exc)
        return None


def connect_socket_mode(handler: SocketModeHandler, settings: Settings) -> None:
    try:
        handler.connect()  # type: ignore[no-untyped-call]
    except SlackApiError as exc:
        error = _error(exc)
        if error in REFUSED_TOKEN:
            raise ConfigError(
                f"SLACK_APP_TOKEN: Slack refused it ({error}); generate an app-level token (xapp-…) with "
                "the connections:write scope under Basic Information → App-Level Tokens"
            ) from None
        raise ConfigError(
            f"SLACK_APP_TOKEN: Slack would not open a Socket Mode connection ({error})"
        ) from None
    except OSError as exc:  # urllib's URLError included: refused, no route, DNS, TLS
        raise _unreachable(settings, exc) from None


def _error(exc: SlackApiError) -> str | None:
    return exc.response.get("error") if exc.response is not None else None


def _unreachable(settings: Settings, exc: OSError) -> ConfigError:
    reason = getattr(exc, "reason", None) or exc.strerror or exc
    return ConfigError(
        f"SLACK_API_URL: cannot reach Slack at {settings.slack_api_url} ({reason}); check the network "
        "and proxy, or unset SLACK_API_URL to use https://slack.com/api/"
    )
