"""Tests of ndmatch.readers: every supported format, every refusal, and fuzzing of the parsers.

Files are built inside the tests (DOCX with python-docx, PDF and HWPX by hand); the HWP 5 files come
from tests/fixtures/readers/ (see the README there for their provenance).
"""

from __future__ import annotations

import io
import shutil
import struct
import tempfile
import zipfile
import zlib
from pathlib import Path

import docx
import olefile
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ndmatch import readers
from ndmatch.errors import InputError, UsageError
from ndmatch.readers import decode_text, read_document

FIXTURES = Path(__file__).parent / "fixtures" / "readers"

KOREAN = "광주광역시 북구는 노후 공공임대주택에 그린 리모델링을 추진한다."


def refused(error: type[Exception], path: Path, *words: str) -> pytest.ExceptionInfo:
    """Read *path*, expecting *error* whose single-line message names the file and has all *words*."""
    with pytest.raises(error) as info:
        read_document(path)
    message = str(info.value)
    assert "\n" not in message
    assert str(path) in message
    for word in words:
        assert word in message, message
    return info


# ------------------------------------------------------------------------------------ file builders


def pdf_bytes(objects: list[bytes]) -> bytes:
    """A PDF file of *objects* (numbered from 1; object 1 is the catalog) with a correct xref table."""
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def pdf_stream(data: bytes, extra: bytes = b"") -> bytes:
    return b"<< /Length %d %s>>\nstream\n" % (len(data), extra) + data + b"\nendstream"


def latin_pdf(pages: list[str]) -> bytes:
    """A PDF whose pages show the given ASCII lines in Helvetica (a standard Type 1 font, not embedded)."""
    count = len(pages)
    page_ids = [3 + 2 * i for i in range(count)]
    font_id = 3 + 2 * count
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(b"%d 0 R" % i for i in page_ids), count)]
    for page_id, text in zip(page_ids, pages):
        objects.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents %d 0 R "
                       b"/Resources << /Font << /F1 %d 0 R >> >> >>" % (page_id + 1, font_id))
        objects.append(pdf_stream(b"BT /F1 12 Tf 72 720 Td (%s) Tj ET" % text.encode("ascii")))
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    return pdf_bytes(objects)


def korean_pdf(text: str) -> bytes:
    """A one-page PDF showing *text* with a Type 0 (CID) font and a ToUnicode map, as real PDFs carry Korean.

    The font program is not embedded (the page would not render faithfully), but text extraction only
    needs the ToUnicode map from glyph ids back to Unicode. Glyph ids are assigned per distinct character.
    """
    chars = sorted(set(text))
    cid = {c: i + 1 for i, c in enumerate(chars)}
    shown = "".join(f"{cid[c]:04X}" for c in text).encode("ascii")
    bfchar = "\n".join(f"<{cid[c]:04X}> <{ord(c):04X}>" for c in chars).encode("ascii")
    cmap = (b"/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
            b"/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
            b"/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
            b"1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n"
            b"%d beginbfchar\n" % len(chars) + bfchar + b"\nendbfchar\n"
            b"endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend")
    return pdf_bytes([
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        (b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
         b"/Resources << /Font << /F1 5 0 R >> >> >>"),
        pdf_stream(b"BT /F1 12 Tf 72 720 Td <" + shown + b"> Tj ET"),
        (b"<< /Type /Font /Subtype /Type0 /BaseFont /NanumGothic /Encoding /Identity-H "
         b"/DescendantFonts [6 0 R] /ToUnicode 7 0 R >>"),
        (b"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /NanumGothic /DW 1000 "
         b"/CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /FontDescriptor 8 0 R >>"),
        pdf_stream(cmap),
        (b"<< /Type /FontDescriptor /FontName /NanumGothic /Flags 4 /FontBBox [0 -200 1000 800] "
         b"/ItalicAngle 0 /Ascent 800 /Descent -200 /CapHeight 700 /StemV 80 >>"),
    ])


