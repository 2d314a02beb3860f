"""Issue 8: every bad input gets a clear answer.

Each case runs a real command through Click's CliRunner (with exceptions caught, as a user would see them) and
checks the exit status (2 usage, 1 data/environment), that stderr has exactly one ``Error:`` line naming the
file (and its row or line where there is one), and that no Python traceback is printed. Loader-level cases
check that only ``ndmatch.errors`` types escape. Document readers have their own cases in test_readers.py.
"""

from __future__ import annotations

import io
import json
import logging
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from ndmatch.cli import cli
from ndmatch.errors import CorpusFormatError, InputError, NdmatchError
from ndmatch.tables import read_table

CARE = "광주 동구 보건소는 홀몸 어르신 300명에게 AI 스피커와 IoT 센서를 보급해 복약 알림과 응급 호출을 지원한다."
GREEN = "노후 공공임대주택 외벽 단열과 창호 교체로 에너지 사용량 절감"


def run(args, stdin: bytes | None = None):
    result = CliRunner().invoke(cli, args, input=stdin)
    output = result.stdout + result.stderr
    assert "Traceback" not in output, output
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit), \
        repr(result.exception)
    return result


def one_error_line(result, *patterns: str) -> str:
    lines = [line for line in result.stderr.splitlines() if line.startswith("Error")]
    assert len(lines) == 1, result.stderr
    for pattern in patterns:
        assert re.search(pattern, lines[0]), (pattern, lines[0])
    return lines[0]


# ----------------------------------------------------------------------------- score: texts given as files

TEXT_FILES = {
    # name: (bytes, exit status, patterns the one error line must contain; None = must succeed)
    "whitespace.txt": (b" \t\r\n  \n", 1, ["no text|empty"]),
    "zero-width.txt": ("\u200b\u200b\ufeff \u200d".encode(), 1, ["empty|no text"]),
    "digits.txt": (b"2021 - 2025 / 300 * 12", 1, ["no words to match"]),
    "emoji-only.txt": ("🚀🚀 😀 ★☆ ※".encode(), 1, ["no words to match"]),
    "nul-bytes.txt": (b"\xec\x8a\xa4\x00\xeb\xa7\x88\x00" + CARE.encode(), 1, ["binary"]),
    "png-as-text.txt": (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, 1, ["not text"]),
    "elf-as-text.txt": (b"\x7fELF\x02\x01\x01" + bytes(range(256)) * 4, 1, ["not text|binary"]),
    "mixed-encodings.txt": (CARE.encode() + b"\n" + GREEN.encode("cp949") + b"\n", 1, ["encoding"]),
    "invalid-utf8.txt": (bytes(range(128, 256)), 1, ["encoding|not text"]),
    "english-only.txt": (b"Smart hospital project plan with IoT sensors for elderly care", 0, None),
    "emoji-and-korean.txt": (("😀 " + CARE + " 🚀𠀀").encode(), 0, None),
    "cp949.txt": (CARE.encode("cp949"), 0, None),
    "utf16.txt": (CARE.encode("utf-16"), 0, None),
}


@pytest.mark.parametrize("name", sorted(TEXT_FILES))
def test_score_bad_text_files(name, small_model, tmp_path):
    data, code, patterns = TEXT_FILES[name]
    path = tmp_path / name
    path.write_bytes(data)
    result = run(["score", str(path), "--format", "json", "--model", str(small_model)])
    assert result.exit_code == code, result.output
    if patterns is None:
        assert json.loads(result.stdout)[0]["matches"]
    else:
        one_error_line(result, re.escape(str(path)), *patterns)


def test_score_no_korean_is_scored_but_flagged(small_model, tmp_path):
    path = tmp_path / "english.txt"
    path.write_text("A smart grid demonstration with AMI meters and demand response for apartment blocks. " * 3,
                    encoding="utf-8")
    data = json.loads(run(["score", str(path), "--format", "json", "--model", str(small_model)]).stdout)[0]
    assert data["confidence"] == "low" and any("한국어" in w for w in data["warnings"])


@pytest.mark.parametrize("stdin,code", [(b"", 1), (b"\n\n   \n", 1), (b"\x00\x01\x02binary", 1),
                                        (CARE.encode("cp949"), 0)])
