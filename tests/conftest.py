"""Shared fixtures: isolated model/cache folders, a small corpus and a model trained on it."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

# Never touch the user's real model store or cache from the tests.
_SANDBOX = Path(tempfile.mkdtemp(prefix="ndmatch-tests-"))
os.environ["NDMATCH_MODEL_DIR"] = str(_SANDBOX / "models")
os.environ["NDMATCH_CACHE_DIR"] = str(_SANDBOX / "cache")

REPO = Path(__file__).resolve().parents[1]
BUNDLED = REPO / "corpus"
SMALL_PROGRAMS = ("D05", "D07", "G01", "G04")


def make_small_corpus(target: Path, programs=SMALL_PROGRAMS, per_program: int = 12, heldout: int = 4) -> Path:
    """Copy a few programs and some of their proposals from the bundled corpus into ``target``."""
    import json

    (target / "programs").mkdir(parents=True)
    for pid in programs:
        shutil.copy(BUNDLED / "programs" / f"{pid}.yaml", target / "programs" / f"{pid}.yaml")
    for split, count in (("proposals", per_program), ("heldout", heldout)):
        rows = [json.loads(line) for line in (BUNDLED / f"{split}.jsonl").read_text(encoding="utf-8").splitlines()]
        chosen = []
        for pid in programs:
            mine = [r for r in rows if r["programs"].split(";")[0] == pid]
            for r in mine[:count]:
                r = dict(r, programs=";".join(p for p in r["programs"].split(";") if p in programs))
                chosen.append(r)
        (target / f"{split}.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in chosen),
                                               encoding="utf-8")
    return target


@pytest.fixture(scope="session")
def small_corpus(tmp_path_factory) -> Path:
    return make_small_corpus(tmp_path_factory.mktemp("corpus") / "small")


@pytest.fixture(scope="session")
def small_model(small_corpus, tmp_path_factory) -> Path:
    """A model store trained on the small corpus (session-wide: training takes a few seconds)."""
    from ndmatch import api

    root = tmp_path_factory.mktemp("models") / "store"
    api.train(corpus_dir=small_corpus, model_root=root)
    return root


@pytest.fixture(scope="session")
def small_matcher(small_model):
    from ndmatch.matcher import Matcher

    return Matcher.load(small_model)
