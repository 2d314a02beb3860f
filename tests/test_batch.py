"""Batch ranking (`ndmatch rank`): inputs, outputs, bad rows, backends, cache and the portfolio summary."""

from __future__ import annotations

import csv
import io
import json

import pytest
from click.testing import CliRunner

from ndmatch import api
from ndmatch.batch import _Spill, rank_batch
from ndmatch.cli import cli

CARE = "광주 동구 보건소는 홀몸 어르신 300명에게 AI 스피커와 IoT 센서를 보급해 복약 알림과 응급 호출을 지원한다."
HOUSING = "노후 공공임대주택 외벽 단열과 창호 교체로 에너지 사용량을 절감하는 그린리모델링 사업"
SCHOOL = "초등학교 교실에 무선망을 깔고 학생에게 태블릿을 보급해 온라인 수업 환경을 만든다."
GRID = "지능형 전력망(스마트그리드)과 AMI 계량기를 설치해 전력 수요를 실시간으로 관리한다."
TEXTS = [CARE, HOUSING, SCHOOL, GRID]


@pytest.fixture()
def runner():
    return CliRunner()


def invoke(runner, args):
    return runner.invoke(cli, args, catch_exceptions=False)


def write_csv(path, rows, encoding="utf-8"):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def read_csv(path):
    return list(csv.DictReader(io.StringIO(path.read_bytes().decode("utf-8-sig"))))


@pytest.fixture()
def table(tmp_path):
    rows = [["id", "text", "담당"]] + [[f"p{i}", TEXTS[i % 4] + f" {i}차", f"과{i}"] for i in range(40)]
    return write_csv(tmp_path / "in.csv", rows)


def test_rank_program_sorts_and_keeps_columns(runner, small_model, table, tmp_path):
    out = tmp_path / "out.csv"
    result = invoke(runner, ["rank", str(table), "--out", str(out), "--program", "G01", "--top", "2",
                             "--jobs", "2", "--model", str(small_model)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")
    rows = read_csv(out)
    assert len(rows) == 40
    assert [r["G01_rank"] for r in rows] == [str(i) for i in range(1, 41)]
    scores = [float(r["G01_score"]) for r in rows]
    assert scores == sorted(scores, reverse=True)
    assert rows[0]["program_1"] == "G01" and rows[0]["id"] in {f"p{i}" for i in range(1, 40, 4)}
    assert {"name_1", "score_2", "confidence", "warnings", "담당", "text"} <= set(rows[0])
    assert all(r["confidence"] in ("high", "low") for r in rows)
    assert "summary: 40 proposals ranked" in result.stderr and "0 skipped" in result.stderr
    assert "proposals per best program" in result.stderr


def test_parallel_matches_serial_path(small_matcher, table, tmp_path):
    serial, _ = api.rank(small_matcher, table, top=3)
    out = tmp_path / "par.jsonl"
    rank_batch(small_matcher, table, out=out, top=3, jobs=2, chunk_size=7, use_cache=False)
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows] == [r.id for r in serial]  # input order kept across chunks
    assert [r["program_1"] for r in rows] == [r.matches[0].program for r in serial]
    assert [r["score_1"] for r in rows] == pytest.approx([r.matches[0].score for r in serial])


def test_bad_rows_are_reported_skipped_and_counted(runner, small_model, tmp_path):
    good = CARE.encode("cp949")
    broken = "보건소".encode("cp949") + b"\xff\xfe\xfd"  # not valid CP949
    data = (b"id,text\r\n" + b"a," + good + b"\r\n" + b"b,   \r\n" + b"c," + broken + b"\r\n"
            + b"d," + HOUSING.encode("cp949") + b"\r\n")
    path = tmp_path / "old.csv"
    path.write_bytes(data)
    out = tmp_path / "out.csv"
    result = invoke(runner, ["rank", str(path), "--out", str(out), "--model", str(small_model)])
    assert result.exit_code == 0, result.output
    assert f"{path}: row 2: the text is empty" in result.stderr
    assert f"{path}: row 3: contains bytes that are not valid text" in result.stderr
    assert "2 proposals ranked" in result.stderr and "2 skipped" in result.stderr
    assert [r["id"] for r in read_csv(out)] == ["a", "d"]
    assert read_csv(out)[0]["program_1"] == "D07"


def test_jsonl_in_jsonl_out_with_invalid_line(runner, small_model, tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_text(json.dumps({"id": "x", "text": CARE, "meta": {"k": 1}}, ensure_ascii=False) + "\n"
                    + "{not json\n" + json.dumps({"text": GRID, "extra": "e"}, ensure_ascii=False) + "\n",
                    encoding="utf-8")
    result = invoke(runner, ["rank", str(path), "--format", "jsonl", "--top", "1", "--model", str(small_model)])
    assert result.exit_code == 0, result.output
    assert f"{path}: line 2: invalid JSON" in result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["id"] for r in rows] == ["x", "3"]  # without an id, the line number
    assert rows[0]["program_1"] == "D07" and rows[0]["meta"] == {"k": 1} and rows[1]["extra"] == "e"
    assert isinstance(rows[0]["score_1"], float)


def test_xlsx_in_xlsx_out(runner, small_model, tmp_path):
    from openpyxl import Workbook, load_workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["번호", "text"])
    for i, text in enumerate(TEXTS, 1):
        sheet.append([i, text])
    sheet.append([5, None])
    source = tmp_path / "in.xlsx"
    book.save(source)
    out = tmp_path / "out.xlsx"
    result = invoke(runner, ["rank", str(source), "--out", str(out), "--id-column", "번호",
                             "--model", str(small_model)])
    assert result.exit_code == 0, result.output
    assert "row 5: the text is empty" in result.stderr
    rows = list(load_workbook(out, read_only=True).active.iter_rows(values_only=True))
    assert rows[0][:4] == ("id", "program_1", "name_1", "score_1") and "번호" in rows[0]
    assert [r[0] for r in rows[1:]] == ["1", "2", "3", "4"]
    assert rows[1][1] == "D07" and isinstance(rows[1][3], float)