def image_only_pdf() -> bytes:
    """A one-page PDF that draws only an image (a scanned page, in miniature)."""
    return pdf_bytes([
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        (b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
         b"/Resources << /XObject << /Im1 5 0 R >> >> >>"),
        pdf_stream(b"q 200 0 0 200 72 500 cm /Im1 Do Q"),
        pdf_stream(b"\x80\x40\x80\x40",
                   b"/Type /XObject /Subtype /Image /Width 2 /Height 2 /ColorSpace /DeviceGray "
                   b"/BitsPerComponent 8 "),
    ])


HP = "http://www.hancom.co.kr/hwpml/2011/paragraph"
HS = "http://www.hancom.co.kr/hwpml/2011/section"


def section_xml(body: str) -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            f'<hs:sec xmlns:hs="{HS}" xmlns:hp="{HP}">{body}</hs:sec>').encode()


def para(*texts: str, inner: str = "") -> str:
    """An <hp:p> with one run holding *inner* markup (e.g. a table) and then <hp:t> elements."""
    runs = "".join(f"<hp:t>{t}</hp:t>" for t in texts)
    return f'<hp:p id="0" paraPrIDRef="0"><hp:run charPrIDRef="0">{inner}{runs}</hp:run></hp:p>'


def table(*rows: tuple[str, ...]) -> str:
    cells = "".join("<hp:tr>" + "".join(f"<hp:tc><hp:subList>{para(c)}</hp:subList></hp:tc>" for c in row)
                    + "</hp:tr>" for row in rows)
    return f'<hp:tbl rowCnt="{len(rows)}">{cells}</hp:tbl>'


