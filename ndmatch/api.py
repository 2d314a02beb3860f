"""Library entry points, one per CLI command: train, score, rank, evaluate, programs."""

from __future__ import annotations

import platform
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from ndmatch import __version__
from ndmatch.errors import InputError, ModelError, NdmatchError, UsageError
from ndmatch.matcher import Match, Matcher, check_text
from ndmatch.settings import DEFAULT_TOP, ModelSettings

Progress = Callable[[str], None]

#: Used when a corpus is too small to cross-validate (no out-of-fold scores to calibrate on).
DEFAULT_GRADES = {"thresholds": {"강력 추천": 0.5, "검토 권장": 0.2}, "target_precision": None, "fallback": "참고"}
#: Drafts shorter than this get a note asking for the title, aims and main activities.
SHORT_DRAFT_CHARS = 60
#: Below this share of Hangul the ranking is flagged as unreliable.
MIN_HANGUL_RATIO = 0.3


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
        "metrics": {"cross_validation": {k: v for k, v in result.cv_metrics.items() if k != "grades"},
                    "heldout": result.heldout_metrics},
        "grades": result.cv_metrics.get("grades", DEFAULT_GRADES),
        # Rows of similar.npz: enough to show a similar project without re-reading the corpus.
        "similar_projects": [{"id": p.id, "program": p.primary, "title": _title(p.text)}
                             for p in result.corpus.proposals],
    }


#: Lines of a document's header block that say who filed it, not what it is about.
_METADATA_LINE = re.compile(r"(담당|연락처|문서번호|수신|발신|시행일?|작성자?|작성일|결재|보존기간|공개\s*여부|부서)"
                            r"\s*[:：(]")


def _title(text: str, limit: int = 60) -> str:
    """A short label for a corpus proposal: its 사업명/과제명 line if it has one, else its first real sentence."""
    import re

    lines = [re.sub(r"\s+", " ", line).strip(" □○◦▪■-·*#\t") for line in text.splitlines()]
    lines = [line for line in lines if line]
    named = next((m.group(2) for line in lines
                  if (m := re.search(r"(사업명|과제명|건명|제목)\s*[:：]\s*(.+)", line))), None)
    # Skip generic headings such as "1. 사업 개요" or "[공모 신청서]" and document metadata ("담당: ...").
    first = named or next((line for line in lines if len(line) >= 15 and not line.startswith(("[", "<", "【"))
                           and not _METADATA_LINE.match(line)), lines[0] if lines else "")
    first = re.sub(r"^(\d+[.)]|[가-하][.)])\s*", "", first).strip()
    return first if len(first) <= limit else first[:limit - 1] + "…"


def train(corpus_dir: Path | None = None, model_root: Path | None = None, settings: ModelSettings | None = None,
          use_cache: bool = True, progress: Progress = _quiet, cross_validate: bool = True):
    """Train a model on ``corpus_dir`` and save it as the current version under ``model_root``.

    Without ``cross_validate`` (a quick retrain) the grade thresholds are taken over from the store's current
    model, or the defaults when there is none. Returns ``(model_folder, manifest)``.
    """
    from ndmatch.cache import TokenCache
    from ndmatch.corpus import default_corpus_dir
    from ndmatch.persistence import default_model_root, save_model
    from ndmatch.training import train_model

    corpus_dir = Path(corpus_dir) if corpus_dir is not None else default_corpus_dir()
    model_root = Path(model_root) if model_root is not None else default_model_root()
    cache = TokenCache() if use_cache else None
    try:
        result = train_model(corpus_dir, settings, cache=cache, progress=progress, with_cv=cross_validate)
    finally:
        if cache is not None:
            cache.close()
    manifest = build_manifest(result, corpus_dir)
    if not cross_validate:
        manifest["grades"] = _previous_grades(model_root)
    progress(f"saving the model under {model_root} ...")
    folder = save_model(result.pipeline, manifest, model_root, similar_matrix=result.similar_matrix)
    from ndmatch.persistence import read_manifest

    return folder, read_manifest(folder)


def _previous_grades(model_root: Path) -> dict:
    """Grade thresholds of the store's current model (calibrated by its cross-validation), else defaults."""
    from ndmatch.errors import ModelError
    from ndmatch.persistence import read_manifest, resolve_model_dir

    try:
        return read_manifest(resolve_model_dir(model_root)).get("grades") or DEFAULT_GRADES
    except ModelError:
        return DEFAULT_GRADES


def default_model(progress: Progress = _quiet) -> Path:
    """The default model store, built from the bundled corpus first if it holds no model yet."""
    from ndmatch.persistence import default_model_root, model_exists

    root = default_model_root()
    if not model_exists(root):
        progress(f"no trained model yet: building the default one from the bundled corpus into {root} "
                 "(once, about a minute) ...")
        train(model_root=root, progress=progress)
    return root


