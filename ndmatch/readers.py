"""Document readers: turn an input file into text. One entry point, :func:`read_document`.

Supported inputs (chosen by file suffix):

* ``.txt``, ``.md``, ``.text`` or no suffix: plain text. UTF-8 (with or without BOM) or UTF-16/32 with a
  BOM; otherwise CP949/EUC-KR when the bytes decode cleanly to mostly Hangul, else the encoding
  charset-normalizer detects. Binary-looking data is refused.
* ``.hwp``: 한글 HWP 5 binary documents (OLE compound file, read with olefile). Password-protected and
  distribution (배포용) documents are refused, as are HWP 3 files.
* ``.hwpx``: 한글 OWPML documents (zip of XML); ``Contents/sectionN.xml`` in section order.
* ``.pdf``: the text layer of every page, read with pypdf. Image-only (scanned) PDFs are refused.
* ``.docx``: paragraphs and table cells in document order, read with python-docx.

Limits, to keep a hostile or broken file from exhausting memory:

* :data:`MAX_FILE_BYTES` (50 MiB): larger files are refused before they are read.
* :data:`MAX_UNCOMPRESSED_BYTES` (100 MiB): cap on the total decompressed size read from a zip (``.hwpx``,
  ``.docx``) or from the deflated body streams of an ``.hwp`` file.
* :data:`MAX_COMPRESSION_RATIO` (200): a zip member larger than :data:`RATIO_CHECK_MIN_BYTES` (1 MiB) whose
  uncompressed/compressed size ratio is above this is treated as a zip bomb. Real documents' XML
  compresses 5-30 times.
* XML with a ``<!DOCTYPE`` (entity-expansion attacks) is refused in ``.hwpx``; real files have none.

Every problem with a file is reported as :class:`~ndmatch.errors.InputError` (bad data) or
:class:`~ndmatch.errors.UsageError` (wrong kind of argument) with one line that names the file and says
what to do. The returned text has ``\\r\\n`` and lone ``\\r`` turned into ``\\n`` and NUL characters removed.
"""

from __future__ import annotations

import io
import logging
import re
import struct
import warnings
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from xml.etree import ElementTree

from ndmatch.errors import InputError, NdmatchError, UsageError

#: Larger inputs are refused rather than read into memory.
MAX_FILE_BYTES = 50 * 1024 * 1024
#: Cap on the total decompressed bytes read from one document (zip members, HWP body streams).
MAX_UNCOMPRESSED_BYTES = 100 * 1024 * 1024
#: A zip member that expands more than this many times is treated as a zip bomb ...
MAX_COMPRESSION_RATIO = 200
#: ... when it is at least this large uncompressed (tiny members may legitimately compress very well).
RATIO_CHECK_MIN_BYTES = 1024 * 1024

TEXT_SUFFIXES = (".txt", ".md", ".text", "")
HWP_SUFFIX = ".hwp"
HWPX_SUFFIX = ".hwpx"
PDF_SUFFIX = ".pdf"
DOCX_SUFFIX = ".docx"
SUPPORTED = TEXT_SUFFIXES + (HWP_SUFFIX, HWPX_SUFFIX, PDF_SUFFIX, DOCX_SUFFIX)

