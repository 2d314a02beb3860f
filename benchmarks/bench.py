"""Performance of ndmatch on this machine, each figure beside a baseline measured in the same run.

    python benchmarks/bench.py [--rank-docs 1000] [--repeat 3]

Measures, in fresh processes (wall time, peak RSS from wait4):
  * train: `ndmatch train` on the bundled corpus with an empty cache, vs. training a scikit-learn character
    n-gram TF-IDF + one-vs-rest model (no KoNLPy) on the same texts;
  * cold score: `ndmatch score <one document>` vs. a bare process that only starts KoNLPy's Okt and analyses
    the same text, and vs. the char-n-gram baseline loading its model and scoring;
  * rank: documents per second of `ndmatch rank` on N proposals recombined from corpus sentences, vs. the
    char-n-gram baseline over the same file.
Prints a Markdown table and writes benchmarks/out/bench.json.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "gwangju-ai-care.txt"
NDMATCH = [sys.executable, "-m", "ndmatch"]


def run(cmd: list[str], env: dict | None = None) -> tuple[float, float]:
    """Run ``cmd``; return (wall seconds, peak RSS in MB) of that process alone."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"benchmark command failed: {' '.join(cmd)}\n{proc.stderr.read().decode()}")
    return wall, usage.ru_maxrss / 1024


def median_run(cmd, env, repeat):
    runs = [run(cmd, env) for _ in range(repeat)]
    return statistics.median(r[0] for r in runs), max(r[1] for r in runs)


BARE_OKT = """
import sys
from konlpy.tag import Okt
text = open(sys.argv[1], encoding="utf-8").read()
Okt().pos(text)
"""

CHAR_TRAIN = """
import json, sys, joblib
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.multiclass import OneVsRestClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MultiLabelBinarizer
rows = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
texts = [r["text"] for r in rows]
labels = [r["programs"].split(";") for r in rows]
mlb = MultiLabelBinarizer().fit(labels)
model = make_pipeline(TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True, min_df=2),
                      OneVsRestClassifier(LogisticRegression(C=10, class_weight="balanced", solver="liblinear")))
model.fit(texts, mlb.transform(labels))
joblib.dump((model, list(mlb.classes_)), sys.argv[2])
"""

CHAR_SCORE = """
import sys, joblib
model, classes = joblib.load(sys.argv[1])
text = open(sys.argv[2], encoding="utf-8").read()
model.predict_proba([text])
"""

CHAR_RANK = """
import csv, sys, joblib
model, classes = joblib.load(sys.argv[1])
rows = list(csv.DictReader(open(sys.argv[2], encoding="utf-8")))
scores = model.predict_proba([r["text"] for r in rows])
with open(sys.argv[3], "w", encoding="utf-8", newline="") as fh:
    w = csv.writer(fh)
    for r, s in zip(rows, scores):
        best = sorted(range(len(classes)), key=lambda i: -s[i])[:3]
        w.writerow([r["id"]] + [classes[i] for i in best])
"""


def recombined_proposals(n: int, seed: int = 7) -> list[dict]:
    """``n`` distinct proposals made by recombining sentences of the corpus (benchmark input only)."""
    rows = [json.loads(line) for line in (ROOT / "corpus" / "proposals.jsonl").read_text(encoding="utf-8").splitlines()]
    sentences = [s.strip() for r in rows for s in re.split(r"(?<=[.다])\s+|\n", r["text"]) if len(s.strip()) > 15]
    rng = random.Random(seed)
    return [{"id": f"B{i:06d}", "text": " ".join(rng.sample(sentences, rng.randint(2, 6)))} for i in range(n)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rank-docs", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="ndmatch-bench-"))
    env = dict(os.environ, NDMATCH_MODEL_DIR=str(work / "models"), NDMATCH_CACHE_DIR=str(work / "cache"))
    py = sys.executable
    results = {}

    # Training (empty cache, so tokenization is included).
    results["train_s"], results["train_rss_mb"] = run(NDMATCH + ["train"], env)
    train_file = work / "train.jsonl"
    rows = [json.loads(line) for line in (ROOT / "corpus" / "proposals.jsonl").read_text(encoding="utf-8").splitlines()]
    train_file.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    char_model = work / "char.joblib"
    results["baseline_train_s"], results["baseline_train_rss_mb"] = run(
        [py, "-c", CHAR_TRAIN, str(train_file), str(char_model)], env)

    # Cold single-document scoring, interleaved so that both see the same machine state.
    cold, okt, char = [], [], []
    for _ in range(args.repeat):
        cold.append(run(NDMATCH + ["score", str(EXAMPLE), "--format", "json"], env))
        okt.append(run([py, "-c", BARE_OKT, str(EXAMPLE)], env))
        char.append(run([py, "-c", CHAR_SCORE, str(char_model), str(EXAMPLE)], env))
    results["cold_score_s"] = statistics.median(r[0] for r in cold)
    results["cold_score_rss_mb"] = max(r[1] for r in cold)
    results["bare_okt_s"] = statistics.median(r[0] for r in okt)
    results["bare_okt_rss_mb"] = max(r[1] for r in okt)
    results["baseline_cold_score_s"] = statistics.median(r[0] for r in char)
    results["cold_score_vs_bare_okt"] = results["cold_score_s"] / results["bare_okt_s"]

    # Batch ranking.
    table = work / "batch.csv"
    with open(table, "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=["id", "text"])
        writer.writeheader()
        writer.writerows(recombined_proposals(args.rank_docs))
    wall, rss = run(NDMATCH + ["rank", str(table), "--out", str(work / "ranked.csv")], env)
    results["rank_docs"] = args.rank_docs
    results["rank_docs_per_s"] = args.rank_docs / wall
    results["rank_rss_mb"] = rss
    wall, rss = run([py, "-c", CHAR_RANK, str(char_model), str(table), str(work / "char_ranked.csv")], env)
    results["baseline_rank_docs_per_s"] = args.rank_docs / wall
    results["baseline_rank_rss_mb"] = rss

    out = ROOT / "benchmarks" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / "bench.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    print("| measure | ndmatch | baseline (char n-gram TF-IDF, no KoNLPy) | bare Okt process |")
    print("|---|---|---|---|")
    print(f"| train on bundled corpus (s, peak MB) | {results['train_s']:.1f} s, {results['train_rss_mb']:.0f} MB "
          f"| {results['baseline_train_s']:.1f} s, {results['baseline_train_rss_mb']:.0f} MB | |")
    print(f"| cold `score` of one document (s, peak MB) | {results['cold_score_s']:.2f} s, "
          f"{results['cold_score_rss_mb']:.0f} MB | {results['baseline_cold_score_s']:.2f} s "
          f"| {results['bare_okt_s']:.2f} s, {results['bare_okt_rss_mb']:.0f} MB |")
    print(f"| `rank` of {args.rank_docs} proposals (docs/s, peak MB) | {results['rank_docs_per_s']:.0f}/s, "
          f"{results['rank_rss_mb']:.0f} MB | {results['baseline_rank_docs_per_s']:.0f}/s, "
          f"{results['baseline_rank_rss_mb']:.0f} MB | |")
    print(f"\ncold score / bare Okt = {results['cold_score_vs_bare_okt']:.2f}")


if __name__ == "__main__":
    main()
