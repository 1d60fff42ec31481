"""The intent catalogue: the shipped files load against the example desks; broken files are named."""

from __future__ import annotations

from pathlib import Path

import pytest

from intents import CATALOGUE_DIR, load_catalogue
from intents.catalogue import Catalogue, CatalogueError, Intent
from servicebot.config import Desk, Settings, load_settings
from tests.conftest import EXAMPLE_CONFIG


@pytest.fixture(scope="module")
def desks() -> dict[str, Desk]:
    settings: Settings = load_settings({"SERVICEBOT_CONFIG": str(EXAMPLE_CONFIG)})
    return dict(settings.desks)


def intent_yaml(
    intent_id: str = "printer_jam",
    *,
    queue: str = "ict-hardware",
    priority: str = "P3",
    keywords: str = '["paper jam"]',
    examples: str = '["the printer on floor 2 has jammed again"]',
    extra: str = "",
) -> str:
    return (
        f"  - id: {intent_id}\n"
        f"    title: Printer jam\n"
        f"    queue: {queue}\n"
        f"    priority: {priority}\n"
        f"    owner_group: End User Devices\n"
        f"    keywords: {keywords}\n"
        f"    examples: {examples}\n"
        f"{extra}"
    )


def catalogue_file(desk: str, *intents: str) -> str:
    return f"desk: {desk}\nintents:\n" + "".join(intents)


