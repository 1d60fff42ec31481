"""The one place configuration is read: environment (secrets, URLs, role lists) plus one YAML file (desks).

Invalid configuration fails at start with a ConfigError naming the key, never later mid-conversation.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from datetime import date, time
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from apscheduler.triggers.cron import CronTrigger
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from servicebot import files, logs
from servicebot.domain.calendar import WorkingCalendar
from servicebot.domain.errors import InvalidInput

DEFAULT_CONFIG_PATH = "servicebot.yaml"
DEFAULT_DATABASE_URL = "sqlite:///servicebot.db"
SLACK_DEFAULT_API_URL = "https://slack.com/api/"
# Triage's confidence is the estimated chance its answer is right; below this it asks instead. A wrong
# route costs a transfer and the first-contact resolution, a question costs the requester one click.
DEFAULT_CONFIDENCE_THRESHOLD = 0.55

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")


class UnknownDesk(InvalidInput):
    """A desk named by a person (a command argument, an option) that is not configured."""

    def __init__(self, desk_id: str, desks: Iterable[str]) -> None:
        super().__init__(f"Unknown desk {desk_id!r}; choose one of: {', '.join(desks)}.")


class UnknownDigest(InvalidInput):
    """A digest named by a person that is not configured."""

    def __init__(self, name: str, known: str) -> None:
        super().__init__(
            f"Unknown digest {name!r}; "
            + (f"choose one of: {known}." if known else "no digests are configured (digests: in the config).")
        )


class ConfigError(Exception):
    """Configuration that cannot run; the message names the offending key."""


def _split_ids(value: Any) -> Any:
    # Deliberately a list or one comma-separated string ("U1, U2"), as SERVICEBOT_AGENTS is written.
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


_SLACK_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


def _real_ids(ids: list[str]) -> list[str]:
    # "U1 U2" or "U1;U2" would be one id that matches nobody, and the role would silently be empty.
    for user in ids:
        if not _SLACK_ID.fullmatch(user):
            raise ValueError(
                f"{user!r} is not a Slack user id; list ids as [U1, U2] or as one comma-separated string"
            )
        if _GROUP_ID.fullmatch(user):
            # A group's id among people's would match nobody: the group's members would not get the role.
            raise ValueError(
                f"{user!r} is a Slack user group id, not a person's; list it under the role's *_groups key"
            )
    return ids


SlackIds = Annotated[list[str], BeforeValidator(_split_ids), AfterValidator(_real_ids)]

# A Slack user group ("subteam") id, as in the group's link: S followed by capitals and digits.
_GROUP_ID = re.compile(r"S[A-Z0-9]{6,}")


def _group_ids(ids: list[str]) -> list[str]:
    for group in ids:
        if not _GROUP_ID.fullmatch(group):
            raise ValueError(
                f"{group!r} is not a Slack user group id (S… such as S0614TZR7, as in the group's link; "
                "a group's @handle or name will not do)"
            )
    return ids


GroupIds = Annotated[list[str], BeforeValidator(_split_ids), AfterValidator(_group_ids)]


def _one_id(user: str) -> str:
    if not _SLACK_ID.fullmatch(user):
        raise ValueError(f"{user!r} is not a Slack user id (such as U012AB3CD)")
    return user


SlackId = Annotated[str, AfterValidator(_one_id)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class WorkingHours(_Strict):
    start: time = time(8, 0)
    end: time = time(18, 0)
    days: tuple[Weekday, ...] = Field(default=("mon", "tue", "wed", "thu", "fri"), min_length=1)
    closures: tuple[date, ...] = ()  # days the desk is closed beyond weekends and bank holidays

    @field_validator("start", "end", mode="before")
    @classmethod
    def _quoted_time(cls, value: Any) -> Any:
        # YAML 1.1 reads an unquoted 8:00 as the number 480 (base 60), which would pass as 00:08.
        if not isinstance(value, str | time):
            raise ValueError(f'write times in quotes as "HH:MM", e.g. "08:00" (got {value!r})')
        return value

    @model_validator(mode="after")
    def _end_after_start(self) -> WorkingHours:
        if self.end <= self.start:
            raise ValueError("end must be later than start")
        return self


class Queue(_Strict):
    id: str
    title: str
    line: Literal[1, 2] = 2

    @field_validator("id")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not _SLUG.match(value):
            raise ValueError("queue ids are lower-case letters, digits and hyphens")
        return value


class Desk(_Strict):
    id: str = ""
    title: str
    intake_channels: tuple[str, ...] = ()
    triage_channel: str | None = None
    lead_channel: str | None = None  # team leads' channel: breach alerts and their threads
    default_queue: str
    second_line_queue: str
    confidence_threshold: float = Field(default=DEFAULT_CONFIDENCE_THRESHOLD, ge=0.0, le=1.0)
    queues: tuple[Queue, ...]

    @field_validator("lead_channel")
    @classmethod
    def _lead_channel_id(cls, value: str | None) -> str | None:
        # Checked as a digest's channel is: a name, a typo or "" would only fail when an alert is sent.
        if value is not None and not _CHANNEL_ID.fullmatch(value):
            raise ValueError(
                f"{value!r} is not a Slack channel id (C… or G…, as in the channel's details); a channel's "
                "name will not do (leave lead_channel out for none)"
            )
        return value

    @model_validator(mode="after")
    def _queues_known(self) -> Desk:
        ids = [q.id for q in self.queues]
        if len(set(ids)) != len(ids):
            raise ValueError(f"duplicate queue id in queues: {sorted({i for i in ids if ids.count(i) > 1})}")
        for key in ("default_queue", "second_line_queue"):
            if getattr(self, key) not in ids:
                raise ValueError(f"{key} {getattr(self, key)!r} is not one of this desk's queues")
        first, second = self.queue(self.default_queue), self.queue(self.second_line_queue)
        # "Escalate" sends a ticket here; a move to a queue no higher than the default queue's line is a
        # transfer, so escalating from the 1st line would go nowhere.
        if first is not None and second is not None and second.line <= first.line:
            raise ValueError(
                f"second_line_queue {second.id!r} is a line-{second.line} queue, no higher than "
                f"default_queue {first.id!r} (line {first.line}); name a queue of a higher line (line: 2)"
            )
        return self

    def queue(self, queue_id: str) -> Queue | None:
        return next((q for q in self.queues if q.id == queue_id), None)


class Service(_Strict):
    """A service whose availability the council reports (ICT03/04/05): `availability:<id>` is its metric."""

    id: str
    title: str = Field(min_length=1)

    @field_validator("id")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not _SLUG.match(value):
            raise ValueError(f"service id {value!r} must be lower-case letters, digits and hyphens")
        return value


# Behind ICT03, ICT04 and ICT05; a servicebot.yaml without `services:` reports these.
DEFAULT_SERVICES: tuple[Service, ...] = (
    Service(id="network", title="Public Sector Network"),
    Service(id="ict", title="ICT services"),
    Service(id="email", title="Email"),
)


class UnknownService(InvalidInput):
    """A service named by a person (a command, an import row) that is not configured."""

    def __init__(self, service_id: str, services: Iterable[str]) -> None:
        known = ", ".join(services)
        super().__init__(
            f"Unknown service {service_id!r}; "
            + (
                f"choose one of: {known}."
                if known
                else "no services are configured (services: in the config)."
            )
        )


DigestContent = Literal["daily_stats", "weekly_summary", "monthly_dashboard", "alert_digest"]
DIGEST_CONTENTS: tuple[DigestContent, ...] = (
    "daily_stats",
    "weekly_summary",
    "monthly_dashboard",
    "alert_digest",
)
# A Slack conversation a digest can be posted to: a public (C…) or private (G…) channel.
_CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]{2,}$")
# A digest's cron field that is a day-of-week number: APScheduler 3 counts Monday as 0 where crontab counts
# Sunday as 0, so "1-5" would quietly mean Tuesday to Saturday. Names (mon-fri) mean the same to both.
_WEEKDAY_NUMBER = re.compile(r"\d")
DEFAULT_MISFIRE_GRACE_MINUTES = 6 * 60


class DigestSpec(_Strict):
    """One scheduled digest: what (`content`) for which desk, posted where, when (a 5-field crontab in
    `timezone`). `working_days_only`: on a weekend, bank holiday or closure day the run records nothing.
    `misfire_grace_minutes`: a run missed while the bot was down is still sent (once, marked late) if the
    bot is back within this time; after it the run is skipped."""

    name: str
    cron: str
    timezone: str | None = None  # None: the configuration's own time zone (filled in by FileConfig)
    desk: str
    channel: str
    content: DigestContent
    working_days_only: bool = True
    misfire_grace_minutes: int = Field(default=DEFAULT_MISFIRE_GRACE_MINUTES, ge=1, le=7 * 24 * 60)
    file_format: Literal["html", "md"] = "html"  # the monthly dashboard's file

    @field_validator("name")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not _SLUG.match(value) or len(value) > 60:
            raise ValueError(
                f"digest name {value!r} must be lower-case letters, digits and hyphens (at most 60)"
            )
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None:
            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError) as exc:
                raise ValueError(f"{_digest(info)}unknown time zone {value!r}") from exc
        return value

    @field_validator("channel")
    @classmethod
    def _channel_id(cls, value: str, info: ValidationInfo) -> str:
        if not _CHANNEL_ID.match(value):
            raise ValueError(
                f"{_digest(info)}{value!r} is not a Slack channel id (C… or G…, as in the channel's "
                "details); a channel's name will not do"
            )
        return value

    @model_validator(mode="after")
    def _cron_parses(self) -> DigestSpec:
        fields = self.cron.split()
        if len(fields) == 5 and _WEEKDAY_NUMBER.search(fields[4]):
            raise ValueError(
                f"digest {self.name!r}: cron {self.cron!r}: write the day of the week as names "
                "(mon-fri, sat, sun), not numbers: the scheduler counts Monday as 0, crontab Sunday"
            )
        try:
            self.trigger()
        except ValueError as exc:
            raise ValueError(
                f"digest {self.name!r}: cron {self.cron!r} is not a 5-field crontab "
                f"(minute hour day month day-of-week, e.g. '30 8 * * mon-fri'): {exc}"
            ) from None
        return self

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone or "UTC")

    def trigger(self) -> CronTrigger:
        """The schedule as APScheduler's trigger (a new one each time: triggers are not shared)."""
        return CronTrigger.from_crontab(self.cron, timezone=self.tz)


