"""The HTML dashboard as markup: self-contained, escaped, every RAG labelled, a sparkline per KPI, printable.
How it looks in a real browser is tests/e2e/test_dashboard_browser.py."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, replace
from html.parser import HTMLParser
from pathlib import Path

import pytest

from servicebot.domain.kpis import Rag
from servicebot.reports import html_report, render
from servicebot.reports.html_report import RAG_COLOURS, Sparkline, sparkline
from tests.support.dashboards import HOSTILE, ICT01, PERIOD, hostile_dashboard, sample_dashboard, trend

VOID = {"meta", "br", "col", "img", "input", "link", "hr", "circle", "line", "polyline"}


@dataclass
class Node:
    tag: str
    attrs: dict[str, str]
    children: list[Node] = field(default_factory=list)
    text: str = ""

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())

    def all_text(self) -> str:
        return self.text + "".join(child.all_text() for child in self.children)

    def find_all(self, tag: str, cls: str | None = None) -> list[Node]:
        found = [self] if self.tag == tag and (cls is None or cls in self.classes) else []
        return found + [node for child in self.children for node in child.find_all(tag, cls)]


class Tree(HTMLParser):
    def __init__(self, markup: str) -> None:
        super().__init__()
        self.root = Node("document", {})
        self.stack = [self.root]
        self.feed(markup)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {key: value or "" for key, value in attrs})
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack[-1].children.append(Node(tag, {key: value or "" for key, value in attrs}))

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        assert self.stack[-1].tag == tag, f"</{tag}> closes <{self.stack[-1].tag}>"
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(Node("#text", {}, text=data))


def page(dashboard: object = None) -> Node:
    return Tree(render(dashboard or sample_dashboard(), "html")).root  # type: ignore[arg-type]


def words(node: Node) -> str:
    return " ".join(node.all_text().split())


def kpi_row(root: Node, ref: str) -> list[Node]:
    (row,) = [tr for tr in root.find_all("tr") if tr.attrs.get("data-ref") == ref]
    return row.find_all("td")


def test_the_page_is_well_formed_and_has_the_committee_layout() -> None:
    root = page()
    assert [words(h) for h in root.find_all("h2")] == [
        "RAG summary",
        "ICT (Infrastructure)",
        "Finance and Procurement",
    ]
    assert (
        words(root.find_all("title")[0])
        == "Strategic and Corporate Services Performance Dashboard: December 2016"
    )
    (ict, finance) = root.find_all("section", "area")
    owners = [words(node) for node in ict.find_all("dl")[0].find_all("div")]
    assert owners == [
        "Director Rebecca Spore",
        "Cabinet member Peter Oakford",
        "Delivery by Cantium Business Solutions",
    ]
    assert [words(h) for h in ict.find_all("h3")] == [
        "Key performance indicators",
        "Activity indicators",
        "Commentary",
    ]
    assert len(finance.find_all("tr")) == 1 + 3 + 1 + 2


def test_the_page_is_self_contained() -> None:
    markup = render(sample_dashboard(), "html")
    root = Tree(markup).root
    assert root.find_all("script") == [] and root.find_all("link") == [] and root.find_all("img") == []
    for node in [n for tag in ("a", "svg", "style", "meta") for n in root.find_all(tag)]:
        for name, value in node.attrs.items():
            assert name not in {"src", "srcset"}, node
            if name == "href":
                assert value.startswith("#"), f"only links within the page: {value}"
    style = "".join(words(s) for s in root.find_all("style"))
    assert "url(" not in style and "@import" not in style and "@font-face" not in style


def test_rag_cells_carry_the_word_and_the_colour_class() -> None:
    root = page()
    cells = root.find_all("td", "rag")
    assert len(cells) == 2 * 9, "a month and a year-to-date RAG for each KPI"
    for cell in cells:
        word = words(cell)
        rag = cell.attrs["data-rag"]
        if rag:
            assert word == rag and f"rag-{rag.lower()}" in cell.classes
        else:
            assert word in {"–", "Suspended"} and "rag-none" in cell.classes
    icts = kpi_row(root, "ICT08")
    assert [words(td) for td in icts if "rag" in td.classes] == ["Suspended", "Suspended"]
    ict01 = kpi_row(root, "ICT01")
    assert [words(td) for td in ict01][:7] == [
        "ICT01",
        ict01[1].all_text().strip(),
        "69%",
        "AMBER",
        "↓ fell",
        "70%",
        "GREEN",
    ]


def test_rag_colours_are_declared_for_each_rating_with_readable_contrast() -> None:
    markup = render(sample_dashboard(), "html")
    for rag, (background, ink) in RAG_COLOURS.items():
        assert f".rag-{rag.value.lower()} {{ background: {background}; color: {ink}; }}" in markup
        assert contrast(background, ink) >= 4.5, rag


def luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_direction_of_travel_is_an_arrow_and_a_word() -> None:
    root = page()
    dots = {ref: words(kpi_row(root, ref)[4]) for ref in ("ICT01", "ICT02", "ICT06", "HR11")}
    assert dots == {"ICT01": "↓ fell", "ICT02": "→ unchanged", "ICT06": "↑ improved", "HR11": "–"}
    (arrow, *_) = kpi_row(root, "ICT06")[4].find_all("span")
    assert arrow.attrs["aria-hidden"] == "true", "a screen reader reads the word, not the arrow"


def test_an_older_figure_says_it_is_the_latest_available() -> None:
    root = page()
    assert words(kpi_row(root, "HR11")[2]) == "74% latest available: Mar 2016"
    assert words(kpi_row(root, "ICT01")[2]) == "69%"


def test_a_sparkline_per_kpi_with_its_target_and_floor() -> None:
    root = page()
    ict01 = kpi_row(root, "ICT01")[-1]
    (svg,) = ict01.find_all("svg")
    assert svg.attrs["role"] == "img" and svg.attrs["aria-label"].startswith(
        "Trend: Jan 2016 72%, Feb 2016 71%"
    )
    assert svg.attrs["aria-label"].endswith("Dec 2016 69%; target 70%, floor 65%")
    assert (
        len(svg.find_all("polyline")) == 1 and len(svg.find_all("polyline")[0].attrs["points"].split()) == 12
    )
    assert {line.attrs["class"] for line in svg.find_all("line")} == {"target", "floor"}
    assert words(kpi_row(root, "ICT08")[-1]) == "–", "no figure in 12 months: no line"
    assert words(kpi_row(root, "HR11")[-1]) == "–"


def test_missing_months_are_gaps() -> None:
    root = page()
    (svg,) = kpi_row(root, "ICT04")[-1].find_all("svg")
    runs = [line.attrs["points"].split() for line in svg.find_all("polyline")]
    assert [len(run) for run in runs] == [2, 6, 2], "99.5 99.8 | 99.1 … 99.3 | 98.9 97.4"
    assert "Mar 2016 no figure" in svg.attrs["aria-label"]
    (svg,) = kpi_row(root, "PI01")[-1].find_all("svg")
    assert [len(line.attrs["points"].split()) for line in svg.find_all("polyline")] == [2, 2]


def test_sparkline_geometry() -> None:
    line = sparkline(trend(80, None, 60, 70, None, 90), ICT01, 70, 65)
    assert isinstance(line, Sparkline)
    points = [tuple(map(float, p.split(","))) for run in line.runs for p in run.split()]
    assert len(points) == 2 and len(line.dots) == 2, "80 | 60 70 | 90: one run, two lone months"
    for x, y in [*points, *line.dots]:
        assert 0 <= x <= line.width and 0 <= y <= line.height
    (first_x, first_y), (lone_x, lone_y) = line.dots
    assert lone_y < first_y < points[1][1] < points[0][1], "90 above 80 above 70 above 60"
    assert line.last == (lone_x, lone_y), "the last published month is marked"
    assert line.target_y is not None and line.floor_y is not None and line.target_y < line.floor_y
    xs = [first_x] + [x for x, _ in points] + [lone_x]
    assert xs == sorted(xs) and xs[-1] == line.width - html_report.SPARK_PAD


def test_a_flat_trend_is_drawn_mid_height() -> None:
    line = sparkline(trend(50, 50, 50), ICT01)
    assert line is not None and line.target_y is None
    ys = {float(p.split(",")[1]) for p in line.runs[0].split()}
    assert ys == {line.height / 2}


def test_a_trend_with_no_figures_draws_nothing() -> None:
    assert sparkline(trend(None, None), ICT01, 70, 65) is None
    assert sparkline((), ICT01) is None


def test_commentary_for_every_amber_and_red_row() -> None:
    root = page()
    notes = {node.attrs["data-ref"]: node for node in root.find_all("div", "comment")}
    assert set(notes) == {"ICT01", "ICT04", "ICT06", "FP05", "PI01"}
    assert words(notes["ICT01"]).startswith(
        "ICT01 Calls to ICT Help Desk resolved at the first point of contact:"
    )
    assert "Cause: More complex profile" in words(notes["ICT01"])
    assert "Expected recovery: 28 Feb 2017" in words(notes["ICT01"])
    assert "No commentary yet" in words(notes["ICT04"]) and "rag-red-edge" in notes["ICT04"].classes
    assert "Expected recovery: –" in words(notes["PI01"])


def test_rag_summary() -> None:
    root = page()
    (summary,) = root.find_all("table", "summary")
    rows = [
        [words(cell) for cell in tr.children if cell.tag in {"th", "td"}] for tr in summary.find_all("tr")
    ]
    assert rows == [
        ["Service area", "GREEN", "AMBER", "RED", "No RAG"],
        ["ICT (Infrastructure)", "3", "1", "1", "1"],
        ["Finance and Procurement", "1", "1", "1", "0"],
        ["All service areas", "4", "2", "2", "1"],
    ]
    links = [a.attrs["href"] for a in summary.find_all("a")]
    assert links == [f"#{section.attrs['id']}" for section in root.find_all("section", "area")]


def test_print_styles() -> None:
    markup = render(sample_dashboard(), "html")
    print_css = markup.split("@media print {", 1)[1].split("\n}\n", 1)[0]
    assert "section.area { break-before: page;" in print_css
    assert "break-inside: avoid" in print_css and "thead { display: table-header-group; }" in print_css
    assert "print-color-adjust: exact" in print_css, "RAG colours are kept on paper"
    assert "@page { size: A4 landscape;" in markup


def test_hostile_text_is_escaped_everywhere() -> None:
    markup = render(hostile_dashboard(), "html")
    assert (
        HOSTILE not in markup and "<img" not in markup and "<b>01" not in markup and "<i>Spore" not in markup
    )
    root = Tree(markup).root
    assert root.find_all("script") == [] and root.find_all("img") == [] and root.find_all("i") == []
    assert "&lt;script&gt;alert(&#39;owned&#39;)&lt;/script&gt;" in markup
    assert words(root.find_all("h1")[0]) == f"Dashboard {HOSTILE}", "shown as the text it is"
    (row,) = root.find_all("tr")[-1:]
    assert row.attrs["data-ref"] == "ICT<b>01</b>", "an attribute value stays inside its quotes"
    assert words(root.find_all("h2")[1]) == "ICT & <Infrastructure>"
    (note,) = root.find_all("div", "comment")
    assert f'Cause: "><img src=x onerror=alert(1)>{HOSTILE}' in words(note)


def test_an_empty_dashboard_says_so() -> None:
    root = page(replace(sample_dashboard(), areas=()))
    assert "No KPIs are defined for this dashboard." in words(root)
    assert root.find_all("table") == []


@pytest.mark.parametrize("rag", list(Rag))
def test_each_rating_has_a_colour(rag: Rag) -> None:
    assert rag in RAG_COLOURS


def test_the_template_ships_with_the_package() -> None:
    pyproject = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = pyproject["tool"]["setuptools"]["package-data"]["servicebot"]
    package = Path(html_report.__file__).parents[1]
    shipped = {path for pattern in patterns for path in package.glob(pattern)}
    assert package / "reports" / "templates" / "dashboard.html.j2" in shipped
    assert PERIOD.month == 12
