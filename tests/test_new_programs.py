"""The administrator's story: add a program the day it is published, retrain, compare, keep the old ones."""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from ndmatch import api
from ndmatch.cli import cli
from ndmatch.corpus import init_corpus, load_labelled
from ndmatch.errors import CorpusFormatError
from ndmatch.matcher import Matcher
from ndmatch.programs import add_program, validate_program_file

NEW = Path(__file__).parent / "fixtures" / "new_programs"


def test_validate_refuses_taken_ids_and_bad_files(tmp_path):
    check = validate_program_file(NEW / "D13.yaml", taken_ids={"D13"})
    assert any("already in the corpus" in e for e in check.errors)
    bad = tmp_path / "X01.yaml"
    bad.write_text("id: ../x\npillar: digital\n", encoding="utf-8")
    assert validate_program_file(bad).errors
    with pytest.raises(CorpusFormatError, match="not a corpus programs folder"):
        add_program(NEW / "D13.yaml", tmp_path / "nowhere")


def test_programs_validate_cli(tmp_path):
    result = CliRunner().invoke(cli, ["programs", "validate", str(NEW)])
    assert result.exit_code == 0, result.output
    assert result.stdout.count("ok: ") == 3
    (tmp_path / "Z01.yaml").write_text("id: Z01\nid: Z02\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["programs", "validate", str(tmp_path / "Z01.yaml")])
    assert result.exit_code == 1 and "duplicate key 'id'" in result.stderr


def test_add_a_program_retrain_and_compare(tmp_path):
    corpus, store = tmp_path / "corpus", tmp_path / "models"
    init_corpus(corpus)
    first, first_manifest = api.train(corpus_dir=corpus, model_root=store, cross_validate=False)

    runner = CliRunner()
    result = runner.invoke(cli, ["programs", "add", str(NEW / "D13.yaml"), "--corpus", str(corpus)])
    assert result.exit_code == 0, result.output
    assert (corpus / "programs" / "D13.yaml").is_file()
    result = runner.invoke(cli, ["programs", "add", str(NEW / "D13.yaml"), "--corpus", str(corpus)])
    assert result.exit_code == 1 and "already in the corpus" in result.stderr

    second, second_manifest = api.train(corpus_dir=corpus, model_root=store, cross_validate=False)
    matcher = Matcher.load(store)
    assert "D13" in matcher.program_ids

    proposals = [i for i in load_labelled(NEW / "proposals.jsonl") if i.primary == "D13"]
    results = api.score(matcher, [(i.id, i.text) for i in proposals], top=3, explain=False)
    in_top3 = sum("D13" in [m.program for m in r.matches] for r in results) / len(results)
    assert in_top3 >= 0.8, in_top3

    old, new = first_manifest["metrics"]["heldout"]["top1"], second_manifest["metrics"]["heldout"]["top1"]
    assert new >= old - 0.03, (old, new)

    result = runner.invoke(cli, ["models", "diff", first.name, second.name, "--model", str(store),
                                 "--format", "json"])
    assert result.exit_code == 0, result.output
    diff = json.loads(result.stdout)
    assert diff["programs_added"] == ["D13"] and diff["programs_removed"] == []
    assert diff["n"] == 240 and 0 <= diff["top1_changed"] <= 240
    table = runner.invoke(cli, ["models", "diff", first.name, "current", "--model", str(store)])
    assert "programs added: D13" in table.stdout and "top program changed" in table.stdout
    listing = runner.invoke(cli, ["models", "list", "--model", str(store), "--format", "json"])
    assert [r["current"] for r in json.loads(listing.stdout)] == [False, True]