def test_folder_of_documents(runner, small_model, tmp_path):
    folder = tmp_path / "drafts"
    (folder / "sub").mkdir(parents=True)
    (folder / "care.txt").write_text(CARE, encoding="utf-8")
    (folder / "sub" / "house.md").write_bytes(HOUSING.encode("cp949"))
    (folder / "empty.txt").write_text("", encoding="utf-8")
    (folder / "notes.doc").write_bytes(b"x")
    (folder / ".hidden.txt").write_text(CARE, encoding="utf-8")
    result = invoke(runner, ["rank", str(folder), "--format", "jsonl", "--model", str(small_model)])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["id"] for r in rows] == ["care.txt", "sub/house.md"]
    assert rows[0]["program_1"] == "D07"
    assert "empty.txt: file is empty" in result.stderr and "notes.doc: unsupported file type" in result.stderr
    assert "2 skipped" in result.stderr


def test_summary_html_and_csv(small_matcher, table, tmp_path):
    html_path, csv_path = tmp_path / "portfolio.html", tmp_path / "portfolio.csv"
    result = rank_batch(small_matcher, table, out=tmp_path / "o.csv", summary_path=html_path, jobs=1)
    assert result.portfolio.ranked == 40
    page = html_path.read_text(encoding="utf-8")
    assert "<svg" in page and "스마트 의료 및 돌봄 인프라" in page
    assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "") and "https://" not in page
    result.portfolio.write(csv_path)
    rows = read_csv(csv_path)
    assert sum(int(r["proposals"]) for r in rows) == 40
    best = {r["program"]: r for r in rows}
    assert int(best["D07"]["proposals"]) >= 10
    assert float(best["D07"]["min"]) <= float(best["D07"]["median"]) <= float(best["D07"]["max"])


def test_cache_used_and_no_cache(small_matcher, table, tmp_path, monkeypatch):
    from ndmatch.cache import TokenCache

    monkeypatch.setenv("NDMATCH_CACHE_DIR", str(tmp_path / "cache"))
    rank_batch(small_matcher, table, out=tmp_path / "a.csv", use_cache=False)
    assert not (tmp_path / "cache").exists()
    rank_batch(small_matcher, table, out=tmp_path / "b.csv", jobs=2)
    store = TokenCache(tmp_path / "cache")
    count = store._connection().execute("SELECT COUNT(*) FROM tokens").fetchone()[0]
    store.close()
    assert count == 40  # every distinct text once, no raw text (keys are hashes)
    rank_batch(small_matcher, table, out=tmp_path / "c.csv", jobs=2)
    assert (tmp_path / "b.csv").read_bytes() == (tmp_path / "c.csv").read_bytes()


def test_processes_backend_same_output(small_matcher, table, tmp_path):
    rank_batch(small_matcher, table, out=tmp_path / "t.csv", jobs=2, use_cache=False)
    rank_batch(small_matcher, table, out=tmp_path / "p.csv", jobs=2, backend="processes", use_cache=False,
               chunk_size=10)
    assert (tmp_path / "t.csv").read_bytes() == (tmp_path / "p.csv").read_bytes()


