"""`servicebot triage` and `servicebot intents …`: triage, the catalogue and its training data from the
command line. `triage` answers with the same learned engine the bot runs (catalogue plus what the desk has
taught it); `intents eval` trains a fresh classifier on a file and nothing else.
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import sys
import time
from collections.abc import Iterator
from datetime import tzinfo
from pathlib import Path
from typing import Any, TextIO

from intents import load_catalogue
from intents.catalogue import CatalogueError, lint
from servicebot.cli.options import desk_option
from servicebot.config import ConfigError, Settings
from servicebot.domain.errors import NotFound
from servicebot.domain.tickets import format_ref
from servicebot.domain.triage import Triage
from servicebot.storage.training import StoredExample
from servicebot.triage.engine import DEFAULT_THRESHOLD, TriageEngine
from servicebot.triage.evaluation import Report, evaluate
from servicebot.triage.labelled import read_labelled_csv, thin_labels
from servicebot.triage.learning import TrainingData
from servicebot.triage.model_store import train
from servicebot.triage.text import has_words


def triage_json(text: str, triage: Triage) -> dict[str, Any]:
    return {
        "text": text,
        "intent": triage.intent,
        "queue": triage.queue,
        "priority": triage.priority,
        "confidence": round(triage.confidence, 4),
        "out_of_scope": triage.out_of_scope,
        "alternatives": [{"intent": c.intent, "score": round(c.score, 4)} for c in triage.alternatives],
    }


def triage_one(engine: TriageEngine, text: str, desk: str | None, fmt: str, out: TextIO) -> int:
    if not has_words(text):
        print(
            "servicebot: triage needs some words to classify, e.g. 'printer jammed on floor 2'",
            file=sys.stderr,
        )
        return 2
    triage = engine.classify(text, desk)
    if fmt == "json":
        print(json.dumps(triage_json(text, triage), ensure_ascii=False), file=out)
        return 0
    if triage.out_of_scope:
        print(f"out of scope (confidence {triage.confidence:.2f}) → {triage.queue}", file=out)
    else:
        print(
            f"{triage.intent} → {triage.queue} · {triage.priority} · confidence {triage.confidence:.2f}",
            file=out,
        )
    for candidate in triage.alternatives:
        print(f"  also: {candidate.intent} ({candidate.score:.2f})", file=out)
    return 0


def _lines(source: Path | None) -> Iterator[tuple[int, str | None, str | None]]:
    """(line number, text or None, error or None); a line that is not UTF-8 is reported, not fatal."""
    stream = sys.stdin.buffer if source is None else source.open("rb")
    try:
        for number, raw in enumerate(stream, start=1):
            try:
                yield number, raw.decode("utf-8").rstrip("\r\n"), None
            except UnicodeDecodeError as exc:
                yield number, None, f"line {number} is not valid UTF-8 ({exc.reason} at byte {exc.start})"
    finally:
        if source is not None:
            stream.close()


def triage_batch(engine: TriageEngine, source: Path | None, desk: str | None, out: TextIO) -> int:
    """One JSON object per input line, in order; bad lines get an `error` and the rest still run."""
    problems = 0
    for number, text, error in _lines(source):
        if text is not None and not has_words(text):
            error = f"line {number} has no words to classify"
        if error is not None or text is None:
            problems += 1
            print(json.dumps({"line": number, "text": text, "error": error}, ensure_ascii=False), file=out)
            continue
        record = {"line": number, **triage_json(text, engine.classify(text, desk))}
        print(json.dumps(record, ensure_ascii=False), file=out)
    if problems:
        print(f"servicebot: {problems} line(s) could not be classified; see their 'error'", file=sys.stderr)
    return 0


def check_catalogue(settings: Settings, catalogue_dir: Path | None, out: TextIO) -> int:
    """Exit 0 when clean or only warnings, 1 with errors (a catalogue that does not load is an error)."""
    try:
        catalogue = load_catalogue(catalogue_dir, settings.desks)
    except CatalogueError as exc:
        print(exc, file=out)
        return 1
    findings = lint(catalogue)
    for finding in findings:
        print(finding, file=out)
    errors = sum(f.severity == "error" for f in findings)
    per_desk = ", ".join(f"{len(catalogue.for_desk(d))} {d}" for d in settings.desks)
    examples = sum(len(i.examples) for i in catalogue.intents.values())
    print(
        f"{len(catalogue)} intents ({per_desk}), {examples} examples: "
        f"{errors} error(s), {len(findings) - errors} warning(s)",
        file=out,
    )
    return 1 if errors else 0


def evaluate_files(
    train_file: Path,
    test_file: Path,
    predictions: Path | None,
    fmt: str,
    oos_label: str | None,
    out: TextIO,
    threshold: float = DEFAULT_THRESHOLD,
) -> int:
    """Train a fresh classifier on TRAIN only (no shipped catalogue, no database), predict TEST, report.

    With `oos_label`, a prediction whose confidence is below `threshold` counts as out of scope: the bot
    would ask rather than guess."""
    train_set, test_set = read_labelled_csv(train_file), read_labelled_csv(test_file)
    for problem in train_set.problems + test_set.problems:
        print(f"servicebot: skipped {problem}", file=sys.stderr)
    thin = thin_labels(train_set)
    if thin:
        shown = ", ".join(thin[:10]) + (" …" if len(thin) > 10 else "")
        print(
            f"servicebot: warning: {len(thin)} label(s) have one training example: {shown}", file=sys.stderr
        )
    started = time.perf_counter()
    model = train([e.text for e in train_set.examples], [e.label for e in train_set.examples])
    trained = time.perf_counter() - started
    predicted: list[tuple[str, float]] = []
    latencies: list[float] = []
    for example in test_set.examples:
        began = time.perf_counter()
        best = model.rank(example.text, limit=1)[0]
        latencies.append(time.perf_counter() - began)
        if oos_label is not None and best.probability < threshold:
            predicted.append((oos_label, best.probability))
        else:
            predicted.append((best.label, best.probability))
    truth = [e.label for e in test_set.examples]
    report = evaluate(truth, [label for label, _ in predicted], oos_label=oos_label)
    if predictions is not None:
        with predictions.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["text", "label", "predicted", "confidence"])
            for example, (label, sure) in zip(test_set.examples, predicted, strict=True):
                writer.writerow([example.text, example.label, label, f"{sure:.4f}"])
    sizes = {
        "train": len(train_set.examples),
        "test": len(test_set.examples),
        "train_seconds": round(trained, 3),
        "predict_ms_p50": round(statistics.median(latencies) * 1000, 4),
        "threshold": threshold if oos_label is not None else None,
    }
    if fmt == "json":
        print(json.dumps({**sizes, **_report_json(report)}, indent=2), file=out)
    else:
        _print_report(report, sizes, out)
    return 0


def _report_json(report: Report) -> dict[str, Any]:
    return {
        "accuracy": round(report.accuracy, 4),
        "macro_f1": round(report.macro_f1, 4),
        "oos_recall": None if report.oos_recall is None else round(report.oos_recall, 4),
        "in_scope_accuracy": None if report.in_scope_accuracy is None else round(report.in_scope_accuracy, 4),
        "per_label": [
            {
                "label": s.label,
                "precision": round(s.precision, 4),
                "recall": round(s.recall, 4),
                "f1": round(s.f1, 4),
                "support": s.support,
            }
            for s in report.per_label
        ],
        "confusions": [{"label": t, "predicted": p or None, "count": n} for t, p, n in report.confusions],
    }


def _print_report(report: Report, sizes: dict[str, Any], out: TextIO) -> None:
    print(
        f"trained on {sizes['train']} examples in {sizes['train_seconds']} s; tested on {sizes['test']} "
        f"(median {sizes['predict_ms_p50']} ms a message)",
        file=out,
    )
    print(f"accuracy {report.accuracy:.4f}   macro-F1 {report.macro_f1:.4f}", file=out)
    if report.oos_recall is not None or report.in_scope_accuracy is not None:
        oos = "-" if report.oos_recall is None else f"{report.oos_recall:.4f}"
        ins = "-" if report.in_scope_accuracy is None else f"{report.in_scope_accuracy:.4f}"
        print(
            f"out-of-scope recall {oos}   in-scope accuracy {ins}   "
            f"(confidence threshold {sizes['threshold']})",
            file=out,
        )
    print("\nmost frequent confusions (true → predicted: count)", file=out)
    for true, guess, count in report.confusions[:20]:
        print(f"  {true} → {guess or '(none)'}: {count}", file=out)
    width = max(len(s.label) for s in report.per_label)
    print(f"\n{'label':<{width}}  precision  recall     f1  support", file=out)
    for s in report.per_label:
        print(
            f"{s.label:<{width}}  {s.precision:9.3f}  {s.recall:6.3f}  {s.f1:5.3f}  {s.support:7d}", file=out
        )


def training_command(args: Any, training: TrainingData, tz: tzinfo, out: TextIO) -> int:
    """`intents import`, `intents learned` and `intents revoke`."""
    if args.intents_command == "import":
        report = training.import_csv(args.file, args.by)
        for problem in report.problems:
            print(f"servicebot: skipped {problem}", file=sys.stderr)
        print(
            f"imported {report.added} example(s) as batch {report.batch!r}; "
            f"{report.already_known} already known, {len(report.problems)} skipped. "
            "Triage retrains on them at its next check (a running bot within seconds).",
            file=out,
        )
        return 0
    if args.intents_command == "learned":
        rows = training.taught(include_imports=args.all, limit=args.limit)
        if args.format == "json":
            print(json.dumps([_example_json(r) for r in rows], indent=2, ensure_ascii=False), file=out)
            return 0
        if not rows:
            print("Nothing taught yet: corrections and picks in Slack or the console appear here.", file=out)
        for row in rows:
            when = row.created_at.astimezone(tz).strftime("%d %b %Y %H:%M")
            ticket = f" {format_ref(row.ticket_id)}" if row.ticket_id is not None else ""
            change = f"{row.previous} → {row.label}" if row.previous else row.label
            state = "" if row.active else f"  [revoked by {row.revoked_by}: {row.revoke_reason}]"
            print(
                f"#{row.id:<5} {when}  {row.source:<10} {row.created_by:<12}{ticket}  {change}{state}",
                file=out,
            )
            print(f"        {row.text[:100]!r}", file=out)
        return 0
    ids = list(args.ids)
    in_batch = training.batch_ids(args.batch) if args.batch else []
    if args.batch and not in_batch:
        # Checked before revoking anything, so a typo in the name leaves the ids given beside it alone too.
        raise NotFound(
            f"no import batch {args.batch!r}; 'servicebot intents learned --all --format json' shows "
            "each example's batch, as 'intents import' printed it"
        )
    wanted = list(dict.fromkeys(ids + in_batch))
    done = training.revoke(wanted, args.by, args.reason) if wanted else []
    skipped = sorted(set(ids) - set(done))
    notes = [f"not found or already revoked: {skipped}"] if skipped else []
    if args.batch and not set(in_batch) & set(done):
        notes.append(f"batch {args.batch!r} was already revoked")
    print(f"revoked {len(done)} example(s)" + "".join(f"; {n}" for n in notes), file=out)
    # Nothing revoked means nothing asked for was there to revoke: a failure a script should see.
    return 0 if done else 1


def _example_json(row: StoredExample) -> dict[str, Any]:
    return {
        "id": row.id,
        "text": row.text,
        "label": row.label,
        "previous": row.previous,
        "desk": row.desk,
        "source": row.source,
        "ticket": format_ref(row.ticket_id) if row.ticket_id is not None else None,
        "batch": row.batch,
        "by": row.created_by,
        "at": row.created_at.isoformat(),
        "revoked": None
        if row.active
        else {
            "by": row.revoked_by,
            "at": row.revoked_at.isoformat() if row.revoked_at else None,
            "reason": row.revoke_reason,
        },
    }


def input_file(option: str, path: Path) -> Path:
    """A file the command will read, checked up front so the answer names the option and what is wrong."""
    if path.is_dir():
        raise ConfigError(f"{option}: {str(path)!r} is a folder; name a file in it")
    if not path.exists():
        raise ConfigError(f"{option}: no such file {str(path)!r}")
    return path


def output_file(option: str, path: Path) -> None:
    """A file the command will write, checked before the work so a bad path does not waste it."""
    if path.is_dir():
        raise ConfigError(f"{option}: {str(path)!r} is a folder; name a file to write")
    if not path.absolute().parent.is_dir():
        raise ConfigError(f"{option}: the folder {str(path.absolute().parent)!r} does not exist")


def run(args: argparse.Namespace, settings: Settings) -> int:
    """`servicebot triage …` and `servicebot intents …`."""
    from servicebot.bootstrap import build_services

    if args.command == "intents" and args.intents_command == "eval":
        if args.threshold is not None and args.oos_label is None:
            raise ConfigError("--threshold: only used with --oos-label")
        input_file("--train", args.train)
        input_file("--test", args.test)
        if args.predictions is not None:
            output_file("--predictions", args.predictions)
        threshold = DEFAULT_THRESHOLD if args.threshold is None else args.threshold
        return evaluate_files(
            args.train, args.test, args.predictions, args.format, args.oos_label, sys.stdout, threshold
        )
    if args.command == "intents" and args.intents_command == "check":
        if args.dir is not None and not args.dir.is_dir():
            there = "is a file, not a folder" if args.dir.exists() else "does not exist"
            raise ConfigError(f"--dir: {str(args.dir)!r} {there}; name the folder of intent *.yaml files")
        return check_catalogue(settings, args.dir, sys.stdout)
    if args.command == "intents" and args.intents_command == "import":
        # Checked before the database is opened: a mistyped path must not create one on the way.
        input_file("intents import", args.file)
    if args.command == "intents" and args.intents_command == "revoke" and not (args.ids or args.batch):
        raise ConfigError("revoke: give example ids or --batch NAME")
    if args.command == "triage":
        desk_option(settings, args.desk)
        if (args.text is None) == (args.batch is None):
            raise ConfigError("triage: give either a text or --batch FILE, not both or neither")
        if args.batch is not None and args.format not in (None, "jsonl"):
            raise ConfigError("--format: --batch writes JSON lines (jsonl)")
        if args.batch is None and args.format == "jsonl":
            raise ConfigError("--format: jsonl is for --batch; use json for one text")
        source = None if args.batch in (None, "-") else input_file("--batch", Path(args.batch))
    # Only `intents import` writes; the rest must not turn a mistyped path into a new, empty database.
    writes = args.command == "intents" and args.intents_command == "import"
    services = build_services(settings, background_training=False, must_exist=not writes)
    try:
        if args.command == "intents":
            return training_command(args, services.training, settings.tz, sys.stdout)
        if args.batch is not None:
            return triage_batch(services.triage, source, args.desk, sys.stdout)
        return triage_one(services.triage, args.text, args.desk, args.format or "text", sys.stdout)
    finally:
        services.close()
