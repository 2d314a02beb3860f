"""Versioned model store: each model is a folder with ``model.npz``, ``similar.npz`` and ``manifest.json``.

A store root holds one folder per version and a ``current`` pointer file. Every write goes to a temporary
name first and is then renamed into place, so a crash never leaves a broken model or pointer behind.
Models are stored as NumPy arrays plus JSON (``ndmatch.safeformat``) and read with ``allow_pickle=False``:
no pickle bytes are ever executed, and a file whose
checksum, tokenizer or scikit-learn version does not match is refused.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ndmatch.errors import ModelError

MODEL_FILE = "model.npz"
SIMILAR_FILE = "similar.npz"
MANIFEST_FILE = "manifest.json"
CURRENT_FILE = "current"
#: Lock file of a store: publishing a version (rename + ``current``) holds an exclusive flock on it.
LOCK_FILE = ".lock"
#: 2: model.npz (arrays + JSON, ndmatch.safeformat); 1 was a skops file.
FORMAT_VERSION = 2


def default_model_root() -> Path:
    """``$NDMATCH_MODEL_DIR`` or ``models`` in the user's data folder."""
    override = os.environ.get("NDMATCH_MODEL_DIR")
    if override:
        return Path(override)
    import platformdirs

    return platformdirs.user_data_path("ndmatch") / "models"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder and an atomic rename."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save_model(pipeline, manifest: dict, root: Path, similar_matrix=None) -> Path:
    """Write a new model version under ``root`` and make it current; return its folder.

    ``similar_matrix`` (sparse, one row per corpus proposal) is stored beside the model for the
    similar-project search; it is written with ``scipy.sparse.save_npz`` and read without pickle.

    Crash safety: the version is written in a hidden staging folder, synced, and renamed into place; only then
    is ``current`` replaced (also by an atomic rename). A process killed at any moment leaves the previous
    model current and loadable. Concurrent trainings publish one at a time under an exclusive ``flock`` on
    ``<root>/.lock`` (the last to finish becomes current), and the publisher holding the lock removes what
    killed writers left behind (staging folders of dead processes, temporary pointer files).
    """
    import fcntl
    import shutil

    from ndmatch import safeformat

    root = Path(root)
    try:
        root.mkdir(parents=True, exist_ok=True)
        now = dt.datetime.now(dt.timezone.utc)
        fingerprint = manifest.get("corpus", {}).get("fingerprint", "")[:8]
        # Sortable by time; microseconds and pid keep concurrent trainings apart.
        version = f"{now:%Y%m%d-%H%M%S}-{now.microsecond:06d}-{fingerprint}-{os.getpid()}"
        staging = Path(tempfile.mkdtemp(prefix=f".staging-{version}-", dir=root))
        try:
            model_path = staging / MODEL_FILE
            safeformat.dump_pipeline(pipeline, model_path)
            manifest = dict(manifest, version=version, format_version=FORMAT_VERSION,
                            model_sha256=_sha256(model_path))
            if similar_matrix is not None:
                from scipy import sparse

                sparse.save_npz(staging / SIMILAR_FILE, similar_matrix, compressed=True)
                manifest["similar_sha256"] = _sha256(staging / SIMILAR_FILE)
            (staging / MANIFEST_FILE).write_text(json.dumps(manifest, ensure_ascii=False, indent=2),
                                                 encoding="utf-8")
            for written in staging.iterdir():  # on disk before the rename makes them visible
                _fsync(written)
            final = root / version
            with open(root / LOCK_FILE, "a+b") as lock:
                fcntl.flock(lock.fileno(), fcntl.LOCK_EX)  # released when the file is closed (or the process dies)
                os.replace(staging, final)
                _write_atomic(root / CURRENT_FILE, (version + "\n").encode("utf-8"))
                _fsync(root)
                _remove_leftovers(root)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        return final
    except OSError as exc:
        raise ModelError(f"{root}: cannot write the model ({exc.strerror or exc}); "
                         "check that the folder is writable and the disk is not full, or pass --model") from exc


def _fsync(path: Path) -> None:
    """Flush a file's or folder's data and metadata to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _remove_leftovers(root: Path) -> None:
    """Delete staging folders of writers that no longer run and stray pointer temporaries (under the lock)."""
    import shutil

    for entry in root.iterdir():
        if entry.name.startswith(f".{CURRENT_FILE}.") and entry.name.endswith(".tmp"):
            entry.unlink(missing_ok=True)
        elif entry.name.startswith(".staging-") and entry.is_dir():
            parts = entry.name.rsplit("-", 2)
            if len(parts) == 3 and parts[1].isdigit() and not _alive(int(parts[1])):
                shutil.rmtree(entry, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # e.g. another user's process
        return True
    return True


def resolve_model_dir(path: Path) -> Path:
    """Folder of the model named by ``path``: a version folder, or a store root's current version."""
    path = Path(path)
    if (path / MANIFEST_FILE).is_file():
        return path
    pointer = path / CURRENT_FILE
    if pointer.is_file():
        version = pointer.read_text(encoding="utf-8").strip()
        target = path / version
        if not (target / MANIFEST_FILE).is_file():
            raise ModelError(f"{pointer}: points to {version!r}, which is missing; run `ndmatch train`")
        return target
    raise ModelError(f"{path}: no trained model here; run `ndmatch train --model {path}`")


