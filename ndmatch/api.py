"""Library entry points, one per CLI command: train, score, rank, evaluate, programs."""

from __future__ import annotations

import platform
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

from ndmatch import __version__
from ndmatch.errors import InputError, UsageError
from ndmatch.matcher import Match, Matcher, check_text
from ndmatch.settings import DEFAULT_TOP, ModelSettings

Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    pass


def build_manifest(result, corpus_dir: Path) -> dict:
    """Metadata stored beside a trained model."""
    import konlpy
    import sklearn

    from ndmatch.corpus import corpus_fingerprint

    tokenizer = result.pipeline.named_steps["tokens"]
    return {
        "ndmatch_version": __version__,
        "versions": {"ndmatch": __version__, "scikit-learn": sklearn.__version__, "konlpy": konlpy.__version__,
                     "python": platform.python_version()},
        "tokenizer": {"tagger": tokenizer.tagger, "version": tokenizer.version_, "keep_pos": list(tokenizer.keep_pos_),
                      "stopwords": tokenizer.stopwords, "terms": tokenizer.terms,
                      "fingerprint": tokenizer.settings_fingerprint()},
        "settings": result.settings.to_dict(),
        "corpus": {"path": str(corpus_dir), "fingerprint": corpus_fingerprint(corpus_dir),
                   "programs": len(result.corpus.programs), "proposals": len(result.corpus.proposals),
                   "heldout": len(result.corpus.heldout)},
        "program_ids": result.corpus.program_ids,
        "catalog": [p.to_dict() for p in result.corpus.programs],
        "trained_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "training_seconds": round(result.seconds, 2),
        "metrics": {"cross_validation": result.cv_metrics, "heldout": result.heldout_metrics},
    }


def train(corpus_dir: Path | None = None, model_root: Path | None = None, settings: ModelSettings | None = None,
          use_cache: bool = True, progress: Progress = _quiet):
    """Train a model on ``corpus_dir`` and save it as the current version under ``model_root``.

    Returns ``(model_folder, manifest)``.
    """
    from ndmatch.cache import TokenCache
    from ndmatch.corpus import default_corpus_dir
    from ndmatch.persistence import default_model_root, save_model
    from ndmatch.training import train_model

    corpus_dir = Path(corpus_dir) if corpus_dir is not None else default_corpus_dir()
    model_root = Path(model_root) if model_root is not None else default_model_root()
    cache = TokenCache() if use_cache else None
    try:
        result = train_model(corpus_dir, settings, cache=cache, progress=progress)
    finally:
        if cache is not None:
            cache.close()
    manifest = build_manifest(result, corpus_dir)
    progress(f"saving the model under {model_root} ...")
    folder = save_model(result.pipeline, manifest, model_root)
    from ndmatch.persistence import read_manifest

    return folder, read_manifest(folder)


def load_matcher(model: Path | None = None, progress: Progress = _quiet) -> Matcher:
    """Load the model at ``model``; with ``None``, the default model, built from the bundled corpus if missing."""
    from ndmatch.persistence import default_model_root, model_exists

    if model is None:
        root = default_model_root()
        if not model_exists(root):
            progress(f"no trained model yet: building the default one from the bundled corpus into {root} "
                     "(once, about a minute) ...")
            train(model_root=root, progress=progress)
        model = root
    return Matcher.load(Path(model))


@dataclass
class ScoredText:
    """The ranking of one input."""

    input: str
    matches: list[Match]

    def to_dict(self) -> dict:
        return {"input": self.input, "matches": [m.to_dict() for m in self.matches]}


def score(matcher: Matcher, inputs: Iterable[tuple[str, str]], top: int = DEFAULT_TOP) -> list[ScoredText]:
    """Rank programs for each ``(name, text)`` input; ``top`` matches each, best first."""
    if top < 1:
        raise UsageError(f"--top must be at least 1, got {top}")
    named = [(name, check_text(text, name)) for name, text in inputs]
    rows = matcher.scores([text for _, text in named])
    return [ScoredText(input=name, matches=matcher.matches(row, top)) for (name, _), row in zip(named, rows)]


def evaluate(matcher: Matcher, data_path: Path) -> dict:
    """Metrics of ``matcher`` on a labelled table (columns ``text`` and ``programs``)."""
    from ndmatch.corpus import load_labelled
    from ndmatch.training import evaluate_items

    items = load_labelled(Path(data_path), known_ids=set(matcher.program_ids))
    if not items:
        raise InputError(f"{data_path}: no labelled rows")
    return evaluate_items(matcher.pipeline, items, matcher.program_ids)


@dataclass
class RankedRow:
    """One proposal of a batch with its top programs."""

    id: str
    matches: list[Match]
    row: dict
    program_score: float | None = None


def rank(matcher: Matcher, input_path: Path, top: int = 3, program: str | None = None,
         text_column: str = "text", id_column: str = "id",
         progress: Progress = _quiet) -> tuple[list[RankedRow], list[str]]:
    """Rank programs for every proposal of a CSV/JSONL/XLSX table.

    Returns the ranked rows (sorted by fit to ``program`` when given) and one message per skipped row.
    """
    from ndmatch.tables import read_table, require_column

    if top < 1:
        raise UsageError(f"--top must be at least 1, got {top}")
    target = matcher.program(program).id if program else None
    rows = read_table(Path(input_path))
    require_column(rows, text_column, input_path, "--text-column")
    kept, texts, skipped = [], [], []
    for number, row in enumerate(rows, 1):
        text = row.get(text_column)
        try:
            texts.append(check_text(text if isinstance(text, str) else str(text or ""), f"row {number}"))
        except InputError as exc:
            skipped.append(f"{input_path}: {exc}; skipped")
            continue
        kept.append((number, row))
    progress(f"scoring {len(texts)} proposals ...")
    scores = matcher.scores(texts) if texts else []
    ranked = []
    target_index = matcher.program_ids.index(target) if target else None
    for (number, row), row_scores in zip(kept, scores):
        ranked.append(RankedRow(id=str(row.get(id_column) or number), matches=matcher.matches(row_scores, top),
                                row=row,
                                program_score=float(row_scores[target_index]) if target_index is not None else None))
    if target_index is not None:
        ranked.sort(key=lambda r: -r.program_score)
    return ranked, skipped
