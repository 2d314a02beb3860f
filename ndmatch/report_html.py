"""A self-contained Korean HTML report of a scored draft: bar chart, reasons, suggestions, highlighted text.

Everything (styles, chart) is inline, so the page opens offline and can be mailed as one file.
"""

from __future__ import annotations

import html
import re

from ndmatch.programs import PILLAR_NAMES

_STYLE = """
body{font-family:'Noto Sans KR','Malgun Gothic','Apple SD Gothic Neo',sans-serif;margin:2rem auto;max-width:60rem;
color:#1d2733;line-height:1.6;padding:0 1rem}
h1{font-size:1.5rem;border-bottom:3px solid #1f5fa8;padding-bottom:.4rem}
h2{font-size:1.15rem;margin-top:2rem}
.warning{background:#fff4e5;border-left:4px solid #e08a00;padding:.5rem .8rem;margin:.5rem 0}
.chart{margin:1rem 0}
.row{display:grid;grid-template-columns:3.2rem 17rem 1fr 4.2rem 5.5rem;gap:.5rem;align-items:center;margin:.25rem 0}
.track{background:#e8edf3;border-radius:3px;height:1.1rem}
.bar{height:1.1rem;border-radius:3px}
.digital{background:#1f5fa8}.green{background:#2e8b57}.human{background:#8a5fb0}
.grade{font-size:.85rem;padding:.1rem .4rem;border-radius:3px;background:#eef;text-align:center}
.program{border:1px solid #d5dde6;border-radius:6px;padding:.8rem 1rem;margin:1rem 0}
.meta{color:#5a6877;font-size:.9rem}
mark{background:#ffe58a;padding:0 .1rem}
.draft{white-space:pre-wrap;background:#f7f9fb;border:1px solid #d5dde6;padding:1rem;border-radius:6px}
"""


def _e(value) -> str:
    return html.escape(str(value), quote=True)


def highlight(text: str, terms: list[str]) -> str:
    """HTML of ``text`` with every occurrence of ``terms`` wrapped in <mark> (longest terms first)."""
    terms = sorted({t for t in terms if t and t.strip()}, key=len, reverse=True)
    if not terms:
        return _e(text)
    pattern = re.compile("|".join(re.escape(t) for t in terms), re.IGNORECASE)
    out, last = [], 0
    for match in pattern.finditer(text):
        out.append(_e(text[last:match.start()]))
        out.append(f"<mark>{_e(match.group(0))}</mark>")
        last = match.end()
    out.append(_e(text[last:]))
    return "".join(out)


def render_report(results, catalog: dict, model_version: str = "") -> str:
    """HTML page for scored drafts (``api.ScoredText`` list); ``catalog`` maps program id -> Program."""
    parts = ["<!DOCTYPE html>", '<html lang="ko"><head><meta charset="utf-8">',
             '<meta name="viewport" content="width=device-width, initial-scale=1">',
             "<title>ndmatch 뉴딜 사업 적합도 보고서</title>", f"<style>{_STYLE}</style></head><body>",
             "<h1>한국판 뉴딜 사업 적합도 보고서</h1>"]
    if model_version:
        parts.append(f'<p class="meta">모형 버전 {_e(model_version)}</p>')
    for number, result in enumerate(results, 1):
        parts.append(f'<section class="input" id="input-{number}"><h2>초안: {_e(result.input)}</h2>')
        for warning in result.warnings:
            parts.append(f'<p class="warning">{_e(warning)}</p>')
        if result.applicant is not None:
            parts.append(f'<p class="meta">신청 주체 “{_e(result.applicant)}”에 열려 있지 않은 사업 '
                         f'{len(result.excluded)}개 제외</p>')
        parts.append('<div class="chart" role="img" aria-label="사업별 적합도 막대 그래프">')
        for match in result.matches:
            width = max(0.0, min(1.0, match.score)) * 100
            parts.append(
                f'<div class="row" data-program="{_e(match.program)}"><span>{_e(match.program)}</span>'
                f"<span>{_e(match.name)}</span>"
                f'<span class="track"><span class="bar {_e(match.pillar)}" style="display:block;width:{width:.1f}%">'
                f"</span></span><span>{match.score * 100:.1f}%</span>"
                f'<span class="grade">{_e(match.grade or "")}</span></div>')
        parts.append("</div>")
        evidence_terms: list[str] = []
        for match in result.matches:
            program = catalog.get(match.program)
            ministry = program.ministry if program else ""
            parts.append(f'<div class="program" id="program-{_e(match.program)}">'
                         f"<h3>{_e(match.program)} {_e(match.name)} — {_e(match.grade or '')}</h3>"
                         f'<p class="meta">{_e(PILLAR_NAMES.get(match.pillar, match.pillar))} · 주관 {_e(ministry)} '
                         f"· 적합도 {match.score * 100:.1f}%</p>")
            if match.evidence:
                terms = [e["term"] for e in match.evidence]
                evidence_terms.extend(terms)
                parts.append('<p class="evidence"><b>근거가 된 초안의 단어:</b> '
                             + ", ".join(f"<mark>{_e(t)}</mark>" for t in terms) + "</p>")
            if match.missing:
                parts.append('<p class="missing"><b>보완을 검토할 내용:</b> 이 사업의 핵심어 중 초안에 없는 '
                             + ", ".join(_e(t) for t in match.missing) + "</p>")
            if match.similar:
                items = "".join(f"<li>{_e(s['title'])} <span class='meta'>({_e(s['id'])}, 유사도 "
                                f"{s['similarity']:.2f})</span></li>" for s in match.similar)
                parts.append(f'<div class="similar"><b>비슷한 사례</b><ul>{items}</ul></div>')
            parts.append("</div>")
        parts.append("<h3>초안 본문 (근거 단어 강조)</h3>")
        parts.append(f'<div class="draft">{highlight(result.text, evidence_terms)}</div></section>')
    parts.append('<p class="meta">ndmatch가 만든 보고서입니다. 점수는 사업별 독립 확률(0–100%)이며 합이 100%가 '
                 "아닙니다. 등급 기준은 README를 참고하십시오.</p></body></html>")
    return "\n".join(parts)
