import numpy as np
import pytest

from ndmatch.evaluation import compute_metrics, rank_positions

IDS = ["A01", "B01", "C01"]


def test_rank_positions():
    scores = np.array([[0.9, 0.5, 0.1], [0.2, 0.3, 0.8]])
    assert list(rank_positions(scores, IDS, ["A01", "B01"])) == [1, 2]


def test_metrics_by_hand():
    scores = np.array([[0.9, 0.5, 0.1],   # A01 first: correct
                       [0.2, 0.3, 0.8],   # true B01 ranked 2nd; C01 is an accepted alternative
                       [0.1, 0.2, 0.7]])  # C01 correct
    labels = [("A01",), ("B01", "C01"), ("C01",)]
    m = compute_metrics(scores, IDS, labels)
    assert m["n"] == 3
    assert m["top1"] == pytest.approx(2 / 3, abs=1e-4)
    assert m["top3"] == 1.0
    assert m["mrr"] == pytest.approx((1 + 0.5 + 1) / 3, abs=1e-4)
    assert m["top1_any"] == 1.0
    # F1: A01 = 1, B01 = 0 (missed), C01 = 2*1/(2+1+0) = 2/3
    assert m["macro_f1"] == pytest.approx((1 + 0 + 2 / 3) / 3, abs=1e-4)
    assert m["per_program"]["B01"] == {"support": 1, "top1": 0.0, "top3": 1.0}
    assert m["confusions"] == [{"true": "B01", "predicted": "C01", "count": 1}]


def test_empty():
    assert compute_metrics(np.zeros((0, 3)), IDS, [])["n"] == 0
