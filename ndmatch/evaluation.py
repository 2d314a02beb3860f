"""Ranking metrics: top-1, top-3, mean reciprocal rank, macro F1 and per-program figures."""

from __future__ import annotations

from collections import Counter

import numpy as np


def rank_positions(scores: np.ndarray, program_ids: list[str], primaries: list[str]) -> np.ndarray:
    """1-based rank of each document's primary program (ties broken by catalog order)."""
    order = np.argsort(-scores, axis=1, kind="stable")
    index = {pid: i for i, pid in enumerate(program_ids)}
    ranks = np.empty(len(primaries), dtype=int)
    for row, primary in enumerate(primaries):
        ranks[row] = int(np.nonzero(order[row] == index[primary])[0][0]) + 1
    return ranks


def compute_metrics(scores: np.ndarray, program_ids: list[str], labels: list[tuple[str, ...]]) -> dict:
    """Metrics of a score matrix against labels (primary first, others acceptable alternatives).

    Returns a dict with ``n``, ``top1``, ``top3``, ``mrr``, ``top1_any``, ``macro_f1`` and ``per_program``
    (``support``, ``top1``, ``top3`` per primary program), plus ``confusions``: the most frequent
    (true primary, predicted) pairs among top-1 errors.
    """
    n = len(labels)
    if n == 0:
        return {"n": 0, "top1": 0.0, "top3": 0.0, "mrr": 0.0, "top1_any": 0.0, "macro_f1": 0.0,
                "per_program": {}, "confusions": []}
    primaries = [lab[0] for lab in labels]
    ranks = rank_positions(scores, program_ids, primaries)
    predicted = [program_ids[i] for i in np.argmax(scores, axis=1)]
    top1_any = np.mean([pred in lab for pred, lab in zip(predicted, labels)])
    per_program = {}
    f1s = []
    for pid in program_ids:
        mask = np.array([p == pid for p in primaries])
        tp = sum(1 for p, t in zip(predicted, primaries) if p == pid and t == pid)
        fp = sum(1 for p, t in zip(predicted, primaries) if p == pid and t != pid)
        fn = int(mask.sum()) - tp
        if mask.any() or fp:
            f1s.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
        if mask.any():
            per_program[pid] = {"support": int(mask.sum()), "top1": round(float(np.mean(ranks[mask] == 1)), 4),
                                "top3": round(float(np.mean(ranks[mask] <= 3)), 4)}
    confusions = Counter((t, p) for t, p in zip(primaries, predicted) if t != p)
    return {
        "n": n,
        "top1": round(float(np.mean(ranks == 1)), 4),
        "top3": round(float(np.mean(ranks <= 3)), 4),
        "mrr": round(float(np.mean(1.0 / ranks)), 4),
        "top1_any": round(float(top1_any), 4),
        "macro_f1": round(float(np.mean(f1s)) if f1s else 0.0, 4),
        "per_program": per_program,
        "confusions": [{"true": t, "predicted": p, "count": c} for (t, p), c in confusions.most_common(10)],
    }


#: Share of matches at or above each grade's threshold that are one of the text's labels, on cross-validated
#: (out-of-fold) predictions over every (text, program) pair.
GRADE_PRECISION = {"강력 추천": 0.90, "검토 권장": 0.50}
GRADE_FALLBACK = "참고"


def calibrate_grades(scores: np.ndarray, program_ids: list[str], labels: list[tuple[str, ...]]) -> dict:
    """Score thresholds per grade, from out-of-fold predictions.

    For each grade, the lowest score s such that, among all (text, program) pairs scoring at least s, the
    program is one of the text's labels at least ``GRADE_PRECISION[grade]`` of the time. Returns
    ``{"thresholds": {"강력 추천": s1, "검토 권장": s2}, ...}`` with s1 >= s2.
    """
    truth = np.array([[pid in lab for pid in program_ids] for lab in labels]).ravel()
    flat = scores.ravel()
    order = np.argsort(-flat)
    precision = np.cumsum(truth[order]) / np.arange(1, len(order) + 1)
    thresholds: dict = {}
    previous = 1.0
    for grade, target in GRADE_PRECISION.items():
        ok = np.nonzero(precision >= target)[0]
        threshold = float(flat[order][ok.max()]) if len(ok) else previous
        threshold = min(max(threshold, 0.01), previous)
        thresholds[grade] = round(threshold, 4)
        previous = threshold
    return {"thresholds": thresholds, "target_precision": GRADE_PRECISION, "fallback": GRADE_FALLBACK}


def grade_for(score: float, grades: dict) -> str:
    """The grade of a score under calibrated ``grades`` (see :func:`calibrate_grades`)."""
    for grade, threshold in grades["thresholds"].items():
        if score >= threshold:
            return grade
    return grades.get("fallback", GRADE_FALLBACK)