def test_score_stdin(stdin, code, small_model):
    result = run(["score", "-", "--model", str(small_model)], stdin=stdin)
    assert result.exit_code == code, result.output
    if code:
        one_error_line(result, "^Error: standard input: ")


def test_score_stdin_over_the_size_cap(small_model, monkeypatch):
    import ndmatch.readers

    monkeypatch.setattr(ndmatch.readers, "MAX_FILE_BYTES", 1000)
    result = run(["score", "-", "--model", str(small_model)], stdin=CARE.encode() * 20)
    assert result.exit_code == 1
    one_error_line(result, "standard input: more than")


@pytest.mark.parametrize("args,code,pattern", [
    (["score", "{dir}"], 2, "folder"),
    (["score", "{draft}", "--top", "-3"], 2, "Invalid value for '--top'"),
    (["score", "{draft}", "--format", "xml"], 2, "Invalid value for '--format'"),
    (["score", "{draft}", "--applicant", "../x"], 2, "unknown applicant type"),
    (["score", "{exe}"], 2, "unsupported"),
    (["rank", "{draft}"], 2, "unsupported"),
    (["rank", "{table}", "--program", "../D07"], 2, "unknown program id"),
    (["programs", "show", "../../etc/passwd"], 2, "unknown program id"),
    (["evaluate", "--data", "{missing}.csv"], 1, "no such file"),
    (["train", "--corpus", "{missing}"], 1, "not found"),
    (["score", "{draft}", "--model", "{table}"], 1, "no trained model"),
    (["frobnicate"], 2, "No such command"),
])
def test_usage_and_missing_things(args, code, pattern, small_model, tmp_path):
    draft = tmp_path / "draft.txt"
    draft.write_text(CARE, encoding="utf-8")
    table = tmp_path / "t.csv"
    table.write_text(f"id,text\n1,{CARE}\n", encoding="utf-8")
    (tmp_path / "folder").mkdir()
    (tmp_path / "draft.exe").write_bytes(b"MZ\x90\x00")
    values = {"exe": tmp_path / "draft.exe", "dir": tmp_path / "folder", "draft": draft, "table": table, "missing": tmp_path / "nothing"}
    args = [a.format(**values) for a in args]
    if args[0] in ("score", "rank", "evaluate") and "--model" not in args:
        args += ["--model", str(small_model)]
    result = run(args)
    assert result.exit_code == code, result.output
    one_error_line(result, pattern)


def test_overlong_text_is_cut_with_a_warning(small_matcher, monkeypatch):
    """The one place: ndmatch.matcher.check_text, used by score and by rank (ndmatch.batch.score_chunk)."""
    import ndmatch.matcher
    from ndmatch import api

    messages: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: messages.append(record.getMessage())
    logging.getLogger("ndmatch").addHandler(handler)
    monkeypatch.setattr(ndmatch.matcher, "MAX_TEXT_CHARS", 2000)
    try:
        result = api.score(small_matcher, [("long.txt", (CARE + "\n") * 100)], top=1, explain=False)[0]
    finally:
        logging.getLogger("ndmatch").removeHandler(handler)
    assert len(result.text) <= 2000 and result.matches[0].program == "D07"
    assert len(messages) == 1
    assert re.search(r"long.txt: the text has [\d,]+ characters; only the first 2,000 are scored", messages[0])


def test_overlong_text_warning_on_stderr_through_the_cli(small_model, tmp_path, monkeypatch):
    import ndmatch.matcher

    monkeypatch.setattr(ndmatch.matcher, "MAX_TEXT_CHARS", 3000)
    path = tmp_path / "long.txt"
    path.write_text(CARE * 60, encoding="utf-8")  # also one single very long line
    result = run(["score", str(path), "--top", "1", "--format", "json", "--model", str(small_model)])
    assert result.exit_code == 0, result.output
    assert f"warning: {path}: the text has" in result.stderr