def _digest(info: ValidationInfo) -> str:
    name = info.data.get("name")
    return f"digest {name!r}: " if name else ""


class DeskRoles(_Strict):
    """The agents of one desk: they work its tickets only."""

    agents: SlackIds = []
    agent_groups: GroupIds = []


class Roles(_Strict):
    """Who has which role (`services/actors.py` says what each may do): people by Slack user id, and
    Slack user groups whose members get the role. A flat agent is an agent of every desk; `desks` names
    each desk's own agents."""

    agents: SlackIds = []
    managers: SlackIds = []
    admins: SlackIds = []
    agent_groups: GroupIds = []
    manager_groups: GroupIds = []
    admin_groups: GroupIds = []
    desks: dict[str, DeskRoles] = {}

    def groups(self) -> dict[str, str]:
        """Every configured group id → the key that names it (for messages about that group)."""
        named: dict[str, str] = {}
        for key in ("admin_groups", "manager_groups", "agent_groups"):
            for group in getattr(self, key):
                named.setdefault(group, f"roles.{key}")
        for desk, roles in self.desks.items():
            for group in roles.agent_groups:
                named.setdefault(group, f"roles.desks.{desk}.agent_groups")
        return named


class Alerts(_Strict):
    """Breach alerts to KPI owners (`domain/alerts.py`). `directors` maps a KPI's director, as named in
    kpis.yaml, to the Slack user id an unanswered alert is escalated to."""

    remind_at: time = time(9, 0)
    escalate_after_hours: float = Field(default=16.0, gt=0, le=2000)
    evaluate_every_minutes: int = Field(default=15, ge=1, le=1440)
    # A service out this long (an unplanned outage still open) alerts the leads; null: never.
    outage_after_minutes: int | None = Field(default=60, ge=1, le=10080)
    directors: dict[str, SlackId] = {}

    @field_validator("remind_at", mode="before")
    @classmethod
    def _quoted_time(cls, value: Any) -> Any:
        if not isinstance(value, str | time):
            raise ValueError(f'write times in quotes as "HH:MM", e.g. "09:00" (got {value!r})')
        return value


