"""Training: tokenize the corpus (through the cache), cross-validate, fit, and save a versioned model."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
from sklearn.model_selection import StratifiedKFold

from ndmatch.cache import TokenCache, tokenize_texts
from ndmatch.corpus import Corpus, LabelledText, load_corpus
from ndmatch.errors import CorpusFormatError
from ndmatch.evaluation import calibrate_grades, compute_metrics
from ndmatch.model import build_pipeline, fit_head, head_scores
from ndmatch.settings import ModelSettings
from ndmatch.tokenize import KoreanTokenizer

Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    pass


@dataclass
class TrainingData:
    """Tokenized proposals and program texts with their labels."""

    proposal_docs: list[str]
    proposal_labels: list[tuple[str, ...]]
    program_docs: list[str]
    program_labels: list[tuple[str, ...]]


def program_training_texts(corpus: Corpus, weight: int) -> tuple[list[str], list[tuple[str, ...]]]:
    """Each program's description, keywords and examples, repeated ``weight`` times, with its label."""
    texts, labels = [], []
    for program in corpus.programs:
        for text in program.training_texts():
            texts.extend([text] * max(weight, 1))
            labels.extend([(program.id,)] * max(weight, 1))
    return texts, labels


def prepare(corpus: Corpus, tokenizer: KoreanTokenizer, settings: ModelSettings,
            cache: TokenCache | None = None) -> TrainingData:
    """Tokenize everything the model learns from (each distinct text once, through the cache)."""
    program_texts, program_labels = program_training_texts(corpus, settings.program_text_weight)
    texts = [p.text for p in corpus.proposals] + program_texts
    distinct = list(dict.fromkeys(texts))
    tokens = dict(zip(distinct, tokenize_texts(tokenizer, distinct, cache)))
    return TrainingData(proposal_docs=[tokens[p.text] for p in corpus.proposals],
                        proposal_labels=[p.programs for p in corpus.proposals],
                        program_docs=[tokens[t] for t in program_texts], program_labels=program_labels)


def cross_validate(settings: ModelSettings, data: TrainingData, program_ids: list[str]) -> dict:
    """Stratified k-fold metrics over the proposals; program texts are always in the training part."""
    primaries = [lab[0] for lab in data.proposal_labels]
    counts = {p: primaries.count(p) for p in set(primaries)}
    folds = min(settings.cv_folds, min(counts.values()) if counts else 0)
    if folds < 2:
        return {}
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=settings.seed)
    scores = np.zeros((len(primaries), len(program_ids)))
    docs = np.array(data.proposal_docs, dtype=object)

    # Folds run one after another: liblinear holds the GIL (threads measured no faster), and worker
    # processes made the CLI fragile (loky's reusable executor broke under Click's test runner).
    for train_idx, test_idx in splitter.split(docs, primaries):
        train_docs = list(docs[train_idx]) + data.program_docs
        train_labels = [data.proposal_labels[i] for i in train_idx] + data.program_labels
        head = fit_head(settings, train_docs, train_labels, program_ids)
        scores[test_idx] = head_scores(head, list(docs[test_idx]))
    metrics = compute_metrics(scores, program_ids, data.proposal_labels)
    metrics["folds"] = folds
    metrics["grades"] = calibrate_grades(scores, program_ids, data.proposal_labels)
    return metrics


def fit_pipeline(settings: ModelSettings, tokenizer: KoreanTokenizer, data: TrainingData, program_ids: list[str]):
    """Fit the final pipeline on all proposals and program texts."""
    head = fit_head(settings, data.proposal_docs + data.program_docs,
                    data.proposal_labels + data.program_labels, program_ids)
    return build_pipeline(settings, tokenizer=tokenizer, head=head)


def evaluate_items(pipeline, items: list[LabelledText], program_ids: list[str],
                   cache: TokenCache | None = None, settings: ModelSettings | None = None) -> dict:
    """Metrics of a fitted pipeline on labelled items, scored as the matcher scores (paragraph-aware)."""
    from ndmatch.segments import segment_scores

    if not items:
        return compute_metrics(np.zeros((0, len(program_ids))), program_ids, [])
    settings = settings or ModelSettings()
    tokenizer = pipeline.named_steps["tokens"]
    scores, _ = segment_scores([i.text for i in items], lambda texts: tokenize_texts(tokenizer, texts, cache),
                               lambda docs: pipeline[1:].predict_proba(docs), settings.segment_blend,
                               settings.segment_power)
    known = set(program_ids)
    labels = [tuple(p for p in i.programs if p in known) or i.programs for i in items]
    unknown = sorted({i.primary for i in items} - known)
    if unknown:
        raise CorpusFormatError(f"labels use program id(s) {', '.join(unknown)} that the model does not know")
    return compute_metrics(scores, program_ids, labels)


@dataclass
class TrainResult:
    """A trained pipeline with what was measured while training it."""

    pipeline: object
    corpus: Corpus
    settings: ModelSettings
    cv_metrics: dict
    heldout_metrics: dict
    seconds: float
    tokenize_seconds: float
    similar_matrix: object = None


def similar_index(pipeline, data: TrainingData):
    """Row-normalised features of the corpus proposals, for the similar-project search (float32, sparse)."""
    from sklearn.preprocessing import normalize

    features = pipeline.named_steps["features"].transform(data.proposal_docs)
    return normalize(features).astype("float32").tocsr()


def train_model(corpus_dir: Path | None = None, settings: ModelSettings | None = None,
                cache: TokenCache | None = None, progress: Progress = _quiet,
                with_cv: bool = True) -> TrainResult:
    """Train on a corpus folder: tokenize, cross-validate, fit on everything, score the held-out set."""
    start = time.perf_counter()
    settings = settings or ModelSettings()
    corpus = load_corpus(corpus_dir)
    if not corpus.proposals:
        progress("note: the corpus has no proposals; training on program descriptions and examples only")
    progress(f"corpus: {len(corpus.programs)} programs, {len(corpus.proposals)} proposals, "
             f"{len(corpus.heldout)} held-out")
    tokenizer = KoreanTokenizer(tagger=settings.tagger).fit()
    progress(f"tokenizing with KoNLPy {settings.tagger} ...")
    t0 = time.perf_counter()
    data = prepare(corpus, tokenizer, settings, cache)
    tokenize_seconds = time.perf_counter() - t0
    cv_metrics = {}
    if with_cv and corpus.proposals:
        progress(f"cross-validating ({settings.cv_folds} folds) ...")
        cv_metrics = cross_validate(settings, data, corpus.program_ids)
    progress("fitting the final model ...")
    pipeline = fit_pipeline(settings, tokenizer, data, corpus.program_ids)
    heldout_metrics = {}
    if corpus.heldout:
        heldout_metrics = evaluate_items(pipeline, corpus.heldout, corpus.program_ids, cache, settings)
    return TrainResult(pipeline=pipeline, corpus=corpus, settings=settings, cv_metrics=cv_metrics,
                       heldout_metrics=heldout_metrics, seconds=time.perf_counter() - start,
                       tokenize_seconds=tokenize_seconds,
                       similar_matrix=similar_index(pipeline, data) if corpus.proposals else None)