def hwpx_bytes(sections: dict[str, bytes], extra: dict[str, bytes] | None = None) -> bytes:
    """An HWPX package with the given Contents/ members (name -> XML bytes)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), "application/hwp+zip")
        archive.writestr("version.xml", '<?xml version="1.0"?><hv:HCFVersion xmlns:hv="x"/>')
        archive.writestr("Contents/header.xml", '<?xml version="1.0"?><hh:head xmlns:hh="y"/>')
        for name, data in sections.items():
            archive.writestr(f"Contents/{name}", data, compress_type=zipfile.ZIP_DEFLATED)
        for name, data in (extra or {}).items():
            archive.writestr(name, data, compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def docx_bytes() -> bytes:
    """A Word document: paragraph, 2x2 table with a merged row, nested table, closing paragraph."""
    document = docx.Document()
    document.add_paragraph("스마트 그린 산단 조성 계획")
    grid = document.add_table(rows=3, cols=2)
    grid.cell(0, 0).text = "사업명"
    grid.cell(0, 1).text = "AI 돌봄"
    grid.cell(1, 0).text = "예산"
    grid.cell(1, 1).text = "120억 원"
    merged = grid.cell(2, 0).merge(grid.cell(2, 1))
    merged.text = "병합된 칸"
    inner = grid.cell(1, 1).add_table(rows=1, cols=1)
    inner.cell(0, 0).text = "안쪽 표"
    document.add_paragraph("끝 문단")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


# ------------------------------------------------------------------------------------ plain text


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp949", "euc-kr", "utf-16"])
def test_text_encodings(tmp_path: Path, encoding: str) -> None:
    path = write(tmp_path, "proposal.txt", f"{KOREAN}\r\n둘째 줄\r\n".encode(encoding))
    assert read_document(path) == f"{KOREAN}\n둘째 줄\n"


def test_text_cp949_only_characters(tmp_path: Path) -> None:
    # 똠 and 햏 exist in CP949 (UHC extension) but not in EUC-KR proper.
    path = write(tmp_path, "proposal.md", "똠방각하 햏복 주택 사업을 추진한다.".encode("cp949"))
    assert read_document(path) == "똠방각하 햏복 주택 사업을 추진한다."


def test_text_without_suffix_and_lone_cr(tmp_path: Path) -> None:
    path = write(tmp_path, "PROPOSAL", "첫 줄\r둘째 줄".encode())
    assert read_document(path) == "첫 줄\n둘째 줄"


def test_decode_text_utf16_big_endian() -> None:
    assert decode_text("\ufeff그린 뉴딜".encode("utf-16-be"), "stdin") == "그린 뉴딜"


@pytest.mark.parametrize("data", [
    b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4,
    b"ELF" + bytes(range(256)) * 4,
    b"%PDF-1.7\n" + b"x" * 100,
    bytes(range(1, 32)) * 10,
])
def test_binary_given_as_text_is_refused(tmp_path: Path, data: bytes) -> None:
    refused(InputError, write(tmp_path, "proposal.txt", data), "not text")


def test_decode_text_names_the_source() -> None:
    with pytest.raises(InputError, match="^standard input: looks like a binary file"):
        decode_text(b"abc\x00def", "standard input")


def test_blank_text_file_is_refused(tmp_path: Path) -> None:
    refused(InputError, write(tmp_path, "blank.txt", b" \r\n\t\n"), "no text")


# ------------------------------------------------------------------------------------ HWP 5


@pytest.mark.parametrize("name", ["proposal-g01", "proposal-d07"])
def test_hwp_proposals_extract_exact_text(name: str) -> None:
    expected = (FIXTURES / f"{name}.txt").read_text(encoding="utf-8").rstrip("\n")
    assert read_document(FIXTURES / f"{name}.hwp") == expected


def test_hwp_sample_paragraphs_and_table_cells_in_order() -> None:
    lines = read_document(FIXTURES / "sample-5017.hwp").split("\n")
    assert lines[0] == "한글 2005 예제 파일입니다."
    assert lines[2].startswith("본문 내용입니다. 본 문서는")
    start = lines.index("A0")
    assert lines[start:start + 6] == ["A0", "B0", "A1", "B10", "B11", "table2"]
    assert "가나다" in lines and "다음 문단" in lines and lines[-1] == "다음 페이지"
    # Inline control codes (table/field markers) leave no debris behind.
    assert all(ord(c) >= 32 or c == "\t" for line in lines for c in line)


def test_hwp_password_protected_is_refused() -> None:
    refused(InputError, FIXTURES / "password-12345.hwp", "password-protected")


def test_hwp_distribution_document_is_refused() -> None:
    refused(InputError, FIXTURES / "viewtext.hwp", "distribution")


def test_hwp_damaged_body_stream(tmp_path: Path) -> None:
    path = tmp_path / "damaged.hwp"
    shutil.copy(FIXTURES / "proposal-g01.hwp", path)
    with olefile.OleFileIO(str(path), write_mode=True) as ole:
        size = ole.get_size("BodyText/Section0")
        ole.write_stream("BodyText/Section0", b"\xff" * size)
    refused(InputError, path, "damaged")


@pytest.mark.parametrize("data", [
    b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600,  # OLE signature, nothing behind it
    b"HWP Document File V3.00 \x1a\x01\x02\x03\x04\x05" + b"\x00" * 100,
    b"just some text in a file named .hwp",
])
def test_hwp_corrupt_or_wrong_files(tmp_path: Path, data: bytes) -> None:
    refused(InputError, write(tmp_path, "broken.hwp", data))


def test_hwp_truncated(tmp_path: Path) -> None:
    data = (FIXTURES / "sample-5017.hwp").read_bytes()
    refused(InputError, write(tmp_path, "cut.hwp", data[: len(data) // 2]))


def test_hwp_decompression_cap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(readers, "MAX_UNCOMPRESSED_BYTES", 1000)  # the sample's body inflates to ~4.7 KB
    refused(InputError, FIXTURES / "sample-5017.hwp", "over")


def test_hwp_para_text_controls() -> None:
    def units(*items: int | str) -> bytes:
        out = bytearray()
        for item in items:
            out += item.encode("utf-16-le") if isinstance(item, str) else struct.pack("<H", item)
        return bytes(out)

    inline = [11, *b"tbl ", 0, 0, 11]  # an extended control: 8 units, the middle ones arbitrary
    tab = [9, 0x1234, 0, 0, 0, 0, 0, 9]
    payload = units("가", *tab, "나", *inline, "다", 10, "라", 24, 30, "😀", 13)
    assert readers._hwp_para_text(payload) == "가\t나다\n라- 😀"


def test_hwp_records_extended_size() -> None:
    big = b"x" * 5000
    data = struct.pack("<I", 67 | (0xFFF << 20)) + struct.pack("<I", len(big)) + big
    data += struct.pack("<I", 66 | (2 << 20)) + b"ab"
    assert list(readers._hwp_records(data, "w", "s")) == [(67, big), (66, b"ab")]
    with pytest.raises(InputError, match="past its end"):
        list(readers._hwp_records(struct.pack("<I", 67 | (10 << 20)) + b"abc", "w", "s"))


def test_hwp_compressed_stream_padding_is_tolerated() -> None:
    body = "패딩 뒤".encode("utf-16-le")
    stream = struct.pack("<I", 67 | (len(body) << 20)) + body
    deflater = zlib.compressobj(wbits=-15)
    packed = deflater.compress(stream) + deflater.flush() + b"\x00" * 37
    assert readers._hwp_paragraphs(readers._inflate(packed, 10_000, "w", "s"), "w", "s") == ["패딩 뒤"]


# ------------------------------------------------------------------------------------ HWPX


def test_hwpx_sections_paragraphs_and_tables(tmp_path: Path) -> None:
    sections = {
        # Numbered order, not name order: section10 comes after section2.
        "section10.xml": section_xml(para("마지막 구역")),
        "section0.xml": section_xml(
            para("스마트 ", "그린 산단")
            + '<hp:p><hp:run><hp:t>줄<hp:lineBreak/>바꿈<hp:tab/>탭</hp:t></hp:run></hp:p>'
            + para("표 앞", inner=table(("A0", "B0"), ("A1", "B1")))),
        "section2.xml": section_xml(para("셋째 구역")),
        "section1.xml": section_xml(para("둘째 구역")),
    }
    path = write(tmp_path, "plan.hwpx", hwpx_bytes(sections))
    assert read_document(path).split("\n") == [
        "스마트 그린 산단", "줄", "바꿈\t탭", "표 앞", "A0", "B0", "A1", "B1",
        "둘째 구역", "셋째 구역", "마지막 구역"]


def test_hwpx_owpml_2024_namespace(tmp_path: Path) -> None:
    xml = ('<?xml version="1.0" encoding="UTF-8"?><hs:sec xmlns:hs="http://www.owpml.org/owpml/2024/section" '
           'xmlns:hp="http://www.owpml.org/owpml/2024/paragraph"><hp:p><hp:run><hp:t>새 표준</hp:t></hp:run>'
           '</hp:p></hs:sec>').encode()
    assert read_document(write(tmp_path, "new.hwpx", hwpx_bytes({"section0.xml": xml}))) == "새 표준"


def test_hwpx_deeply_nested_tables_do_not_overflow(tmp_path: Path) -> None:
    inner = para("깊은 셀")
    for _ in range(400):  # deeper than the default recursion limit allows for a recursive walk
        inner = para(inner=f"<hp:tbl><hp:tr><hp:tc><hp:subList>{inner}</hp:subList></hp:tc></hp:tr></hp:tbl>")
    path = write(tmp_path, "deep.hwpx", hwpx_bytes({"section0.xml": section_xml(inner)}))
    assert read_document(path) == "깊은 셀"


@pytest.mark.parametrize(("data", "words"), [
    (b"not a zip at all", ("not a valid HWPX",)),
    (b"PK\x03\x04" + b"\x00" * 50, ("not a valid HWPX",)),
    (hwpx_bytes({"header2.xml": b"<x/>"}), ("no Contents/section",)),
    (hwpx_bytes({"section0.xml": b"<hs:sec><hp:p>unclosed"}), ("not well-formed",)),
    (hwpx_bytes({"section0.xml": section_xml(para("x"))},
                {"META-INF/manifest.xml": b'<manifest><file-entry><encryption-data/></file-entry></manifest>'}),
     ("password-protected",)),
])
def test_hwpx_corrupt(tmp_path: Path, data: bytes, words: tuple[str, ...]) -> None:
    refused(InputError, write(tmp_path, "broken.hwpx", data), *words)


def test_hwpx_entity_expansion_refused(tmp_path: Path) -> None:
    laughs = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
              b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
              b'<hs:sec xmlns:hs="s" xmlns:hp="p"><hp:p><hp:run><hp:t>&lol2;</hp:t></hp:run></hp:p></hs:sec>')
    refused(InputError, write(tmp_path, "lol.hwpx", hwpx_bytes({"section0.xml": laughs})), "DTD")


def test_hwpx_zip_bomb_ratio(tmp_path: Path) -> None:
    # 3 MB of blanks deflate to a few KB: a ratio far above MAX_COMPRESSION_RATIO.
    bomb = section_xml(para("x") + " " * (3 * 1024 * 1024))
    refused(InputError, write(tmp_path, "bomb.hwpx", hwpx_bytes({"section0.xml": bomb})), "zip bomb")


def test_hwpx_total_size_cap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(readers, "MAX_UNCOMPRESSED_BYTES", 2000)
    big = section_xml(para("가나다라마바사" * 300))
    refused(InputError, write(tmp_path, "big.hwpx", hwpx_bytes({"section0.xml": big})), "zip bomb")


def test_hwpx_encrypted_zip_member(tmp_path: Path) -> None:
    data = bytearray(hwpx_bytes({"section0.xml": section_xml(para("비밀"))}))
    # Set the "encrypted" general-purpose flag on every central-directory entry.
    start = 0
    while (start := data.find(b"PK\x01\x02", start)) != -1:
        data[start + 8] |= 0x01
        start += 4
    refused(InputError, write(tmp_path, "locked.hwpx", bytes(data)), "password-protected")


def test_hwp_suffix_on_hwpx_content_is_read(tmp_path: Path) -> None:
    path = write(tmp_path, "mislabelled.hwp", hwpx_bytes({"section0.xml": section_xml(para("한글 문서"))}))
    assert read_document(path) == "한글 문서"


# ------------------------------------------------------------------------------------ PDF


def test_pdf_latin_text_all_pages(tmp_path: Path) -> None:
    path = write(tmp_path, "plan.pdf", latin_pdf(["Green New Deal proposal", "Page two: smart grid"]))
    assert read_document(path) == "Green New Deal proposal\nPage two: smart grid"


def test_pdf_korean_text_round_trips(tmp_path: Path) -> None:
    assert read_document(write(tmp_path, "plan.pdf", korean_pdf(KOREAN))) == KOREAN


def test_pdf_image_only_is_refused(tmp_path: Path) -> None:
    refused(InputError, write(tmp_path, "scan.pdf", image_only_pdf()), "no text layer", "OCR")


def test_pdf_with_user_password_is_refused(tmp_path: Path) -> None:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(latin_pdf(["secret plan"]))))
    writer.encrypt(user_password="secret", owner_password="owner", algorithm="RC4-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    refused(InputError, write(tmp_path, "locked.pdf", buffer.getvalue()), "password-protected")


def test_pdf_with_owner_password_only_is_read(tmp_path: Path) -> None:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(latin_pdf(["open plan"]))))
    writer.encrypt(user_password="", owner_password="owner", algorithm="RC4-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    assert read_document(write(tmp_path, "restricted.pdf", buffer.getvalue())) == "open plan"


@pytest.mark.parametrize("data", [
    b"this is not a pdf",
    b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n",
    latin_pdf(["truncated"])[:120],
    pdf_bytes([b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [] /Count 0 >>"]),
])
def test_pdf_corrupt(tmp_path: Path, data: bytes) -> None:
    refused(InputError, write(tmp_path, "broken.pdf", data))


# ------------------------------------------------------------------------------------ DOCX


def test_docx_paragraphs_and_cells_in_order(tmp_path: Path) -> None:
    path = write(tmp_path, "plan.docx", docx_bytes())
    assert read_document(path).split("\n") == [
        "스마트 그린 산단 조성 계획", "사업명", "AI 돌봄", "예산", "120억 원", "안쪽 표", "병합된 칸", "끝 문단"]


@pytest.mark.parametrize(("data", "words"), [
    (b"plain bytes, not a zip", ("not a .docx",)),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 1000, ("Word 97-2003",)),
    (hwpx_bytes({"section0.xml": section_xml(para("x"))}), ("rename it to .hwpx",)),
    (docx_bytes()[:3000], ()),
])
def test_docx_corrupt(tmp_path: Path, data: bytes, words: tuple[str, ...]) -> None:
    refused(InputError, write(tmp_path, "broken.docx", data), *words)


def test_docx_zip_without_word_part(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "hi")
    refused(InputError, write(tmp_path, "odd.docx", buffer.getvalue()))


# ------------------------------------------------------------------------------------ general refusals


def test_missing_file(tmp_path: Path) -> None:
    refused(InputError, tmp_path / "nope.txt", "no such file")


def test_folder_is_a_usage_error(tmp_path: Path) -> None:
    refused(UsageError, tmp_path, "folder")


@pytest.mark.parametrize(("name", "hint"), [("old.doc", ".docx"), ("sheet.xlsx", ".txt"), ("a.zip", "convert")])
def test_unsupported_suffix(tmp_path: Path, name: str, hint: str) -> None:
    refused(UsageError, write(tmp_path, name, b"data"), "unsupported file type", hint)


@pytest.mark.parametrize("name", ["empty.txt", "empty.hwp", "empty.hwpx", "empty.pdf", "empty.docx", "EMPTY"])
def test_empty_file(tmp_path: Path, name: str) -> None:
    refused(InputError, write(tmp_path, name, b""), "empty")


def test_oversized_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(readers, "MAX_FILE_BYTES", 100)
    refused(InputError, write(tmp_path, "long.txt", b"a" * 101), "over the 100 bytes limit")
    assert read_document(write(tmp_path, "short.txt", b"a" * 100)) == "a" * 100


def test_supported_suffixes() -> None:
    assert set(readers.SUPPORTED) == {".txt", ".md", ".text", "", ".hwp", ".hwpx", ".pdf", ".docx"}


def test_suffix_is_case_insensitive(tmp_path: Path) -> None:
    assert read_document(write(tmp_path, "PLAN.PDF", latin_pdf(["upper case"]))) == "upper case"


# ------------------------------------------------------------------------------------ property tests

# Valid files of each type, which the fuzzers damage at random places.
SEEDS = {
    ".hwp": (FIXTURES / "proposal-g01.hwp").read_bytes(),
    ".hwpx": hwpx_bytes({"section0.xml": section_xml(para("가나다") + para("표", inner=table(("A", "B"))))}),
    ".docx": docx_bytes(),
    ".pdf": latin_pdf(["fuzz me"]),
    ".txt": f"{KOREAN}\n".encode("cp949"),
}
# Derandomised and without an example database, so every run tries the same inputs.
FUZZ = settings(max_examples=25, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow])


@st.composite
def damaged(draw: st.DrawFn, seed: bytes) -> bytes:
    """*seed* with a few bytes overwritten, optionally cut short."""
    data = bytearray(seed)
    for _ in range(draw(st.integers(1, 8))):
        data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
    if draw(st.booleans()):
        del data[draw(st.integers(1, len(data))):]
    return bytes(data)


def check_read(suffix: str, data: bytes) -> None:
    """read_document returns text or raises InputError/UsageError, nothing else."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"fuzz{suffix}"
        path.write_bytes(data)
        try:
            text = read_document(path)
        except (InputError, UsageError) as exc:
            assert "\n" not in str(exc) and str(path) in str(exc)
        else:
            assert isinstance(text, str) and text.strip() and "\r" not in text and "\x00" not in text


@FUZZ
@given(st.binary(max_size=2000))
def test_decode_text_only_raises_input_error(raw: bytes) -> None:
    try:
        assert isinstance(decode_text(raw, "fuzz"), str)
    except InputError as exc:
        assert str(exc).startswith("fuzz: ")


@pytest.mark.parametrize("suffix", sorted(SEEDS))
@FUZZ
@given(data=st.data())
def test_read_document_arbitrary_bytes(suffix: str, data: st.DataObject) -> None:
    check_read(suffix, data.draw(st.binary(max_size=2000)))


@pytest.mark.parametrize("suffix", sorted(SEEDS))
@FUZZ
@given(data=st.data())
def test_read_document_damaged_files(suffix: str, data: st.DataObject) -> None:
    check_read(suffix, data.draw(damaged(SEEDS[suffix])))
