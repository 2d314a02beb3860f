"""The labelled corpus: program catalog, training proposals and the held-out set."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from ndmatch.errors import CorpusFormatError, InputError
from ndmatch.programs import Program, load_programs
from ndmatch.tables import TABLE_SUFFIXES, read_table

STYLES = ("formal", "news", "title", "memo", "column", "long", "english-mixed")
TEXT_CHARS = (30, 2500)


@dataclass(frozen=True)
class LabelledText:
    """A proposal text with its program ids (primary first)."""

    id: str
    text: str
    programs: tuple[str, ...]
    style: str = ""
    source: str = ""

    @property
    def primary(self) -> str:
        """The primary program id."""
        return self.programs[0]


def default_corpus_dir() -> Path:
    """The bundled corpus (``NDMATCH_CORPUS`` overrides it)."""
    override = os.environ.get("NDMATCH_CORPUS")
    if override:
        return Path(override)
    return Path(str(resources.files("ndmatch.bundled_corpus")))


def find_split(corpus_dir: Path, name: str) -> Path | None:
    """Path of ``<corpus>/<name>.{jsonl,csv,xlsx}``, or ``None``."""
    for suffix in TABLE_SUFFIXES:
        candidate = Path(corpus_dir) / f"{name}{suffix}"
        if candidate.is_file():
            return candidate
    return None


def parse_program_ids(value, where: str) -> tuple[str, ...]:
    """Split a ``;``-separated program list such as ``'D07;D01'``."""
    if isinstance(value, list):
        ids = [str(v).strip().upper() for v in value]
    else:
        ids = [part.strip().upper() for part in str(value or "").replace(",", ";").split(";")]
    ids = [i for i in ids if i]
    if not ids:
        raise InputError(f"{where}: empty 'programs' value; give program ids separated by ';' (primary first)")
    return tuple(dict.fromkeys(ids))


def load_labelled(path: Path, text_column: str = "text", programs_column: str = "programs",
                  known_ids: set[str] | None = None) -> list[LabelledText]:
    """Load a labelled table (CSV/JSONL/XLSX with ``text`` and ``programs`` columns)."""
    rows = read_table(path)
    items = []
    for number, row in enumerate(rows, 1):
        where = f"{path}: row {number}"
        text = row.get(text_column)
        if not isinstance(text, str) or not text.strip():
            raise InputError(f"{where}: empty or missing {text_column!r}; every row needs the proposal text")
        if programs_column not in row:
            raise InputError(f"{where}: missing column {programs_column!r} with ';'-separated program ids")
        programs = parse_program_ids(row[programs_column], where)
        if known_ids is not None:
            unknown = [p for p in programs if p not in known_ids]
            if unknown:
                raise InputError(f"{where}: unknown program id(s) {', '.join(unknown)}; "
                                 f"known: {', '.join(sorted(known_ids))}")
        items.append(LabelledText(id=str(row.get("id") or number), text=text.strip(), programs=programs,
                                  style=str(row.get("style") or ""), source=str(row.get("source") or "")))
    return items


@dataclass(frozen=True)
class Corpus:
    """A whole corpus folder."""

    path: Path
    programs: list[Program]
    proposals: list[LabelledText]
    heldout: list[LabelledText]

    @property
    def program_ids(self) -> list[str]:
        return [p.id for p in self.programs]


def load_corpus(corpus_dir: Path | None = None, with_heldout: bool = True) -> Corpus:
    """Load programs, ``proposals.*`` and (optionally) ``heldout.*`` of a corpus folder."""
    corpus_dir = Path(corpus_dir) if corpus_dir is not None else default_corpus_dir()
    if not corpus_dir.is_dir():
        raise CorpusFormatError(f"{corpus_dir}: corpus folder not found")
    programs = load_programs(corpus_dir)
    known = {p.id for p in programs}
    proposals_path = find_split(corpus_dir, "proposals")
    proposals = load_labelled(proposals_path, known_ids=known) if proposals_path else []
    heldout_path = find_split(corpus_dir, "heldout") if with_heldout else None
    heldout = load_labelled(heldout_path, known_ids=known) if heldout_path else []
    return Corpus(path=corpus_dir, programs=programs, proposals=proposals, heldout=heldout)


def corpus_files(corpus_dir: Path) -> list[Path]:
    """The files that make up a corpus (what its fingerprint covers)."""
    corpus_dir = Path(corpus_dir)
    files = sorted((corpus_dir / "programs").glob("*.yaml"))
    for name in ("proposals", "heldout"):
        path = find_split(corpus_dir, name)
        if path:
            files.append(path)
    return files


def corpus_fingerprint(corpus_dir: Path) -> str:
    """SHA-256 over the corpus files' relative names and bytes."""
    digest = hashlib.sha256()
    corpus_dir = Path(corpus_dir)
    for path in corpus_files(corpus_dir):
        digest.update(path.relative_to(corpus_dir).as_posix().encode("utf-8") + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def init_corpus(target: Path, source: Path | None = None) -> list[Path]:
    """Copy a corpus (default: the bundled one) into an empty or new folder ``target``; return the files."""
    import shutil

    source = Path(source) if source is not None else default_corpus_dir()
    target = Path(target)
    if target.exists() and any(target.iterdir()):
        raise InputError(f"{target}: folder is not empty; choose a new folder for the corpus")
    copied = []
    try:
        (target / "programs").mkdir(parents=True, exist_ok=True)
        for path in sorted((source / "programs").glob("*.yaml")):
            copied.append(Path(shutil.copy2(path, target / "programs" / path.name)))
        for name in ("proposals", "heldout", "dev", "stress"):
            split = find_split(source, name)
            if split is not None:
                copied.append(Path(shutil.copy2(split, target / split.name)))
        if (source / "README.md").is_file():
            copied.append(Path(shutil.copy2(source / "README.md", target / "README.md")))
    except OSError as exc:
        raise InputError(f"{target}: cannot create the corpus ({exc.strerror})") from exc
    return copied
