"""Shared fixtures: real settings from the example config, a real database, a controllable clock.

The database is a SQLite file, or a PostgreSQL database of the test's own on a throwaway server when the
suite runs with SERVICEBOT_TEST_BACKEND=postgresql (`make test` runs it both ways when PostgreSQL is
installed). Tests get their databases from `database_url`, so one suite checks both backends."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import hypothesis
import pytest

from servicebot.bootstrap import Services, build_services
from servicebot.config import Settings, load_settings
from tests.support import postgres

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_CONFIG = ROOT / "servicebot.example.yaml"
AGENT, MANAGER, REQUESTER = "U0AGENT01", "U0MANAGER1", "U0REQUESTER"
# Trained triage models are cached by content, so tests share them safely; never in the user's own cache.
MODEL_CACHE = Path(tempfile.gettempdir()) / f"servicebot-test-models-{os.getuid()}"
BACKENDS = ("sqlite", "postgresql")
BACKEND = os.environ.get("SERVICEBOT_TEST_BACKEND", "sqlite")
if BACKEND not in BACKENDS:
    raise SystemExit(f"SERVICEBOT_TEST_BACKEND must be one of {', '.join(BACKENDS)}, not {BACKEND!r}")
_databases: dict[tuple[Path, str], str] = {}

# Property tests draw the same examples on every run, so a red build means a regression, never the luck of
# the draw; SERVICEBOT_HYPOTHESIS=explore draws fresh ones, to look for new cases (and pin what it finds).
hypothesis.settings.register_profile("repeatable", derandomize=True)
hypothesis.settings.register_profile("explore", derandomize=False)
_PROFILE = os.environ.get("SERVICEBOT_HYPOTHESIS", "repeatable")
if _PROFILE not in ("repeatable", "explore"):
    raise SystemExit(f"SERVICEBOT_HYPOTHESIS must be repeatable or explore, not {_PROFILE!r}")
hypothesis.settings.load_profile(_PROFILE)
_made_by_test: list[tuple[Path, str]] | None = None


def database_url(tmp_path: Path, name: str = "servicebot") -> str:
    """The URL of the test's database called `name`: the same one each time it is asked for with the same
    directory and name (a restart finds its data), a new one for a new directory."""
    if BACKEND == "sqlite":
        return f"sqlite:///{tmp_path / (name + '.db')}"
    key = (tmp_path, name)
    if key not in _databases:
        _databases[key] = postgres.server().new_database()
        if _made_by_test is not None:
            _made_by_test.append(key)
    return _databases[key]


def copy_database(source: Path, target: Path, name: str = "servicebot") -> None:
    """Make `target`'s database `name` a copy of `source`'s: a fixture's database built once, copied for
    each test. On SQLite its files; on PostgreSQL a CREATE DATABASE from it as the template."""
    if BACKEND == "sqlite":
        for made in source.glob(f"{name}*.db"):
            shutil.copy(made, target / made.name)
        return
    original = database_url(source, name).rsplit("/", 1)[1]
    _databases[(target, name)] = postgres.server().new_database(copy_of=original)
    if _made_by_test is not None:
        _made_by_test.append((target, name))


# What a command that only reads says when there is no ServiceBot database where it was pointed: on SQLite
# no file at the path; on PostgreSQL a database with no ServiceBot tables in it.
NO_DATABASE = "no ServiceBot database at" if BACKEND == "postgresql" else "no database at"


def on_postgresql() -> bool:
    return BACKEND == "postgresql"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if BACKEND == "postgresql":
        skip = pytest.mark.skip(reason="checks SQLite itself (its files, pragmas or locking)")
        for item in items:
            if "sqlite_only" in item.keywords:
                item.add_marker(skip)


@pytest.fixture(autouse=True)
def _drop_test_databases() -> Iterator[None]:
    """The PostgreSQL databases made during a test are dropped after it (an empty one is about 7 MB, and
    the suite makes a thousand); those made for wider-scoped fixtures, set up before this, stay."""
    global _made_by_test
    _made_by_test = []
    yield
    made, _made_by_test = _made_by_test, None
    for key in made:
        url = _databases.pop(key, None)
        if url is not None:
            postgres.server().execute(f"DROP DATABASE IF EXISTS {url.rsplit('/', 1)[1]} WITH (FORCE)")


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
        "SERVICEBOT_DATABASE_URL": database_url(tmp_path),
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