def _built_from_bundled_corpus(root: Path) -> bool:
    """Whether the store's current manifest (in any format) says it was trained on the bundled corpus."""
    import json

    from ndmatch.corpus import default_corpus_dir
    from ndmatch.persistence import MANIFEST_FILE, resolve_model_dir

    try:
        raw = json.loads((resolve_model_dir(root) / MANIFEST_FILE).read_text(encoding="utf-8"))
        return (raw.get("corpus") or {}).get("path") == str(default_corpus_dir())
    except (NdmatchError, OSError, ValueError, AttributeError):
        return False


def load_matcher(model: Path | None = None, progress: Progress = _quiet) -> Matcher:
    """Load the model at ``model``; with ``None``, the default model, built from the bundled corpus if missing.

    A default model that ndmatch built from its bundled corpus but can no longer load (another model format,
    tokenizer or scikit-learn version, after an upgrade) is rebuilt once; a model trained on another corpus is
    never replaced: its load error is raised.
    """
    if model is not None:
        return Matcher.load(Path(model))
    root = default_model(progress)
    try:
        return Matcher.load(root)
    except ModelError:
        if not _built_from_bundled_corpus(root):
            raise
    progress(f"the default model in {root} was built by an earlier ndmatch that this one cannot load: "
             "rebuilding it from the bundled corpus (once, about a minute) ...")
    train(model_root=root, progress=progress)
    return Matcher.load(root)


@dataclass
class ScoredText:
    """The ranking of one input, with how far to trust it."""

    input: str
    matches: list[Match]
    confidence: str = "high"
    warnings: list[str] = field(default_factory=list)
    text: str = ""
    applicant: str | None = None
    excluded: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        data = {"input": self.input, "confidence": self.confidence, "warnings": self.warnings,
                "matches": [m.to_dict() for m in self.matches]}
        if self.applicant is not None:
            data["applicant"] = {"type": self.applicant, "excluded": self.excluded}
        return data


def assess(text: str, best_score: float, grades: dict) -> list[str]:
    """Plain-language reasons not to trust a ranking (empty when it looks sound)."""
    from ndmatch.tokenize import hangul_ratio

    warnings = []
    if len(text) < SHORT_DRAFT_CHARS:
        warnings.append(f"초안이 짧습니다({len(text)}자): 사업명, 사업 목적, 주요 내용(무엇을 어디에 누구를 위해 "
                        "구축하는지)을 더 적으면 추천이 정확해집니다.")
    if hangul_ratio(text) < MIN_HANGUL_RATIO:
        warnings.append("한국어가 거의 없는 글입니다: 모형은 한국어 제안서로 학습되어 순위를 믿기 어렵습니다.")
    review = grades["thresholds"].get("검토 권장", 0.2)
    if best_score < review:
        warnings.append(f"뚜렷하게 맞는 사업이 없습니다(최고 적합도 {best_score * 100:.0f}%, 검토 권장 기준 "
                        f"{review * 100:.0f}%): 아래 순위는 참고만 하십시오.")
    return warnings


def score(matcher: Matcher, inputs: Iterable[tuple[str, str]], top: int = DEFAULT_TOP,
          explain: bool = True, applicant: str | None = None) -> list[ScoredText]:
    """Rank programs for each ``(name, text)`` input; ``top`` matches each, best first.

    Each match carries a grade; with ``explain`` also its evidence terms, the program terms the draft lacks
    and similar corpus projects. With ``applicant`` (지자체, 대학 …) programs not open to it are left out.
    """
    if top < 1:
        raise UsageError(f"--top must be at least 1, got {top}")
    from ndmatch.evaluation import grade_for
    from ndmatch.explain import Explainer

    grades = matcher.manifest.get("grades") or DEFAULT_GRADES
    allowed = matcher.eligible(applicant)
    excluded = sorted(set(matcher.program_ids) - allowed)
    named = [(name, check_text(text, "standard input" if name == "-" else name)) for name, text in inputs]
    rows, token_docs = matcher.score_texts([text for _, text in named])
    explainer = Explainer(matcher.pipeline, matcher.program_ids) if explain else None
    results = []
    for (name, text), doc, row in zip(named, token_docs, rows):
        matches = matcher.matches(row, top, allowed)
        similar = matcher.similar(doc, [m.program for m in matches]) if explainer is not None else None
        for match in matches:
            match.grade = grade_for(match.score, grades)
            if explainer is not None:
                index = matcher.program_ids.index(match.program)
                match.evidence = explainer.evidence(doc, text, index)
                match.missing = explainer.missing(doc, index)
                match.similar = similar.get(match.program) if similar is not None else None
        warnings = assess(text, float(row.max()) if len(row) else 0.0, grades)
        results.append(ScoredText(input=name, matches=matches, confidence="low" if warnings else "high",
                                  warnings=warnings, text=text, applicant=applicant, excluded=excluded))
    return results


def evaluate(matcher: Matcher, data_path: Path) -> dict:
    """Metrics of ``matcher`` on a labelled table (columns ``text`` and ``programs``)."""
    from ndmatch.corpus import load_labelled
    from ndmatch.training import evaluate_items

    items = load_labelled(Path(data_path), known_ids=set(matcher.program_ids))
    if not items:
        raise InputError(f"{data_path}: no labelled rows")
    return evaluate_items(matcher.pipeline, items, matcher.program_ids, settings=matcher.settings)


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
