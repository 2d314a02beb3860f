"""Ablation of the model's design choices, measured on this machine.

For each variant: 5-fold cross-validation on corpus/proposals, and top-1/top-3 on corpus/dev.jsonl (the
model-selection set) and corpus/heldout.jsonl (reported, not used for choosing). Run:

    python benchmarks/ablation.py [--quick]

Writes a Markdown table to stdout and benchmarks/out/ablation.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.multiclass import OneVsRestClassifier
from sklearn.pipeline import make_pipeline

from ndmatch.cache import TokenCache
from ndmatch.corpus import load_corpus, load_labelled
from ndmatch.evaluation import compute_metrics
from ndmatch.model import label_matrix
from ndmatch.settings import ModelSettings
from ndmatch.tokenize import KoreanTokenizer
from ndmatch.training import cross_validate, evaluate_items, fit_pipeline, prepare

ROOT = Path(__file__).resolve().parents[1]


def run_variant(name, settings, corpus, dev, cache):
    tokenizer = KoreanTokenizer(tagger=settings.tagger).fit()
    t0 = time.perf_counter()
    data = prepare(corpus, tokenizer, settings, cache)
    tok_seconds = time.perf_counter() - t0
    cv = cross_validate(settings, data, corpus.program_ids)
    pipeline = fit_pipeline(settings, tokenizer, data, corpus.program_ids)
    dev_m = evaluate_items(pipeline, dev, corpus.program_ids, cache)
    held_m = evaluate_items(pipeline, corpus.heldout, corpus.program_ids, cache)
    return {"variant": name, "cv_top1": cv["top1"], "cv_top3": cv["top3"], "dev_top1": dev_m["top1"],
            "dev_top3": dev_m["top3"], "heldout_top1": held_m["top1"], "heldout_top3": held_m["top3"],
            "tokenize_s": round(tok_seconds, 1)}


def char_baseline(corpus, dev, settings):
    """scikit-learn character n-gram TF-IDF without KoNLPy (the baseline of the benchmarks)."""
    texts = [p.text for p in corpus.proposals]
    labels = [p.programs for p in corpus.proposals]
    for program in corpus.programs:
        for text in program.training_texts():
            texts.append(text)
            labels.append((program.id,))
    model = make_pipeline(TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True, min_df=2),
                          OneVsRestClassifier(LogisticRegression(C=settings.C, class_weight="balanced",
                                                                 solver="liblinear")))
    model.fit(texts, label_matrix(labels, corpus.program_ids))
    out = {}
    for split, items in (("dev", dev), ("heldout", corpus.heldout)):
        scores = np.asarray(model.predict_proba([i.text for i in items]))
        m = compute_metrics(scores, corpus.program_ids, [i.programs for i in items])
        out[f"{split}_top1"], out[f"{split}_top3"] = m["top1"], m["top3"]
    return {"variant": "char n-gram baseline (no KoNLPy)", "cv_top1": None, "cv_top3": None, **out,
            "tokenize_s": None}


def keyword_baseline(corpus, dev):
    """One line of keywords per program, matched by token overlap (the issue's 'bare keyword list')."""
    tokenizer = KoreanTokenizer().fit()
    keyword_sets = [set(" ".join(tokenizer.transform([" ".join(p.keywords)])).split()) for p in corpus.programs]
    out = {}
    for split, items in (("dev", dev), ("heldout", corpus.heldout)):
        docs = tokenizer.transform([i.text for i in items])
        scores = np.array([[len(set(d.split()) & ks) / (len(ks) ** 0.5) for ks in keyword_sets] for d in docs])
        m = compute_metrics(scores, corpus.program_ids, [i.programs for i in items])
        out[f"{split}_top1"], out[f"{split}_top3"] = m["top1"], m["top3"]
    return {"variant": "keyword list baseline", "cv_top1": None, "cv_top3": None, **out, "tokenize_s": None}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="only the main variants")
    args = parser.parse_args()
    corpus = load_corpus(ROOT / "corpus")
    dev = load_labelled(ROOT / "corpus" / "dev.jsonl")
    cache = TokenCache()
    base = ModelSettings()
    variants = [
        ("default: komoran, words 1-2 + chars, C=10, program text x3, prototype blend 0.5", base),
        ("no prototype blend (classifier only)", replace(base, prototype_weight=0.0)),
        ("words 1-2 only (no char n-grams)", replace(base, char_ngrams=False)),
        ("words 1 only + chars", replace(base, word_ngram_max=1)),
        ("C=3", replace(base, C=3.0)),
        ("C=30", replace(base, C=30.0)),
        ("program text x1", replace(base, program_text_weight=1)),
        ("program text x6", replace(base, program_text_weight=6)),
        ("okt tagger", replace(base, tagger="okt")),
    ]
    if args.quick:
        variants = variants[:2]
    rows = [run_variant(name, s, corpus, dev, cache) for name, s in variants]
    rows.append(char_baseline(corpus, dev, base))
    rows.append(keyword_baseline(corpus, dev))
    out = ROOT / "benchmarks" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / "ablation.json").write_text(json.dumps(rows, ensure_ascii=False, indent=2), encoding="utf-8")
    cols = ["variant", "cv_top1", "cv_top3", "dev_top1", "dev_top3", "heldout_top1", "heldout_top3", "tokenize_s"]
    print("| " + " | ".join(cols) + " |")
    print("|" + "---|" * len(cols))
    for r in rows:
        print("| " + " | ".join("" if r[c] is None else str(r[c]) for c in cols) + " |")
    print(f"\ncorpus: {len(corpus.proposals)} proposals, dev {len(dev)}, held-out {len(corpus.heldout)}",
          file=sys.stderr)


if __name__ == "__main__":
    main()
