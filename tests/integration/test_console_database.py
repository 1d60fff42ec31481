"""The console when the database refuses to save: it says so, saves nothing, and keeps answering."""

from __future__ import annotations

import io

from servicebot.bootstrap import Services
from servicebot.console.terminal import run_console
from servicebot.services.actors import Role
from servicebot.services.queries import TicketFilter
from tests.conftest import AGENT


def _read_only(services: Services, on: bool) -> None:
    # SQLite's query_only refuses every write as a read-only file does ("attempt to write a readonly
    # database"), and unlike chmod it holds for root too, who may write any file.
    if on:
        services.db._pragmas["query_only"] = 1
    else:
        services.db._pragmas.pop("query_only", None)
    services.db.engine.dispose()  # pooled connections were opened with the old pragmas


def test_a_read_only_database_gets_a_reply_not_a_crash(services: Services) -> None:
    _read_only(services, True)
    out = io.StringIO()
    status = run_console(
        services,
        user=AGENT,
        role=Role.AGENT,
        stdin=io.StringIO("printer jammed on floor 2\nhelp\nstatus\n"),
        stdout=out,
    )
    assert status == 0
    logged, helped, queues = out.getvalue().strip().split("\n\n")
    assert logged.startswith("Sorry: the database cannot save right now (attempt to write a readonly")
    assert "nothing was saved" in logged and "'help' still works" in logged
    assert "help: this message" in helped
    assert queues == "No open tickets.", "reading still works"
    _read_only(services, False)
    assert services.queries.search(TicketFilter()) == [], "nothing half-written"
