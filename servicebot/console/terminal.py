"""The console front end: the same conversation and services as Slack, one line in, replies out.

Works interactively and with piped stdin, so it can be scripted and tested.
"""

from __future__ import annotations

import sys
from typing import TextIO

from servicebot.bootstrap import Services
from servicebot.console.render import render
from servicebot.services.actors import Actor, Role
from servicebot.services.intake import Source
from servicebot.storage.db import unavailable_reason

BANNER = (
    "ServiceBot console. Describe a problem to log a ticket, or type 'help'. Ctrl-D (or 'quit') to leave."
)
MAX_LINE = 40_000


def enable_line_editing(stdin: TextIO) -> bool:
    """True when lines are read with `input()` and the standard library's readline: arrow keys, editing
    and history for a person at a terminal (importing the module is what turns them on). Piped stdin is
    read as it is, so scripts see no prompts or escape codes; where readline is missing (Windows, a
    Python built without it) the console still works, as before."""
    if stdin is not sys.stdin or not stdin.isatty():
        return False
    try:
        import readline  # noqa: F401
    except ImportError:
        return False
    return True


def _answer(services: Services, line: str, actor: Actor, desk: str | None) -> str:
    source = Source(kind="console", logged_by=actor.id)
    try:
        reply = services.conversation.handle(line, actor, source, desk)
    except Exception as exc:
        # A read-only file, a full disk or a server gone away fails this line's transaction, which rolled
        # back: say so and keep the console up for the next line ('help' needs no database).
        reason = unavailable_reason(exc)
        if reason is None:
            raise
        return (
            f"Sorry: the database cannot save right now ({reason}), so nothing was saved. "
            "Try again later or tell whoever runs ServiceBot; 'help' still works."
        )
    return render(reply, services.catalogue, services.settings.tz)


def run_console(
    services: Services,
    *,
    user: str,
    role: Role,
    desk: str | None = None,
    stdin: TextIO = sys.stdin,
    stdout: TextIO = sys.stdout,
    desks: frozenset[str] | None = None,
) -> int:
    """`desks`: an agent's desks (None: every desk); the console has no Slack, so no user groups."""
    actor = Actor(user, role, desks if role is Role.AGENT else None)
    interactive = stdin.isatty()
    editing = enable_line_editing(stdin)
    if interactive:
        print(BANNER, f"You are {user} ({actor.described()}).", sep="\n", file=stdout)
    while True:
        if editing:
            try:
                raw = input("you> ") + "\n"
            except EOFError:
                print(file=stdout)
                break
        else:
            if interactive:
                print("you> ", end="", file=stdout, flush=True)
            raw = stdin.readline()
            if not raw:
                break
        line = raw.rstrip("\n")
        if len(line) > MAX_LINE:
            line = line[:MAX_LINE]
        if not line.strip():
            if not interactive:
                print("Sorry: that line was empty; describe the problem in a few words.", file=stdout)
            continue
        if line.strip().lower() in ("quit", "exit"):
            break
        print(_answer(services, line, actor, desk), file=stdout, flush=True)
        if not interactive:
            print("", file=stdout, flush=True)
    return 0