class Retention(_Strict):
    """How long people's words are kept (`servicebot retention apply`). `closed_ticket_text_days`: a ticket
    closed longer ago than this has its free text removed (its facts and metrics are kept); null keeps it
    for ever. The default is null: removing text cannot be undone, and the period is the council's records
    retention schedule to set, not the software's to guess."""

    closed_ticket_text_days: int | None = Field(default=None, ge=1, le=36_500)

    @field_validator("closed_ticket_text_days", mode="before")
    @classmethod
    def _whole_days(cls, value: Any) -> Any:
        # pydantic would take "730" or 730.0; a period written as text or a fraction is a mistake to name.
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise ValueError(f"a whole number of days (e.g. 730 for two years) or null, got {value!r}")
        return value


# Secrets come from the environment only: a file is copied, committed and shared, the environment is not.
_SECRET_KEYS = {
    "slack_bot_token": "SLACK_BOT_TOKEN",
    "slack_signing_secret": "SLACK_SIGNING_SECRET",
    "slack_app_token": "SLACK_APP_TOKEN",
    "signing_secret": "SLACK_SIGNING_SECRET",
    "bot_token": "SLACK_BOT_TOKEN",
    "app_token": "SLACK_APP_TOKEN",
    "database_url": "SERVICEBOT_DATABASE_URL",
}


