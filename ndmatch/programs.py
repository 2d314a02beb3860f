"""The program catalog: one YAML file per program under ``<corpus>/programs/``."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ndmatch.errors import CorpusFormatError, UnknownProgramError
from ndmatch.yamlio import load_yaml

PROGRAM_ID = re.compile(r"^[A-Z]{1,3}[0-9]{2,3}$")
PILLARS = ("digital", "green", "human")
APPLICANT_TYPES = ("지자체", "중앙부처", "공공기관", "교육청", "학교", "대학", "연구기관", "의료기관",
                   "중소기업", "중견기업", "대기업", "소상공인", "협동조합", "비영리", "주민")
PILLAR_NAMES = {"digital": "디지털 뉴딜", "green": "그린 뉴딜", "human": "휴먼 뉴딜"}
DESCRIPTION_CHARS = (400, 1000)
REQUIRED = ("id", "pillar", "name", "name_en", "ministry", "published", "description", "keywords", "applicants")
OPTIONAL = ("url", "examples")


@dataclass(frozen=True)
class Program:
    """One funding program of the catalog."""

    id: str
    pillar: str
    name: str
    name_en: str
    ministry: str
    published: str
    description: str
    keywords: tuple[str, ...]
    applicants: tuple[str, ...]
    url: str | None = None
    examples: tuple[str, ...] = field(default_factory=tuple)

    def training_texts(self) -> list[str]:
        """Texts that teach the model this program: its description, keywords, name and examples."""
        texts = [f"{self.name}\n{self.description}", " ".join(self.keywords)]
        texts.extend(self.examples)
        return texts

    def to_dict(self) -> dict:
        """Plain-JSON form (lists instead of tuples)."""
        data = asdict(self)
        for key in ("keywords", "applicants", "examples"):
            data[key] = list(data[key])
        return data

    @classmethod
    def from_dict(cls, data: dict) -> "Program":
        """Inverse of :meth:`to_dict` (no validation: use :func:`parse_program` for files)."""
        values = dict(data)
        for key in ("keywords", "applicants", "examples"):
            values[key] = tuple(values.get(key) or ())
        return cls(**{k: values.get(k) for k in cls.__dataclass_fields__})


def _string_list(value, field_name: str, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise CorpusFormatError(f"{where}: field {field_name!r} must be a list of non-empty strings")
    return tuple(v.strip() for v in value)


def parse_program(data, where: str, expected_id: str | None = None) -> Program:
    """Validate one program mapping read from ``where``; raise :class:`CorpusFormatError` with a fix-it hint."""
    if not isinstance(data, dict):
        raise CorpusFormatError(f"{where}: expected a mapping of program fields, found {type(data).__name__}")
    missing = [k for k in REQUIRED if k not in data]
    if missing:
        raise CorpusFormatError(f"{where}: missing field(s) {', '.join(missing)}; see corpus/README.md")
    unknown = sorted(map(str, set(data) - set(REQUIRED) - set(OPTIONAL)))  # keys may be numbers or dates
    if unknown:
        raise CorpusFormatError(f"{where}: unknown field(s) {', '.join(map(str, unknown))}; "
                                f"allowed: {', '.join(REQUIRED + OPTIONAL)}")
    pid = data["id"]
    if not isinstance(pid, str) or not PROGRAM_ID.fullmatch(pid):  # fullmatch: no trailing newline
        raise CorpusFormatError(f"{where}: id {pid!r} is not a program id such as 'D13' or 'G09' "
                                "(1-3 capital letters, then 2-3 digits)")
    if expected_id is not None and pid != expected_id:
        raise CorpusFormatError(f"{where}: id {pid!r} does not match the file name; name the file {pid}.yaml")
    if data["pillar"] not in PILLARS:
        raise CorpusFormatError(f"{where}: pillar {data['pillar']!r} must be one of {', '.join(PILLARS)}")
    for key in ("name", "name_en", "ministry", "description"):
        if not isinstance(data[key], str) or not data[key].strip():
            raise CorpusFormatError(f"{where}: field {key!r} must be a non-empty string")
    published = data["published"]
    if isinstance(published, dt.date):
        published = published.isoformat()
    elif not (isinstance(published, str) and re.match(r"^\d{4}-\d{2}-\d{2}$", published)):
        raise CorpusFormatError(f"{where}: published {published!r} must be a date such as 2020-07-14")
    description = data["description"].strip()
    low, high = DESCRIPTION_CHARS
    if not low <= len(description) <= high:
        raise CorpusFormatError(f"{where}: description has {len(description)} characters; "
                                f"write {low}-{high} (aims, activities, who may apply, typical projects)")
    keywords = _string_list(data["keywords"], "keywords", where)
    if len(keywords) < 5:
        raise CorpusFormatError(f"{where}: give at least 5 keywords (found {len(keywords)})")
    applicants = _string_list(data["applicants"], "applicants", where)
    bad = [a for a in applicants if a not in APPLICANT_TYPES]
    if bad:
        raise CorpusFormatError(f"{where}: unknown applicant type(s) {', '.join(bad)}; "
                                f"use: {', '.join(APPLICANT_TYPES)}")
    url = data.get("url")
    if url is not None and not (isinstance(url, str) and url.startswith(("http://", "https://"))):
        raise CorpusFormatError(f"{where}: url {url!r} must start with http:// or https://")
    examples = _string_list(data.get("examples") or [], "examples", where)
    return Program(id=pid, pillar=data["pillar"], name=data["name"].strip(), name_en=data["name_en"].strip(),
                   ministry=data["ministry"].strip(), published=published, description=description,
                   keywords=keywords, applicants=applicants, url=url, examples=examples)


def load_program_file(path: Path) -> Program:
    """Read and validate one program YAML file."""
    path = Path(path)
    return parse_program(load_yaml(path), str(path), expected_id=path.stem)


def load_programs(corpus_dir: Path) -> list[Program]:
    """Load every ``programs/*.yaml`` of a corpus, sorted by id."""
    folder = Path(corpus_dir) / "programs"
    if not folder.is_dir():
        raise CorpusFormatError(f"{folder}: no programs folder; a corpus needs programs/<ID>.yaml files")
    programs = [load_program_file(p) for p in sorted(folder.glob("*.yaml"))]
    if not programs:
        raise CorpusFormatError(f"{folder}: no program files (*.yaml) found")
    return sorted(programs, key=lambda p: p.id)


def find_program(programs: list[Program], program_id: str) -> Program:
    """Return the program ``program_id`` or raise :class:`UnknownProgramError` listing the known ids."""
    for program in programs:
        if program.id == program_id.strip().upper():
            return program
    known = ", ".join(p.id for p in programs)
    raise UnknownProgramError(f"unknown program id {program_id!r}; known ids: {known}")


@dataclass
class ProgramCheck:
    """Validation result of one program file: the program (when it parsed), errors and warnings."""

    path: str
    program: Program | None
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


#: Fewer examples than this still validate, with a warning: the program then ranks from its description alone.
RECOMMENDED_EXAMPLES = 3
MIN_EXAMPLE_CHARS = 15


def validate_program_file(path: Path, taken_ids: set[str] | None = None) -> ProgramCheck:
    """Check a program file: schema, id not already ``taken_ids``, description length, examples."""
    path = Path(path)
    try:
        program = parse_program(load_yaml(path), str(path))
    except CorpusFormatError as exc:
        return ProgramCheck(str(path), None, errors=[str(exc)])
    check = ProgramCheck(str(path), program)
    if taken_ids is not None and program.id in taken_ids:
        check.errors.append(f"{path}: program id {program.id} is already in the corpus; choose a new id")
    short = [i for i, e in enumerate(program.examples, 1) if len(e) < MIN_EXAMPLE_CHARS]
    if short:
        check.errors.append(f"{path}: example(s) {', '.join(map(str, short))} are shorter than "
                            f"{MIN_EXAMPLE_CHARS} characters; write a sentence about a real project")
    if len(set(program.examples)) != len(program.examples):
        check.errors.append(f"{path}: duplicate examples; each example must be a different proposal")
    if len(program.examples) < RECOMMENDED_EXAMPLES:
        check.warnings.append(f"{path}: {len(program.examples)} example(s); {RECOMMENDED_EXAMPLES} or more make "
                              "the new program rank more reliably (it still ranks from its description)")
    return check


def add_program(path: Path, corpus_dir: Path) -> ProgramCheck:
    """Validate ``path`` against ``corpus_dir`` and copy it to ``<corpus>/programs/<ID>.yaml`` (atomically)."""
    import os
    import tempfile

    folder = Path(corpus_dir) / "programs"
    if not folder.is_dir():
        raise CorpusFormatError(f"{folder}: not a corpus programs folder; create a corpus with "
                                "`ndmatch corpus init DIR` and pass --corpus DIR")
    taken = {p.stem for p in folder.glob("*.yaml")}
    check = validate_program_file(path, taken)
    if check.errors:
        raise CorpusFormatError(check.errors[0])
    target = folder / f"{check.program.id}.yaml"
    data = Path(path).read_bytes()
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=folder)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, target)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise CorpusFormatError(f"{target}: cannot write ({exc.strerror}); check the folder is writable") from exc
    return check
