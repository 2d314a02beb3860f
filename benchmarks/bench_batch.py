"""Batch ranking at scale: documents per second and peak memory of `ndmatch rank`, beside two baselines.

    python benchmarks/bench_batch.py [--sizes 1000 10000 100000] [--jobs 1 2] [--model STORE]

For each size N (distinct proposals recombined from corpus sentences, see ``bench.recombined_proposals``)
and each worker count, in fresh processes (wall time; peak RSS = ``ru_maxrss`` from ``os.wait4``, i.e. the
largest single process of the tree):
  * ``ndmatch rank N.csv --out ranked.csv --no-cache --jobs J`` (default threads backend) and, for 1,000
    rows, ``--backend processes``;
  * the character-n-gram TF-IDF baseline (no KoNLPy; ``bench.CHAR_TRAIN``), streaming the same CSV in
    chunks of 1,000 over J joblib (loky) workers;
  * once, a bare single-process loop that only runs KoNLPy's Okt over the same distinct 1,000 texts;
  * ``ndmatch rank --backend server`` against an ``ndmatch serve`` process started (and warmed up on the
    bundled corpus, not on these texts) before the timed runs; its start-up time and peak memory are
    reported separately.
Also checks that the parallel output has the same top-1 as the serial in-memory path (``api.rank``) on a
sample. Uses a temporary model store and cache unless ``--model`` names an existing store.
Prints a Markdown table and writes benchmarks/out/bench_batch.json.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench import CHAR_TRAIN, NDMATCH, ROOT, recombined_proposals, run  # noqa: E402

BARE_OKT_LOOP = """
import csv, sys
from konlpy.tag import Okt
okt = Okt()
for row in csv.DictReader(open(sys.argv[1], encoding="utf-8")):
    okt.pos(row["text"])
"""

# Steady state, in one process each: after a warm-up on other texts, time only the loop over the same 1,000
# distinct texts (the "warm JIT" comparison). Prints docs/s as JSON.
WARM_OKT = """
import csv, json, sys, time
from konlpy.tag import Okt
texts = [r["text"] for r in csv.DictReader(open(sys.argv[1], encoding="utf-8"))]
warm = [r["text"] for r in csv.DictReader(open(sys.argv[2], encoding="utf-8"))]
okt = Okt()
for t in warm:
    okt.pos(t)
start = time.perf_counter()
for t in texts:
    okt.pos(t)
print(json.dumps({"docs_per_s": len(texts) / (time.perf_counter() - start)}))
"""

WARM_NDMATCH = """
import csv, json, os, sys, time
from joblib import Parallel, delayed
from ndmatch.matcher import Matcher
texts = [r["text"] for r in csv.DictReader(open(sys.argv[1], encoding="utf-8"))]
warm = [r["text"] for r in csv.DictReader(open(sys.argv[2], encoding="utf-8"))]
matcher = Matcher.load(os.environ["NDMATCH_MODEL_DIR"])
matcher.scores(warm)
out = {}
for jobs in (1, 2):
    chunks = [texts[i:i + 64] for i in range(0, len(texts), 64)]  # rank's chunk size
    start = time.perf_counter()
    Parallel(n_jobs=jobs, prefer="threads")(delayed(matcher.scores)(c) for c in chunks)
    out[str(jobs)] = len(texts) / (time.perf_counter() - start)
print(json.dumps(out))
"""

CHAR_RANK_BATCH = """
import csv, itertools, sys, joblib
from joblib import Parallel, delayed

def score(model, classes, rows):
    scores = model.predict_proba([r["text"] for r in rows])
    return [[r["id"]] + [classes[i] for i in sorted(range(len(classes)), key=lambda i: -s[i])[:3]]
            for r, s in zip(rows, scores)]

model, classes = joblib.load(sys.argv[1])
jobs = int(sys.argv[4])
reader = csv.DictReader(open(sys.argv[2], encoding="utf-8"))
chunks = iter(lambda: list(itertools.islice(reader, 1000)), [])
with open(sys.argv[3], "w", encoding="utf-8", newline="") as fh:
    w = csv.writer(fh)
    for rows in Parallel(n_jobs=jobs, return_as="generator")(delayed(score)(model, classes, c) for c in chunks):
        w.writerows(rows)