_SUPPORTED_LIST = ".txt, .md, .hwp, .hwpx, .pdf, .docx"
# Suffixes people are likely to try, with what to do instead.
_CONVERT_HINTS = {
    ".doc": "open it in Word and save it as .docx",
    ".rtf": "save it as .docx or .txt",
    ".odt": "save it as .docx or .txt",
    ".hml": "open it in 한글 and save it as .hwpx",
    ".pptx": "export its text to a .txt file",
    ".ppt": "export its text to a .txt file",
    ".xlsx": "export its text to a .txt file",
    ".xls": "export its text to a .txt file",
}

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = b"PK\x03\x04"
_PDF_MAGIC = b"%PDF"
_HWP3_MAGIC = b"HWP Document File V3"
_HWP5_SIGNATURE = b"HWP Document File"
_MAGIC_NAMES = (
    (_PDF_MAGIC, "a PDF document (.pdf)"),
    (_ZIP_MAGIC, "a zip archive (e.g. .docx or .hwpx)"),
    (_OLE_MAGIC, "an Office/한글 binary document (e.g. .hwp)"),
    (_HWP3_MAGIC, "an HWP 3 document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
)

# HWP 5 FileHeader flag bits (byte offset 36).
_HWP_FLAG_COMPRESSED = 0x1
_HWP_FLAG_PASSWORD = 0x2
_HWP_FLAG_DISTRIBUTION = 0x4
_HWPTAG_PARA_TEXT = 67
_HWP_SECTION_RE = re.compile(r"^BodyText/Section(\d+)$")
# Control characters (Unicode category Cc) other than tab, line feed, vertical tab, form feed, return.
_CONTROL_RE = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f]")
_NON_ASCII_RE = re.compile("[^\x00-\x7f]")
_HANGUL_RE = re.compile("[\uac00-\ud7a3\u3131-\u318e]")  # syllables and compatibility jamo
_HWPX_SECTION_RE = re.compile(r"^Contents/section(\d+)\.xml$", re.IGNORECASE)


# --------------------------------------------------------------------------------------------- text


