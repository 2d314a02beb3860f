"""The HTML report renders in a real headless Chromium and shows the ranked programs and reasons."""

import shutil
import subprocess

import pytest
from click.testing import CliRunner

from ndmatch.cli import cli
from ndmatch.report_html import highlight

DRAFT = ("보건소가 홀몸 어르신 가구에 IoT 센서와 AI 스피커를 설치해 응급 상황을 알리고, 원격으로 건강 상담을 "
         "제공하는 돌봄 사업입니다. <script>alert(1)</script>")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


def test_highlight_escapes_and_marks():
    assert highlight("AI <b> 돌봄", ["돌봄"]) == "AI &lt;b&gt; <mark>돌봄</mark>"


@pytest.fixture()
def report(small_model, tmp_path):
    draft = tmp_path / "draft.txt"
    draft.write_text(DRAFT, encoding="utf-8")
    out = tmp_path / "report.html"
    result = CliRunner().invoke(cli, ["score", str(draft), "--report", str(out), "--model", str(small_model)],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return out


def test_report_is_self_contained(report):
    page = report.read_text(encoding="utf-8")
    assert '<html lang="ko">' in page
    assert "http://" not in page and "https://" not in page  # nothing to fetch: opens offline
    assert "<script>alert(1)</script>" not in page  # the draft is escaped


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (.ci/run installs it)")
def test_report_renders_in_headless_chromium(report, tmp_path):
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-first-run",
             f"--user-data-dir={tmp_path / 'profile'}"]
    dom = subprocess.run([CHROMIUM, *flags, "--dump-dom", report.as_uri()], capture_output=True, text=True,
                         timeout=120, check=True).stdout
    assert "한국판 뉴딜 사업 적합도 보고서" in dom
    assert 'data-program="D07"' in dom and 'id="program-D07"' in dom
    assert dom.count('class="row"') == 4  # the small catalog's four programs, best first
    assert dom.index('data-program="D07"') < dom.index('data-program="G04"')
    assert "근거가 된 초안의 단어" in dom and "보완을 검토할 내용" in dom and "비슷한 사례" in dom
    assert "<mark>어르신</mark>" in dom
    shot = tmp_path / "report.png"
    subprocess.run([CHROMIUM, *flags, "--window-size=1100,1400", f"--screenshot={shot}", report.as_uri()],
                   capture_output=True, timeout=120, check=True)
    assert shot.stat().st_size > 10_000
