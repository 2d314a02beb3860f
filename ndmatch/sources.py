"""Streaming batch inputs for ``rank``: CSV (UTF-8 or CP949), JSONL, XLSX or a folder of documents.

Every source yields :class:`Record` objects one at a time, so memory does not grow with the input. A record
that cannot be used (empty text, broken characters, an invalid JSON line, an unreadable document) is still
yielded, with ``error`` set, so that it is reported with its row number and counted, never aborting the run.

Row numbers count data rows after the header (row 1 is the spreadsheet's second line); in JSONL they are
line numbers; in a folder the record is named by its path relative to the folder.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ndmatch.errors import InputError, UsageError
from ndmatch.tables import csv_dialect

TABLE_SUFFIXES = (".csv", ".jsonl", ".xlsx")
#: Bytes looked at to choose a CSV/JSONL file's encoding and CSV dialect.
SNIFF_BYTES = 1 << 20
# Undecodable bytes become lone surrogates (errors="surrogateescape"), and JSON can spell any lone surrogate
# ("\\ud800"): a row containing one is skipped (it could not be written out as UTF-8 either).
_BROKEN = re.compile("[\ud800-\udfff]")


@dataclass
class Record:
    """One proposal of a batch: its position, id, text (or document path) and original columns."""

    number: int
    where: str
    id: str
    text: str | None = None
    path: str | None = None
    row: dict = field(default_factory=dict)
    error: str | None = None


def _broken(where: str) -> str:
    return (f"{where}: contains bytes that are not valid text in the file's encoding (broken characters); "
            "re-save the file as UTF-8")


def detect_encoding(sample: bytes, path: Path) -> str:
    """Choose the codec of a CSV/JSONL file from its first bytes: UTF-8 (BOM optional), else CP949, else a guess."""
    if sample.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        decoder.decode(sample, final=False)  # final=False: the sample may end inside a character
        return "utf-8-sig"
    except UnicodeDecodeError:
        pass
    cp949 = sample.decode("cp949", errors="replace")
    hangul = len(re.findall("[\uac00-\ud7a3]", cp949))
    # A few broken rows must not hide that the file is CP949: they are skipped one by one later.
    if hangul and cp949.count("\ufffd") <= max(3, hangul // 20):
        return "cp949"
    from charset_normalizer import from_bytes

    best = from_bytes(sample, cp_isolation=["cp949", "euc_kr", "utf_16", "utf_8"]).best()
    if best is None:
        raise InputError(f"{path}: cannot tell the text encoding; save the file as UTF-8")
    return best.encoding


class Source:
    """A batch input: its original column names, a record stream and (cheaply) a record count."""

    def __init__(self, path: Path, text_column: str = "text", id_column: str = "id"):
        self.path = Path(path)
        self.text_column = text_column
        self.id_column = id_column
        self.columns: list[str] = []

    def records(self) -> Iterator[Record]:  # pragma: no cover - abstract
        raise NotImplementedError

    def count(self) -> int | None:
        """Number of records, when it can be known without scoring (used for the progress bar's ETA)."""
        return None

    def _record(self, number: int, where: str, row: dict) -> Record:
        value = row.get(self.text_column)
        if value is None:
            text = ""
        elif isinstance(value, str):
            text = value
        else:
            text = json.dumps(value, ensure_ascii=False) if isinstance(value, (dict, list)) else str(value)
        raw_id = row.get(self.id_column)
        ident = str(raw_id).strip() if raw_id not in (None, "") else str(number)
        error = _broken(f"{self.path}: {where}") if _BROKEN.search(text) else None
        return Record(number=number, where=where, id=ident, text=text, row=row, error=error)

    def _require_text_column(self) -> None:
        if self.text_column not in self.columns:
            raise InputError(f"{self.path}: no column {self.text_column!r}; found {self.columns}. "
                             "Rename the column or pass --text-column NAME")


class CsvSource(Source):
    """CSV read incrementally through a decoding wrapper; the delimiter is sniffed from the file's start."""

    def __init__(self, path: Path, text_column: str = "text", id_column: str = "id"):
        super().__init__(path, text_column, id_column)
        with self._open_binary() as fh:
            sample = fh.read(SNIFF_BYTES)
        if not sample.strip():
            raise InputError(f"{self.path}: the file is empty; it needs a header row and data rows")
        self.encoding = detect_encoding(sample, self.path)
        head = sample.decode(self.encoding, errors="surrogateescape")[:4096]
        self.dialect = csv_dialect(head)
        with self._open_text() as fh:
            header = next(csv.reader(fh, self.dialect), None)
        if not header:
            raise InputError(f"{self.path}: the file is empty; it needs a header row and data rows")
        self.columns = [h.strip() for h in header]
        self._require_text_column()

    def _open_binary(self):
        try:
            return open(self.path, "rb")
        except OSError as exc:
            raise InputError(f"{self.path}: cannot read ({exc.strerror}); check its permissions") from exc

    def _open_text(self):
        return io.TextIOWrapper(self._open_binary(), encoding=self.encoding, errors="surrogateescape", newline="")

    def _rows(self) -> Iterator[tuple[int, list[str] | None, str | None]]:
        # Proposals can be long: lift csv's 128 KiB field limit (files are capped by what the OS streams).
        csv.field_size_limit(64 * 1024 * 1024)
        with self._open_text() as fh:
            reader = csv.reader(fh, self.dialect)
            next(reader, None)
            number = 0
            while True:
                number += 1
                try:
                    values = next(reader)
                except StopIteration:
                    return
                except csv.Error as exc:
                    yield number, None, str(exc)
                    continue
                yield number, values, None

    def records(self) -> Iterator[Record]:
        for number, values, problem in self._rows():
            where = f"row {number}"
            if values is None:
                yield Record(number, where, str(number),
                             error=f"{self.path}: {where}: not a valid CSV record ({problem}); fix or remove it")
                continue
            if not any(v.strip() for v in values):
                continue  # blank line: nothing to report
            row = {name: (values[i] if i < len(values) else "") for i, name in enumerate(self.columns)}
            yield self._record(number, where, row)

    def count(self) -> int:
        return sum(1 for _, values, _ in self._rows() if values is None or any(v.strip() for v in values))


class JsonlSource(Source):
    """JSON Lines read line by line; the columns are the union of the objects' keys (one cheap pre-pass)."""

    def __init__(self, path: Path, text_column: str = "text", id_column: str = "id"):
        super().__init__(path, text_column, id_column)
        try:
            with open(self.path, "rb") as fh:
                sample = fh.read(SNIFF_BYTES)
        except OSError as exc:
            raise InputError(f"{self.path}: cannot read ({exc.strerror}); check its permissions") from exc
        self.encoding = detect_encoding(sample, self.path) if sample.strip() else "utf-8-sig"
        seen: dict[str, None] = {}
        self._count = 0
        for _, obj, _ in self._objects():
            self._count += 1
            if isinstance(obj, dict):
                seen.update(dict.fromkeys(obj))
        if not self._count:
            raise InputError(f"{self.path}: no data rows")
        self.columns = list(seen)
        self._require_text_column()

    def _objects(self) -> Iterator[tuple[int, object, str | None]]:
        with open(self.path, encoding=self.encoding, errors="surrogateescape", newline="\n") as fh:
            for number, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    yield number, json.loads(line), None
                except json.JSONDecodeError as exc:
                    yield number, None, f"invalid JSON ({exc.msg}); each line must be one JSON object"

    def records(self) -> Iterator[Record]:
        for number, obj, problem in self._objects():
            where = f"line {number}"
            if problem is None and not isinstance(obj, dict):
                problem = f"expected a JSON object, found {type(obj).__name__}"
            if problem is not None:
                yield Record(number, where, str(number), error=f"{self.path}: {where}: {problem}")
                continue
            yield self._record(number, where, obj)

    def count(self) -> int:
        return self._count


class XlsxSource(Source):
    """One sheet of an Excel workbook (the first, or ``sheet``), read with openpyxl's read-only mode."""

    def __init__(self, path: Path, text_column: str = "text", id_column: str = "id", sheet: str | None = None):
        super().__init__(path, text_column, id_column)
        self.sheet = sheet
        with self._sheet() as rows:
            header = next(rows, None)
        if header is None:
            raise InputError(f"{self.path}: sheet {sheet or '(first)'} is empty")
        self.columns = [str(h).strip() if h is not None else "" for h in header]
        self._require_text_column()

    def _sheet(self):
        from contextlib import contextmanager

        @contextmanager
        def opened():
            try:
                from openpyxl import load_workbook

                workbook = load_workbook(self.path, read_only=True, data_only=True)
            except Exception as exc:  # openpyxl raises many types for broken files
                raise InputError(f"{self.path}: not a readable Excel .xlsx file ({type(exc).__name__}); "
                                 "re-save it from Excel as .xlsx or export CSV") from exc
            try:
                if self.sheet is None:
                    worksheet = workbook.worksheets[0]
                elif self.sheet in workbook.sheetnames:
                    worksheet = workbook[self.sheet]
                else:
                    raise UsageError(f"{self.path}: no sheet {self.sheet!r}; sheets: {', '.join(workbook.sheetnames)}")
                self._max_row = worksheet.max_row
                yield worksheet.iter_rows(values_only=True)
            finally:
                workbook.close()

        return opened()

    def records(self) -> Iterator[Record]:
        with self._sheet() as rows:
            next(rows, None)
            for number, values in enumerate(rows, 1):
                if values is None or all(v is None or str(v).strip() == "" for v in values):
                    continue
                row = {name: ("" if v is None else str(v)) for name, v in zip(self.columns, values) if name}
                yield self._record(number, f"row {number}", row)

    def count(self) -> int | None:
        rows = getattr(self, "_max_row", None)
        return rows - 1 if rows else None


class FolderSource(Source):
    """Every document under a folder (sorted, hidden files skipped); the id is the path relative to it."""

    def __init__(self, path: Path, text_column: str = "text", id_column: str = "id"):
        super().__init__(path, text_column, id_column)
        self.columns = []

    def _files(self) -> Iterator[Path]:
        for folder, dirs, files in os.walk(self.path):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in sorted(files):
                if not name.startswith("."):
                    yield Path(folder) / name

    def records(self) -> Iterator[Record]:
        from ndmatch.readers import SUPPORTED

        for number, file in enumerate(self._files(), 1):
            relative = file.relative_to(self.path).as_posix()
            if file.suffix.lower() not in SUPPORTED:
                yield Record(number, relative, relative,
                             error=f"{file}: unsupported file type {file.suffix}; not a proposal document")
                continue
            # The document is read by the worker that scores it: HWP/PDF parsing is real work too.
            yield Record(number, relative, relative, path=str(file))

    def count(self) -> int:
        return sum(1 for _ in self._files())


def open_source(path: Path, text_column: str = "text", id_column: str = "id", sheet: str | None = None) -> Source:
    """The streaming source for ``path`` (a table file or a folder of documents; ``sheet`` for XLSX)."""
    path = Path(path)
    if path.is_dir():
        return FolderSource(path, text_column, id_column)
    suffix = path.suffix.lower()
    if suffix not in TABLE_SUFFIXES:
        raise UsageError(f"{path}: unsupported table type {suffix or '(none)'}; use .csv, .jsonl or .xlsx, "
                         "or a folder of documents")
    if not path.is_file():
        raise InputError(f"{path}: no such file; check the path")
    if sheet is not None and suffix != ".xlsx":
        raise UsageError(f"{path}: --sheet applies to .xlsx files only")
    if suffix == ".xlsx":
        return XlsxSource(path, text_column, id_column, sheet=sheet)
    return {".csv": CsvSource, ".jsonl": JsonlSource}[suffix](path, text_column, id_column)
