"""Document readers: turn an input file into text. One entry point, :func:`read_document`."""

from __future__ import annotations

from pathlib import Path

from ndmatch.errors import InputError, UsageError

#: Larger inputs are refused rather than read into memory.
MAX_FILE_BYTES = 50 * 1024 * 1024
TEXT_SUFFIXES = (".txt", ".md", ".text", "")
SUPPORTED = TEXT_SUFFIXES


def decode_text(raw: bytes, where: str) -> str:
    """Decode bytes of a text file: UTF-8 (BOM or not), else the encoding charset-normalizer detects."""
    if b"\x00" in raw[:4096] and not raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError(f"{where}: looks like a binary file, not text; give a .txt, .hwp, .hwpx, .pdf or .docx")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(raw).best()
    if best is None:
        raise InputError(f"{where}: cannot tell the text encoding; save the file as UTF-8")
    return str(best)


def read_document(path: Path) -> str:
    """Read the text of a document file (plain text in any common Korean encoding)."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if path.is_dir():
        raise UsageError(f"{path}: is a folder; give a file (use `ndmatch rank` for many documents)")
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED:
        raise UsageError(f"{path}: unsupported file type {suffix}; supported: .txt, .md")
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise InputError(f"{path}: file is {size // (1024 * 1024)} MB, over the {MAX_FILE_BYTES // (1024 * 1024)} MB "
                             "limit; split it or give only the proposal's main part")
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})") from exc
    return decode_text(raw, str(path))
