"""Triage on the shipped catalogue: cold-start quality, desks, out of scope, corrections memory, bad input."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from intents import load_catalogue
from intents.catalogue import OUT_OF_SCOPE
from servicebot.config import Settings
from servicebot.triage.engine import Labelled, TriageModel, corrections_memory
from servicebot.triage.memory import CorrectionMemory

COLD_START = Path(__file__).resolve().parents[1] / "data" / "triage_coldstart.csv"


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    from tests.conftest import make_settings

    return make_settings(tmp_path_factory.mktemp("triage"))


@pytest.fixture(scope="module")
def model(settings: Settings) -> TriageModel:
    return TriageModel.train(load_catalogue(None, settings.desks), settings.desks)


def test_cold_start_places_realistic_messages_well(model: TriageModel) -> None:
    """A quality floor on 257 messages written apart from the catalogue (BENCHMARKS.md has the figures)."""
    with COLD_START.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    in_scope = [r for r in rows if r["label"] != OUT_OF_SCOPE]
    out_of_scope = [r for r in rows if r["label"] == OUT_OF_SCOPE]
    assert len(rows) >= 200 and len(out_of_scope) >= 20
    answers = [(r, model.classify(r["text"], r["desk"])) for r in rows]
    routed = sum(t.intent == r["label"] for r, t in answers if r["label"] != OUT_OF_SCOPE) / len(in_scope)
    wrong = sum(
        not t.out_of_scope and t.intent != r["label"] for r, t in answers if r["label"] != OUT_OF_SCOPE
    ) / len(in_scope)
    offered = sum(
        r["label"] in [c.intent for c in t.suggestions] for r, t in answers if r["label"] != OUT_OF_SCOPE
    ) / len(in_scope)
    caught = sum(t.out_of_scope for r, t in answers if r["label"] == OUT_OF_SCOPE) / len(out_of_scope)
    assert routed >= 0.82, f"routed correctly {routed:.3f}"
    assert wrong <= 0.06, f"routed wrongly {wrong:.3f}"
    assert offered >= 0.95, f"right answer among the suggestions {offered:.3f}"
    assert caught >= 0.75, f"out of scope caught {caught:.3f}"


def test_a_desk_only_gets_its_own_intents(model: TriageModel) -> None:
    ict_only = {i.id for i in model.catalogue.for_desk("ict")}
    for text in ("my bin was not collected", "pothole on the high street", "need a blue badge"):
        triage = model.classify(text, "ict")
        assert triage.desk == "ict"
        assert {c.intent for c in triage.candidates} <= ict_only
        assert triage.intent is None or triage.intent in ict_only


def test_without_a_desk_triage_decides_it(model: TriageModel) -> None:
    assert model.classify("my green bin was not collected on tuesday").desk == "contact"
    vpn = model.classify("vpn keeps dropping when I work from home")
    assert (vpn.desk, vpn.intent, vpn.queue) == ("ict", "vpn_remote_access", "ict-network")


def test_out_of_scope_goes_to_the_desks_general_queue_with_suggestions(model: TriageModel) -> None:
    triage = model.classify("what time does the canteen open on fridays", "ict")
    assert triage.out_of_scope and triage.intent is None
    assert triage.queue == "ict-service-desk" and triage.priority == "P3"
    assert triage.confidence < model.desks["ict"].confidence_threshold
    assert 1 <= len(triage.suggestions) <= 3


def test_confident_answers_are_at_or_above_the_desk_threshold(model: TriageModel) -> None:
    for text in ("printer jammed on floor 2", "pothole outside number 12", "forgot my password"):
        triage = model.classify(text)
        assert not triage.out_of_scope
        assert triage.confidence >= model.desks[triage.desk].confidence_threshold
        assert triage.intent not in {c.intent for c in triage.alternatives}
        assert len(triage.alternatives) <= 3


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n\t",
        "🙂🙂🙂",
        ":tada: :sob:",
        "привет, у меня не работает",
        "这是什么",
        "<@U123> <#C42|general>",
    ],
)
def test_messages_with_nothing_to_go_on_are_out_of_scope(model: TriageModel, text: str) -> None:
    triage = model.classify(text, "ict")
    assert triage.out_of_scope and triage.intent is None and triage.confidence == 0.0


def test_markup_and_huge_pastes_are_read_for_their_words(model: TriageModel) -> None:
    marked = model.classify("<@U0AGENT01> my <b>printer</b> is *jammed* again :angry: <https://x.org/p|see>")
    assert marked.intent == "printer_problem"
    huge = model.classify("the vpn keeps dropping out. " + "log line 0x1F ERROR retry\n" * 4000)
    assert huge.intent == "vpn_remote_access"


def test_a_correction_wins_over_the_model_for_that_text_and_near_repeats(model: TriageModel) -> None:
    text = "the Trent login spins forever after I put my code in"
    before = model.classify(text, "ict")
    assert before.intent != "line_of_business_system"
    taught = model.with_memory([Labelled(text, "line_of_business_system", "correction")])
    after = taught.classify(text, "ict")
    assert after.intent == "line_of_business_system" and after.queue == "ict-applications"
    assert after.confidence >= 0.9 and after.candidates[0].intent == "line_of_business_system"
    assert taught.classify("The trent login spins forever after i put my code in!!", "ict").intent == (
        "line_of_business_system"
    )
    assert taught.classify("printer jammed on floor 2", "ict").intent == "printer_problem"
    assert taught.classify(text, "contact").intent != "line_of_business_system", "not across desks"


def test_imports_are_learned_but_only_corrections_and_picks_are_remembered_verbatim() -> None:
    taught = corrections_memory(
        [
            Labelled("printer jammed on floor two", "a", "import"),
            Labelled("vpn drops every hour on the hour", "b", "correction"),
            Labelled("the scanner eats every page", "c", "pick"),
        ]
    )
    assert len(taught) == 2 and taught.recall("printer jammed on floor two") is None
    memory = CorrectionMemory([("printer jammed on floor two", "a"), ("printer jammed on floor two", "b")])
    assert memory.recall("Printer jammed on floor two.") == ("b", 1.0), "the latest correction counts"
    assert memory.recall("printer jammed on floor 3") is not None
    assert memory.recall("printer jammed on floor 3", allowed={"a"}) is None
    assert memory.recall("pc slow") is None
    assert CorrectionMemory([("pc slow", "a")]).recall("pc show") is None, "short texts match exactly only"


def test_out_of_scope_examples_teach_what_is_not_the_desks_business(settings: Settings) -> None:
    catalogue = load_catalogue(None, settings.desks)
    canteen = [
        "what's on the canteen menu today",
        "is the canteen open on friday",
        "canteen closing time please",
        "does the canteen take card payments",
        "canteen has run out of sandwiches",
        "who runs the canteen",
    ]
    learned = [Labelled(text, OUT_OF_SCOPE, "import") for text in canteen]
    taught = TriageModel.train(catalogue, settings.desks, learned)
    triage = taught.classify("is the canteen open late on thursday", "ict")
    assert triage.out_of_scope and triage.intent is None
    assert OUT_OF_SCOPE not in {c.intent for c in triage.candidates}
