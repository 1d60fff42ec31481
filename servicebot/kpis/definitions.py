"""`kpis.yaml`: the KPI definitions a performance lead edits, validated before anything uses them.

The file is a YAML list of KPI mappings, or a mapping whose one key `kpis:` holds that list. Every problem
is reported at once, each naming the KPI (its ref, or its place in the list) and the field:

    kpis.yaml: KPI ICT01: floor: 75 is above the target 70; a higher_is_better KPI's floor is at or below it

Defaults where the file is silent (documented here because they change what the dashboard prints):
- `kind: kpi`; `suspended: false`; `urgent: false` (a breach alert waits for working hours; `owners` are
  the Slack user ids it goes to); `polarity` must be declared for a KPI (never guessed), and defaults to
  `higher_is_better` for an activity indicator, which is never rated.
- `decimals`, the published precision that RAG, DoT and the expected range are judged at: 0 for percent,
  count and seconds (the dashboards print 98%, 51,051 and 45 s), 1 for hours (18.5 h), 2 for currency;
  raised to the finest threshold's precision when not declared (a target of 99.8% publishes 1 place). A
  declared `decimals` coarser than a threshold is refused: 99.8 at 0 places would be judged as 100.
- `desk`: when absent and the source's argument is a configured desk (`fcr:ict`), that desk; otherwise the
  KPI shows only on the `--desk all` dashboard.
- `years:` overrides thresholds per financial year (`"2017/18": {target: 72}`); a field a year leaves out
  keeps the top-level value.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError
from pydantic import FiniteFloat as _FiniteFloat

from servicebot import files
from servicebot.domain.errors import InvalidInput
from servicebot.domain.kpis import (
    Frequency,
    KpiDefinition,
    KpiKind,
    Polarity,
    Thresholds,
    Unit,
)
from servicebot.domain.periods import financial_year_label_valid

DEFAULT_FILE = Path(__file__).resolve().with_name("default.yaml")


def _not_a_flag(value: Any) -> Any:
    # YAML reads `true` as a boolean and pydantic would take it as 1: a threshold of `true` is a slip.
    if isinstance(value, bool):
        raise ValueError(f"expected a number, got {str(value).lower()}")
    return value


FiniteFloat = Annotated[_FiniteFloat, BeforeValidator(_not_a_flag)]

# The metrics a KPI's `source` may name: exactly those `services.metrics` computes (this layer cannot
# import that one, so tests/unit/test_metric_names.py keeps the two lists equal).
KNOWN_SOURCES: frozenset[str] = frozenset(
    {
        "fcr",
        "contacts",
        "positive_rating",
        "ratings",
        "time_to_fix_hours",
        "time_to_fix_working_hours",
        "first_response_minutes",
        "escalation_rate",
        "transfer_rate",
        "availability",
        "calls_offered",
        "calls_answered",
        "calls_answered_count",
        "calls_within_40s",
        "average_wait_seconds",
        "average_handle_seconds",
        "abandonment_rate",
    }
)
MANUAL = "manual"

# Refs as the council prints them: two to four capitals, two or three digits, an optional lower-case
# letter for a part (CS04a) or an activity beside its KPI (ICT01b). A damaged ref (ICTO1, ict01, CS 04) is
# refused rather than becoming a second KPI nobody reports on.
_REF = re.compile(r"^[A-Z]{2,4}[0-9]{2,3}[a-z]?\Z")  # \Z: "$" would let a trailing newline in
_SOURCE = re.compile(r"^([a-z][a-z0-9_]{0,63})(?::([a-z0-9][a-z0-9_-]{0,63}))?\Z")
_SLACK_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*\Z")
_DEFAULT_DECIMALS = {Unit.PERCENT: 0, Unit.COUNT: 0, Unit.SECONDS: 0, Unit.HOURS: 1, Unit.CURRENCY: 2}
MAX_DECIMALS = 4


class KpiDefinitionsError(InvalidInput):
    """Definitions that cannot be used; the message names the file, each KPI and field, and why."""


def _text(value: str) -> str:
    if not value.strip():
        raise ValueError("is blank")
    return value.strip()


def _slack_ids(values: list[str]) -> list[str]:
    for user in values:
        if not _SLACK_ID.match(user):
            raise ValueError(f"{user!r} is not a Slack user id (such as U012AB3CD)")
    return values


Text = Annotated[str, AfterValidator(_text)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class YearSpec(_Strict):
    target: FiniteFloat | None = None
    floor: FiniteFloat | None = None
    upper: FiniteFloat | None = None
    lower: FiniteFloat | None = None


class KpiSpec(_Strict):
    """One KPI as written in kpis.yaml."""

    ref: str
    description: Text
    service_area: Text
    director: str = ""
    cabinet_member: str = ""
    delivery_by: str = ""
    owners: Annotated[list[str], AfterValidator(_slack_ids)] = []
    unit: Unit
    polarity: Polarity | None = None
    frequency: Frequency
    kind: KpiKind = KpiKind.KPI
    target: FiniteFloat | None = None
    floor: FiniteFloat | None = None
    upper: FiniteFloat | None = None
    lower: FiniteFloat | None = None
    years: dict[str, YearSpec] = {}
    source: str
    suspended: bool = False
    urgent: bool = False
    desk: str | None = None
    decimals: int | None = Field(default=None, ge=0, le=MAX_DECIMALS)
    range_months: int | None = Field(default=None, ge=1, le=12)


def _places(value: float) -> int:
    """Decimal places a threshold is written with (99.8 -> 1, 70.0 -> 0)."""
    text = repr(round(value, 9))
    if "e" in text or "." not in text:
        return 0
    return len(text.split(".")[1].rstrip("0"))


def _fmt(value: float) -> str:
    return f"{value:g}"


def _threshold_problems(spec: KpiSpec, where: str, t: Thresholds, *, required: bool) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    if spec.kind is KpiKind.KPI:
        for name in ("target", "floor"):
            if required and getattr(t, name) is None:
                problems.append((f"{where}{name}", "is required for a KPI (kind: kpi)"))
        if t.target is not None and t.floor is not None and spec.polarity is not None:
            higher = spec.polarity is Polarity.HIGHER_IS_BETTER
            if (higher and t.floor > t.target) or (not higher and t.floor < t.target):
                side, edge = ("above", "at or below") if higher else ("below", "at or above")
                problems.append(
                    (
                        f"{where}floor",
                        f"{_fmt(t.floor)} is {side} the target {_fmt(t.target)}; a {spec.polarity.value} "
                        f"KPI's floor is the minimum standard, {edge} its target",
                    )
                )
    elif t.upper is not None and t.lower is not None and t.upper < t.lower:
        problems.append(
            (f"{where}upper", f"{_fmt(t.upper)} is below lower {_fmt(t.lower)}; swap them (upper ≥ lower)")
        )
    if spec.unit is Unit.PERCENT:
        for name in ("target", "floor", "upper", "lower"):
            value = getattr(t, name)
            if value is not None and not 0 <= value <= 100:
                problems.append((f"{where}{name}", f"{_fmt(value)} is not a percentage (0 to 100)"))
    return problems


def _merged(base: Thresholds, year: YearSpec) -> Thresholds:
    return Thresholds(
        target=base.target if year.target is None else year.target,
        floor=base.floor if year.floor is None else year.floor,
        upper=base.upper if year.upper is None else year.upper,
        lower=base.lower if year.lower is None else year.lower,
    )


def _to_definition(
    spec: KpiSpec, known_sources: Collection[str], desks: Collection[str] | None
) -> tuple[KpiDefinition | None, list[tuple[str, str]]]:
    problems: list[tuple[str, str]] = []
    if not _REF.match(spec.ref):
        problems.append(
            ("ref", f"{spec.ref!r} is not a KPI code; write it as printed, e.g. ICT01, CS04a or ICT01b")
        )
    is_kpi = spec.kind is KpiKind.KPI
    if is_kpi and spec.polarity is None:
        problems.append(("polarity", "is required for a KPI: higher_is_better or lower_is_better"))
    wrong = ("upper", "lower") if is_kpi else ("target", "floor")
    fields = [("", spec)] + [(f"years.{label}.", year) for label, year in spec.years.items()]
    for where, holder in fields:
        for name in wrong:
            if getattr(holder, name) is not None:
                why = (
                    "a KPI has a target and floor, not an expected range"
                    if is_kpi
                    else "an activity indicator has an expected range (upper, lower), not a target"
                )
                problems.append((f"{where}{name}", why))
    base = Thresholds(spec.target, spec.floor, spec.upper, spec.lower)
    by_year: dict[str, Thresholds] = {}
    for label, year in spec.years.items():
        if not financial_year_label_valid(label):
            problems.append((f"years.{label}", "is not a financial year; write it as printed, e.g. 2017/18"))
            continue
        by_year[label] = _merged(base, year)
    # Top-level thresholds are the default for every year; without them, each listed year must give both
    # (and a year not listed has no RAG).
    per_year_only = bool(spec.years) and (spec.target is None or spec.floor is None)
    problems += _threshold_problems(spec, "", base, required=not per_year_only)
    pair = {"target", "floor"} if is_kpi else {"upper", "lower"}
    for label, merged in by_year.items():
        given = {name for name in (*pair, *wrong) if getattr(spec.years[label], name) is not None}
        for field, why in _threshold_problems(spec, f"years.{label}.", merged, required=per_year_only):
            # What a year inherits unchanged was reported once, at the top level.
            name = field.rsplit(".", 1)[1]
            if per_year_only or name in given or (name in pair and given & pair):
                problems.append((field, why))
    if spec.range_months is not None and (is_kpi or spec.frequency in (Frequency.SNAPSHOT, Frequency.ANNUAL)):
        problems.append(
            (
                "range_months",
                "scales an expected range to a year to date: only for monthly or quarterly activity",
            )
        )
    match = _SOURCE.match(spec.source)
    desk = spec.desk
    if spec.source != MANUAL:
        if match is None:
            problems.append(("source", f"{spec.source!r} is not 'manual' or a metric such as fcr:ict"))
        elif match.group(1) not in known_sources:
            problems.append(
                (
                    "source",
                    f"unknown metric {match.group(1)!r}; use manual or one of: "
                    + ", ".join(sorted(known_sources)),
                )
            )
        elif desk is None and desks is not None and match.group(2) in desks:
            desk = match.group(2)
    if spec.desk is not None and desks is not None and spec.desk not in desks:
        problems.append(("desk", f"{spec.desk!r} is not a configured desk ({', '.join(desks)})"))
    finest = max(
        [
            _places(v)
            for t in (base, *by_year.values())
            for v in (t.target, t.floor, t.upper, t.lower)
            if v is not None
        ],
        default=0,
    )
    if finest > MAX_DECIMALS:
        # 70.0000001 is a typo or float noise from a spreadsheet, not a precision anyone publishes.
        where = "target" if is_kpi else "upper"
        problems.append((where, f"a threshold has {finest} decimal places; at most {MAX_DECIMALS}"))
    decimals = spec.decimals
    if decimals is None:
        decimals = max(_DEFAULT_DECIMALS[spec.unit], min(finest, MAX_DECIMALS))
    elif decimals < finest:
        problems.append(
            (
                "decimals",
                f"{decimals} is coarser than a threshold written with {finest} decimal place(s); figures "
                f"are judged at the published precision, so give decimals: {finest} or round the threshold",
            )
        )
    if problems:
        return None, problems
    definition = KpiDefinition(
        ref=spec.ref,
        description=spec.description,
        service_area=spec.service_area,
        unit=spec.unit,
        polarity=spec.polarity or Polarity.HIGHER_IS_BETTER,
        frequency=spec.frequency,
        kind=spec.kind,
        source=spec.source,
        thresholds=base,
        thresholds_by_year=by_year,
        director=spec.director,
        cabinet_member=spec.cabinet_member,
        delivery_by=spec.delivery_by,
        owners=tuple(spec.owners),
        desk=desk,
        suspended=spec.suspended,
        urgent=spec.urgent,
        decimals=decimals,
        range_months=spec.range_months,
    )
    return definition, []


def read_yaml(path: Path, name: str | None = None) -> Any:
    """The file's YAML, or a one-line KpiDefinitionsError naming the file and where in it."""
    try:
        return files.read_yaml(path, name)
    except files.FileProblem as exc:
        raise KpiDefinitionsError(str(exc)) from None