def model_exists(path: Path) -> bool:
    """Whether ``path`` names a loadable model folder or a store with a current model."""
    try:
        resolve_model_dir(path)
        return True
    except ModelError:
        return False


@dataclass
class StoredModel:
    """A loaded pipeline with its manifest."""

    pipeline: object
    manifest: dict
    path: Path


def read_manifest(model_dir: Path) -> dict:
    """Read and parse a model's manifest."""
    path = Path(model_dir) / MANIFEST_FILE
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelError(f"{path}: unreadable model manifest ({exc}); retrain with `ndmatch train`") from exc
    if not isinstance(manifest, dict) or manifest.get("format_version") != FORMAT_VERSION:
        raise ModelError(f"{path}: unsupported model format; retrain with `ndmatch train`")
    return manifest


def check_compatible(manifest: dict, where: Path) -> None:
    """Refuse a model built with another scikit-learn major version or tokenizer version."""
    import sklearn

    from ndmatch.tokenize import TOKENIZER_VERSION

    built = str(manifest.get("versions", {}).get("scikit-learn", ""))
    if built.split(".")[:1] != sklearn.__version__.split(".")[:1]:
        raise ModelError(f"{where}: built with scikit-learn {built or '?'}, this is {sklearn.__version__}; "
                         "retrain with `ndmatch train`")
    tokenizer_version = str(manifest.get("tokenizer", {}).get("version", ""))
    if tokenizer_version != TOKENIZER_VERSION:
        raise ModelError(f"{where}: built with tokenizer version {tokenizer_version or '?'}, this ndmatch uses "
                         f"{TOKENIZER_VERSION}; retrain with `ndmatch train`")


def load_model(path: Path) -> StoredModel:
    """Load a model safely: checksum and compatibility are checked, then arrays and JSON are read (no pickle)."""
    from ndmatch.safeformat import load_pipeline

    model_dir = resolve_model_dir(path)
    manifest = read_manifest(model_dir)
    check_compatible(manifest, model_dir)
    model_path = model_dir / MODEL_FILE
    try:
        data = model_path.read_bytes()
    except OSError as exc:
        raise ModelError(f"{model_path}: cannot read ({exc.strerror}); retrain with `ndmatch train`") from exc
    if hashlib.sha256(data).hexdigest() != manifest.get("model_sha256"):
        raise ModelError(f"{model_path}: checksum does not match the manifest (file changed or damaged); "
                         "refusing to load it. Retrain or copy the model folder again")
    pipeline = load_pipeline(data, str(model_path))
    check_catalog(pipeline, manifest, model_dir)
    return StoredModel(pipeline=pipeline, manifest=manifest, path=model_dir)


def check_catalog(pipeline, manifest: dict, where: Path) -> None:
    """Refuse a model whose classifier, program ids and catalog do not describe the same programs."""
    ids = list(manifest.get("program_ids") or [])
    catalog = [p.get("id") for p in manifest.get("catalog") or [] if isinstance(p, dict)]
    try:
        n_outputs = len(pipeline.named_steps["classifier"].estimators_)
    except (AttributeError, KeyError, TypeError) as exc:
        raise ModelError(f"{where}: the model has no fitted classifier; retrain with `ndmatch train`") from exc
    if not ids or sorted(ids) != sorted(catalog) or n_outputs != len(ids):
        raise ModelError(f"{where}: the model's catalog does not match its classifier ({len(catalog)} programs "
                         f"listed, {n_outputs} scored); refusing it. Retrain with `ndmatch train`")


def load_similar_matrix(model_dir: Path, manifest: dict):
    """The stored similar-project matrix, checksum-verified and loaded without pickle; ``None`` if absent."""
    from scipy import sparse

    path = Path(model_dir) / SIMILAR_FILE
    expected = manifest.get("similar_sha256")
    if not expected or not path.is_file():
        return None
    if _sha256(path) != expected:
        raise ModelError(f"{path}: checksum does not match the manifest (file changed or damaged); "
                         "retrain or copy the model folder again")
    try:
        return sparse.load_npz(path)  # np.load with allow_pickle=False underneath
    except (OSError, ValueError) as exc:
        raise ModelError(f"{path}: unreadable ({exc}); retrain with `ndmatch train`") from exc
