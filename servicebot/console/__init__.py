"""The terminal front end: the same conversation and services as Slack, rendered as plain text."""

from servicebot.console.terminal import run_console

__all__ = ["run_console"]
