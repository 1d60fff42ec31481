"""Property-based: `stats`, `outage` and `alert` lines with any arguments, typed by anyone, through the real
conversation on a real database: a reply every time (never an exception), and a refusal says what was
wrong; a command that was refused logs no ticket."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from servicebot.bootstrap import Services
from servicebot.chat.replies import TextReply
from servicebot.services.actors import Actor, Role
from servicebot.services.intake import Source
from servicebot.services.queries import TicketFilter

SOURCE = Source("console")
SHARED = settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

_ARG = st.one_of(
    st.sampled_from(
        [
            "today",
            "yesterday",
            "week",
            "month",
            "2016-12",
            "2016-12-05",
            "2025-13",
            "2016-02-30",
            "3000-01-01",
            "2999-12-31",
            "ict",
            "contact",
            "hr",
            "start",
            "end",
            "email",
            "network",
            "Email",
            "ack",
            "snooze",
            "comment",
            "1",
            "0",
            "-1",
            "#1",
            "20",
            "21",
            "2026-12-01",
            "9999-12-31",
            "0001-01-01",
            "|",
            "cause | action",
            "1" * 4400,
            "²",
        ]
    ),
    st.from_regex(r"\A#?\d{1,25}\Z"),
    st.text(min_size=1, max_size=10).filter(lambda s: not s.isspace()),
)
_LINE = st.builds(
    lambda head, args: " ".join([head, *args]),
    st.sampled_from(
        [
            "stats",
            "outage",
            "outage start",
            "outage end",
            "alert",
            "alerts",
            "alert ack",
            "alert snooze 1",
            "alert comment 1",
            "alert snooze",
        ]
    ),
    st.lists(_ARG, max_size=4),
)


@given(line=_LINE, role=st.sampled_from(list(Role)))
@settings(SHARED, max_examples=400)
def test_stats_outage_and_alert_lines_always_get_a_reply(services: Services, line: str, role: Role) -> None:
    before = len(services.queries.search(TicketFilter(limit=10_000)))
    reply = services.conversation.handle(line, Actor("U0PROP", role), SOURCE)
    assert reply is not None
    if isinstance(reply, TextReply) and not reply.ok:
        assert str(reply.text).strip()
        assert len(services.queries.search(TicketFilter(limit=10_000))) == before, line
