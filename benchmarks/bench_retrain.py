"""Retraining after adding a program, against the first training, measured in the same run.

    python benchmarks/bench_retrain.py

In a temporary corpus (a copy of the bundled one) and an empty tokenization cache:
  1. first training: `ndmatch train` (tokenizes everything, 5-fold CV, fit, save);
  2. `ndmatch programs add tests/fixtures/new_programs/D13.yaml`, then `ndmatch train` again (unchanged texts
     come from the cache; CV and fit run again);
  3. the same retrain with `--no-cv` (quick retrain: fit and held-out evaluation only).
Each in a fresh process; wall time and peak RSS. Writes benchmarks/out/bench_retrain.json.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NDMATCH = [sys.executable, "-m", "ndmatch"]


def run(cmd, env):
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{proc.stderr.read().decode()}")
    return time.perf_counter() - start, usage.ru_maxrss / 1024


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="ndmatch-retrain-"))
    env = dict(os.environ, NDMATCH_MODEL_DIR=str(work / "models"), NDMATCH_CACHE_DIR=str(work / "cache"))
    corpus = work / "corpus"
    subprocess.run(NDMATCH + ["corpus", "init", str(corpus)], env=env, check=True, capture_output=True)
    first = run(NDMATCH + ["train", "--corpus", str(corpus)], env)
    subprocess.run(NDMATCH + ["programs", "add", str(ROOT / "tests/fixtures/new_programs/D13.yaml"),
                              "--corpus", str(corpus)], env=env, check=True, capture_output=True)
    retrain = run(NDMATCH + ["train", "--corpus", str(corpus)], env)
    quick = run(NDMATCH + ["train", "--corpus", str(corpus), "--no-cv"], env)
    results = {"first_training_s": first[0], "first_training_rss_mb": first[1],
               "retrain_with_cv_s": retrain[0], "retrain_with_cv_rss_mb": retrain[1],
               "retrain_no_cv_s": quick[0], "retrain_no_cv_rss_mb": quick[1],
               "ratio_with_cv": first[0] / retrain[0], "ratio_no_cv": first[0] / quick[0]}
    out = ROOT / "benchmarks" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / "bench_retrain.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    print("| step | wall time | peak RSS | first training / this |")
    print("|---|---|---|---|")
    print(f"| first training (empty cache, 5-fold CV) | {first[0]:.1f} s | {first[1]:.0f} MB | 1.0× |")
    print(f"| add D13, retrain (cache, 5-fold CV) | {retrain[0]:.1f} s | {retrain[1]:.0f} MB | "
          f"{results['ratio_with_cv']:.1f}× |")
    print(f"| add D13, retrain `--no-cv` (cache) | {quick[0]:.1f} s | {quick[1]:.0f} MB | "
          f"{results['ratio_no_cv']:.1f}× |")


if __name__ == "__main__":
    main()