def decode_text(raw: bytes, where: str) -> str:
    """Decode the bytes of a plain-text file.

    Tries, in order: a UTF-32/UTF-16 BOM, UTF-8 (BOM optional), CP949 (a superset of EUC-KR) when the
    result is mostly Hangul, and finally the encoding charset-normalizer detects. Data that looks binary
    (NUL bytes, a known binary file signature, many control characters) is refused.

    Args:
        raw: the file content.
        where: how to name the source in error messages (a path or "standard input").

    Returns:
        The decoded text, unnormalised (line ends as in the input).

    Raises:
        InputError: binary data or an encoding that cannot be determined.
    """
    for bom, codec in ((b"\xff\xfe\x00\x00", "utf-32"), (b"\x00\x00\xfe\xff", "utf-32"),
                       (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16")):
        if raw.startswith(bom):
            try:
                return _refuse_binary_text(raw.decode(codec), where)
            except UnicodeDecodeError:
                raise InputError(f"{where}: starts with a {codec.upper()} byte-order mark but is not valid "
                                 f"{codec.upper()}; save the file as UTF-8") from None
    for magic, name in _MAGIC_NAMES:
        if raw.startswith(magic):
            raise InputError(f"{where}: looks like {name}, not text; give it with its proper file suffix "
                             f"({_SUPPORTED_LIST})")
    if b"\x00" in raw[:8192]:
        raise InputError(f"{where}: looks like a binary file, not text; give a .txt, .hwp, .hwpx, .pdf or .docx")
    try:
        return _refuse_binary_text(raw.decode("utf-8-sig"), where)
    except UnicodeDecodeError:
        pass
    try:
        text = raw.decode("cp949")
    except UnicodeDecodeError:
        pass
    else:
        # CP949 accepts many byte pairs; only trust it when the result reads as Korean.
        non_ascii = _count(_NON_ASCII_RE, text)
        if non_ascii and _count(_HANGUL_RE, text) >= 0.5 * non_ascii:
            return _refuse_binary_text(text, where)
    from charset_normalizer import from_bytes

    try:
        best = from_bytes(raw).best()
    except Exception:  # noqa: BLE001 - a detector failure means "unknown encoding", not a crash
        best = None
    if best is None:
        raise InputError(f"{where}: cannot tell the text encoding (or it is not text); save the file as UTF-8")
    return _refuse_binary_text(str(best), where)


def _count(pattern: re.Pattern[str], text: str) -> int:
    """Occurrences of *pattern* in *text*, counted in C (texts can be tens of megabytes)."""
    return pattern.subn("", text)[1]


def _refuse_binary_text(text: str, where: str) -> str:
    """Return *text* unless it has so many control characters that the source was surely not text."""
    controls = _count(_CONTROL_RE, text)
    if controls and controls > len(text) // 100:
        raise InputError(f"{where}: looks like a binary file, not text; give a .txt, .hwp, .hwpx, .pdf or .docx")
    return text


# --------------------------------------------------------------------------------------------- entry


def read_document(path: Path) -> str:
    """Read the text of a document file.

    The reader is chosen by suffix (see the module docstring for formats and limits). A ``.hwp`` file
    that is really a zip is read as HWPX and vice versa, since 한글 users often mix the two up.

    Args:
        path: the file to read.

    Returns:
        The document text, with ``\\n`` line ends and no NUL characters; never empty or blank.

    Raises:
        UsageError: the path is a folder or the file type is not supported.
        InputError: the file is missing, too large, empty, damaged, encrypted, or has no text.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such file; check the path")
    if path.is_dir():
        raise UsageError(f"{path}: is a folder; give a file (use `ndmatch rank` for many documents)")
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED:
        hint = _CONVERT_HINTS.get(suffix, f"convert it to one of {_SUPPORTED_LIST}")
        raise UsageError(f"{path}: unsupported file type {suffix}; {hint} (supported: {_SUPPORTED_LIST})")
    if not path.is_file():
        raise InputError(f"{path}: is not a regular file; give a document file")
    raw = _read_bytes(path)
    if not raw:
        raise InputError(f"{path}: file is empty; give the proposal's text")
    where = str(path)
    reader, kind = _READERS.get(suffix, (_read_text, "text"))
    try:
        with _quiet_libraries():
            text = reader(raw, where)
    except NdmatchError:
        raise
    except Exception as exc:  # parsers raise all kinds of errors on bad input; report them as bad input
        raise InputError(f"{where}: cannot read this {kind} file, it seems damaged ({_short(exc)}); "
                         "open it and save it again, or give a .txt copy") from exc
    text = normalize_text(text)
    if not text.strip():
        raise InputError(f"{where}: contains no text; give a document with the proposal's text")
    return text


def normalize_text(text: str) -> str:
    """Turn ``\\r\\n`` and lone ``\\r`` into ``\\n`` and drop NUL characters."""
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")


def _read_bytes(path: Path) -> bytes:
    """Read *path* whole, refusing it when it is over :data:`MAX_FILE_BYTES`."""
    limit = MAX_FILE_BYTES

    def too_large(size: int) -> InputError:
        return InputError(f"{path}: file is {_mb(size)}, over the {_mb(limit)} limit; "
                          "split it or give only the proposal's main part")

    try:
        size = path.stat().st_size
        if size > limit:
            raise too_large(size)
        with path.open("rb") as handle:
            raw = handle.read(limit + 1)  # +1: notice a file that grew after stat()
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or exc}); check its permissions") from exc
    if len(raw) > limit:
        raise too_large(len(raw))
    return raw


def _mb(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.0f} MB"
    return f"{size} bytes"


def _one_line(text: str, limit: int = 120) -> str:
    """*text* squeezed onto one line and cut to *limit* characters (it may come from the file itself)."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[:limit] + "…"


def _short(exc: BaseException) -> str:
    """One short line describing *exc*, for error messages."""
    detail = _one_line(str(exc))
    return f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__


@contextmanager
def _quiet_libraries() -> Iterator[None]:
    """Silence parser warnings and log chatter about malformed input; errors are reported by us."""
    loggers = [logging.getLogger(name) for name in ("pypdf", "olefile", "docx")]
    levels = [logger.level for logger in loggers]
    try:
        for logger in loggers:
            logger.setLevel(logging.CRITICAL)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        for logger, level in zip(loggers, levels):
            logger.setLevel(level)


def _read_text(raw: bytes, where: str) -> str:
    return decode_text(raw, where)


# --------------------------------------------------------------------------------------------- zip


def _open_zip(raw: bytes, where: str, kind: str, fix: str) -> zipfile.ZipFile:
    """Open *raw* as a zip, refusing encrypted members and zip bombs (by their declared sizes).

    zipfile never returns more than a member's declared size (and checks the CRC), so checking the
    declared sizes bounds what can be decompressed later.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as exc:
        raise InputError(f"{where}: is not a valid {kind} file (not a readable zip archive); {fix}") from exc
    total = 0
    for info in archive.infolist():
        if info.flag_bits & 0x1:
            raise InputError(f"{where}: is password-protected (encrypted); remove the password and save it again")
        total += info.file_size
        if total > MAX_UNCOMPRESSED_BYTES:
            raise InputError(f"{where}: expands to over {_mb(MAX_UNCOMPRESSED_BYTES)} when unpacked (a zip bomb?); "
                             "give a smaller document or a .txt copy")
        if (info.file_size >= RATIO_CHECK_MIN_BYTES
                and info.file_size > MAX_COMPRESSION_RATIO * max(info.compress_size, 1)):
            raise InputError(f"{where}: part {_one_line(info.filename)} is compressed over "
                             f"{MAX_COMPRESSION_RATIO} times (a zip bomb?); give a .txt copy of the document")
    return archive


# --------------------------------------------------------------------------------------------- hwpx


def _read_hwpx(raw: bytes, where: str) -> str:
    """Text of an HWPX document: each section's paragraphs, one per line, tables' cells after their row."""
    if raw.startswith(_OLE_MAGIC):  # an HWP 5 file with the wrong suffix
        return _read_hwp(raw, where)
    fix = "open it in 한글 and save it again as .hwpx"
    if not raw.startswith(_ZIP_MAGIC):
        raise InputError(f"{where}: is not a valid HWPX file (not a zip archive); {fix}")
    archive = _open_zip(raw, where, "HWPX", fix)
    sections = []
    for name in archive.namelist():
        match = _HWPX_SECTION_RE.match(name)
        if match:
            sections.append((int(match.group(1)), name))
    if not sections:
        if "word/document.xml" in archive.namelist():
            raise InputError(f"{where}: is a Word document, not HWPX; rename it to .docx")
        raise InputError(f"{where}: has no Contents/section*.xml, so it is not an HWPX document; {fix}")
    if ("META-INF/manifest.xml" in archive.namelist()
            and b"encryption-data" in archive.read("META-INF/manifest.xml")):
        raise InputError(f"{where}: is password-protected (encrypted); remove the password in 한글 and save "
                             "it again")
    lines: list[str] = []
    for _, name in sorted(sections):
        data = archive.read(name)
        if b"<!DOCTYPE" in data:
            # HWPX never declares a DTD; refusing it rules out entity-expansion attacks.
            raise InputError(f"{where}: {name} declares a DTD, which HWPX documents never do; {fix}")
        try:
            root = ElementTree.fromstring(data)
        except ElementTree.ParseError as exc:
            raise InputError(f"{where}: {name} is not well-formed XML ({_one_line(str(exc))}); {fix}") from exc
        lines.extend(_hwpx_paragraphs(root))
    return "\n".join(line for line in lines if line.strip())


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


# Inline elements inside <hp:t> that stand for characters.
_HWPX_INLINE = {"lineBreak": "\n", "tab": "\t", "nbSpace": " ", "fwSpace": " ", "hyphen": "-"}


def _hwpx_paragraphs(root: ElementTree.Element) -> list[str]:
    """The paragraphs under *root*, one string each, in document order.

    A paragraph's own text comes first; paragraphs nested in it (table cells, text boxes) follow.
    Iterative rather than recursive, so that deeply nested XML cannot overflow the stack.
    """
    top: list[_Paragraph] = []
    # Depth-first stack of (element, enclosing paragraph, list receiving paragraphs found below).
    pending: list[tuple[ElementTree.Element, _Paragraph | None, list[_Paragraph]]] = [(root, None, top)]
    while pending:
        node, paragraph, sink = pending.pop()
        name = _local(node.tag)
        if name == "p":
            paragraph = _Paragraph()
            sink.append(paragraph)
            sink = paragraph.nested
        elif name == "t":
            if paragraph is not None:
                paragraph.own.append(_hwpx_t_text(node))
            continue
        pending.extend((child, paragraph, sink) for child in reversed(node))  # reversed: pop in order
    lines: list[str] = []
    stack = list(reversed(top))
    while stack:
        item = stack.pop()
        lines.append("".join(item.own))
        stack.extend(reversed(item.nested))
    return lines


class _Paragraph:
    """A paragraph's text pieces and the paragraphs nested in it, filled in while walking."""

    __slots__ = ("nested", "own")

    def __init__(self) -> None:
        self.own: list[str] = []
        self.nested: list[_Paragraph] = []


def _hwpx_t_text(node: ElementTree.Element) -> str:
    parts = [node.text or ""]
    for child in node:
        parts.append(_HWPX_INLINE.get(_local(child.tag), ""))
        parts.append(child.tail or "")
    return "".join(parts)


# --------------------------------------------------------------------------------------------- hwp


def _read_hwp(raw: bytes, where: str) -> str:
    """Text of an HWP 5 document: every paragraph (body, tables, headers, notes) in stream order."""
    if raw.startswith(_ZIP_MAGIC):  # an HWPX file with the wrong suffix
        return _read_hwpx(raw, where)
    fix = "open it in 한글 and save it again (as .hwp or .hwpx)"
    if raw.startswith(_HWP3_MAGIC):
        raise InputError(f"{where}: is an old HWP 3 document, which is not supported; open it in 한글 and save "
                         "it as .hwpx")
    if not raw.startswith(_OLE_MAGIC):
        raise InputError(f"{where}: is not an HWP 5 document (no OLE signature); {fix}")
    import olefile

    try:
        ole = olefile.OleFileIO(io.BytesIO(raw))
    except Exception as exc:  # olefile raises various types for broken containers
        raise InputError(f"{where}: the HWP container is damaged ({_short(exc)}); {fix}") from exc
    with ole:
        if not ole.exists("FileHeader"):
            raise InputError(f"{where}: has no HWP FileHeader, so it is not an HWP document; {fix}")
        header = ole.openstream("FileHeader").read(256)
        if not header.startswith(_HWP5_SIGNATURE) or len(header) < 40:
            raise InputError(f"{where}: has no valid HWP 5 file header (damaged, or not an HWP file); {fix}")
        major = header[35]
        if major != 5:
            raise InputError(f"{where}: is HWP version {major}, only HWP 5 is supported; save it as .hwpx")
        flags = struct.unpack_from("<I", header, 36)[0]
        if flags & _HWP_FLAG_PASSWORD:
            raise InputError(f"{where}: is password-protected (encrypted); remove the password in 한글 and save it "
                             "again")
        if flags & _HWP_FLAG_DISTRIBUTION:
            raise InputError(f"{where}: is a distribution (배포용) document whose text is encrypted; ask for an "
                             "editable copy, or give a PDF or .txt of it")
        sections = []
        for entry in ole.listdir(streams=True, storages=False):
            match = _HWP_SECTION_RE.match("/".join(entry))
            if match:
                sections.append((int(match.group(1)), "/".join(entry)))
        if not sections:
            raise InputError(f"{where}: has no BodyText sections; {fix}")
        budget = MAX_UNCOMPRESSED_BYTES
        lines: list[str] = []
        for _, name in sorted(sections):
            data = ole.openstream(name).read()
            if flags & _HWP_FLAG_COMPRESSED:
                data = _inflate(data, budget, where, name)
            budget -= len(data)
            lines.extend(_hwp_paragraphs(data, where, name))
    return "\n".join(line for line in lines if line.strip())


def _inflate(data: bytes, limit: int, where: str, name: str) -> bytes:
    """Raw-deflate *data*, up to *limit* bytes out; bytes after the end of the stream are padding."""
    inflater = zlib.decompressobj(-15)
    try:
        out = inflater.decompress(data, max(limit, 1))
    except zlib.error as exc:
        raise InputError(f"{where}: {name} cannot be decompressed ({_one_line(str(exc))}); "
                         "the file is damaged") from exc
    if inflater.unconsumed_tail:
        raise InputError(f"{where}: body text expands to over {_mb(MAX_UNCOMPRESSED_BYTES)}; give a smaller "
                         "document or a .txt copy")
    if not inflater.eof:
        raise InputError(f"{where}: {name} is truncated; the file is damaged, save it again in 한글")
    return out


def _hwp_records(data: bytes, where: str, name: str) -> Iterator[tuple[int, bytes]]:
    """Yield (tag, payload) of each record in a decompressed HWP stream."""
    pos, end = 0, len(data)
    while pos + 4 <= end:
        header = struct.unpack_from("<I", data, pos)[0]
        pos += 4
        tag, size = header & 0x3FF, header >> 20
        if size == 0xFFF:  # extended size in the next 32 bits
            if pos + 4 > end:
                raise InputError(f"{where}: {name} ends inside a record header; the file is damaged")
            size = struct.unpack_from("<I", data, pos)[0]
            pos += 4
        if pos + size > end:
            raise InputError(f"{where}: {name} has a record running past its end; the file is damaged")
        yield tag, data[pos:pos + size]
        pos += size


def _hwp_paragraphs(data: bytes, where: str, name: str) -> list[str]:
    return [_hwp_para_text(payload) for tag, payload in _hwp_records(data, where, name)
            if tag == _HWPTAG_PARA_TEXT]


# Control code units below 32 that take one unit, with the text they stand for.
# A little-endian code unit below 32; zero-width so that matches at odd offsets cannot hide real ones.
_HWP_CONTROL_UNIT = re.compile(rb"(?=[\x00-\x1f]\x00)")
_HWP_CHAR_CONTROLS = {0: "", 10: "\n", 13: "", 24: "-", 25: "", 26: "", 27: "", 28: "", 29: "", 30: " ", 31: " "}


def _hwp_para_text(payload: bytes) -> str:
    """Decode an HWPTAG_PARA_TEXT payload: UTF-16LE where units below 32 are controls.

    Char controls (0, 10, 13, 24-31) take one unit; inline and extended controls (1-9, 11-12, 14-23: tables,
    pictures, fields, tabs...) take eight units, whose contents are skipped. A tab (9) is kept as a tab.
    """
    data = payload[:len(payload) & ~1]
    pieces: list[bytes] = []
    pos = 0  # byte offset of the next unit to copy
    # Controls are rare: find them with a regex and copy the text between them in bulk.
    for match in _HWP_CONTROL_UNIT.finditer(data):
        at = match.start()
        if at % 2 or at < pos:  # odd offset (not a unit boundary) or inside a skipped control
            continue
        pieces.append(data[pos:at])
        unit = data[at]
        if unit in _HWP_CHAR_CONTROLS:
            pieces.append(_HWP_CHAR_CONTROLS[unit].encode("utf-16-le"))
            pos = at + 2
        else:
            if unit == 9:
                pieces.append("\t".encode("utf-16-le"))
            pos = at + 16
    pieces.append(data[pos:])
    return b"".join(pieces).decode("utf-16-le", errors="replace")


# --------------------------------------------------------------------------------------------- pdf


def _read_pdf(raw: bytes, where: str) -> str:
    """Text layer of every page of a PDF, pages separated by a line break."""
    if _PDF_MAGIC not in raw[:1024]:  # the header may follow up to 1 KiB of junk
        raise InputError(f"{where}: is not a PDF file (no %PDF header); give a real PDF or another format")
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, FileNotDecryptedError, PdfReadError

    fix = "open it and export it as PDF again, or give the source document"
    try:
        reader = PdfReader(io.BytesIO(raw))
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError,
            zlib.error, struct.error) as exc:
        raise InputError(f"{where}: the PDF is damaged ({_short(exc)}); {fix}") from exc
    if reader.is_encrypted:
        try:
            opened = reader.decrypt("")  # many PDFs only restrict editing and open with no password
        except DependencyError as exc:
            raise InputError(f"{where}: the PDF is encrypted with AES, which needs the 'cryptography' package; "
                             "install it (pip install cryptography) or give an unencrypted copy") from exc
        except (PdfReadError, FileNotDecryptedError, NotImplementedError) as exc:
            raise InputError(f"{where}: the PDF is encrypted and cannot be opened ({_short(exc)}); "
                             "give an unencrypted copy") from exc
        if not opened:
            raise InputError(f"{where}: the PDF is password-protected; give a copy without the password")
    try:
        pages = reader.pages
        if len(pages) == 0:
            raise InputError(f"{where}: the PDF has no pages; {fix}")
        texts = [page.extract_text() or "" for page in pages]
    except FileNotDecryptedError as exc:
        raise InputError(f"{where}: the PDF is password-protected; give a copy without the password") from exc
    text = "\n".join(texts)
    if not text.strip():
        raise InputError(f"{where}: the PDF has no text layer (scanned or image-only); run OCR on it or give "
                         "the source document (.hwp, .hwpx, .docx or .txt)")
    return text


# --------------------------------------------------------------------------------------------- docx


def _read_docx(raw: bytes, where: str) -> str:
    """Paragraphs and table cells of a Word document, in document order (one per line)."""
    if raw.startswith(_OLE_MAGIC):
        if _ole_has_stream(raw, "EncryptionInfo"):
            raise InputError(f"{where}: is password-protected (encrypted); remove the password in Word and "
                             "save it again")
        raise InputError(f"{where}: is an old Word 97-2003 (.doc) or other binary file, not .docx; open it in "
                         "Word and save it as .docx")
    fix = "open it in Word and save it again as .docx"
    if not raw.startswith(_ZIP_MAGIC):
        raise InputError(f"{where}: is not a .docx file (not a zip archive); {fix}")
    archive = _open_zip(raw, where, "Word (.docx)", fix)
    names = set(archive.namelist())
    if "word/document.xml" not in names and any(_HWPX_SECTION_RE.match(n) for n in names):
        raise InputError(f"{where}: is an HWPX (한글) document, not Word; rename it to .hwpx")
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(io.BytesIO(raw))
    except PackageNotFoundError as exc:
        raise InputError(f"{where}: is not a valid .docx package ({_short(exc)}); {fix}") from exc
    except ValueError as exc:  # python-docx: "file ... is not a Word file, content type is ..."
        raise InputError(f"{where}: is not a Word document ({_short(exc)}); {fix}") from exc
    lines: list[str] = []
    _docx_blocks(document, lines)
    return "\n".join(line for line in lines if line.strip())


def _docx_blocks(container: object, out: list[str]) -> None:
    """Append the paragraphs of *container* (document or cell) to *out*, walking tables row by row."""
    from docx.table import Table

    stack: list[object] = [iter(container.iter_inner_content())]  # type: ignore[attr-defined]
    while stack:  # iterative: nested tables cannot overflow the Python stack
        top = stack[-1]
        item = next(top, None)  # type: ignore[call-overload]
        if item is None:
            stack.pop()
            continue
        if isinstance(item, Table):
            cells, seen_cells = [], set()
            for row in item.rows:
                for cell in row.cells:
                    # A merged cell is returned once per grid column it spans; read it once. (ids are
                    # stable here because `cells` keeps every cell of this table alive.)
                    if id(cell._tc) not in seen_cells:
                        seen_cells.add(id(cell._tc))
                        cells.append(cell)
            stack.append(_chain_inner(cells))
        else:
            out.append(item.text)  # type: ignore[attr-defined]


def _chain_inner(cells: list[object]) -> Iterator[object]:
    for cell in cells:
        yield from cell.iter_inner_content()  # type: ignore[attr-defined]


def _ole_has_stream(raw: bytes, name: str) -> bool:
    import olefile

    try:
        with olefile.OleFileIO(io.BytesIO(raw)) as ole:
            return bool(ole.exists(name))
    except Exception:  # noqa: BLE001 - a broken container simply has no such stream
        return False


_READERS: dict[str, tuple[Callable[[bytes, str], str], str]] = {
    HWP_SUFFIX: (_read_hwp, "HWP"),
    HWPX_SUFFIX: (_read_hwpx, "HWPX"),
    PDF_SUFFIX: (_read_pdf, "PDF"),
    DOCX_SUFFIX: (_read_docx, "Word (.docx)"),
}
