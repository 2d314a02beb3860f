"""Saved models: round trip, atomic current pointer, and refusal of tampered or malicious files."""

import json
import pickle
import shutil

import numpy as np
import pytest

from ndmatch.errors import ModelError
from ndmatch.matcher import Matcher
from ndmatch.persistence import CURRENT_FILE, MANIFEST_FILE, MODEL_FILE, load_model, resolve_model_dir

TEXTS = ["노후 어린이집 단열 보강과 고효율 창호 교체", "아파트 원격검침 AMI와 수요반응 실증"]


def test_manifest_metadata(small_model):
    manifest = json.loads((resolve_model_dir(small_model) / MANIFEST_FILE).read_text(encoding="utf-8"))
    for key in ("versions", "tokenizer", "corpus", "catalog", "trained_at", "training_seconds", "metrics",
                "model_sha256", "program_ids"):
        assert key in manifest
    assert {"ndmatch", "scikit-learn", "konlpy"} <= set(manifest["versions"])
    assert manifest["tokenizer"]["tagger"] == "komoran"
    assert len(manifest["corpus"]["fingerprint"]) == 64
    assert manifest["metrics"]["cross_validation"]["n"] == 48


def test_roundtrip_gives_identical_scores(small_model, small_matcher):
    again = Matcher.load(small_model)
    np.testing.assert_allclose(again.scores(TEXTS), small_matcher.scores(TEXTS))


def copy_model(small_model, tmp_path):
    folder = tmp_path / "copy"
    shutil.copytree(resolve_model_dir(small_model), folder)
    return folder


def test_tampered_model_is_refused(small_model, tmp_path):
    folder = copy_model(small_model, tmp_path)
    data = bytearray((folder / MODEL_FILE).read_bytes())
    data[len(data) // 2] ^= 0xFF
    (folder / MODEL_FILE).write_bytes(bytes(data))
    with pytest.raises(ModelError, match="checksum does not match"):
        load_model(folder)


class _Exploit:
    def __reduce__(self):
        import pathlib

        return (pathlib.Path.touch, (pathlib.Path(_Exploit.marker),))


def test_malicious_pickle_is_refused_and_never_runs(small_model, tmp_path):
    """A pickle that would create a file when unpickled, given a matching checksum, is refused."""
    import hashlib

    folder = copy_model(small_model, tmp_path)
    _Exploit.marker = str(tmp_path / "pwned")
    payload = pickle.dumps(_Exploit())
    (folder / MODEL_FILE).write_bytes(payload)
    manifest = json.loads((folder / MANIFEST_FILE).read_text(encoding="utf-8"))
    manifest["model_sha256"] = hashlib.sha256(payload).hexdigest()
    (folder / MANIFEST_FILE).write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(ModelError, match="not a valid ndmatch model file"):
        load_model(folder)
    assert not (tmp_path / "pwned").exists()


def test_other_sklearn_major_is_refused(small_model, tmp_path):
    folder = copy_model(small_model, tmp_path)
    manifest = json.loads((folder / MANIFEST_FILE).read_text(encoding="utf-8"))
    manifest["versions"]["scikit-learn"] = "0.24.2"
    (folder / MANIFEST_FILE).write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(ModelError, match="built with scikit-learn 0.24.2"):
        load_model(folder)


def test_dangling_current_pointer(tmp_path):
    (tmp_path / CURRENT_FILE).write_text("gone\n", encoding="utf-8")
    with pytest.raises(ModelError, match="points to 'gone'"):
        resolve_model_dir(tmp_path)


def test_retraining_switches_current_and_keeps_previous(small_corpus, tmp_path):
    from ndmatch import api

    first, _ = api.train(corpus_dir=small_corpus, model_root=tmp_path)
    second, _ = api.train(corpus_dir=small_corpus, model_root=tmp_path)
    assert first != second and first.exists() and second.exists()
    assert resolve_model_dir(tmp_path) == second
    assert not list(tmp_path.glob(".staging-*"))


def test_tampered_similar_index_is_refused(small_model, tmp_path):
    from ndmatch.persistence import SIMILAR_FILE, load_similar_matrix, read_manifest

    folder = copy_model(small_model, tmp_path)
    (folder / SIMILAR_FILE).write_bytes(b"not the stored matrix")
    with pytest.raises(ModelError, match="checksum does not match"):
        load_similar_matrix(folder, read_manifest(folder))


def test_catalog_mismatch_is_refused(small_model, tmp_path):
    folder = copy_model(small_model, tmp_path)
    manifest = json.loads((folder / MANIFEST_FILE).read_text(encoding="utf-8"))
    manifest["catalog"] = manifest["catalog"][:-1]
    (folder / MANIFEST_FILE).write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(ModelError, match="catalog does not match"):
        load_model(folder)


def test_outdated_default_model_is_rebuilt_but_a_custom_one_is_not(small_corpus, tmp_path, monkeypatch):
    import json

    from ndmatch import api
    from ndmatch.errors import ModelError
    from ndmatch.persistence import resolve_model_dir

    monkeypatch.setenv("NDMATCH_MODEL_DIR", str(tmp_path / "default"))
    monkeypatch.setenv("NDMATCH_CORPUS", str(small_corpus))  # stands in for the bundled corpus
    messages = []
    root = api.default_model(progress=messages.append)
    first = resolve_model_dir(root)

    def age(model_dir):  # what an earlier ndmatch's tokenizer left behind
        manifest = json.loads((model_dir / "manifest.json").read_text(encoding="utf-8"))
        manifest["tokenizer"]["version"] = "0"
        (model_dir / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")

    age(first)
    matcher = api.load_matcher(progress=messages.append)
    assert matcher.path == resolve_model_dir(root) != first
    assert any("built by an earlier ndmatch" in m for m in messages)
    api.load_matcher()  # loads again

    custom = tmp_path / "custom"
    api.train(corpus_dir=small_corpus, model_root=custom, cross_validate=False)
    monkeypatch.setenv("NDMATCH_MODEL_DIR", str(custom))
    monkeypatch.setenv("NDMATCH_CORPUS", str(tmp_path / "elsewhere"))  # the custom model is not the bundled one
    age(resolve_model_dir(custom))
    with pytest.raises(ModelError, match="tokenizer version"):
        api.load_matcher()
