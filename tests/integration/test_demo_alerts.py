"""The demo's own story raises real breach alerts: its last month's afternoon without ICT services takes
ICT04 (ICT availability) AMBER, and the owners named in the KPI definitions are told, with the figure the
dashboard shows."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml

from servicebot.bootstrap import build_services
from servicebot.demo import load_demo
from servicebot.domain.outbox import Notice
from servicebot.domain.periods import Period
from servicebot.kpis.definitions import DEFAULT_FILE
from tests.conftest import Clock, make_settings

LONDON = ZoneInfo("Europe/London")
OWNER = "U0ICTOWNER"


def test_the_demo_breach_alerts_its_owner(tmp_path: Path) -> None:
    # As `make run` on Monday 21 November 2016: the demo ends today, so October is the last full month.
    end = datetime(2016, 11, 21, tzinfo=LONDON)
    clock = Clock(datetime(2016, 11, 21, 10, 0, tzinfo=UTC))
    services = build_services(make_settings(tmp_path), clock=clock, background_training=False)
    try:
        load_demo(services, months=2, seed=2016, end=end)
        definitions = yaml.safe_load(DEFAULT_FILE.read_text())
        for kpi in definitions["kpis"]:
            if kpi["service_area"].startswith("ICT"):
                kpi["owners"] = [OWNER]
        (tmp_path / "kpis.yaml").write_text(yaml.safe_dump(definitions))
        services.kpis.load_definitions(tmp_path / "kpis.yaml")

        row = services.kpis.row("ICT04", Period(2016, 10))
        assert row.rag is not None and row.rag.value in ("AMBER", "RED")
        planned = services.alerts.evaluate()
        ict04 = [p for p in planned if p.ref == "ICT04"]
        assert ict04 and ict04[0].action == "opened" and OWNER in ict04[0].what
        [message] = [
            m for m in services.outbox.listed(limit=500) if m.key == f"alert:{ict04[0].episode}:open:{OWNER}"
        ]
        notice = Notice.of(message.payload)
        assert notice.data["state"] == row.rag.value and notice.data["value"] == row.value
    finally:
        services.close()
