"""Run the real `servicebot` command in a subprocess, as a user would, against a temporary database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import EXAMPLE_CONFIG, MODEL_CACHE, database_url

# The installed command (the `bot:cli` entry point), beside this interpreter in the virtual environment.
SERVICEBOT = Path(sys.executable).with_name("servicebot")


def cli_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "SERVICEBOT_"))}
    env["SERVICEBOT_CONFIG"] = str(EXAMPLE_CONFIG)
    env["SERVICEBOT_DATABASE_URL"] = database_url(tmp_path, "console")
    env["SERVICEBOT_MODEL_CACHE"] = str(MODEL_CACHE)
    env.update(extra)
    return env


def servicebot(
    tmp_path: Path, *args: str, stdin: str | bytes = "", **env: str
) -> subprocess.CompletedProcess[str]:
    data = stdin if isinstance(stdin, bytes) else stdin.encode("utf-8")
    result = subprocess.run(
        [str(SERVICEBOT), *args],
        input=data,
        capture_output=True,
        env=cli_env(tmp_path, **env),
        cwd=tmp_path,
        timeout=60,
    )
    return subprocess.CompletedProcess(
        result.args, result.returncode, result.stdout.decode("utf-8"), result.stderr.decode("utf-8")
    )
