"""Digests without a database: `digests:` in servicebot.yaml (refusals name the digest and key), the next
run on the working calendar, the outbox key, the late marker, and the text and Block Kit renderings."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml

from handlers.blocks.digest import digest_blocks
from servicebot.config import ConfigError, DigestSpec, Settings, UnknownDigest, load_settings
from servicebot.domain.digests import Attachment, Digest, Item, Late, Section, late_marker, render_text
from servicebot.services.digests import next_run, scheduled_key
from tests.conftest import EXAMPLE_CONFIG

LONDON = ZoneInfo("Europe/London")
MORNING = {
    "name": "ict-morning",
    "cron": "30 8 * * mon-fri",
    "desk": "ict",
    "channel": "C0ICTLEADS",
    "content": "alert_digest",
}


def _load(tmp_path: Path, digests: object, **top: object) -> Settings:
    config = yaml.safe_load(EXAMPLE_CONFIG.read_text(encoding="utf-8"))
    config["digests"] = digests
    config.update(top)
    path = tmp_path / "servicebot.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return load_settings({"SERVICEBOT_CONFIG": str(path)})


def _refusal(tmp_path: Path, digests: object, **top: object) -> str:
    with pytest.raises(ConfigError) as raised:
        _load(tmp_path, digests, **top)
    message = str(raised.value)
    assert "\n" not in message
    return message


def test_none_are_configured_by_default_and_the_example_shows_them_commented_out() -> None:
    settings = load_settings({"SERVICEBOT_CONFIG": str(EXAMPLE_CONFIG)})
    assert settings.digests == ()
    text = EXAMPLE_CONFIG.read_text(encoding="utf-8")
    block = text[text.index("# digests:") :].split("\n\n")[0]
    shown = yaml.safe_load("\n".join(line[2:] for line in block.splitlines()))
    assert [d["content"] for d in shown["digests"]][:2] == ["alert_digest", "daily_stats"]
    assert shown["digests"][0]["cron"] == "30 8 * * mon-fri"
    # What the example shows is valid as it stands.
    assert len(_load_example_digests(shown["digests"])) == len(shown["digests"])


def _load_example_digests(digests: list[dict[str, Any]]) -> tuple[DigestSpec, ...]:
    return tuple(DigestSpec(**d) for d in digests)


def test_a_digest_takes_the_configurations_time_zone_unless_it_has_its_own(tmp_path: Path) -> None:
    settings = _load(tmp_path, [MORNING, {**MORNING, "name": "ict-paris", "timezone": "Europe/Paris"}])
    assert [d.timezone for d in settings.digests] == ["Europe/London", "Europe/Paris"]
    assert settings.digests[0].working_days_only is True
    assert settings.digests[0].misfire_grace_minutes == 360
    assert settings.digest("ict-paris").tz == ZoneInfo("Europe/Paris")
    with pytest.raises(UnknownDigest, match="choose one of: ict-morning, ict-paris"):
        settings.digest("ict-evening")


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"cron": "61 8 * * *"}, "digests.0: Value error, digest 'ict-morning': cron '61 8 * * *' is not a"),
        ({"cron": "30 8 * *"}, "Wrong number of fields; got 4, expected 5"),
        ({"cron": "30 8 * * 1-5"}, "write the day of the week as names (mon-fri, sat, sun), not numbers"),
        ({"timezone": "Mars/Olympus"}, "digests.0.timezone: Value error, digest 'ict-morning': unknown time"),
        ({"channel": "#ict-leads"}, "'#ict-leads' is not a Slack channel id"),
        ({"content": "weekly"}, "digests.0.content: Input should be 'daily_stats'"),
        ({"name": "ICT Morning"}, "digest name 'ICT Morning' must be lower-case letters"),
        (
            {"desk": "hr"},
            "digests: Value error, digest 'ict-morning': no desk 'hr'; choose one of: contact, ict",
        ),
        ({"misfire_grace_minutes": 0}, "digests.0.misfire_grace_minutes: Input should be greater than"),
        ({"when": "daily"}, "digests.0.when: Extra inputs are not permitted"),
    ],
)
def test_a_bad_digest_is_refused_naming_it(tmp_path: Path, change: dict[str, Any], expected: str) -> None:
    message = _refusal(tmp_path, [{**MORNING, **change}])
    assert expected in message
    assert message.startswith("invalid configuration in ")


def test_two_digests_of_one_name_are_refused(tmp_path: Path) -> None:
    assert "name(s) given twice: ict-morning" in _refusal(tmp_path, [MORNING, MORNING])


def test_digests_must_be_a_list(tmp_path: Path) -> None:
    assert "digests: Input should be a valid tuple" in _refusal(tmp_path, {"ict-morning": MORNING})


def _settings(tmp_path: Path, **changes: Any) -> tuple[Settings, DigestSpec]:
    settings = _load(tmp_path, [{**MORNING, **changes}])
    return settings, settings.digests[0]


def test_the_next_run_skips_weekends_bank_holidays_and_closures(tmp_path: Path) -> None:
    settings, daily = _settings(tmp_path, cron="30 8 * * *")
    after = datetime(2026, 12, 24, 9, 0, tzinfo=UTC)  # Thursday, after its run
    # Fri 25 and Mon 28 are bank holidays, 26 and 27 the weekend.
    assert next_run(daily, settings, after) == datetime(2026, 12, 29, 8, 30, tzinfo=LONDON)
    every_day = daily.model_copy(update={"working_days_only": False})
    assert next_run(every_day, settings, after) == datetime(2026, 12, 25, 8, 30, tzinfo=LONDON)
    closed = _load(
        tmp_path,
        [{**MORNING, "cron": "30 8 * * *"}],
        working_hours={"start": "08:00", "end": "18:00", "closures": ["2026-12-29"]},
    )
    assert next_run(closed.digests[0], closed, after) == datetime(2026, 12, 30, 8, 30, tzinfo=LONDON)


def test_the_next_run_is_in_local_time_across_the_clock_change(tmp_path: Path) -> None:
    settings, morning = _settings(tmp_path)
    # The clocks go forward on Sunday 29 March 2026: Monday's 08:30 is 07:30 UTC.
    after = datetime(2026, 3, 27, 12, 0, tzinfo=UTC)
    found = next_run(morning, settings, after)
    assert found is not None and found.astimezone(UTC) == datetime(2026, 3, 30, 7, 30, tzinfo=UTC)


def test_the_outbox_key_is_the_scheduled_local_time_with_its_offset(tmp_path: Path) -> None:
    _, morning = _settings(tmp_path, cron="30 1 * * *", working_days_only=False)
    # 01:30 happens twice on 25 October 2026 in London; the keys of the two runs differ.
    first = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    second = datetime(2026, 10, 25, 1, 30, tzinfo=UTC)
    assert scheduled_key(morning, first) == "digest:ict-morning:2026-10-25T01:30+0100"
    assert scheduled_key(morning, second) == "digest:ict-morning:2026-10-25T01:30+0000"


def test_late_means_more_than_two_minutes_after_it_was_due() -> None:
    due = datetime(2026, 12, 23, 8, 30, tzinfo=UTC)
    assert late_marker(due, datetime(2026, 12, 23, 8, 32, tzinfo=UTC), LONDON) is None
    assert late_marker(due, datetime(2026, 12, 23, 10, 12, tzinfo=UTC), LONDON) == Late("08:30", "10:12")
    next_day = late_marker(due, datetime(2026, 12, 24, 7, 0, tzinfo=UTC), LONDON)
    assert str(next_day) == "late: due Wed 23 Dec 08:30, sent Thu 24 Dec 07:00"
    summer = late_marker(
        datetime(2026, 6, 1, 7, 30, tzinfo=UTC), datetime(2026, 6, 1, 9, 12, tzinfo=UTC), LONDON
    )
    assert str(summer) == "late: due 08:30, sent 10:12"  # London time, not UTC


def _digest(**changes: Any) -> Digest:
    fields: dict[str, Any] = {
        "name": "ict-morning",
        "content": "alert_digest",
        "desk": "ict",
        "channel": "C0ICTLEADS",
        "title": "ICT Service Desk: alert digest, Wed 23 Dec 2026",
        "scheduled_at": datetime(2026, 12, 23, 8, 30, tzinfo=UTC),
        "sections": (
            Section("KPIs now AMBER or RED", (Item("ICT04 <ICT> & services: 97%", "RED"),)),
            Section("Open outages", (), empty="none: every service is up"),
        ),
        "late": Late("08:30", "10:12"),
    }
    fields.update(changes)
    return Digest(**fields)


def test_the_data_round_trips_and_carries_no_markup_or_file_bytes() -> None:
    digest = _digest(attachment=Attachment("dashboard-ict-2026-11.html", "Dashboard", b"<html>"))
    data = digest.data()
    assert data["file"] == "dashboard-ict-2026-11.html" and "content" not in str(data["file"])
    back = Digest.from_data(data, channel="C0ICTLEADS")
    assert back == _digest()  # the attachment is not compared: it travels as an upload of its own


def test_the_text_rendering_says_late_and_tags_each_rag() -> None:
    text = render_text(_digest())
    assert text.splitlines()[:2] == [
        "ICT Service Desk: alert digest, Wed 23 Dec 2026",
        "(late: due 08:30, sent 10:12)",
    ]
    assert "  - [RED] ICT04 <ICT> & services: 97%" in text
    assert "Open outages\n  none: every service is up" in text


def test_the_block_kit_rendering_escapes_and_reads_without_colour(tmp_path: Path) -> None:
    settings = load_settings({"SERVICEBOT_CONFIG": str(EXAMPLE_CONFIG)})
    fallback, blocks = digest_blocks(_digest().data(), settings)
    assert fallback == "ICT Service Desk: alert digest, Wed 23 Dec 2026 (late: due 08:30, sent 10:12)"
    assert blocks[0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": "ICT Service Desk: alert digest, Wed 23 Dec 2026"},
    }
    assert blocks[1]["elements"][0]["text"] == ":hourglass: late: due 08:30, sent 10:12"
    kpis = blocks[2]["text"]["text"]
    assert kpis == "*KPIs now AMBER or RED*\n• :red_circle: RED ICT04 &lt;ICT&gt; &amp; services: 97%"
    assert blocks[3]["text"]["text"] == "*Open outages*\n_none: every service is up_"


def test_a_long_digest_is_split_into_sections_slack_accepts(tmp_path: Path) -> None:
    settings = load_settings({"SERVICEBOT_CONFIG": str(EXAMPLE_CONFIG)})
    many = Section("Open outages", tuple(Item(f"service {i}: " + "x" * 200) for i in range(100)))
    _, blocks = digest_blocks(_digest(sections=(many,), late=None).data(), settings)
    assert len(blocks) <= 50
    assert all(len(b["text"]["text"]) <= 3000 for b in blocks if b["type"] == "section")
    assert sum(b["text"]["text"].count("• ") for b in blocks if b["type"] == "section") == 100
