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

BANNER = (
    "ServiceBot console. Describe a problem to log a ticket, or type 'help'. Ctrl-D (or 'quit') to leave."
)
MAX_LINE = 40_000


def run_console(
    services: Services,
    *,
    user: str,
    role: Role,
    desk: str | None = None,
    stdin: TextIO = sys.stdin,
    stdout: TextIO = sys.stdout,
) -> int:
    actor = Actor(user, role)
    interactive = stdin.isatty()
    tz = services.settings.tz
    if interactive:
        print(BANNER, f"You are {user} ({role.value}).", sep="\n", file=stdout)
    line_no = 0
    while True:
        if interactive:
            print("you> ", end="", file=stdout, flush=True)
        raw = stdin.readline()
        if not raw:
            break
        line_no += 1
        line = raw.rstrip("\n")
        if len(line) > MAX_LINE:
            line = line[:MAX_LINE]
        if not line.strip():
            if not interactive:
                print("Sorry: that line was empty; describe the problem in a few words.", file=stdout)
            continue
        if line.strip().lower() in ("quit", "exit"):
            break
        source = Source(kind="console", logged_by=user)
        reply = services.conversation.handle(line, actor, source, desk)
        print(render(reply, services.catalogue, tz), file=stdout, flush=True)
        if not interactive:
            print("", file=stdout, flush=True)
    return 0
