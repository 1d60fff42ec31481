"""The `servicebot` command: `main` parses and dispatches; one module per command group."""

from servicebot.cli.main import SlackModes, main

__all__ = ["SlackModes", "main"]