def _secrets_in_file(raw: Mapping[str, Any]) -> list[str]:
    found = []
    for key, value in raw.items():
        if isinstance(key, str) and key.lower() in _SECRET_KEYS:
            found.append(
                f"{key}: secrets are read from the environment only; remove it from the file and set "
                f"{_SECRET_KEYS[key.lower()]} instead"
            )
        if isinstance(value, Mapping):
            found.extend(f"{key}.{problem}" for problem in _secrets_in_file(value))
    return found


class FileConfig(_Strict):
    """The shape of servicebot.yaml."""

    timezone: str = "Europe/London"
    working_hours: WorkingHours = WorkingHours()
    desks: dict[str, Desk]
    services: tuple[Service, ...] = DEFAULT_SERVICES
    roles: Roles = Roles()
    alerts: Alerts = Alerts()
    digests: tuple[DigestSpec, ...] = ()
    retention: Retention = Retention()

    @field_validator("roles")
    @classmethod
    def _role_desks_known(cls, roles: Roles, info: ValidationInfo) -> Roles:
        desks = info.data.get("desks") or {}
        for desk in roles.desks:
            if desks and desk not in desks:
                raise ValueError(f"desks.{desk}: no desk {desk!r}; choose one of: {', '.join(desks)}")
        return roles

    @field_validator("services")
    @classmethod
    def _services_unique(cls, services: tuple[Service, ...]) -> tuple[Service, ...]:
        ids = [service.id for service in services]
        twice = sorted({i for i in ids if ids.count(i) > 1})
        if twice:
            raise ValueError(f"service id(s) given twice: {', '.join(twice)}; each service is listed once")
        return services

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("desks")
    @classmethod
    def _desks_named(cls, desks: dict[str, Desk]) -> dict[str, Desk]:
        if not desks:
            raise ValueError("at least one desk is required")
        return {name: desk.model_copy(update={"id": name}) for name, desk in desks.items()}

    @model_validator(mode="after")
    def _intake_channels_unique(self) -> FileConfig:
        seen: dict[str, str] = {}
        for desk in self.desks.values():
            for channel in desk.intake_channels:
                if channel in seen:
                    raise ValueError(
                        f"channel {channel} is an intake channel of both {seen[channel]} and {desk.id}"
                    )
                seen[channel] = desk.id
        return self

    @field_validator("digests")
    @classmethod
    def _digests_known(cls, digests: tuple[DigestSpec, ...], info: ValidationInfo) -> tuple[DigestSpec, ...]:
        names = [d.name for d in digests]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"name(s) given twice: {', '.join(twice)}; each digest has its own name")
        desks = info.data.get("desks") or {}
        zone = info.data.get("timezone") or "Europe/London"
        filled = []
        for digest in digests:
            if desks and digest.desk not in desks:
                raise ValueError(
                    f"digest {digest.name!r}: no desk {digest.desk!r}; choose one of: {', '.join(desks)}"
                )
            filled.append(digest if digest.timezone else digest.model_copy(update={"timezone": zone}))
        return tuple(filled)


