"""The committee dashboard rendered for people and machines: JSON, Markdown, CSV and one self-contained
HTML page. Renderers take the domain's `Dashboard` and nothing else; each format is its own module with a
`render(dashboard) -> str`, imported only when asked for (the HTML one loads Jinja2 and its template)."""

from __future__ import annotations

from importlib import import_module

from servicebot.domain.kpis import Dashboard

FORMATS = ("json", "md", "csv", "html")


def render(dashboard: Dashboard, fmt: str) -> str:
    if fmt not in FORMATS:
        raise ValueError(f"unknown dashboard format {fmt!r}; choose one of {', '.join(FORMATS)}")
    module = import_module(f"servicebot.reports.{fmt}_report")
    text: str = module.render(dashboard)
    return text