def test_very_long_single_line_is_tokenized_in_pieces():
    from ndmatch.tokenize import MAX_LINE_CHARS, _pieces

    line = ("스마트 병원 " * (MAX_LINE_CHARS // 3))
    pieces = _pieces(line + "\n\n짧은 줄\n")
    assert all(0 < len(p) <= MAX_LINE_CHARS for p in pieces) and pieces[-1] == "짧은 줄"
    assert " ".join(pieces[:-1]).split() == line.split()
    assert _pieces("x" * (2 * MAX_LINE_CHARS + 1)) == ["x" * MAX_LINE_CHARS] * 2 + ["x"]


# ----------------------------------------------------------------------------- tables (evaluate and loader)

def xlsx_bytes(sheets: dict[str, list[list]], merge: dict[str, str] | None = None) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
        if merge and title in merge:
            sheet.merge_cells(merge[title])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


BAD_TABLES = {
    # name: (bytes, patterns of the one-line InputError)
    "empty.csv": (b"", ["empty"]),
    "blank-header.csv": (b"\n\n,,\n1,2\n", ["empty|header"]),
    "header-only.csv": (b"id,text,programs\n", ["no labelled rows|no data rows"]),
    "ragged.csv": (f"id,text,programs\n1,{CARE},D07\n2,스마트, 병원,D07,extra\n".encode(),
                   [r"ragged.csv:3: 5 values but 3 columns", "quotes"]),
    "bad-quote.csv": (f'id,text,programs\n1,"{CARE}" 뒤,D07\n'.encode(), [r"bad-quote.csv:2: not valid CSV"]),
    "unterminated.csv": (f'id,text,programs\n1,"{CARE},D07\n2,x,D07\n'.encode(), ["not valid CSV"]),
    "nul.csv": (b"id,text,programs\n1,\x00\x00,D07\n", ["binary"]),
    "mixed-encodings.csv": (f"id,text,programs\n1,{CARE},D07\n".encode() + f"2,{GREEN},G01\n".encode("cp949")
                            + bytes(range(128, 256)), [r"line \d+ is not UTF-8|encoding"]),
    "binary.csv": (bytes(range(256)) * 8, ["binary|encoding"]),
    "no-text-column.csv": (f"id,body,programs\n1,{CARE},D07\n".encode(), ["row 1: empty or missing 'text'"]),
    "unknown-program.csv": (f"id,text,programs\n1,{CARE},X99\n".encode(), ["row 1: unknown program id"]),
    "empty-programs.csv": (f"id,text,programs\n1,{CARE},;;\n".encode(), ["row 1: empty 'programs'"]),
    "deep.jsonl": (b"[" * 50000 + b"\n", [r"deep.jsonl:1: JSON nested too deeply"]),
    "not-object.jsonl": (b'{"text": "a", "programs": "D07"}\n[1, 2]\n', [r"not-object.jsonl:2: expected a JSON object"]),
    "invalid.jsonl": (b'{"text": "a", "programs": "D07"}\n{"text": \n', [r"invalid.jsonl:2: invalid JSON"]),
    "text-is-object.jsonl": (b'{"text": {"a": 1}, "programs": "D07"}\n', ["row 1: empty or missing 'text'"]),
    "text-is-number.jsonl": (b'{"text": 12345, "programs": "D07"}\n', ["row 1: empty or missing 'text'"]),
    "garbage.xlsx": (b"PK\x03\x04garbage", ["not a readable Excel"]),
    "text-as-xlsx.xlsx": (CARE.encode(), ["not a readable Excel"]),
    "empty-sheet.xlsx": ("xlsx", ["sheet 'Sheet' is empty"]),
}


@pytest.mark.parametrize("name", sorted(BAD_TABLES))
def test_evaluate_bad_tables(name, small_model, tmp_path):
    data, patterns = BAD_TABLES[name]
    if data == "xlsx":
        data = xlsx_bytes({"Sheet": []})
    path = tmp_path / name
    path.write_bytes(data)
    result = run(["evaluate", "--data", str(path), "--model", str(small_model)])
    assert result.exit_code == 1, result.output
    one_error_line(result, re.escape(str(path)), *patterns)


def test_csv_quotes_embedded_newlines_and_duplicate_columns(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text('id,text,text,note\n1,"첫 줄, 쉼표\n둘째 ""줄""",다른 글,\n2,짧은 글\n', encoding="utf-8")
    rows = read_table(path)
    assert rows[0] == {"id": "1", "text": '첫 줄, 쉼표\n둘째 "줄"', "text.2": "다른 글", "note": ""}
    assert rows[1] == {"id": "2", "text": "짧은 글", "text.2": "", "note": ""}  # short rows are padded


def test_csv_long_field_over_the_csv_module_limit(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text(f'id,text\n1,"{"스마트 병원 " * 40000}"\n', encoding="utf-8")
    assert len(read_table(path)[0]["text"]) == 7 * 40000


def test_jsonl_lone_surrogates_become_replacement_characters(tmp_path):
    path = tmp_path / "t.jsonl"
    path.write_bytes(b'{"id": "\\udc80", "text": "\\ud800 ' + CARE.encode() + b'"}\n')
    row = read_table(path)[0]
    assert row["text"].startswith("\ufffd ") and row["id"] == "\ufffd"
    row["text"].encode("utf-8")  # no surrogates left


def test_xlsx_first_sheet_or_named_sheet_and_merged_title_row(tmp_path):
    path = tmp_path / "book.xlsx"
    path.write_bytes(xlsx_bytes({
        "요약": [["2021 제안 목록"], ["id", "text", "text"], [1, CARE, "x"], [None, None, None], [2, GREEN, None]],
        "원본": [["id", "text"], ["b1", GREEN]],
    }, merge={"요약": "A1:C1"}))
    rows = read_table(path)  # the first sheet; its merged title row above the header is skipped
    assert [r["id"] for r in rows] == ["1", "2"] and rows[0]["text"] == CARE and rows[0]["text.2"] == "x"
    assert read_table(path, sheet="원본") == [{"id": "b1", "text": GREEN}]
    with pytest.raises(InputError, match=r"no sheet '없음'; the workbook has \['요약', '원본'\]"):
        read_table(path, sheet="없음")


def test_xlsx_merged_header_cells(tmp_path):
    path = tmp_path / "merged.xlsx"
    path.write_bytes(xlsx_bytes({"S": [["id", "text", None, "비고"], [1, CARE, "덧붙임", "메모"]]},
                                merge={"S": "B1:C1"}))
    rows = read_table(path)  # a merged header's extra cells have no name: their values are dropped
    assert rows == [{"id": "1", "text": CARE, "비고": "메모"}]


# ----------------------------------------------------------------------------- rank (batch sources, issue 6)

RANK_CASES = {
    "ragged.csv": f"id,text\n1,{CARE},x,y\n2\n".encode(),
    "embedded-newline.csv": f'id,text\n1,"{CARE}\n둘째 줄, 쉼표"\n'.encode(),
    "nul.csv": b"id,text\n1,\xec\x8a\xa4\x00\xeb\xa7\x88 " + CARE.encode() + b"\n",
    "types.jsonl": ('{"id": [1,2], "text": {"a": 1}}\n{"id": null, "text": 12345}\n{"text": "' + CARE + '"}\n').encode(),
    "surrogate.jsonl": b'{"id": 1, "text": "\\ud800 ' + CARE.encode() + b'"}\n',
    "invalid-line.jsonl": b'{"text": "' + CARE.encode() + b'"}\n{"text": \n',
}


@pytest.mark.parametrize("name", sorted(RANK_CASES))
def test_rank_odd_tables_never_crash(name, small_model, tmp_path):
    path = tmp_path / name
    path.write_bytes(RANK_CASES[name])
    result = run(["rank", str(path), "--quiet", "--model", str(small_model)])
    assert result.exit_code in (0, 1), result.output
    if result.exit_code:
        one_error_line(result, re.escape(str(path)))


# ----------------------------------------------------------------------------- program YAML

PROGRAM = """\
id: D07
pillar: digital
name: 스마트 의료 및 돌봄 인프라
name_en: Smart healthcare and care infrastructure
ministry: 보건복지부
published: 2020-07-14
description: >-
  {description}
keywords: [스마트병원, 호흡기전담클리닉, 원격의료, 돌봄, 어르신]
applicants: [지자체, 의료기관]
"""
DESCRIPTION = "감염병 대응과 취약계층 돌봄을 위해 스마트 병원과 호흡기 전담 클리닉, 어르신 돌봄 기기를 보급하는 사업이다. " * 8

BAD_PROGRAMS = {
    "duplicate key": (PROGRAM + "name: 다른 이름\n", r":\d+: invalid YAML: duplicate key 'name'"),
    "path-like id": (PROGRAM.replace("id: D07", "id: ../x"), "is not a program id"),
    "id with newline": (PROGRAM.replace("id: D07", 'id: "D07\\n"'), "is not a program id"),
    "id as number": (PROGRAM.replace("id: D07", "id: 7"), "is not a program id"),
    "keywords as string": (PROGRAM.replace("keywords: [스마트병원, 호흡기전담클리닉, 원격의료, 돌봄, 어르신]",
                                           "keywords: 스마트병원"), "'keywords' must be a list"),
    "keywords with null": (PROGRAM.replace("원격의료, 돌봄", "~, 돌봄"), "'keywords' must be a list"),
    "name as list": (PROGRAM.replace("name: 스마트 의료 및 돌봄 인프라", "name: [a, b]"), "'name' must be"),
    "pillar as mapping": (PROGRAM.replace("pillar: digital", "pillar: {a: 1}"), "pillar"),
    "bad date": (PROGRAM.replace("2020-07-14", "2020-02-30"), "invalid YAML value|published"),
    "unknown number key": (PROGRAM + "7: seven\n", "unknown field"),
    "list as key": (PROGRAM + "? [a, b]\n: x\n", "key must be a plain name|unhashable"),
    "top-level list": ("- a\n- b\n", "expected a mapping"),
    "deep nesting": ("a: " + "[" * 5000 + "\n", "nested too deeply|invalid YAML"),
    "tab indentation": (PROGRAM.replace("pillar: digital", "\tpillar: digital"), "invalid YAML"),
    "python tag": (PROGRAM + "url: !!python/object/apply:os.system ['true']\n", "invalid YAML"),
    "short description": (None, "description has"),  # written with a 2-character description below
    "unknown applicant": (PROGRAM.replace("[지자체, 의료기관]", "[지자체, 외계인]"), "unknown applicant type"),
}


def program_text(template: str | None, description: str = DESCRIPTION) -> str:
    return (template or PROGRAM).replace("{description}", description)


@pytest.mark.parametrize("case", sorted(BAD_PROGRAMS))
def test_bad_program_yaml(case, tmp_path):
    template, pattern = BAD_PROGRAMS[case]
    corpus = tmp_path / "corpus"
    (corpus / "programs").mkdir(parents=True)
    text = program_text(template, "짧다" if case == "short description" else DESCRIPTION)
    path = corpus / "programs" / "D07.yaml"
    path.write_text(text, encoding="utf-8")
    result = run(["programs", "list", "--corpus", str(corpus)])
    assert result.exit_code == 1, result.output
    one_error_line(result, re.escape(str(path)), pattern)


@pytest.mark.parametrize("data,pattern", [
    (b"\xff\xfeid: D07\n", "not UTF-8"),
    (b"id: D07\x00\n", "NUL bytes"),
    (b"id: D07\n" + b"# padding\n" * 120_000, "larger than"),
])
def test_program_yaml_bytes(data, pattern, tmp_path):
    from ndmatch.programs import load_program_file

    path = tmp_path / "D07.yaml"
    path.write_bytes(data)
    with pytest.raises(CorpusFormatError, match=pattern) as info:
        load_program_file(path)
    assert str(path) in str(info.value) and "\n" not in str(info.value)


def test_valid_program_yaml_still_loads(tmp_path):
    from ndmatch.programs import load_program_file

    path = tmp_path / "D07.yaml"
    path.write_text(program_text(None), encoding="utf-8")
    assert load_program_file(path).id == "D07"


def test_only_ndmatch_errors_escape_loaders(tmp_path):
    """A quick census: every bad table above, read directly, raises an NdmatchError subclass."""
    for name, (data, _) in BAD_TABLES.items():
        path = tmp_path / name
        path.write_bytes(xlsx_bytes({"Sheet": []}) if data == "xlsx" else data)
        try:
            read_table(path)
        except NdmatchError:
            pass


def count_cases() -> dict[str, int]:
    """How many bad-input cases this file tries (reported in the README)."""
    return {"text files": len(TEXT_FILES), "tables": len(BAD_TABLES), "rank tables": len(RANK_CASES),
            "program YAML": len(BAD_PROGRAMS)}