"""

SERIAL_TOP1 = """
import csv, json, sys
from pathlib import Path
from ndmatch import api
matcher = api.load_matcher()
ranked, _ = api.rank(matcher, Path(sys.argv[1]), top=1)
print(json.dumps({r.id: r.matches[0].program for r in ranked}))
"""


def write_table(path: Path, rows: list[dict]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=["id", "text"])
        writer.writeheader()
        writer.writerows(rows)


def start_server(env: dict, sock: Path):
    """Start ``ndmatch serve`` (default warm-up) and wait until its socket accepts connections."""
    import socket
    import subprocess

    process = subprocess.Popen(NDMATCH + ["serve", "--socket", str(sock)], env=env, stderr=subprocess.DEVNULL)
    while True:
        if process.poll() is not None:
            raise SystemExit(f"ndmatch serve exited with {process.returncode}")
        try:
            with socket.socket(socket.AF_UNIX) as probe:
                probe.connect(str(sock))
            return process
        except OSError:
            time.sleep(0.1)


def stop_server(process, sock: Path, env: dict) -> float:
    """Stop the server; return its peak resident memory in MB (VmHWM, read just before it stops)."""
    import subprocess

    with open(f"/proc/{process.pid}/status", encoding="ascii") as fh:
        peak_kb = next(int(line.split()[1]) for line in fh if line.startswith("VmHWM:"))
    subprocess.run(NDMATCH + ["serve", "--stop", "--socket", str(sock)], env=env, check=True,
                   capture_output=True)
    process.wait(60)
    return round(peak_kb / 1024)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--model", type=Path, default=None, help="existing model store (default: train one)")
    parser.add_argument("--sample", type=int, default=300, help="rows compared with the serial path")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="ndmatch-bench-batch-"))
    models = args.model.resolve() if args.model else work / "models"
    env = dict(os.environ, NDMATCH_MODEL_DIR=str(models), NDMATCH_CACHE_DIR=str(work / "cache"))
    py = sys.executable
    results: dict = {"machine": {"cores": os.cpu_count(), "loadavg_start": os.getloadavg()}, "runs": []}
    if args.model is None:
        run(NDMATCH + ["train"], env)
    train_file = work / "train.jsonl"
    train_file.write_text((ROOT / "corpus" / "proposals.jsonl").read_text(encoding="utf-8"), encoding="utf-8")
    char_model = work / "char.joblib"
    run([py, "-c", CHAR_TRAIN, str(train_file), str(char_model)], env)

    largest = recombined_proposals(max(args.sizes))
    tables = {}
    for n in sorted(args.sizes):
        tables[n] = work / f"proposals-{n}.csv"
        write_table(tables[n], largest[:n])

    first = tables[min(args.sizes)]
    wall, rss = run([py, "-c", BARE_OKT_LOOP, str(first)], env)
    n_first = min(args.sizes)
    results["bare_okt"] = {"docs": n_first, "seconds": wall, "docs_per_s": n_first / wall, "rss_mb": rss}
    # Steady state (warm JIT, no start-up) on the same texts, warming up on 200 other ones.
    import subprocess

    warm_table = work / "warm-up.csv"
    write_table(warm_table, recombined_proposals(n_first + 200)[n_first:])
    warm_okt = json.loads(subprocess.run([py, "-c", WARM_OKT, str(first), str(warm_table)], env=env, check=True,
                                         capture_output=True, text=True).stdout)
    warm_nd = json.loads(subprocess.run([py, "-c", WARM_NDMATCH, str(first), str(warm_table)], env=env,
                                        check=True, capture_output=True, text=True).stdout)
    results["warm"] = {"okt_docs_per_s": warm_okt["docs_per_s"], "ndmatch_docs_per_s": warm_nd}
    print(f"warm: Okt {warm_okt['docs_per_s']:.0f} docs/s; ndmatch scoring {warm_nd['1']:.0f} (1 thread), "
          f"{warm_nd['2']:.0f} (2 threads) docs/s", flush=True)
    print(f"bare Okt loop over {n_first} texts: {n_first / wall:.0f} docs/s, {rss:.0f} MB", flush=True)

    def record(kind: str, n: int, jobs: int, wall: float, rss: float, backend: str = "") -> None:
        entry = {"kind": kind, "backend": backend, "docs": n, "jobs": jobs, "seconds": round(wall, 2),
                 "docs_per_s": round(n / wall, 1), "rss_mb": round(rss)}
        results["runs"].append(entry)
        print(json.dumps(entry), flush=True)

    serve_started = time.perf_counter()
    served = start_server(env, work / "serve.sock")
    results["server"] = {"ready_seconds": round(time.perf_counter() - serve_started, 1)}
    try:
        for n in sorted(args.sizes):
            wall, rss = run(NDMATCH + ["rank", str(tables[n]), "--out", str(work / "s.csv"), "--no-cache",
                                       "--quiet", "--backend", "server", "--socket", str(work / "serve.sock")], env)
            record("ndmatch", n, 2, wall, rss, "server")
    finally:
        results["server"]["rss_mb"] = stop_server(served, work / "serve.sock", env)
    print(f"server: ready in {results['server']['ready_seconds']} s, peak {results['server']['rss_mb']} MB",
          flush=True)

    for n in sorted(args.sizes):
        for jobs in args.jobs:
            out = work / f"ranked-{n}-{jobs}.csv"
            wall, rss = run(NDMATCH + ["rank", str(tables[n]), "--out", str(out), "--no-cache", "--quiet",
                                       "--jobs", str(jobs)], env)
            record("ndmatch", n, jobs, wall, rss, "threads")
            if n == n_first:
                wall, rss = run(NDMATCH + ["rank", str(tables[n]), "--out", str(work / "p.csv"), "--no-cache",
                                           "--quiet", "--jobs", str(jobs), "--backend", "processes"], env)
                record("ndmatch", n, jobs, wall, rss, "processes")
            wall, rss = run([py, "-c", CHAR_RANK_BATCH, str(char_model), str(tables[n]),
                             str(work / "char.csv"), str(jobs)], env)
            record("char-ngram baseline", n, jobs, wall, rss, "loky")

    # Accuracy: the parallel (2 workers) output against the serial in-memory path on a sample.
    sample = work / "sample.csv"
    write_table(sample, largest[:args.sample])
    import subprocess

    serial = json.loads(subprocess.run([py, "-c", SERIAL_TOP1, str(sample)], env=env, check=True,
                                       capture_output=True, text=True).stdout)
    jobs_max = max(args.jobs)
    with open(work / f"ranked-{n_first}-{jobs_max}.csv", encoding="utf-8-sig") as fh:
        parallel = {r["id"]: r["program_1"] for r in csv.DictReader(fh)}
    same = sum(parallel.get(k) == v for k, v in serial.items())
    results["top1_agreement"] = {"sample": len(serial), "same": same}
    results["machine"]["loadavg_end"] = os.getloadavg()

    out_dir = ROOT / "benchmarks" / "out"
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "bench_batch.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    okt = results["bare_okt"]["docs_per_s"]
    print("\n| rows | workers | ndmatch rank (docs/s, peak MB) | char n-gram baseline (docs/s, peak MB) |")
    print("|---|---|---|---|")
    for n in sorted(args.sizes):
        for jobs in args.jobs:
            nd = next(r for r in results["runs"] if r["kind"] == "ndmatch" and r["backend"] == "threads"
                      and r["docs"] == n and r["jobs"] == jobs)
            ch = next(r for r in results["runs"] if r["kind"] != "ndmatch" and r["docs"] == n and r["jobs"] == jobs)
            print(f"| {n:,} | {jobs} | {nd['docs_per_s']:.0f}/s, {nd['rss_mb']} MB "
                  f"| {ch['docs_per_s']:.0f}/s, {ch['rss_mb']} MB |")
    cold = max(r["docs_per_s"] for r in results["runs"]
               if r["kind"] == "ndmatch" and r["docs"] == n_first and r["backend"] != "server")
    warm = next(r["docs_per_s"] for r in results["runs"] if r["backend"] == "server" and r["docs"] == n_first)
    print(f"\nbare Okt loop: {okt:.0f} docs/s; rank of {n_first}: cold (best backend) {cold:.0f} docs/s = "
          f"{cold / okt:.2f}x, with a warm `ndmatch serve` {warm:.0f} docs/s = {warm / okt:.2f}x")
    print("| rows | rank --backend server (docs/s, client peak MB) |\n|---|---|")
    for r in results["runs"]:
        if r["backend"] == "server":
            print(f"| {r['docs']:,} | {r['docs_per_s']:.0f}/s, {r['rss_mb']} MB |")
    print(f"top-1 same as the serial path: {same}/{len(serial)}")
    warm = results["warm"]
    print(f"steady state (warm, no start-up): ndmatch 2 threads {warm['ndmatch_docs_per_s']['2']:.0f} docs/s / "
          f"Okt {warm['okt_docs_per_s']:.0f} docs/s = {warm['ndmatch_docs_per_s']['2'] / warm['okt_docs_per_s']:.2f}")


if __name__ == "__main__":
    started = time.time()
    main()
    print(f"(benchmark took {time.time() - started:.0f} s)")
