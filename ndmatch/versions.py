"""Versioned models in a store: list them, show one, and compare two on the same held-out texts."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ndmatch.errors import ModelError, UsageError
from ndmatch.persistence import CURRENT_FILE, MANIFEST_FILE, read_manifest


def list_versions(root: Path) -> list[dict]:
    """Every model version in the store ``root``, oldest first, with its headline figures."""
    root = Path(root)
    if not root.is_dir():
        raise ModelError(f"{root}: no model store here; train one with `ndmatch train --model {root}`")
    current = (root / CURRENT_FILE).read_text(encoding="utf-8").strip() if (root / CURRENT_FILE).is_file() else ""
    rows = []
    for folder in sorted(p for p in root.iterdir() if (p / MANIFEST_FILE).is_file() and not p.name.startswith(".")):
        try:
            manifest = read_manifest(folder)
        except ModelError:
            continue
        heldout = manifest.get("metrics", {}).get("heldout") or {}
        cv = manifest.get("metrics", {}).get("cross_validation") or {}
        rows.append({"version": folder.name, "current": folder.name == current,
                     "trained_at": manifest.get("trained_at"), "programs": len(manifest.get("program_ids", [])),
                     "corpus_fingerprint": manifest.get("corpus", {}).get("fingerprint", "")[:12],
                     "cv_top1": cv.get("top1"), "heldout_top1": heldout.get("top1"),
                     "training_seconds": manifest.get("training_seconds")})
    return rows


def resolve_version(root: Path, version: str) -> Path:
    """Folder of ``version`` in ``root`` ('current' and unique prefixes accepted)."""
    root = Path(root)
    if version == "current":
        pointer = root / CURRENT_FILE
        if not pointer.is_file():
            raise ModelError(f"{root}: no current model; run `ndmatch train --model {root}`")
        version = pointer.read_text(encoding="utf-8").strip()
    exact = root / version
    if (exact / MANIFEST_FILE).is_file():
        return exact
    matches = [p for p in root.iterdir() if p.name.startswith(version) and (p / MANIFEST_FILE).is_file()] \
        if root.is_dir() else []
    if len(matches) == 1:
        return matches[0]
    known = ", ".join(r["version"] for r in list_versions(root)) if root.is_dir() else ""
    what = "is ambiguous" if matches else "not found"
    raise UsageError(f"model version {version!r} {what} in {root}; known: {known or 'none'}")


def show_version(root: Path, version: str) -> dict:
    """The manifest of one version (catalog, corpus fingerprint, metrics ...)."""
    return read_manifest(resolve_version(root, version))


def diff_versions(root: Path, a: str, b: str, data_path: Path | None = None) -> dict:
    """Compare versions ``a`` and ``b``: programs added/removed, per-program held-out metrics, changed top-1.

    Both models score the same labelled texts: ``data_path``, else B's corpus ``heldout`` file, else the
    bundled held-out set. Labels for programs a model does not know count as misses for it.
    """
    from ndmatch.cache import TokenCache, tokenize_texts
    from ndmatch.corpus import default_corpus_dir, find_split, load_labelled
    from ndmatch.evaluation import compute_metrics
    from ndmatch.matcher import Matcher

    model_a = Matcher.load(resolve_version(root, a))
    model_b = Matcher.load(resolve_version(root, b))
    if data_path is None:
        corpus_b = Path(model_b.manifest.get("corpus", {}).get("path", ""))
        data_path = find_split(corpus_b, "heldout") if corpus_b.is_dir() else None
        data_path = data_path or find_split(default_corpus_dir(), "heldout")
    items = load_labelled(Path(data_path))
    labels = [i.programs for i in items]
    texts = [i.text for i in items]
    cache = TokenCache()
    try:
        def evaluate(model: Matcher):
            scores, _ = model.score_texts(texts, lambda chunk: tokenize_texts(model.tokenizer, chunk, cache))
            ids = list(model.program_ids)
            # Texts labelled with a program this model lacks: give it a column of zeros so they count as misses.
            extra = sorted({p for lab in labels for p in lab} - set(ids))
            if extra:
                scores = np.hstack([scores, np.full((len(items), len(extra)), -1.0)])
                ids += extra
            return compute_metrics(scores, ids, labels), [ids[i] for i in np.argmax(scores, axis=1)]

        metrics_a, top_a = evaluate(model_a)
        metrics_b, top_b = evaluate(model_b)
    finally:
        cache.close()
    programs_a, programs_b = set(model_a.program_ids), set(model_b.program_ids)
    per_program = {}
    for pid in sorted(set(metrics_a["per_program"]) | set(metrics_b["per_program"])):
        pa, pb = metrics_a["per_program"].get(pid, {}), metrics_b["per_program"].get(pid, {})
        per_program[pid] = {"support": pb.get("support", pa.get("support", 0)),
                            "top1_a": pa.get("top1"), "top1_b": pb.get("top1"),
                            "top3_a": pa.get("top3"), "top3_b": pb.get("top3")}
    changed = [{"id": i.id, "from": x, "to": y} for i, x, y in zip(items, top_a, top_b) if x != y]
    return {
        "a": model_a.manifest.get("version"), "b": model_b.manifest.get("version"), "data": str(data_path),
        "programs_added": sorted(programs_b - programs_a), "programs_removed": sorted(programs_a - programs_b),
        "n": len(items),
        "overall": {key: {"a": metrics_a[key], "b": metrics_b[key]} for key in ("top1", "top3", "mrr", "macro_f1")},
        "per_program": per_program,
        "top1_changed": len(changed), "changes": changed,
    }
