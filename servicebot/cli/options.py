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


def queue_option(settings: Settings, queue: str | None) -> None:
    """`--queue`: a queue no desk has would only ever answer "No tickets match", which hides the typo."""
    if queue is None:
        return
    known = [q.id for desk in settings.desks.values() for q in desk.queues]
    if queue not in known:
        raise ConfigError(f"--queue: no queue {queue!r}; choose one of: {', '.join(known)}")