@pytest.mark.filterwarnings("ignore")
def test_dask_local_cluster(small_matcher, table, tmp_path):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None) as cluster:
        result = rank_batch(small_matcher, table, out=tmp_path / "d.csv", backend="dask",
                            scheduler=cluster.scheduler_address, use_cache=False, chunk_size=10)
    rank_batch(small_matcher, table, out=tmp_path / "t.csv", use_cache=False)
    assert result.portfolio.ranked == 40
    assert (tmp_path / "d.csv").read_bytes() == (tmp_path / "t.csv").read_bytes()


def test_spill_sorts_stably():
    spill = _Spill(None)
    for i, score in enumerate([0.2, 0.9, 0.2, 0.5]):
        spill.add([f"r{i}", None, score], score)
    assert [row[0] for row in spill.sorted_rows()] == ["r1", "r3", "r0", "r2"]
    spill.close()


ERRORS = [
    (["--backend", "dask"], 2, "--backend dask needs --scheduler"),
    (["--summary", "{tmp}/s.txt"], 2, "unsupported summary type .txt"),
    (["--format", "xlsx"], 2, "XLSX output needs a file"),
    (["--out", "{tmp}/o.txt"], 2, "cannot tell the output format"),
    (["--text-column", "body"], 1, "no column 'body'"),
]


@pytest.mark.parametrize("args,code,message", ERRORS)
def test_rank_errors(runner, small_model, table, tmp_path, args, code, message):
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    result = invoke(runner, ["rank", str(table), "--model", str(small_model)] + args)
    assert result.exit_code == code, result.output
    assert message in result.stderr and result.stderr.count("\n") == 1


def test_rank_keeps_doubled_quotes_inside_fields(small_matcher, tmp_path):
    """The CSV quoting is standard, not sniffed: "" inside a quoted field is one quote, not a garbled field."""
    from ndmatch.sources import open_source

    table = tmp_path / "quoted.csv"
    table.write_text('id,text\n1,"노후 어린이집 ""그린리모델링"" 단열 공사, 창호 교체"\n', encoding="utf-8")
    rows = list(open_source(table).records())
    assert rows[0].text == '노후 어린이집 "그린리모델링" 단열 공사, 창호 교체'


def test_rank_reads_the_named_sheet(small_model, tmp_path):
    """--sheet picks a worksheet of an .xlsx; an unknown one is a usage error listing the sheets."""
    import csv
    import io

    from click.testing import CliRunner
    from openpyxl import Workbook

    from ndmatch.cli import cli

    workbook = Workbook()
    workbook.active.title = "표지"
    workbook.active.append(["안내", "이 문서는 제출 목록입니다"])
    sheet = workbook.create_sheet("제안목록")
    sheet.append(["id", "text"])
    sheet.append(["S1", "노후 공공임대주택 외벽 단열과 창호 교체로 난방 에너지를 줄이는 사업"])
    path = tmp_path / "book.xlsx"
    workbook.save(path)
    result = CliRunner().invoke(cli, ["rank", str(path), "--sheet", "제안목록", "--quiet", "--model", str(small_model)])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout.lstrip("\ufeff"))))
    assert rows[0]["id"] == "S1" and rows[0]["program_1"] == "G01"
    result = CliRunner().invoke(cli, ["rank", str(path), "--sheet", "없음", "--model", str(small_model)])
    assert result.exit_code == 2 and "no sheet '없음'; sheets: 표지, 제안목록" in result.stderr


def test_cli_process_backend_exits(small_model, table, tmp_path):
    # A JVM started in the parent beside loky's workers once kept the process from exiting after its output.
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "ndmatch", "rank", str(table), "--model", str(small_model),
                           "--backend", "processes", "--jobs", "1", "--no-cache", "--quiet",
                           "--out", str(tmp_path / "p.csv")], cwd=tmp_path, capture_output=True, text=True,
                          timeout=180)
    assert done.returncode == 0, done.stderr
    assert len(read_csv(tmp_path / "p.csv")) == 40


def test_closed_output_pipe_ends_quietly(runner, small_model, table, monkeypatch):
    import ndmatch.batch

    def reader_went_away(*args, **kwargs):
        raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(ndmatch.batch, "rank_batch", reader_went_away)
    result = runner.invoke(cli, ["rank", str(table), "--model", str(small_model)])
    assert result.exit_code == 1 and result.stderr == ""