class Settings(_Strict):
    """Everything the bot needs to run, validated."""

    database_url: str = DEFAULT_DATABASE_URL
    slack_bot_token: str | None = None
    slack_signing_secret: str | None = None
    slack_app_token: str | None = None
    slack_api_url: str = SLACK_DEFAULT_API_URL
    config_path: str = DEFAULT_CONFIG_PATH
    timezone: str
    working_hours: WorkingHours
    desks: dict[str, Desk]
    services: tuple[Service, ...] = DEFAULT_SERVICES
    agents: frozenset[str]
    managers: frozenset[str]
    admins: frozenset[str] = frozenset()
    # Per-desk agents, and every role's Slack user groups, as configured (`roles:`).
    roles: Roles = Roles()
    alerts: Alerts = Alerts()
    model_cache_dir: str | None = None  # trained triage models, reused across restarts; None: not cached
    digests: tuple[DigestSpec, ...] = ()
    log_format: logs.LogFormat = "text"  # SERVICEBOT_LOG_FORMAT
    retention: Retention = Retention()

    @property
    def inbox_database_url(self) -> str:
        """Where inbound Slack requests are recorded. SQLite has one write lock per file, so the inbox gets a
        file of its own there: acknowledging Slack never waits behind ticket writes. Elsewhere, the same
        database (PostgreSQL locks rows, not the database)."""
        prefix = "sqlite:///"
        if self.database_url.startswith(prefix):
            path = self.database_url[len(prefix) :]
            stem = path[:-3] if path.endswith(".db") else path
            return f"{prefix}{stem}.inbox.db"
        return self.database_url

    @property
    def database_url_shown(self) -> str:
        """The database URL as it may be printed or logged: the password hidden."""
        return make_url(self.database_url).render_as_string(hide_password=True)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def serves_slack(self) -> bool:
        """`run` connects to Slack (Socket Mode or HTTP), rather than starting the console."""
        return bool(self.slack_bot_token and (self.slack_app_token or self.slack_signing_secret))

    @property
    def default_desk(self) -> Desk:
        return self.desks["ict"] if "ict" in self.desks else next(iter(self.desks.values()))

    def desk(self, desk_id: str) -> Desk:
        """The one check of a desk id, wherever it comes from."""
        try:
            return self.desks[desk_id]
        except KeyError:
            raise UnknownDesk(desk_id, self.desks) from None

    def service(self, service_id: str) -> Service:
        """The one check of a service id, wherever it comes from (chat, an import, a KPI source)."""
        for service in self.services:
            if service.id == service_id:
                return service
        raise UnknownService(service_id, (s.id for s in self.services))

    def calendar(self) -> WorkingCalendar:
        """Working time for metrics and the demo: these hours, England and Wales bank holidays, closures."""
        hours = self.working_hours
        return WorkingCalendar(
            self.tz, hours.start, hours.end, (WEEKDAYS.index(d) for d in hours.days), hours.closures
        )

    def digest(self, name: str) -> DigestSpec:
        """The one check of a digest name, wherever it comes from (a command, a stored job)."""
        for digest in self.digests:
            if digest.name == name:
                return digest
        known = ", ".join(d.name for d in self.digests)
        raise UnknownDigest(name, known)

    def desk_for_channel(self, channel: str) -> Desk | None:
        for desk in self.desks.values():
            if channel in desk.intake_channels or channel == desk.triage_channel:
                return desk
        return None

    def role_of(self, user: str) -> Literal["admin", "manager", "agent", "requester"]:
        """The role the configured ids give `user` (Slack user groups aside: `services.roles` adds
        those); an agent of one desk only is an agent here, `agent_desks` says of which."""
        if user in self.admins:
            return "admin"
        if user in self.managers:
            return "manager"
        if user in self.agents or self.agent_desks(user):
            return "agent"
        return "requester"

    def agent_desks(self, user: str) -> frozenset[str]:
        """The desks whose own agents list names `user` (`roles.desks.<desk>.agents`)."""
        return frozenset(desk for desk, roles in self.roles.desks.items() if user in roles.agents)


