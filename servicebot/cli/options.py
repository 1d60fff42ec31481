"""Checks of option values shared by several commands; errors name the option."""

from __future__ import annotations

from servicebot.config import ConfigError, Settings, UnknownDesk


def desk_option(settings: Settings, desk: str | None) -> None:
    """`--desk`: checked where desks are (`Settings.desk`), reported as the option that was wrong."""
    if desk is None:
        return
    try:
        settings.desk(desk)
    except UnknownDesk as exc:
        raise ConfigError(f"--desk: {exc}") from None
