"""End to end on the bundled corpus: train, then the held-out set must stay above a floor."""

import json

import pytest

from ndmatch.cli import cli

#: Just under the figures measured when the corpus was written (README: top-1 0.979, top-3 1.0 on 240).
EXAMPLE = __import__("pathlib").Path(__file__).resolve().parents[1] / "examples" / "gwangju-ai-care.txt"
HELDOUT_TOP1_FLOOR = 0.95
HELDOUT_TOP3_FLOOR = 0.98


@pytest.fixture(scope="module")
def bundled_model(tmp_path_factory):
    from ndmatch.training import train_model
    from ndmatch.api import build_manifest
    from ndmatch.corpus import default_corpus_dir
    from ndmatch.persistence import save_model

    result = train_model(default_corpus_dir(), with_cv=False)
    root = tmp_path_factory.mktemp("bundled")
    save_model(result.pipeline, build_manifest(result, default_corpus_dir()), root)
    return root, result


def test_heldout_floor(bundled_model):
    _, result = bundled_model
    assert result.heldout_metrics["n"] >= 200
    assert result.heldout_metrics["top1"] >= HELDOUT_TOP1_FLOOR
    assert result.heldout_metrics["top3"] >= HELDOUT_TOP3_FLOOR


def test_example_scores_with_all_programs_available(bundled_model):
    from click.testing import CliRunner

    root, _ = bundled_model
    result = CliRunner().invoke(cli, ["score", str(EXAMPLE), "--format", "json", "--top", "20",
                                      "--model", str(root)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    matches = json.loads(result.stdout)[0]["matches"]
    assert len(matches) == 20
    assert matches[0]["program"] == "D07"
    assert len({m["program"] for m in matches}) == 20
