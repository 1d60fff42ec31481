"""The console when the database refuses to save: it says so, saves nothing, and keeps answering."""

from __future__ import annotations

import io

from servicebot.bootstrap import Services
from servicebot.console.terminal import run_console
from servicebot.services.actors import Role
from servicebot.services.queries import TicketFilter
from tests.conftest import AGENT, on_postgresql
from tests.support import postgres


def _read_only(services: Services, on: bool) -> None:
    if on_postgresql():
        # A database a replica may read but not write (a hot standby, a revoked grant) refuses every
        # transaction's writes the same way.
        name = services.db.url.rsplit("/", 1)[1]
        postgres.server().execute(
            f"ALTER DATABASE {name} SET default_transaction_read_only = {'on' if on else 'off'}"
        )
    # SQLite's query_only refuses every write as a read-only file does ("attempt to write a readonly
    # database"), and unlike chmod it holds for root too, who may write any file.
    elif on:
        services.db._pragmas["query_only"] = 1
    else:
        services.db._pragmas.pop("query_only", None)
    services.db.engine.dispose()  # pooled connections were opened with the old settings


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
    refusal = "cannot execute INSERT in a read-only transaction" if on_postgresql() else "attempt to write"
    assert logged.startswith(f"Sorry: the database cannot save right now ({refusal}"), logged
    assert "nothing was saved" in logged and "'help' still works" in logged
    assert "help: this message" in helped
    assert queues == "No open tickets.", "reading still works"
    _read_only(services, False)
    assert services.queries.search(TicketFilter()) == [], "nothing half-written"
