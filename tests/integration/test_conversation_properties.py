"""Property-based: no line anyone types makes the conversation raise, and a command word with no ticket
reference never logs a ticket, whatever follows it."""

from __future__ import annotations

import contextlib

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from servicebot.bootstrap import Services
from servicebot.chat.commands import TICKET_VERBS, CommandUsage, parse
from servicebot.chat.replies import TextReply
from servicebot.domain.errors import UserError
from servicebot.services.actors import Actor, Role
from servicebot.services.intake import Source
from servicebot.services.queries import TicketFilter

SOURCE = Source("console")
# The function-scoped `services` fixture is shared across examples on purpose: what is checked is that
# nothing raises and no ticket appears, which holds however many examples ran before.
SHARED = settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

words = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40)
lines = st.one_of(
    st.text(max_size=300),
    st.binary(max_size=200).map(lambda b: b.decode("utf-8", errors="replace")),
    st.builds(
        lambda verb, rest: f"{verb} {rest}",
        st.sampled_from([*TICKET_VERBS, "new", "log", "status", "help", "mine", "/servicebot"]),
        words,
    ),
    st.builds(lambda n, rest: f"resolve T-{n} {rest}", st.integers(-5, 10**15), words),
)


@given(line=lines)
@settings(SHARED, max_examples=3000)
def test_parse_raises_nothing_but_a_user_error(line: str) -> None:
    """`resolve 0` is refused in words (a UserError the conversation turns into a reply); nothing else."""
    with contextlib.suppress(UserError):
        parse(line)


@given(line=lines, role=st.sampled_from(list(Role)))
@settings(SHARED, max_examples=1500)
def test_handle_never_raises_whoever_types_it(services: Services, line: str, role: Role) -> None:
    reply = services.conversation.handle(line, Actor("U0PROP", role), SOURCE)
    assert reply is not None


@given(
    verb=st.sampled_from(sorted(TICKET_VERBS)),
    token=st.one_of(
        st.just(""),
        st.text(alphabet="abcxyz0123456789#-", min_size=1, max_size=8).filter(
            lambda t: not t.lower().startswith("t-") and not t.lstrip("#").isdigit()
        ),
    ),
)
@settings(SHARED, max_examples=300)
def test_a_command_word_without_a_ticket_reference_never_logs_a_ticket(
    services: Services, verb: str, token: str
) -> None:
    line = f"{verb} {token}".strip()
    if isinstance(parse(line), CommandUsage) or not token:
        reply = services.conversation.handle(line, Actor("U0PROP", Role.AGENT), SOURCE)
        assert isinstance(reply, TextReply) and not reply.ok, (line, reply)
    assert services.queries.search(TicketFilter()) == []
