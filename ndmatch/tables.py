"""Read tabular inputs (CSV in UTF-8 or CP949, JSONL, XLSX) into lists of row dicts."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

from ndmatch.errors import InputError, UsageError

TABLE_SUFFIXES = (".csv", ".jsonl", ".xlsx")
_SURROGATE = re.compile("[\ud800-\udfff]")


def _decode(raw: bytes, path: Path) -> str:
    """Decode a CSV/JSONL file: UTF-8 (with or without BOM) first, else what charset-normalizer detects."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    try:
        best = from_bytes(raw, cp_isolation=["cp949", "euc_kr", "utf_16", "utf_8"]).best()
    except Exception:  # noqa: BLE001 - a detector failure means "unknown encoding", not a crash
        best = None
    if best is None:
        raise InputError(f"{path}: cannot tell the text encoding ({_first_bad_line(raw)}); "
                         "save the whole file as UTF-8")
    return str(best)


def _first_bad_line(raw: bytes) -> str:
    """Where UTF-8 decoding first fails, for the error message (mixed encodings usually break mid-file)."""
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        return f"line {line} is not UTF-8"
    return "not UTF-8"


def _clean(value):
    """A JSON value with lone surrogates (a "\\ud800" escape: not text) replaced by U+FFFD."""
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)
    if isinstance(value, list):
        return [_clean(v) for v in value]
    if isinstance(value, dict):
        return {_clean(k): _clean(v) for k, v in value.items()}
    return value


def unique_columns(names: list[str]) -> list[str]:
    """Header names with repeats made unique (``text``, ``text.2``, ...): a later column never hides an earlier one."""
    seen: set[str] = set()
    result = []
    for name in names:
        candidate, n = name, 1
        while candidate in seen:
            n += 1
            candidate = f"{name}.{n}"
        seen.add(candidate)
        result.append(candidate)
    return result


def read_table(path: Path, sheet: str | None = None) -> list[dict]:
    """Read a CSV, JSONL or XLSX file into a list of row dicts (values as strings where possible).

    Every problem raises :class:`InputError` (or :class:`UsageError` for an unsupported type) naming the file
    and, where there is one, the line or row. Of a workbook, ``sheet`` or else the first sheet is read.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in TABLE_SUFFIXES:
        raise UsageError(f"{path}: unsupported table type {suffix or '(none)'}; use .csv, .jsonl or .xlsx")
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    if suffix == ".xlsx":
        return _read_xlsx(path, sheet)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror}); check its permissions") from exc
    if b"\x00" in raw[:8192] and not raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError(f"{path}: looks like a binary file (NUL bytes), not a {suffix} table; "
                         "export the table as UTF-8 CSV, JSONL or XLSX")
    text = _decode(raw, path)
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
        except RecursionError:
            raise InputError(f"{path}:{number}: JSON nested too deeply; each line must be one flat JSON object") from None
        if not isinstance(row, dict):
            raise InputError(f"{path}:{number}: expected a JSON object, found {type(row).__name__}")
        rows.append(_clean(row))
    return rows


def csv_dialect(sample: str) -> type[csv.Dialect]:
    """The standard (Excel) CSV dialect with the delimiter sniffed from ``sample``.

    Only the delimiter is sniffed: the Sniffer's guesses about quoting (doublequote, escapechar) are often
    wrong on Korean text and would silently garble fields with "" inside quotes.
    """
    try:
        delimiter = csv.Sniffer().sniff(sample[:4096], delimiters=",;\t").delimiter
    except csv.Error:
        delimiter = ","
    return type("TableDialect", (csv.excel,), {"delimiter": delimiter})


def _read_csv(text: str, path: Path) -> list[dict]:
    dialect = csv_dialect(text)
    # Proposals can be long: lift csv's 128 KiB field limit (the file as a whole is already in memory).
    csv.field_size_limit(max(csv.field_size_limit(), len(text) + 1))
    reader = csv.reader(io.StringIO(text, newline=""), dialect, strict=True)
    rows = []
    try:
        header = next(reader, None)
        if not header or not any(h.strip() for h in header):
            raise InputError(f"{path}: the file is empty or its first line is blank; it needs a header row "
                             "and data rows")
        header = unique_columns([h.strip() for h in header])
        for values in reader:
            if not any(v.strip() for v in values):
                continue
            if len(values) > len(header):
                raise InputError(f"{path}:{reader.line_num}: {len(values)} values but {len(header)} columns "
                                 f"in the header; put quotes around values that contain '{dialect.delimiter}'")
            rows.append({name: (values[i] if i < len(values) else "") for i, name in enumerate(header)})
    except csv.Error as exc:
        raise InputError(f"{path}:{reader.line_num}: not valid CSV ({exc}); check the quotes on that line "
                         "or re-export the file") from None
    return rows


def _read_xlsx(path: Path, sheet: str | None = None) -> list[dict]:
    try:
        from openpyxl import load_workbook

        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for broken files
        raise InputError(f"{path}: not a readable Excel .xlsx file ({type(exc).__name__}); "
                         "re-save it from Excel as .xlsx or export CSV") from exc
    try:
        if sheet is not None:
            if sheet not in workbook.sheetnames:
                raise InputError(f"{path}: no sheet {sheet!r}; the workbook has {workbook.sheetnames}")
            worksheet = workbook[sheet]
        elif not workbook.worksheets:
            raise InputError(f"{path}: the workbook has no worksheet; put the table on the first sheet")
        else:
            worksheet = workbook.worksheets[0]
        label = f"sheet {worksheet.title!r}"
        # Rows are parsed lazily: a damaged sheet fails here, not in load_workbook.
        table = [values for values in worksheet.iter_rows(values_only=True)
                 if values is not None and any(v is not None and str(v).strip() for v in values)]
    except InputError:
        raise
    except Exception as exc:  # noqa: BLE001 - damaged sheet XML surfaces as many types
        raise InputError(f"{path}: not a readable Excel .xlsx file ({type(exc).__name__} in its sheet); "
                         "re-save it from Excel as .xlsx or export CSV") from exc
    finally:
        workbook.close()
    if not table:
        raise InputError(f"{path}: {label} is empty; put the table (header row first) on the first sheet")
    # A title row above the header (one filled cell, often merged across the columns) is skipped.
    while len(table) > 1 and _filled(table[0]) == 1 and _filled(table[1]) > 1:
        table.pop(0)
    names = unique_columns([_cell(h).strip() for h in table[0]])
    rows = []
    for values in table[1:]:
        rows.append({name: _cell(v) for name, v in zip(names, values) if name})
    return rows


def _filled(values) -> int:
    return sum(1 for v in values if v is not None and str(v).strip())


def _cell(value) -> str:
    if value is None:
        return ""
    return _clean(str(value))


def require_column(rows: list[dict], column: str, path: Path, option: str) -> None:
    """Raise a clear error when ``column`` is missing from the table."""
    if not rows:
        raise InputError(f"{path}: no data rows")
    columns = list(rows[0].keys())
    if column not in columns:
        raise InputError(f"{path}: no column {column!r}; found {columns}. "
                         f"Rename the column or pass {option} NAME")