def parse_yaml(text: str, name: str) -> Any:
    try:
        return files.load_yaml(text, name)
    except files.FileProblem as exc:
        raise KpiDefinitionsError(str(exc)) from None


def _shown(key: object) -> str:
    """A key as a one-line message may quote it: one with a line break or a control character (from a
    hand-edited file) is shown escaped."""
    text = str(key)
    return text if text and text.isprintable() else repr(text)


def definitions_from(
    raw: Any,
    name: str,
    *,
    known_sources: Collection[str] = KNOWN_SOURCES,
    desks: Collection[str] | None = None,
) -> list[KpiDefinition]:
    """Validated definitions, in file order, from parsed YAML; every problem reported in one message."""
    if isinstance(raw, Mapping):
        extra = [_shown(key) for key in raw if key != "kpis"]
        if extra:
            raise KpiDefinitionsError(
                f"{name}: unknown top-level key(s) {', '.join(extra)}; the file is a list of KPIs, or "
                "'kpis:' holding that list"
            )
        raw = raw.get("kpis")
    if not isinstance(raw, list):
        raise KpiDefinitionsError(
            f"{name}: expected a list of KPIs (or 'kpis:' holding one) at the top level"
        )
    if not raw:
        raise KpiDefinitionsError(f"{name}: no KPIs defined")
    problems: list[str] = []
    definitions: list[KpiDefinition] = []
    first_at: dict[str, int] = {}
    for index, item in enumerate(raw, start=1):
        ref = item.get("ref") if isinstance(item, Mapping) else None
        label = f"KPI {ref}" if isinstance(ref, str) and ref.strip() else f"item #{index}"
        if not isinstance(item, Mapping):
            problems.append(f"{label}: expected a mapping of fields (ref, description, …)")
            continue
        try:
            spec = KpiSpec.model_validate(dict(item))
        except ValidationError as exc:
            for err in exc.errors():
                field = ".".join(_shown(part) for part in err["loc"]) or "(KPI)"
                problems.append(f"{label}: {field}: {_message(err)}")
            continue
        definition, found = _to_definition(spec, known_sources, desks)
        problems += [f"{label}: {field}: {why}" for field, why in found]
        if spec.ref in first_at:
            problems.append(
                f"{label}: ref: defined twice (items #{first_at[spec.ref]} and #{index}); keep one"
            )
            continue
        first_at[spec.ref] = index
        if definition is not None:
            definitions.append(definition)
    if problems:
        raise KpiDefinitionsError(f"invalid KPI definitions in {name}: " + "; ".join(problems))
    return definitions


def _message(err: Mapping[str, Any]) -> str:
    kind, msg = str(err.get("type", "")), str(err.get("msg", ""))
    if kind == "extra_forbidden":
        return "unknown field"
    if kind == "enum":
        expected = (err.get("ctx") or {}).get("expected", "")
        return f"{err.get('input')!r} is not one of {expected}"
    if kind == "finite_number" or (kind == "float_parsing" and isinstance(err.get("input"), float)):
        return "is not a finite number"
    return msg.removeprefix("Value error, ")


def load_definitions(
    path: Path,
    *,
    known_sources: Collection[str] = KNOWN_SOURCES,
    desks: Collection[str] | None = None,
    name: str | None = None,
) -> list[KpiDefinition]:
    name = name or str(path)
    return definitions_from(read_yaml(path, name), name, known_sources=known_sources, desks=desks)


def default_definitions(
    desks: Collection[str] | None = None, known_sources: Collection[str] = KNOWN_SOURCES
) -> list[KpiDefinition]:
    """The committed default for the ICT desk and the contact centre (`default.yaml`)."""
    return load_definitions(
        DEFAULT_FILE, known_sources=known_sources, desks=desks, name="default KPI definitions"
    )
