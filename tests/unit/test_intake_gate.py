"""The intake gate's rules, on the shipped catalogue and small talk, with triage's answer given."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from intents import CatalogueError, load_catalogue
from intents.small_talk import load_small_talk
from servicebot.triage.gate import IntakeGate, Verdict, words

GATE = IntakeGate(load_small_talk(), load_catalogue())


def never_sure(_text: str) -> bool:
    return False


def always_sure(_text: str) -> bool:
    return True


def test_words_undo_stretching_apostrophes_and_case() -> None:
    assert words("Hellooo!! Can't   LOG in") == ["hello", "cant", "log", "in"]


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("hello", "greeting"),
        ("Hiya team!!", "greeting"),
        ("thanks!", "thanks"),
        ("ta very much", "thanks"),
        ("printer's working again, cheers", "thanks"),
        ("ok", "ack"),
        (":thumbsup: :tada:", "ack"),
        ("🙏", "ack"),
        ("...", "noise"),
        ("asdfghjkl", "noise"),
        ("qwertyuiop", "noise"),
        ("jjjjjjjj", "noise"),
        ("xkcd", "noise"),
        ("1234", "noise"),
    ],
)
def test_small_talk_rules(text: str, kind: str) -> None:
    screening = GATE.screen(text, always_sure)  # triage's confidence never outvotes these rules
    assert (screening.verdict, screening.kind) == (Verdict.SMALL_TALK, kind), screening


def test_bare_courtesy_has_nothing_to_log_but_a_matched_example_does() -> None:
    assert GATE.screen("hello", never_sure).has_content is False
    assert GATE.screen("tell me a joke", never_sure).has_content is True


@pytest.mark.parametrize(
    "text",
    ["hi, my laptop won't turn on", "vpn", "printer jammed", "bin not collected", "pothole", "council tax"],
)
def test_a_request_word_logs_whatever_wraps_it(text: str) -> None:
    assert GATE.screen(text, never_sure).verdict is Verdict.REQUEST


def test_the_thanks_rule_yields_to_words_that_say_it_is_still_broken() -> None:
    assert GATE.screen("printer's broken again, thanks", never_sure).verdict is Verdict.REQUEST


def test_without_request_words_triage_decides_and_otherwise_the_bot_asks() -> None:
    """ "the button keeps disappearing": no word only requests use, but words the desk's requests share."""
    assert GATE.screen("the button keeps disappearing", never_sure).verdict is Verdict.UNSURE
    assert GATE.screen("the button keeps disappearing", always_sure).verdict is Verdict.REQUEST
    assert GATE.screen("it's not working", always_sure).verdict is Verdict.UNSURE  # everyday words only


def test_said_to_the_bot_triage_confidence_is_no_evidence() -> None:
    """Triage is over-confident on chat about the bot ("what is your birthday" → some intent)."""
    for text in ("can you tell me your birthday", "do you know any jokes", "let me know who your boss is"):
        assert GATE.screen(text, always_sure).verdict is not Verdict.REQUEST, text


def test_the_request_vocabulary_leaves_out_what_small_talk_also_says() -> None:
    for chat in ("weekend", "joke", "weather", "name", "hello", "thanks", "working"):
        assert chat not in GATE.vocabulary, chat
    for request in ("password", "vpn", "printer", "bin", "pothole", "outlook"):
        assert request in GATE.vocabulary, request


def test_a_broken_small_talk_file_names_what_is_wrong(tmp_path: Path) -> None:
    shipped = load_small_talk().model_dump()
    broken = shipped | {"kinds": {k: v for k, v in shipped["kinds"].items() if k != "noise"}}
    (tmp_path / "small_talk.yaml").write_text(yaml.safe_dump(broken), encoding="utf-8")
    with pytest.raises(CatalogueError, match=r"small_talk.yaml: kinds: .*missing noise"):
        load_small_talk(tmp_path)
    # YAML 1.1 reads a bare `no` as false: refused by name, not silently dropped.
    (tmp_path / "small_talk.yaml").write_text(
        yaml.safe_dump(shipped).replace("- 'no'", "- no"), encoding="utf-8"
    )
    with pytest.raises(CatalogueError, match="valid string"):
        load_small_talk(tmp_path)
    (tmp_path / "small_talk.yaml").write_bytes(b"\xff\xfe")
    with pytest.raises(CatalogueError, match="cannot be read"):
        load_small_talk(tmp_path)


def test_the_catalogue_loader_skips_small_talk_and_a_folder_without_it_uses_the_shipped_one(
    tmp_path: Path,
) -> None:
    assert load_catalogue()  # small_talk.yaml beside the desks' files is not read as intents
    assert load_small_talk(tmp_path) == load_small_talk()


@pytest.mark.parametrize("text", ["help!!", "broken", "doesn't work", "error", "2", "what day is it today"])
def test_triage_confidence_alone_never_logs_everyday_words(text: str) -> None:
    """Triage was sure "help!!" was a P1 safeguarding case: with nothing the desk's requests say, it asks."""
    assert GATE.screen(text, always_sure).verdict is Verdict.UNSURE


def test_a_script_the_gate_cannot_read_is_asked_about_never_refused() -> None:
    screening = GATE.screen("مرحبا، الطابعة لا تعمل", never_sure)  # "hello, the printer isn't working"
    assert screening.verdict is Verdict.UNSURE


def test_an_exact_example_is_small_talk_before_any_request_word() -> None:
    """ "sounds good" has "sound" (noise complaints) in it, but it is one of small talk's examples."""
    assert GATE.screen("sounds good", always_sure).kind == "ack"
