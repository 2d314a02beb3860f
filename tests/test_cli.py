"""The CLI through Click's CliRunner: output contracts and one-line errors."""

import csv
import io
import json
import re

import pytest
from click.testing import CliRunner

from ndmatch.cli import cli

CARE = "광주 동구 보건소는 홀몸 어르신 300명에게 AI 스피커와 IoT 센서를 보급해 복약 알림과 응급 호출을 지원한다."


@pytest.fixture()
def runner():
    return CliRunner()


@pytest.fixture()
def draft(tmp_path):
    path = tmp_path / "draft.txt"
    path.write_text(CARE, encoding="utf-8")
    return path


def invoke(runner, args, **kw):
    return runner.invoke(cli, args, catch_exceptions=False, **kw)


def test_score_json_contract(runner, small_model, draft):
    result = invoke(runner, ["score", str(draft), "--format", "json", "--model", str(small_model)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [d["input"] for d in data] == [str(draft)]
    matches = data[0]["matches"]
    assert len(matches) == 4  # --top defaults to 5; the small catalog has 4 programs
    assert set(matches[0]) >= {"program", "name", "pillar", "score"}
    assert matches[0]["program"] == "D07"
    assert matches[0]["name"] == "스마트 의료 및 돌봄 인프라"
    assert matches[0]["pillar"] == "digital"
    scores = [m["score"] for m in matches]
    assert scores == sorted(scores, reverse=True) and all(0 <= s <= 1 for s in scores)
    best = matches[0]
    assert best["grade"] in ("강력 추천", "검토 권장", "참고")
    assert {"어르신", "보건소"} & {e["term"] for e in best["evidence"]}
    assert all(e["weight"] > 0 for e in best["evidence"])
    assert best["missing"] and not set(best["missing"]) & {e["term"] for e in best["evidence"]}
    assert data[0]["confidence"] in ("high", "low")
    similar = best["similar"]
    assert 1 <= len(similar) <= 3 and all(s["id"].startswith("t") for s in similar)
    assert [s["similarity"] for s in similar] == sorted((s["similarity"] for s in similar), reverse=True)


def test_short_or_foreign_draft_is_flagged(runner, small_model):
    result = invoke(runner, ["score", "-", "--format", "json", "--model", str(small_model)],
                    input="Smart hospital project plan".encode("utf-8"))
    data = json.loads(result.stdout)[0]
    assert data["confidence"] == "low"
    assert any("짧습니다" in w for w in data["warnings"])
    assert any("한국어" in w for w in data["warnings"])


def test_score_top_and_stdin(runner, small_model):
    result = invoke(runner, ["score", "-", "--top", "2", "--format", "json", "--model", str(small_model)],
                    input=CARE.encode("utf-8"))
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data[0]["input"] == "-" and len(data[0]["matches"]) == 2


def test_score_table_shows_korean_names_and_percentages(runner, small_model, draft):
    result = invoke(runner, ["score", str(draft), "--model", str(small_model)])
    assert result.exit_code == 0, result.output
    assert "스마트 의료 및 돌봄 인프라" in result.stdout
    assert "%" in result.stdout and "█" in result.stdout
    assert "근거(초안의 단어)" in result.stdout and "보완 검토" in result.stdout


def test_score_cp949_file(runner, small_model, tmp_path):
    path = tmp_path / "old.txt"
    path.write_bytes(CARE.encode("cp949"))
    result = invoke(runner, ["score", str(path), "--format", "json", "--model", str(small_model)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)[0]["matches"][0]["program"] == "D07"


def test_rank_csv_with_program(runner, small_model, tmp_path):
    table = tmp_path / "in.csv"
    table.write_text("id,text,담당\n"
                     f"a1,\"{CARE}\",보건과\n"
                     "a2,노후 공공임대주택 외벽 단열과 창호 교체로 에너지 사용량 절감,건축과\n"
                     "a3,   ,기타\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    result = invoke(runner, ["rank", str(table), "--out", str(out), "--program", "G01", "--top", "2",
                             "--model", str(small_model)])
    assert result.exit_code == 0, result.output
    assert "row 3" in result.stderr and "skipped" in result.stderr
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM so that Excel shows Korean
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert [r["id"] for r in rows] == ["a2", "a1"]
    assert rows[0]["G01_rank"] == "1" and rows[0]["담당"] == "건축과"
    assert {"program_1", "name_1", "score_1", "program_2"} <= set(rows[0])


def test_evaluate_json(runner, small_model, small_corpus):
    result = invoke(runner, ["evaluate", "--data", str(small_corpus / "heldout.jsonl"), "--format", "json",
                             "--model", str(small_model)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert {"n", "top1", "top3", "mrr", "top1_any", "macro_f1", "per_program"} <= set(data)
    assert data["n"] == 16
    assert set(data["per_program"]["D07"]) == {"support", "top1", "top3"}


def test_programs_list_and_show(runner):
    result = invoke(runner, ["programs", "list", "--format", "json"])
    assert result.exit_code == 0
    programs = json.loads(result.stdout)
    assert len(programs) == 20
    assert {"id", "name", "name_en", "pillar", "ministry"} <= set(programs[0])
    result = invoke(runner, ["programs", "show", "g04"])
    assert result.exit_code == 0 and "지능형 스마트 그리드" in result.stdout


def test_corpus_check_bundled_passes(runner):
    result = invoke(runner, ["corpus", "check"])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().endswith("OK")


ERRORS = [
    (["score", "/nonexistent/draft.txt"], 1, "/nonexistent/draft.txt: no such file"),
    (["score", "{empty}"], 1, "(the text is empty|contains no text)"),
    (["rank", "{nocol}", "--program", "D07"], 1, "no column 'text'"),
    (["rank", "{table}", "--program", "X99"], 2, "unknown program id 'X99'"),
    (["programs", "show", "Z01"], 2, "unknown program id 'Z01'"),
    (["score", "{draft}", "--top", "0"], 2, "Invalid value for '--top'"),
    (["score", "{punct}"], 1, "no words to match"),
    (["evaluate", "--data", "{draft}"], 2, "unsupported table type .txt"),
    (["score", "{draft}", "--model", "{nomodel}"], 1, "no trained model here"),
]


@pytest.mark.parametrize("args,code,message", ERRORS)
def test_errors_are_one_line_without_traceback(runner, small_model, tmp_path, draft, args, code, message):
    (tmp_path / "empty.txt").write_text("  \n", encoding="utf-8")
    (tmp_path / "punct.txt").write_text("1234 ... !!!", encoding="utf-8")
    (tmp_path / "nocol.csv").write_text("id,body\n1,스마트 병원\n", encoding="utf-8")
    (tmp_path / "table.csv").write_text("id,text\n1,스마트 병원 구축\n", encoding="utf-8")
    values = {"empty": tmp_path / "empty.txt", "nocol": tmp_path / "nocol.csv", "table": tmp_path / "table.csv",
              "draft": draft, "punct": tmp_path / "punct.txt", "nomodel": tmp_path / "nothing"}
    args = [a.format(**values) for a in args]
    if args[0] != "programs" and "--model" not in args:
        args += ["--model", str(small_model)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == code, result.output
    assert re.search(message, result.stderr), result.stderr
    assert "Traceback" not in result.output + result.stderr
    assert len([line for line in result.stderr.splitlines() if line.startswith("Error")]) == 1


def test_applicant_filter_leaves_out_programs_and_says_how_many(runner, small_model, draft):
    from ndmatch.matcher import Matcher

    matcher = Matcher.load(small_model)
    closed = sorted(p.id for p in matcher.programs if "교육청" not in p.applicants)
    assert closed, "fixture needs a program closed to 교육청"
    result = invoke(runner, ["score", str(draft), "--format", "json", "--applicant", "교육청",
                             "--model", str(small_model)])
    data = json.loads(result.stdout)[0]
    assert data["applicant"] == {"type": "교육청", "excluded": closed}
    assert not {m["program"] for m in data["matches"]} & set(closed)
    table = invoke(runner, ["score", str(draft), "--applicant", "교육청", "--model", str(small_model)])
    assert f"사업 {len(closed)}개 제외" in table.stdout


def test_unknown_applicant_type_is_a_usage_error(runner, small_model, draft):
    result = CliRunner().invoke(cli, ["score", str(draft), "--applicant", "외계인", "--model", str(small_model)])
    assert result.exit_code == 2 and "unknown applicant type '외계인'" in result.stderr


def test_bad_documents_end_with_one_line(runner, small_model, tmp_path, monkeypatch):
    """Corrupt, empty, image-only and oversized files: exit status 1 and one clear line, no traceback."""
    from test_readers import image_only_pdf

    import ndmatch.readers

    files = {"corrupt.docx": b"PK\x03\x04 not really a zip", "empty.txt": b"",
             "scan.pdf": image_only_pdf(), "big.txt": "스마트 병원 ".encode("utf-8") * 400}
    monkeypatch.setattr(ndmatch.readers, "MAX_FILE_BYTES", 1000)
    for name, data in files.items():
        path = tmp_path / name
        path.write_bytes(data)
        result = CliRunner().invoke(cli, ["score", str(path), "--model", str(small_model)])
        assert result.exit_code == 1, (name, result.output)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"Error: {path}"), (name, result.stderr)
        assert "Traceback" not in result.output


def test_corpus_check_finds_leaks_into_every_evaluation_split(small_corpus, tmp_path):
    import json
    import shutil

    from ndmatch.check import check_corpus

    corpus = tmp_path / "c"
    shutil.copytree(small_corpus, corpus)
    training = [json.loads(line) for line in (corpus / "proposals.jsonl").read_text(encoding="utf-8").splitlines()]
    for split, row in (("dev", training[0]), ("stress", training[5])):
        leaked = dict(row, id=f"{split}-copy")
        (corpus / f"{split}.jsonl").write_text(json.dumps(leaked, ensure_ascii=False) + "\n", encoding="utf-8")
    report = check_corpus(corpus)
    assert any("dev-copy" in e and "dev text leaks from training" in e for e in report.errors), report.errors
    assert any("stress-copy" in e and "stress text leaks from training" in e for e in report.errors)
    assert report.counts["stress"]["total"] == 1


@pytest.mark.parametrize("text,title", [
    ("□ 사업명: 광주 AI 돌봄 서비스\n담당: 복지과", "광주 AI 돌봄 서비스"),
    ("담당: 도로시설팀장 외 3명, 연락처 별도\n\n교량 38곳 계측 센서 설치 및 상시 감시 체계 구축", "교량 38곳 계측 센서 설치 및 상시 감시 체계 구축"),
    ("[공모 신청서]\n1. 하수처리장 스마트 운영 전환 계획", "하수처리장 스마트 운영 전환 계획"),
])
def test_similar_project_titles_skip_headings_and_metadata(text, title):
    from ndmatch.api import _title

    assert _title(text) == title
