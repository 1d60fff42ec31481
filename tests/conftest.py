"""Shared fixtures: real settings from the example config, a real SQLite file, a controllable clock."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from servicebot.bootstrap import Services, build_services
from servicebot.config import Settings, load_settings

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_CONFIG = ROOT / "servicebot.example.yaml"
AGENT, MANAGER, REQUESTER = "U0AGENT01", "U0MANAGER1", "U0REQUESTER"
# Trained triage models are cached by content, so tests share them safely; never in the user's own cache.
MODEL_CACHE = Path(tempfile.gettempdir()) / f"servicebot-test-models-{os.getuid()}"


class Clock:
    """Time that moves only when a test says so."""

    def __init__(self, start: datetime = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> datetime:
        self.now += timedelta(**kwargs)
        return self.now


def make_settings(tmp_path: Path, **env: str) -> Settings:
    values = {
        "SERVICEBOT_CONFIG": str(EXAMPLE_CONFIG),
        "SERVICEBOT_DATABASE_URL": f"sqlite:///{tmp_path / 'servicebot.db'}",
        "SERVICEBOT_AGENTS": AGENT,
        "SERVICEBOT_MANAGERS": MANAGER,
        "SERVICEBOT_MODEL_CACHE": str(MODEL_CACHE),
    }
    values.update(env)
    return load_settings(values)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def services(settings: Settings, clock: Clock) -> Iterator[Services]:
    built = build_services(settings, clock=clock)
    yield built
    built.close()
