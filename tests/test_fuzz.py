"""Issue 8: property-based tests (hypothesis) of the tokenizer wrapper and of the table and program loaders.

Properties: KoreanTokenizer.tokenize returns a list of non-empty str for any unicode (surrogates, astral
characters, controls, very long lines included) and never raises; read_table and load_program_file raise
nothing but ndmatch.errors types, with one-line messages naming the file. The document readers are fuzzed in
test_readers.py. Examples are derandomised (same inputs every run) and kept modest: the tokenizer calls the JVM.
"""

from __future__ import annotations

import io
import json
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from ndmatch.errors import NdmatchError
from ndmatch.programs import load_program_file
from ndmatch.tables import read_table

FUZZ = settings(max_examples=40, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

# Text that mixes what proposals contain with what breaks naive code: Hangul syllables and jamo, Hanja,
# Latin terms, digits, punctuation, controls, zero-width marks, lone surrogates and astral characters.
PIECES = st.sampled_from(["스마트", "병원", "돌봄", "을", "는", "IoT", "R&D", "5G", "PM2.5", "漢字", "가", " ", "\n",
                          "\r\n", "\t", "\x00", "\u200b", "\ufeff", "\ud800", "\udfff", "😀", "𠀀", "①", "ＡＩ",
                          "...", "·", "\u0301", "\u202e", "smart grid", "of the"])
KOREANISH = st.lists(PIECES, max_size=30).map("".join)
ANY_TEXT = st.one_of(st.text(max_size=200), st.text(st.characters(codec=None), max_size=100), KOREANISH)


@pytest.fixture(scope="module")
def tokenizer():
    from ndmatch.tokenize import KoreanTokenizer

    return KoreanTokenizer().fit()


@FUZZ
@given(text=ANY_TEXT)
@example(text="")
@example(text="\ud800스마트 병원\udcff")
@example(text="병원😀돌봄 𠀀 한자")
@example(text="스마트 병원 돌봄 " * 1200)  # one line longer than MAX_LINE_CHARS
def test_tokenize_any_unicode(tokenizer, text):
    tokens = tokenizer.tokenize(text)
    assert isinstance(tokens, list)
    assert all(isinstance(t, str) and t and " " not in t for t in tokens)
    assert tokenizer.transform([text]) == [" ".join(tokens)]


@settings(max_examples=10, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=st.one_of(st.none(), st.integers(), st.floats(allow_nan=True), st.binary(max_size=20)))
def test_tokenize_non_strings(tokenizer, value):
    assert isinstance(tokenizer.tokenize(value), list)


# ----------------------------------------------------------------------------- tables

def check_table(suffix: str, data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"fuzz{suffix}"
        path.write_bytes(data)
        try:
            rows = read_table(path)
        except NdmatchError as exc:
            assert "\n" not in str(exc) and str(path) in str(exc), str(exc)
            return
        assert isinstance(rows, list) and all(isinstance(r, dict) for r in rows)
        for row in rows:
            for key, value in row.items():
                json.dumps(value, ensure_ascii=False).encode("utf-8")  # no lone surrogates left
                str(key).encode("utf-8")


CELL = st.one_of(st.text(max_size=20), KOREANISH, st.sampled_from(['"', '""', ",", ";", "\t", "\n", "\r", "\x00"]))
CSV_TEXT = st.lists(st.lists(CELL, max_size=5).map(",".join), max_size=6).map("\n".join)
ENCODINGS = st.sampled_from(["utf-8", "utf-8-sig", "cp949", "utf-16"])


@st.composite
def csv_bytes(draw) -> bytes:
    text = draw(CSV_TEXT)
    codec = draw(ENCODINGS)
    data = text.encode(codec, errors="replace") if codec != "utf-8" else text.encode("utf-8", "surrogatepass")
    if draw(st.booleans()):  # splice in bytes of another encoding or garbage
        position = draw(st.integers(0, len(data)))
        data = data[:position] + draw(st.one_of(st.binary(max_size=8), st.just("병원".encode("cp949")))) + data[position:]
    return data


@FUZZ
@given(data=st.one_of(csv_bytes(), st.binary(max_size=300)))
@example(data=b'id,text\n1,"unterminated\n')
@example(data=b"id,text\n1,a,b,c\n")
@example(data=b"\xef\xbb\xbf" + b"\n" * 3)
def test_csv_loader_only_raises_ndmatch_errors(data):
    check_table(".csv", data)


JSON_VALUE = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=10),
                                    KOREANISH), lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                                        st.dictionaries(st.text(max_size=5), inner,
                                                                                        max_size=3)), max_leaves=10)