def _shown(key: str) -> str:
    return key if key and key.isprintable() else repr(key)


def _format_error(source: str, exc: ValidationError) -> str:
    # One line, like every other refusal: each problem as key: message, in the order pydantic found them.
    problems = []
    for err in exc.errors():
        # A key with a line break or a control code in it would break the one line, or hide in it.
        key = ".".join(_shown(str(part)) for part in err["loc"]) or "(top level)"
        problems.append(f"{key}: {err['msg']}")
    return f"invalid configuration in {source}: " + "; ".join(problems)


def _read_yaml(path: Path) -> Any:
    """The file's YAML, or a one-line ConfigError naming the file and where in it the problem is."""
    try:
        return files.read_yaml(path, f"SERVICEBOT_CONFIG: {path}")
    except files.FileProblem as exc:
        raise ConfigError(str(exc)) from None


def _default_file_config() -> dict[str, Any]:
    example = Path(__file__).resolve().parent.parent / "servicebot.example.yaml"
    if example.exists():
        loaded = yaml.safe_load(example.read_text(encoding="utf-8"))
        if isinstance(loaded, dict):
            return loaded
    return {
        "desks": {
            "ict": {
                "title": "ICT Service Desk",
                "default_queue": "ict-service-desk",
                "second_line_queue": "ict-2nd-line",
                "queues": [
                    {"id": "ict-service-desk", "title": "Service Desk", "line": 1},
                    {"id": "ict-2nd-line", "title": "2nd Line Support", "line": 2},
                ],
            }
        }
    }


def _model_cache_dir(env: Mapping[str, str]) -> str | None:
    """SERVICEBOT_MODEL_CACHE: a folder, or "off"; by default the user's cache folder (XDG)."""
    chosen = env.get("SERVICEBOT_MODEL_CACHE", "").strip()
    if chosen.lower() == "off":
        return None
    if chosen:
        return chosen
    base = env.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return str(Path(base) / "servicebot")


def _without_password(url: str) -> str:
    """A URL that cannot be parsed, shown with anything that looks like user:password@ masked: the message
    is printed, and may be logged or pasted into a support case."""
    return re.sub(r":[^:/@]*@", ":***@", url)