def write(directory: Path, files: dict[str, str | bytes]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        path = directory / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return directory


def problems(directory: Path, desks: dict[str, Desk]) -> str:
    with pytest.raises(CatalogueError) as raised:
        load_catalogue(directory, desks)
    return str(raised.value)


# -- the shipped catalogue ----------------------------------------------------------------------------
def test_shipped_catalogue_loads_against_the_example_desks(desks: dict[str, Desk]) -> None:
    catalogue = load_catalogue(CATALOGUE_DIR, desks)
    for desk_id, desk in desks.items():
        intents = catalogue.for_desk(desk_id)
        assert len(intents) >= 25, f"desk {desk_id} has only {len(intents)} intents"
        for intent in intents:
            assert desk.queue(intent.queue) is not None, f"{intent.id}: queue {intent.queue} not in {desk_id}"
            assert intent.examples
    assert len(catalogue) == sum(len(catalogue.for_desk(d)) for d in desks)
    assert len(catalogue.for_desk(None)) == len(catalogue)
    password = catalogue.get("password_reset")
    assert password is not None and password.desk == "ict"
    assert catalogue.get("no_such_intent") is None


def test_shipped_examples_are_not_shared_between_intents(desks: dict[str, Desk]) -> None:
    catalogue = load_catalogue(CATALOGUE_DIR, desks)
    owner: dict[str, str] = {}
    for intent in catalogue.intents.values():
        for example in intent.examples:
            key = example.lower()
            assert key not in owner or owner[key] == intent.id, f"{example!r}: {owner[key]} and {intent.id}"
            owner[key] = intent.id


def test_a_valid_tmp_catalogue_loads(tmp_path: Path, desks: dict[str, Desk]) -> None:
    directory = write(tmp_path, {"ict.yaml": catalogue_file("ict", intent_yaml())})
    catalogue = load_catalogue(directory, desks)
    intent = catalogue.get("printer_jam")
    assert intent is not None
    assert (intent.desk, intent.queue, intent.keywords) == ("ict", "ict-hardware", ("paper jam",))


# -- broken catalogues --------------------------------------------------------------------------------
BROKEN: dict[str, tuple[str, tuple[str, ...]]] = {
    "unknown-key": (intent_yaml(extra="    colour: red\n"), ("colour", "Extra inputs")),
    "bad-priority": (intent_yaml(priority="P9"), ("priority", "P1, P2, P3, P4")),
    "numeric-priority": (intent_yaml(priority="1"), ("priority",)),
    "number-as-keyword": (intent_yaml(keywords="\n      - 404\n"), ("keywords.0", "valid string")),
    "empty-examples": (intent_yaml(examples="[]"), ("examples", "at least 1")),
    "blank-example": (intent_yaml(examples='["  "]'), ("examples", "blank")),
    "per-intent-desk": (intent_yaml(extra="    desk: contact\n"), ("desk", "once per file")),
    "bad-id": (intent_yaml("Printer-Jam"), ("id", "snake_case")),
    "reserved-id": (intent_yaml("out_of_scope"), ("id", "out_of_scope")),
    "long-title": (intent_yaml().replace("title: Printer jam", "title: " + "x" * 81), ("title",)),
    "bad-self-help-url": (
        intent_yaml(extra="    self_help: {title: T, text: X, url: not a url}\n"),
        ("self_help.url",),
    ),
}


@pytest.mark.parametrize("name", list(BROKEN))
def test_broken_intent_names_file_intent_and_field(tmp_path: Path, desks: dict[str, Desk], name: str) -> None:
    item, expected = BROKEN[name]
    intent_id = item.split("id: ", 1)[1].split("\n", 1)[0]
    directory = write(tmp_path, {"ict-broken.yaml": catalogue_file("ict", item)})
    message = problems(directory, desks)
    assert "ict-broken.yaml" in message
    assert f"intent {intent_id}" in message
    for part in expected:
        assert part in message, f"{part!r} not in {message!r}"


def test_intent_without_an_id_is_named_by_position(tmp_path: Path, desks: dict[str, Desk]) -> None:
    item = intent_yaml("printer_jam") + intent_yaml("toner").replace("  - id: toner\n    ", "  - ")
    directory = write(tmp_path, {"ict.yaml": catalogue_file("ict", item)})
    message = problems(directory, desks)
    assert "ict.yaml: intent #2: id: Field required" in message


def test_an_intent_that_is_not_a_mapping(tmp_path: Path, desks: dict[str, Desk]) -> None:
    directory = write(tmp_path, {"ict.yaml": "desk: ict\nintents:\n  - just a string\n"})
    message = problems(directory, desks)
    assert "ict.yaml: intent #1" in message


def test_duplicate_id_across_files_names_both_files(tmp_path: Path, desks: dict[str, Desk]) -> None:
    directory = write(
        tmp_path,
        {
            "ict-a.yaml": catalogue_file("ict", intent_yaml()),
            "ict-b.yaml": catalogue_file("ict", intent_yaml(examples='["printer has chewed my paper"]')),
        },
    )
    message = problems(directory, desks)
    assert "ict-b.yaml: intent printer_jam: id: already defined in ict-a.yaml" in message


def test_catalogue_itself_refuses_a_duplicate_id() -> None:
    intent = Intent(
        id="printer_jam", desk="ict", title="T", queue="ict-hardware", owner_group="G", examples=("x",)
    )
    with pytest.raises(CatalogueError, match="printer_jam"):
        Catalogue([intent, intent])


def test_unknown_queue_for_the_desk_is_refused(tmp_path: Path, desks: dict[str, Desk]) -> None:
    directory = write(tmp_path, {"ict.yaml": catalogue_file("ict", intent_yaml(queue="highways"))})
    message = problems(directory, desks)
    assert "intent printer_jam" in message
    assert "queue: 'highways'" in message
    assert "desk ict" in message


def test_unknown_queue_names_the_file(tmp_path: Path, desks: dict[str, Desk]) -> None:
    directory = write(tmp_path, {"ict-extra.yaml": catalogue_file("ict", intent_yaml(queue="highways"))})
    message = problems(directory, desks)
    assert "ict-extra.yaml" in message
    assert "intent printer_jam" in message and "queue" in message


def test_unknown_desk_is_refused(tmp_path: Path, desks: dict[str, Desk]) -> None:
    directory = write(tmp_path, {"hr.yaml": catalogue_file("hr", intent_yaml())})
    message = problems(directory, desks)
    assert "intent printer_jam" in message
    assert "'hr'" in message and "not configured" in message


@pytest.mark.parametrize(
    "content",
    [
        "desk: ict\nintents: [ {id: x\n",
        "{{{ this is not: yaml ]]\n",
        b"\xff\xfe\x00\x01 binary",
    ],
    ids=["unclosed-flow", "garbage", "binary"],
)
def test_non_yaml_file_is_named(tmp_path: Path, desks: dict[str, Desk], content: str | bytes) -> None:
    directory = write(tmp_path, {"ict.yaml": catalogue_file("ict", intent_yaml()), "notes.yaml": content})
    message = problems(directory, desks)
    assert "notes.yaml: cannot be read" in message
    assert "ict.yaml" not in message


@pytest.mark.parametrize(
    "content",
    ["just words\n", "- a\n- list\n", "intents: []\n", "desk: ict\n", "desk: 7\nintents: []\n", ""],
    ids=["string", "list", "no-desk", "no-intents", "desk-not-text", "empty"],
)
def test_wrong_top_level_shape_is_named(tmp_path: Path, desks: dict[str, Desk], content: str) -> None:
    directory = write(tmp_path, {"odd.yaml": content})
    message = problems(directory, desks)
    assert "odd.yaml" in message
    assert "desk: <id>" in message


def test_empty_directory_is_refused(tmp_path: Path, desks: dict[str, Desk]) -> None:
    (tmp_path / "README.md").write_text("no yaml here", encoding="utf-8")
    message = problems(tmp_path, desks)
    assert str(tmp_path) in message and "no intent files" in message


def test_several_problems_are_all_reported_at_once(tmp_path: Path, desks: dict[str, Desk]) -> None:
    directory = write(
        tmp_path,
        {
            "contact.yaml": catalogue_file(
                "contact",
                intent_yaml("pothole", queue="highways", examples="[]"),
                intent_yaml("bin_missed", queue="waste", extra="    colour: green\n"),
            ),
            "ict.yaml": catalogue_file(
                "ict",
                intent_yaml("printer_jam", priority="urgent"),
                intent_yaml("vpn_down", queue="ict-network", keywords="\n      - 404\n"),
                intent_yaml("fine_one"),
            ),
            "junk.yaml": "::: [\n",
        },
    )
    message = problems(directory, desks)
    lines = [line.strip() for line in message.splitlines()[1:]]
    assert any(ln.startswith("contact.yaml: intent pothole: examples") for ln in lines), message
    assert any(ln.startswith("contact.yaml: intent bin_missed: colour") for ln in lines), message
    assert any(ln.startswith("ict.yaml: intent printer_jam: priority") for ln in lines), message
    assert any(ln.startswith("ict.yaml: intent vpn_down: keywords.0") for ln in lines), message
    assert any(ln.startswith("junk.yaml: cannot be read") for ln in lines), message
    assert "fine_one" not in message


def test_queue_problems_are_reported_with_schema_problems(tmp_path: Path, desks: dict[str, Desk]) -> None:
    directory = write(
        tmp_path,
        {
            "ict.yaml": catalogue_file(
                "ict", intent_yaml("printer_jam", priority="P9"), intent_yaml("vpn_down", queue="nowhere")
            )
        },
    )
    message = problems(directory, desks)
    assert "intent printer_jam: priority" in message
    assert "intent vpn_down" in message and "'nowhere'" in message
