"""Robustness probes: accuracy when the programs' own keywords are deleted, and on English-heavy drafts.

    python benchmarks/robustness.py [--model STORE]

* keyword deletion: every held-out and stress text with its primary program's catalog keywords removed
  (``own``) or with every program's keywords removed (``all``): how much the model leans on catch-phrases;
* burial: every held-out and stress text placed between two topic-neutral administrative boilerplate blocks
  (``benchmarks/data/boilerplate.jsonl``, 750-1,000 characters each, chosen with a fixed seed), as in long
  documents where the subject is one paragraph;
* ``benchmarks/data/english_probe*.jsonl``: short drafts written in English or mostly English;
  ``benchmarks/data/ai_probe.jsonl``: AI proposals for Gwangju where only the purpose decides the program.

Uses the default model unless ``--model`` names a store. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import random
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
    blocks = [json.loads(line)["text"] for line in
              (ROOT / "benchmarks" / "data" / "boilerplate.jsonl").read_text(encoding="utf-8").splitlines()]
    rng = random.Random(20200714)

    def bury(text: str) -> str:
        before, after = rng.sample(blocks, 2)
        return f"{before}\n\n{text}\n\n{after}"

    def measure(items, texts) -> dict:
        scores = matcher.scores(texts)
        return compute_metrics(scores, matcher.program_ids, [i.programs for i in items])

    print("| set | variant | n | top-1 | top-3 |\n|---|---|---|---|---|")
    for split in ("heldout", "stress"):
        items = load_labelled(corpus / f"{split}.jsonl")
        variants = {"as written": [i.text for i in items],
                    "own program's keywords deleted": [own[i.primary].sub(" ", i.text) for i in items],
                    "all programs' keywords deleted": [every.sub(" ", i.text) for i in items],
                    "buried between two boilerplate blocks": [bury(i.text) for i in items]}
        for name, texts in variants.items():
            m = measure(items, texts)
            print(f"| {split} | {name} | {m['n']} | {m['top1']:.3f} | {m['top3']:.3f} |")
    probes = sorted((ROOT / "benchmarks" / "data").glob("english_probe*.jsonl"))
    for path in probes + [ROOT / "benchmarks" / "data" / "ai_probe.jsonl"]:
        items = load_labelled(path)
        m = measure(items, [i.text for i in items])
        print(f"| {path.name} | as written | {m['n']} | {m['top1']:.3f} | {m['top3']:.3f} |")


if __name__ == "__main__":
    main()
