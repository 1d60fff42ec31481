"""Reading the files people hand the bot (configuration, KPI definitions, import and training files): bytes
to UTF-8 text and YAML to data, each failure one line naming the file and where in it. Each caller turns a
`FileProblem` into its own error (a configuration error, a refused import) with the same words."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml


class FileProblem(Exception):
    """The file cannot be used; the message names it and why."""


def read_utf8(path: Path, name: str | None = None) -> str:
    """The file's text. A leading byte-order mark (spreadsheets save one) is dropped, so it does not become
    part of a first column's name or a first key."""
    name = name or str(path)
    try:
        raw = path.read_bytes()
    except IsADirectoryError:
        raise FileProblem(f"{name}: is a folder, not a file") from None
    except FileNotFoundError:
        raise FileProblem(f"{name}: no such file") from None
    except OSError as exc:
        raise FileProblem(f"{name}: cannot be read: {exc.strerror or exc}") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise FileProblem(
            f"{name}: not UTF-8 (line {line}, byte {raw[exc.start]:#04x}); save it as UTF-8"
        ) from None


class StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses a key given twice in one mapping (plain YAML keeps the last silently, so a
    second `floor:` or `timezone:` far down a file would win unnoticed) and names an impossible date."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, yaml.Mark] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue  # `<<:` merges, where a later key overriding a merged one is the point
            key = self.construct_object(key_node, deep=deep)
            try:
                first = seen.setdefault(key, key_node.start_mark)
            except TypeError:
                continue  # an unhashable key: SafeLoader's own refusal below names it
            if first is not key_node.start_mark:
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"duplicate key {key!r} (first at line {first.line + 1}); keep one",
                    key_node.start_mark,
                )
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_timestamp(self, node: yaml.ScalarNode) -> Any:
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError as exc:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"{node.value!r} is not a real date ({exc}); write dates as YYYY-MM-DD",
                node.start_mark,
            ) from None


StrictLoader.add_constructor("tag:yaml.org,2002:timestamp", StrictLoader.construct_yaml_timestamp)


def load_yaml(text: str, name: str) -> Any:
    try:
        return yaml.load(text, Loader=StrictLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = exc.problem or exc.context or "cannot be parsed"
        raise FileProblem(f"{name}: invalid YAML{where}: {problem}") from None
    except yaml.reader.ReaderError as exc:
        # Its own str() runs over two lines ("…\n  in "<unicode string>", position 0"); one line, as all.
        where = text[: max(0, exc.position)]
        line, column = where.count("\n") + 1, len(where) - (where.rfind("\n") + 1) + 1
        raise FileProblem(
            f"{name}: invalid YAML at line {line}, column {column}: character #x{exc.character:04x}: "
            f"{exc.reason}"
        ) from None
    except yaml.YAMLError as exc:
        raise FileProblem(f"{name}: invalid YAML: {' '.join(str(exc).split())}") from None
    except RecursionError:
        # PyYAML builds nested collections recursively: thousands of levels exhaust the stack.
        raise FileProblem(f"{name}: invalid YAML: nested too deeply") from None


def read_yaml(path: Path, name: str | None = None) -> Any:
    name = name or str(path)
    return load_yaml(read_utf8(path, name), name)
