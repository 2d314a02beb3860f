"""Paragraph-aware scoring (ndmatch/segments.py)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from ndmatch.segments import SEGMENT_CHARS, segment_scores, split_segments

BOILERPLATE = [json.loads(line)["text"] for line in
               (Path(__file__).resolve().parents[1] / "benchmarks" / "data" / "boilerplate.jsonl")
               .read_text(encoding="utf-8").splitlines()]


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.sampled_from("가나다 ab\n\n\t.·□"), max_size=3000))
def test_segments_keep_every_character_in_order_and_stay_small(text):
    segments = split_segments(text)
    assert segments
    squeeze = lambda s: re.sub(r"\s+", "", s)  # noqa: E731
    assert squeeze("".join(segments)) == squeeze(text)
    for segment in segments:
        lines = segment.split("\n")
        assert len(segment) <= SEGMENT_CHARS or len(lines) == 1 or len(segment) - len(lines[-1]) <= SEGMENT_CHARS


def test_paragraphs_are_segments():
    assert split_segments("제목\n\n첫 문단\n둘째 줄\n \n셋째 문단") == ["제목", "첫 문단\n둘째 줄", "셋째 문단"]
    assert split_segments("   ") == ["   "]


def fake_tokenize(texts):
    return [" ".join(text.split()) for text in texts]


def fake_scores(docs):
    # Two programs: "care" words score program 0, everything else is flat.
    rows = []
    for doc in docs:
        words = doc.split() or [""]
        share = sum(w in {"돌봄", "어르신", "보건소"} for w in words) / len(words)
        rows.append([0.1 + 0.8 * share, 0.1])
    return np.array(rows)


def test_single_paragraph_texts_score_exactly_as_whole_documents():
    texts = ["어르신 돌봄 보건소", "예산 집행 정산 계약"]
    scores, docs = segment_scores(texts, fake_tokenize, fake_scores, blend=0.5, power=1.0)
    assert np.allclose(scores, fake_scores(fake_tokenize(texts)))
    assert docs == fake_tokenize(texts)


def test_a_buried_paragraph_counts_more_than_the_boilerplate_around_it():
    text = f"{BOILERPLATE[0]}\n\n어르신 돌봄 보건소\n\n{BOILERPLATE[1]}"
    whole, _ = segment_scores([text], fake_tokenize, fake_scores, blend=0.0, power=1.0)
    blended, _ = segment_scores([text], fake_tokenize, fake_scores, blend=0.5, power=1.0)
    assert blended[0, 0] > 2 * whole[0, 0]
    assert np.isclose(blended[0, 1], whole[0, 1])


def test_matcher_ranks_a_buried_title_right(small_matcher):
    title = "홀몸 어르신 댁에 IoT 센서와 AI 스피커를 보급하는 보건소 돌봄 사업"
    text = f"{BOILERPLATE[2]}\n\n{title}\n\n{BOILERPLATE[3]}\n\n{BOILERPLATE[4]}"
    scores = small_matcher.scores([title, text])
    best = [small_matcher.program_ids[row.argmax()] for row in scores]
    assert best == ["D07", "D07"]