@st.composite
def jsonl_bytes(draw) -> bytes:
    lines = []
    for value in draw(st.lists(JSON_VALUE, max_size=5)):
        line = json.dumps(value, ensure_ascii=draw(st.booleans()))
        if draw(st.booleans()) and line:  # damage the line
            cut = draw(st.integers(0, len(line)))
            line = line[:cut] + draw(st.sampled_from(["", "{", "]", "\\ud800", "\x00", '"'])) + line[cut:]
        lines.append(line)
    return "\n".join(lines).encode("utf-8", "surrogatepass")


@FUZZ
@given(data=st.one_of(jsonl_bytes(), st.binary(max_size=200)))
@example(data=b"[" * 10000)
@example(data=b'{"text": "\\ud800"}')
def test_jsonl_loader_only_raises_ndmatch_errors(data):
    check_table(".jsonl", data)


def _xlsx_seed() -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["id", "text", "programs"])
    sheet.append([1, "스마트 병원 구축", "D07"])
    sheet.merge_cells("A3:C3")
    workbook.create_sheet("second").append(["x"])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


XLSX_SEED = _xlsx_seed()


@st.composite
def damaged_xlsx(draw) -> bytes:
    data = bytearray(XLSX_SEED)
    for _ in range(draw(st.integers(1, 6))):
        data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
    if draw(st.booleans()):
        del data[draw(st.integers(1, len(data))):]
    return bytes(data)


@settings(max_examples=25, deadline=None, derandomize=True, database=None)
@given(data=st.one_of(damaged_xlsx(), st.binary(max_size=200)))
def test_xlsx_loader_only_raises_ndmatch_errors(data):
    check_table(".xlsx", data)


# ----------------------------------------------------------------------------- program YAML

VALID = {
    "id": "D07", "pillar": "digital", "name": "스마트 의료 및 돌봄 인프라", "name_en": "Smart care",
    "ministry": "보건복지부", "published": "2020-07-14",
    "description": "스마트 병원과 호흡기 전담 클리닉, 어르신 돌봄 기기를 보급하는 사업이다. " * 12,
    "keywords": ["스마트병원", "원격의료", "돌봄", "어르신", "클리닉"], "applicants": ["지자체", "의료기관"],
}
FIELD_VALUES = st.one_of(st.none(), st.integers(), st.floats(), st.booleans(), st.text(max_size=10), st.dates(),
                         st.lists(st.one_of(st.none(), st.integers(), st.text(max_size=5)), max_size=3),
                         st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
                         st.sampled_from(["../x", "D07\n", "/etc/passwd", "D7", "d07", "D07.yaml"]))


@st.composite
def program_yaml(draw) -> bytes:
    data = dict(VALID)
    for _ in range(draw(st.integers(0, 3))):
        key = draw(st.one_of(st.sampled_from(sorted(VALID) + ["url", "examples", "extra"]), st.integers(0, 3)))
        if draw(st.booleans()):
            data[key] = draw(FIELD_VALUES)
        else:
            data.pop(key, None)
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    if draw(st.booleans()):  # textual damage: duplicate keys, tabs, unbalanced brackets, tags, anchors
        cut = draw(st.integers(0, len(text)))
        text = text[:cut] + draw(st.sampled_from(["\nid: D07\n", "\t", "[", "{", ": :", "!!python/object:os.system\n",
                                                  "&a [*a]\n", "? [a]\n: b\n", "\x00", "\ud800"])) + text[cut:]
    return text.encode("utf-8", "surrogatepass")


@FUZZ
@given(data=st.one_of(program_yaml(), st.binary(max_size=200)))
@example(data=yaml.safe_dump(VALID, allow_unicode=True).encode())
def test_program_loader_only_raises_corpus_errors(data):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "D07.yaml"
        path.write_bytes(data)
        try:
            program = load_program_file(path)
        except NdmatchError as exc:
            assert "\n" not in str(exc) and str(path) in str(exc), str(exc)
        else:
            assert program.id == "D07" and program.description and program.keywords
