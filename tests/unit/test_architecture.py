"""Rules of the layout that import-linter cannot state: the core writes no Slack markup."""

from __future__ import annotations

import ast
import re
from pathlib import Path

CORE = Path(__file__).resolve().parents[2] / "servicebot"
# Reading what people typed in Slack (so triage ignores mentions and links) is input, not output.
READS_SLACK_INPUT = {CORE / "triage" / "text.py"}
MARKUP = [
    (re.compile(r"<[@#!]"), "a Slack mention or link"),
    (re.compile(r"(?<![\w*])\*[^\s*][^*\n]*\*(?![\w*])"), "mrkdwn bold"),
    (re.compile(r"`[^`\n]+`"), "mrkdwn code"),
]


def _docstrings(tree: ast.AST) -> set[int]:
    found: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found


def _patterns(tree: ast.AST) -> set[int]:
    """Regular expressions: `(?<!` is a lookbehind, not a Slack link, and a pattern is never shown."""
    found: set[int] = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == "re"
            and node.args
        ):
            found.add(id(node.args[0]))
    return found


def markup_in(path: Path, root: Path = CORE.parent) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = _docstrings(tree) | _patterns(tree)
    problems = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            for pattern, what in MARKUP:
                if pattern.search(node.value):
                    problems.append(f"{path.relative_to(root)}:{node.lineno}: {what} in {node.value!r}")
    return problems


def test_the_core_writes_no_slack_markup() -> None:
    paths = [path for path in sorted(CORE.rglob("*.py")) if path not in READS_SLACK_INPUT]
    assert [problem for path in paths for problem in markup_in(path)] == []


def test_the_markup_check_can_fail(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        '"""Docs may say `servicebot run`."""\nimport re\nX = f"assigned to <@{1}>"\nY = "*bold*"\n'
        'Z = re.compile(r"(?<!x)y")\nW = "<!here>"\n'
    )
    assert len(markup_in(sample, tmp_path)) == 3
