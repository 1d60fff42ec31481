"""The console at a real terminal (a pseudo-terminal): line editing with the arrow keys."""

from __future__ import annotations

import io
import os
import select
import subprocess
import time
from pathlib import Path

from servicebot.console.terminal import enable_line_editing
from tests.support.cli import SERVICEBOT, cli_env

HELP_REPLY = b"help: this message"


def _read_until(fd: int, marker: bytes, deadline: float) -> bytes:
    """What the terminal shows up to `marker`, or all it showed if the console exits or the deadline
    passes first (the caller's assertion then fails with the output to read)."""
    seen = b""
    while marker not in seen and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.5)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # EIO: the console has exited and closed the terminal
            break
        if not chunk:
            break
        seen += chunk
    return seen


def test_an_interactive_console_edits_a_line_with_the_arrow_keys(tmp_path: Path) -> None:
    terminal, console_side = os.openpty()
    process = subprocess.Popen(
        [str(SERVICEBOT), "console"],
        stdin=console_side,
        stdout=console_side,
        stderr=console_side,
        env=cli_env(tmp_path, TERM="xterm"),
        cwd=tmp_path,
        start_new_session=True,
    )
    os.close(console_side)
    try:
        deadline = time.monotonic() + 60
        assert b"you> " in _read_until(terminal, b"you> ", deadline)
        # "hlp", two presses of the left arrow (ESC [ D), then "e": what was typed reads "help".
        os.write(terminal, b"hlp\x1b[D\x1b[De\r")
        shown = _read_until(terminal, HELP_REPLY, deadline)
        assert HELP_REPLY in shown, shown.decode(errors="replace")
        os.write(terminal, b"quit\r")
        assert process.wait(timeout=60) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(terminal)


def test_piped_or_given_input_is_read_as_it_is() -> None:
    assert not enable_line_editing(io.StringIO("help\n"))
