"""Robustness probes: accuracy when the programs' own keywords are deleted, and on English-heavy drafts.

    python benchmarks/robustness.py [--model STORE]

* keyword deletion: every held-out and stress text with its primary program's catalog keywords removed
  (``own``) or with every program's keywords removed (``all``): how much the model leans on catch-phrases;
* ``benchmarks/data/english_probe*.jsonl``: short drafts written in English or mostly English.

Uses the default model unless ``--model`` names a store. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from ndmatch import api
from ndmatch.corpus import default_corpus_dir, load_labelled
from ndmatch.evaluation import compute_metrics
from ndmatch.programs import load_programs

ROOT = Path(__file__).resolve().parents[1]


def _pattern(terms) -> re.Pattern:
    return re.compile("|".join(re.escape(t) for t in sorted(set(terms), key=len, reverse=True)))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", type=Path, default=None)
    args = parser.parse_args()
    matcher = api.load_matcher(args.model)
    corpus = default_corpus_dir()
    keywords = {p.id: p.keywords for p in load_programs(corpus)}
    own = {pid: _pattern(words) for pid, words in keywords.items()}
    every = _pattern([w for words in keywords.values() for w in words])

    def measure(items, texts) -> dict:
        scores = matcher.scores(texts)
        return compute_metrics(scores, matcher.program_ids, [i.programs for i in items])

    print("| set | variant | n | top-1 | top-3 |\n|---|---|---|---|---|")
    for split in ("heldout", "stress"):
        items = load_labelled(corpus / f"{split}.jsonl")
        variants = {"as written": [i.text for i in items],
                    "own program's keywords deleted": [own[i.primary].sub(" ", i.text) for i in items],
                    "all programs' keywords deleted": [every.sub(" ", i.text) for i in items]}
        for name, texts in variants.items():
            m = measure(items, texts)
            print(f"| {split} | {name} | {m['n']} | {m['top1']:.3f} | {m['top3']:.3f} |")
    for path in sorted((ROOT / "benchmarks" / "data").glob("english_probe*.jsonl")):
        items = load_labelled(path)
        m = measure(items, [i.text for i in items])
        print(f"| {path.name} | as written | {m['n']} | {m['top1']:.3f} | {m['top3']:.3f} |")


if __name__ == "__main__":
    main()