def _database_url_problem(url: str) -> str | None:
    """What is wrong with a database URL that can be told before connecting, in words; None if nothing.

    Whatever only a connection can tell (a server down, a password refused) is reported when the bot
    opens the database (`bootstrap.open_database`)."""
    if not re.match(r"^[a-z0-9+]+://", url):
        return f"not a database URL: {_without_password(url)!r}"
    try:
        parsed = make_url(url)
    except ArgumentError:
        return f"not a database URL: {_without_password(url)!r}"
    if parsed.get_backend_name() != "sqlite":
        return None
    name = parsed.database or ""
    if name in ("", ":memory:") or name.startswith("file::memory:") or parsed.query.get("mode") == "memory":
        return (
            "an in-memory SQLite database cannot be shared by the web and worker processes and is lost "
            "when the bot stops; name a file, e.g. sqlite:///servicebot.db"
        )
    file = Path(name).expanduser()
    if file.is_dir():
        return f"{name!r} is a folder; name a database file in it, e.g. sqlite:///{file / 'servicebot.db'}"
    if not file.absolute().parent.is_dir():
        return f"the folder {str(file.absolute().parent)!r} does not exist; create it or choose another path"
    return None


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Read SERVICEBOT_* / SLACK_* from `env` (default os.environ) and the YAML file it names."""
    env = os.environ if env is None else env
    explicit_path = env.get("SERVICEBOT_CONFIG")
    path = Path(explicit_path or DEFAULT_CONFIG_PATH)
    if path.is_dir():
        raise ConfigError(f"SERVICEBOT_CONFIG: {str(path)!r} is a folder; name the YAML file in it")
    if path.exists():
        raw = _read_yaml(path)
        if not isinstance(raw, dict):
            raise ConfigError(f"{path}: expected a mapping at the top level")
        source = str(path)
        secrets = _secrets_in_file(raw)
        if secrets:
            raise ConfigError(f"invalid configuration in {source}: " + "; ".join(secrets))
    elif explicit_path:
        raise ConfigError(f"SERVICEBOT_CONFIG: file {explicit_path!r} does not exist")
    else:
        raw, source = _default_file_config(), "built-in defaults (servicebot.example.yaml)"
    try:
        file_config = FileConfig.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(_format_error(source, exc)) from None

    def env_ids(name: str) -> set[str]:
        ids = [part.strip() for part in env.get(name, "").split(",") if part.strip()]
        for user in ids:
            # "U1 U2" would be one id that matches nobody: the role would silently be empty.
            if not _SLACK_ID.fullmatch(user):
                raise ConfigError(f"{name}: {user!r} is not a Slack user id; separate ids with commas: U1,U2")
        try:
            return set(_real_ids(ids))
        except ValueError as exc:
            raise ConfigError(f"{name}: {exc}") from None

    values: dict[str, Any] = {
        "database_url": env.get("SERVICEBOT_DATABASE_URL") or DEFAULT_DATABASE_URL,
        "slack_bot_token": env.get("SLACK_BOT_TOKEN") or None,
        "slack_signing_secret": env.get("SLACK_SIGNING_SECRET") or None,
        "slack_app_token": env.get("SLACK_APP_TOKEN") or None,
        "slack_api_url": env.get("SLACK_API_URL") or SLACK_DEFAULT_API_URL,
        "config_path": source,
        "timezone": file_config.timezone,
        "working_hours": file_config.working_hours,
        "desks": file_config.desks,
        "services": file_config.services,
        "agents": frozenset(file_config.roles.agents) | env_ids("SERVICEBOT_AGENTS"),
        "managers": frozenset(file_config.roles.managers) | env_ids("SERVICEBOT_MANAGERS"),
        "admins": frozenset(file_config.roles.admins) | env_ids("SERVICEBOT_ADMINS"),
        "roles": file_config.roles,
        "alerts": file_config.alerts,
        "model_cache_dir": _model_cache_dir(env),
        "digests": file_config.digests,
        "retention": file_config.retention,
    }
    try:
        values["log_format"] = logs.parse_format(env.get(logs.FORMAT_ENV))
    except ValueError as exc:
        raise ConfigError(f"{logs.FORMAT_ENV}: {exc}") from None
    if not values["slack_api_url"].endswith("/"):
        values["slack_api_url"] += "/"
    problem = _database_url_problem(values["database_url"])
    if problem:
        raise ConfigError(f"SERVICEBOT_DATABASE_URL: {problem}")
    if values["slack_bot_token"] and not values["slack_bot_token"].startswith("xox"):
        raise ConfigError("SLACK_BOT_TOKEN: a bot token starts with 'xoxb-'")
    if values["slack_app_token"] and not values["slack_app_token"].startswith("xapp-"):
        raise ConfigError(
            "SLACK_APP_TOKEN: an app-level token starts with 'xapp-'; make one with the connections:write "
            "scope under Basic Information → App-Level Tokens (the xoxb- token goes in SLACK_BOT_TOKEN)"
        )
    try:
        return Settings.model_validate(values)
    except ValidationError as exc:
        raise ConfigError(_format_error("environment", exc)) from None
