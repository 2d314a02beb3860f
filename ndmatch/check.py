"""``ndmatch corpus check``: schema, ids, lengths, duplicates, train/held-out leakage and balance."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from ndmatch.corpus import STYLES, TEXT_CHARS, find_split, parse_program_ids
from ndmatch.errors import CorpusFormatError, InputError
from ndmatch.programs import load_program_file
from ndmatch.tables import read_table

#: Character-n-gram TF-IDF cosine at or above which two texts count as near-duplicates.
NEAR_DUPLICATE_COSINE = 0.8
MIN_PER_PROGRAM = {"proposals": 40, "heldout": 10}
#: Further evaluation sets a corpus may hold (dev: tuning; stress: harder styles, written by a writer who saw
#: no training text); schema-checked and checked for leakage from training like the held-out set.
OPTIONAL_EVALUATION_SPLITS = ("dev", "stress")
REQUIRED_COLUMNS = ("id", "text", "programs", "style", "source")


@dataclass
class CheckReport:
    """What the check found: errors (the corpus fails) and warnings, plus counts."""

    path: Path
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    counts: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"path": str(self.path), "ok": not self.errors, "errors": self.errors, "warnings": self.warnings,
                "counts": self.counts}

    def render(self) -> str:
        lines = [f"corpus {self.path}"]
        for split, info in self.counts.items():
            if split == "programs":
                lines.append(f"  programs: {info}")
                continue
            lines.append(f"  {split}: {info['total']} texts; per program: "
                         + ", ".join(f"{k} {v}" for k, v in sorted(info["per_program"].items())))
            lines.append("    styles: " + ", ".join(f"{k} {v}" for k, v in sorted(info["styles"].items())))
        lines += [f"error: {e}" for e in self.errors]
        lines += [f"warning: {w}" for w in self.warnings]
        lines.append("OK" if not self.errors else f"{len(self.errors)} error(s)")
        return "\n".join(lines)


def _check_programs(corpus_dir: Path, report: CheckReport) -> set[str]:
    ids: set[str] = set()
    folder = corpus_dir / "programs"
    files = sorted(folder.glob("*.yaml")) if folder.is_dir() else []
    if not files:
        report.errors.append(f"{folder}: no program files")
    for path in files:
        try:
            program = load_program_file(path)
        except CorpusFormatError as exc:
            report.errors.append(str(exc))
            continue
        if program.id in ids:
            report.errors.append(f"{path}: duplicate program id {program.id}")
        ids.add(program.id)
    report.counts["programs"] = len(ids)
    return ids


def _check_split(path: Path, split: str, known: set[str], report: CheckReport) -> list[tuple[str, str, str]]:
    """Validate every row; return (where, text, primary) of the valid ones."""
    try:
        rows = read_table(path)
    except (InputError, CorpusFormatError) as exc:
        report.errors.append(str(exc))
        return []
    valid, seen_ids = [], {}
    per_program, styles = Counter(), Counter()
    style_by_program = defaultdict(Counter)
    for line, row in enumerate(rows, 1):
        where = f"{path}:{line}"
        missing = [c for c in REQUIRED_COLUMNS if c not in row]
        if missing:
            report.errors.append(f"{where}: missing field(s) {', '.join(missing)}")
            continue
        rid = str(row["id"])
        if rid in seen_ids:
            report.errors.append(f"{where}: duplicate id {rid!r} (first at line {seen_ids[rid]})")
        seen_ids.setdefault(rid, line)
        try:
            programs = parse_program_ids(row["programs"], where)
        except InputError as exc:
            report.errors.append(str(exc))
            continue
        unknown = [p for p in programs if p not in known]
        if unknown:
            report.errors.append(f"{where}: unknown program id(s) {', '.join(unknown)}")
            continue
        text = str(row["text"] or "").strip()
        low, high = TEXT_CHARS
        if not low <= len(text) <= high:
            report.errors.append(f"{where}: text has {len(text)} characters; write {low}-{high}")
            continue
        if row["style"] not in STYLES:
            report.errors.append(f"{where}: style {row['style']!r} is not one of {', '.join(STYLES)}")
        if not str(row["source"] or "").strip():
            report.errors.append(f"{where}: empty source; name the real project or fact, or write 'invented'")
        per_program[programs[0]] += 1
        styles[row["style"]] += 1
        style_by_program[programs[0]][row["style"]] += 1
        valid.append((f"{where} ({rid})", text, programs[0]))
    minimum = MIN_PER_PROGRAM.get(split, 0)
    for pid in sorted(known):
        if per_program[pid] < minimum:
            report.errors.append(f"{path}: program {pid} has {per_program[pid]} texts; at least {minimum} needed")
        kinds = len(style_by_program[pid])
        if per_program[pid] >= 8 and kinds < 4:  # too few texts to ask for variety
            report.warnings.append(f"{path}: program {pid} uses only {kinds} styles; vary them")
    report.counts[split] = {"total": sum(per_program.values()), "per_program": dict(per_program),
                            "styles": dict(styles)}
    return valid


def _near_duplicates(items: list[tuple[str, str, str]], other: list[tuple[str, str, str]] | None,
                     threshold: float) -> list[tuple[str, str, float]]:
    """Pairs with char-n-gram cosine >= threshold, within ``items`` or between ``items`` and ``other``."""
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer

    texts = [t for _, t, _ in items] + ([t for _, t, _ in other] if other else [])
    if len(texts) < 2:
        return []
    matrix = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True).fit_transform(texts)
    a = matrix[:len(items)]
    b = matrix[len(items):] if other else a
    sims = (a @ b.T).toarray()
    if other is None:
        sims = np.triu(sims, k=1)
    pairs = []
    for i, j in zip(*np.nonzero(sims >= threshold)):
        right = other[j] if other else items[j]
        pairs.append((items[i][0], right[0], float(sims[i, j])))
    return pairs


def check_corpus(corpus_dir: Path, near_duplicate: float = NEAR_DUPLICATE_COSINE) -> CheckReport:
    """Check a corpus folder and return a report (it does not raise on problems)."""
    corpus_dir = Path(corpus_dir)
    report = CheckReport(path=corpus_dir)
    if not corpus_dir.is_dir():
        report.errors.append(f"{corpus_dir}: corpus folder not found")
        return report
    known = _check_programs(corpus_dir, report)
    splits = {}
    for split in ("proposals", "heldout"):
        path = find_split(corpus_dir, split)
        if path is None:
            report.errors.append(f"{corpus_dir}: no {split}.jsonl/.csv/.xlsx")
            continue
        splits[split] = _check_split(path, split, known, report)
    train = splits.get("proposals", [])
    for left, right, sim in _near_duplicates(train, None, near_duplicate):
        kind = "exact duplicate" if sim > 0.999 else f"near-duplicate (cosine {sim:.2f})"
        report.errors.append(f"{left}: {kind} of {right}")
    for split in OPTIONAL_EVALUATION_SPLITS:  # checked like held-out when present
        path = find_split(corpus_dir, split)
        if path is not None:
            splits[split] = _check_split(path, split, known, report)
    for split in ("heldout",) + OPTIONAL_EVALUATION_SPLITS:
        if not splits.get(split):
            continue
        for left, right, sim in _near_duplicates(train, splits[split], near_duplicate):
            report.errors.append(f"{right}: {split} text leaks from training {left} (cosine {sim:.2f})")
    return report
