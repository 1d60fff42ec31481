"""Who is acting, and the one table of what each role may do.

Every service that changes or shows something role-bound calls `require` (or `allowed`) with an `Permission`
before it does any work, so a front end (Slack's buttons, the console, a future web page) cannot offer
what the core would refuse, and a refusal says the same thing everywhere: what the person lacks and how
to get it.

Roles rank: requester < agent < manager (desk lead) < admin; each may do what the ones below it may. An
agent may be an agent of some desks only (`Actor.desks`); managers and admins work every desk. The command
line is an operator with the database, so it acts as an admin (`OPERATOR`): whoever can run it can already
change every row.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum

from servicebot.domain.errors import NotAllowed
from servicebot.domain.message import Code, Message, Span


class Role(StrEnum):
    REQUESTER = "requester"
    AGENT = "agent"
    MANAGER = "manager"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK = {Role.REQUESTER: 0, Role.AGENT: 1, Role.MANAGER: 2, Role.ADMIN: 3}


@dataclass(frozen=True)
class Actor:
    id: str
    role: Role = Role.REQUESTER
    # The desks an agent works; None: every desk (a flat `roles.agents` entry, a manager, an admin).
    desks: frozenset[str] | None = None

    @property
    def is_staff(self) -> bool:
        """An agent of some desk, or above: their "mine" is what is assigned to them."""
        return self.role.rank >= Role.AGENT.rank

    def works(self, desk: str) -> bool:
        """May work tickets of `desk`: an agent of it (or of every desk), a manager or an admin."""
        if self.role.rank >= Role.MANAGER.rank:
            return True
        return self.role is Role.AGENT and (self.desks is None or desk in self.desks)

    def described(self) -> str:
        if self.role is Role.AGENT and self.desks is not None:
            return f"an agent of {', '.join(sorted(self.desks))} only"
        return {
            Role.REQUESTER: "a requester",
            Role.AGENT: "an agent",
            Role.MANAGER: "a manager",
            Role.ADMIN: "an admin",
        }[self.role]


# The command line: an operator with the database (see the module's docstring).
OPERATOR = Actor("operator", Role.ADMIN)


class Permission(StrEnum):
    LOG_TICKET = "log_ticket"
    FOLLOW_TICKET = "follow_ticket"  # answer its questions, reopen it, add a note: the requester's own
    WORK_TICKET = "work_ticket"  # assign, resolve, escalate, transfer, record a follow-up
    CORRECT_TRIAGE = "correct_triage"  # change a routed ticket's intent (teaches triage)
    RECORD_OUTAGE = "record_outage"
    ANSWER_OUTAGE_ALERT = "answer_outage_alert"
    VIEW_STATS = "view_stats"
    SEND_DIGEST = "send_digest"  # on request or as a dry run; the schedule sends what config says
    COMMENT_KPI = "comment_kpi"
    ANSWER_ALERT = "answer_alert"  # acknowledge, snooze, comment on a KPI's breach alert
    REVOKE_TAUGHT = "revoke_taught"  # see and undo what triage has been taught
    LOAD_KPIS = "load_kpis"
    IMPORT_DATA = "import_data"


@dataclass(frozen=True)
class Rule:
    minimum: Role
    verb: str  # "resolve tickets": what is refused, as in "Only … can resolve tickets"
    per_desk: bool = False  # an agent must be an agent of the desk concerned
    requester_may: bool = False  # the ticket's requester may, whatever their role
    owners_may: bool = False  # the people the caller names (a KPI's owners and director) may
    refusal: str | None = None  # said instead of "Only … can …" where the refusal has its own words
    hint: tuple[Span | Message, ...] = ()  # what the person can do instead


# The one place that says which role may do which action.
POLICY: dict[Permission, Rule] = {
    Permission.LOG_TICKET: Rule(Role.REQUESTER, "log a ticket"),
    Permission.FOLLOW_TICKET: Rule(Role.AGENT, "follow it up", per_desk=True, requester_may=True),
    Permission.WORK_TICKET: Rule(Role.AGENT, "work tickets", per_desk=True),
    Permission.CORRECT_TRIAGE: Rule(Role.AGENT, "change a ticket's intent", per_desk=True),
    Permission.RECORD_OUTAGE: Rule(Role.AGENT, "record outages"),
    Permission.ANSWER_OUTAGE_ALERT: Rule(Role.AGENT, "answer an outage alert", owners_may=True),
    Permission.VIEW_STATS: Rule(
        Role.MANAGER,
        "see a desk's stats",
        refusal="Desk-wide stats are for managers",
        hint=(
            "For your own tickets, say ",
            Code("mine"),
            " (or ",
            Code("my tickets"),
            "); ",
            Code("status"),
            " shows the open tickets by queue.",
        ),
    ),
    Permission.SEND_DIGEST: Rule(Role.MANAGER, "send or preview a digest"),
    Permission.COMMENT_KPI: Rule(Role.MANAGER, "comment on a KPI", owners_may=True),
    Permission.ANSWER_ALERT: Rule(Role.MANAGER, "answer a KPI's alert", owners_may=True),
    Permission.REVOKE_TAUGHT: Rule(Role.MANAGER, "revoke what triage has been taught"),
    Permission.LOAD_KPIS: Rule(Role.ADMIN, "load KPI definitions"),
    Permission.IMPORT_DATA: Rule(Role.ADMIN, "import data"),
}


def allowed(
    actor: Actor,
    action: Permission,
    *,
    desk: str | None = None,
    requester: str | None = None,
    owners: Collection[str] = (),
) -> bool:
    """`desk`: the desk the action is on (a ticket's); `requester`: the ticket's; `owners`: who else may
    (a KPI's owners and director), for the rules that let them."""
    rule = POLICY[action]
    if rule.requester_may and requester is not None and actor.id == requester:
        return True
    if rule.owners_may and actor.id in owners:
        return True
    if actor.role.rank < rule.minimum.rank:
        return False
    if rule.per_desk and desk is not None and rule.minimum is Role.AGENT:
        return actor.works(desk)
    return True


def require(
    actor: Actor,
    action: Permission,
    *,
    desk: str | None = None,
    requester: str | None = None,
    owners: Collection[str] = (),
    verb: str | None = None,
    owners_named: str = "",
    subject: str = "",
) -> None:
    """`allowed`, or NotAllowed saying who may, what this person is, and how to get the role.

    `verb` replaces the rule's own words where the caller knows better ("resolve tickets"); `owners_named`
    says who `owners` are ("ICT01's owners, its director"); `subject` names what is refused ("T-00042")."""
    if allowed(actor, action, desk=desk, requester=requester, owners=owners):
        return
    rule = POLICY[action]
    did = verb or rule.verb
    head = rule.refusal or f"Only {_who(rule, desk, subject, owners_named)} can {did}"
    raise NotAllowed(
        f"{head}. You ({actor.id}) are {actor.described()}. ",
        _how_to_get(rule.minimum, desk if rule.per_desk else None),
        *((" ", *rule.hint) if rule.hint else ()),
    )


def _who(rule: Rule, desk: str | None, subject: str, owners_named: str) -> str:
    people = {
        Role.REQUESTER: "people",
        Role.AGENT: f"agents of the {desk} desk" if rule.per_desk and desk else "service desk agents",
        Role.MANAGER: "a manager" if owners_named else "managers",
        Role.ADMIN: "admins",
    }[rule.minimum]
    if rule.requester_may:
        people = f"the person who raised {subject or 'the ticket'} or {people}"
    if rule.owners_may and owners_named:
        people = f"{owners_named} or {people}"
    if rule.minimum is Role.AGENT and rule.per_desk:
        people += " (or a manager)"
    return people


def _how_to_get(role: Role, desk: str | None) -> str:
    """Where the role comes from: the configuration's lists, the environment, a Slack user group."""
    if role is Role.AGENT:
        if desk:
            return (
                f"Ask a desk lead to add you to the agents role of the {desk} desk: "
                f"roles.desks.{desk}.agents or a user group in roles.desks.{desk}.agent_groups in "
                "servicebot.yaml (roles.agents or SERVICEBOT_AGENTS for every desk)."
            )
        return (
            "Ask a desk lead to add you to the agents role: roles.agents or a user group in "
            "roles.agent_groups in servicebot.yaml, or SERVICEBOT_AGENTS."
        )
    if role is Role.MANAGER:
        return (
            "Ask an admin to add you to the managers role (roles.managers, SERVICEBOT_MANAGERS or a user "
            "group in roles.manager_groups in servicebot.yaml)."
        )
    return (
        "Ask an admin to add you to the admins role (roles.admins, SERVICEBOT_ADMINS or a user group in "
        "roles.admin_groups in servicebot.yaml), or run it with the servicebot command, which acts as an "
        "admin."
    )
