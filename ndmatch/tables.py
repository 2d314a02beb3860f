"""Read tabular inputs (CSV in UTF-8 or CP949, JSONL, XLSX) into lists of row dicts."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from ndmatch.errors import InputError, UsageError

TABLE_SUFFIXES = (".csv", ".jsonl", ".xlsx")


def _decode(raw: bytes, path: Path) -> str:
    """Decode a CSV/JSONL file: UTF-8 (with or without BOM) first, else what charset-normalizer detects."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(raw, cp_isolation=["cp949", "euc_kr", "utf_16", "utf_8"]).best()
    if best is None:
        raise InputError(f"{path}: cannot tell the text encoding; save the file as UTF-8")
    return str(best)


def read_table(path: Path) -> list[dict]:
    """Read a CSV, JSONL or XLSX file into a list of row dicts (values as strings where possible)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in TABLE_SUFFIXES:
        raise UsageError(f"{path}: unsupported table type {suffix or '(none)'}; use .csv, .jsonl or .xlsx")
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    if suffix == ".xlsx":
        return _read_xlsx(path)
    try:
        text = _decode(path.read_bytes(), path)
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})") from exc
    if suffix == ".jsonl":
        return _read_jsonl(text, path)
    return _read_csv(text, path)


def _read_jsonl(text: str, path: Path) -> list[dict]:
    rows = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"{path}:{number}: invalid JSON ({exc.msg}); each line must be one JSON object") from exc
        if not isinstance(row, dict):
            raise InputError(f"{path}:{number}: expected a JSON object, found {type(row).__name__}")
        rows.append(row)
    return rows


def _read_csv(text: str, path: Path) -> list[dict]:
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    try:
        header = next(reader)
    except StopIteration:
        raise InputError(f"{path}: the file is empty; it needs a header row and data rows") from None
    header = [h.strip() for h in header]
    rows = []
    for values in reader:
        if not any(v.strip() for v in values):
            continue
        row = {name: (values[i] if i < len(values) else "") for i, name in enumerate(header)}
        rows.append(row)
    return rows


def _read_xlsx(path: Path) -> list[dict]:
    try:
        from openpyxl import load_workbook

        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for broken files
        raise InputError(f"{path}: not a readable Excel .xlsx file ({type(exc).__name__}); "
                         "re-save it from Excel as .xlsx or export CSV") from exc
    try:
        sheet = workbook.worksheets[0]
        rows_iter = sheet.iter_rows(values_only=True)
        header = next(rows_iter, None)
        if header is None:
            raise InputError(f"{path}: the first sheet is empty")
        names = [str(h).strip() if h is not None else "" for h in header]
        rows = []
        for values in rows_iter:
            if values is None or all(v is None or str(v).strip() == "" for v in values):
                continue
            rows.append({name: ("" if v is None else str(v)) for name, v in zip(names, values) if name})
        return rows
    finally:
        workbook.close()


def require_column(rows: list[dict], column: str, path: Path, option: str) -> None:
    """Raise a clear error when ``column`` is missing from the table."""
    if not rows:
        raise InputError(f"{path}: no data rows")
    columns = list(rows[0].keys())
    if column not in columns:
        raise InputError(f"{path}: no column {column!r}; found {columns}. "
                         f"Rename the column or pass {option} NAME")
