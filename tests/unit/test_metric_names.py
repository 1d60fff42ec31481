"""A KPI definition may name exactly the metrics the registry computes: the definitions' list (in a layer
that cannot import the registry) and the registry's own are the same."""

from servicebot.kpis.definitions import KNOWN_SOURCES
from servicebot.services.metrics import METRIC_NAMES


def test_the_sources_a_definition_may_name_are_the_metrics_computed() -> None:
    assert KNOWN_SOURCES == METRIC_NAMES
