"""Schema migrations through alembic, from the installed package (no alembic.ini needed)."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Engine

# Tables in our database that our migrations do not own: APScheduler's job store creates its table itself
# when the scheduler first starts (servicebot/runtime/scheduler.py), so a fresh `db upgrade` and the
# alembic history agree, and autogenerate must neither propose dropping it nor creating it.
JOBSTORE_TABLE = "apscheduler_jobs"
NOT_OURS = frozenset({JOBSTORE_TABLE})


def include_name(name: str | None, type_: str, _parent_names: object) -> bool:
    """Alembic's filter for comparing the schema with our metadata: everything but the tables not ours."""
    return not (type_ == "table" and name in NOT_OURS)


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", "servicebot.storage:migrations")
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    config = _config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def downgrade(engine: Engine, revision: str) -> None:
    config = _config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    return ScriptDirectory.from_config(_config()).get_current_head()


def is_known(revision: str) -> bool:
    """Whether this version's migrations include `revision` (one from a newer ServiceBot is not)."""
    try:
        return ScriptDirectory.from_config(_config()).get_revision(revision) is not None
    except CommandError:
        return False
