"""Portfolio view of a ranked batch: per program, how many proposals fit it best and how well.

Aggregated while the batch streams, in fixed memory: counts, sums, extremes and a 100-bin histogram of best
scores per program (quartiles are read from the histogram, to within half a percentage point).
Rendered as a stderr summary, a CSV table or a self-contained HTML page (inline SVG and CSS, no network).
"""

from __future__ import annotations

import csv
import html
import time
from dataclasses import dataclass, field
from pathlib import Path

from ndmatch.errors import InputError, UsageError

BINS = 100
SUMMARY_SUFFIXES = (".html", ".htm", ".csv")
PILLAR_COLOURS = {"digital": "#2f6fb5", "green": "#2e8b57"}
PILLAR_NAMES = {"digital": "디지털 뉴딜", "green": "그린 뉴딜"}


@dataclass
class ProgramStats:
    """Best-fit proposals of one program."""

    id: str
    name: str
    pillar: str
    count: int = 0
    low: int = 0
    total: float = 0.0
    low_score: float = 1.0
    high_score: float = 0.0
    hist: list[int] = field(default_factory=lambda: [0] * BINS)

    def add(self, score: float, low_confidence: bool) -> None:
        self.count += 1
        self.low += int(low_confidence)
        self.total += score
        self.low_score = min(self.low_score, score)
        self.high_score = max(self.high_score, score)
        self.hist[min(int(score * BINS), BINS - 1)] += 1

    def quantile(self, q: float) -> float | None:
        """Approximate ``q``-quantile of the best scores (bin centre), ``None`` without proposals."""
        if not self.count:
            return None
        target, seen = q * (self.count - 1), 0
        for index, n in enumerate(self.hist):
            seen += n
            if seen > target:
                centre = (index + 0.5) / BINS
                return min(max(centre, self.low_score), self.high_score)
        return self.high_score

    def to_dict(self) -> dict:
        if not self.count:
            return {"program": self.id, "name": self.name, "pillar": self.pillar, "proposals": 0,
                    "low_confidence": 0, "mean": None, "min": None, "q1": None, "median": None, "q3": None,
                    "max": None}
        return {"program": self.id, "name": self.name, "pillar": self.pillar, "proposals": self.count,
                "low_confidence": self.low, "mean": round(self.total / self.count, 4),
                "min": round(self.low_score, 4), "q1": round(self.quantile(0.25), 4),
                "median": round(self.quantile(0.5), 4), "q3": round(self.quantile(0.75), 4),
                "max": round(self.high_score, 4)}


class Portfolio:
    """Running totals of a batch: best program per proposal, low-confidence and skipped counts."""

    def __init__(self, programs, source: str = "", model_version: str = ""):
        self.stats = {p.id: ProgramStats(p.id, p.name, p.pillar) for p in programs}
        self.ranked = 0
        self.low_confidence = 0
        self.skipped = 0
        self.source = source
        self.model_version = model_version

    def add(self, best_program: str, best_score: float, low_confidence: bool) -> None:
        self.ranked += 1
        self.low_confidence += int(low_confidence)
        self.stats[best_program].add(best_score, low_confidence)

    def rows(self) -> list[ProgramStats]:
        """Programs by number of best-fit proposals (most first), then id."""
        return sorted(self.stats.values(), key=lambda s: (-s.count, s.id))

    def render_text(self) -> str:
        """The end-of-run summary printed on stderr."""
        lines = [f"summary: {self.ranked} proposals ranked, {self.low_confidence} low-confidence, "
                 f"{self.skipped} skipped"]
        used = [s for s in self.rows() if s.count]
        if used:
            lines.append("proposals per best program:")
            width = max(len(s.name) for s in used)
            for s in used:
                median = s.quantile(0.5) or 0.0
                lines.append(f"  {s.id}  {s.name.ljust(width)}  {s.count:>6}  (median score {median:.2f}"
                             + (f", {s.low} low-confidence)" if s.low else ")"))
        return "\n".join(lines)

    def write(self, path: Path) -> None:
        """Write the portfolio as ``.csv`` or self-contained ``.html`` (chosen by suffix)."""
        path = Path(path)
        check_summary_path(path)
        try:
            if path.suffix.lower() == ".csv":
                with open(path, "w", encoding="utf-8-sig", newline="") as fh:
                    self.write_csv(fh)
            else:
                path.write_text(self.render_html(), encoding="utf-8")
        except OSError as exc:
            raise InputError(f"{path}: cannot write the summary ({exc.strerror}); choose another path") from exc

    def write_csv(self, fh) -> None:
        writer = csv.writer(fh)
        columns = ["program", "name", "pillar", "proposals", "share", "low_confidence", "mean", "min", "q1",
                   "median", "q3", "max"]
        writer.writerow(columns)
        for s in self.rows():
            data = s.to_dict()
            data["share"] = round(s.count / self.ranked, 4) if self.ranked else 0.0
            writer.writerow(["" if data[c] is None else data[c] for c in columns])

    def render_html(self) -> str:
        """A Korean page with an inline-SVG chart: per program, best-fit count and score box plot."""
        rows = self.rows()
        most = max((s.count for s in rows), default=0) or 1
        label_w, bar_w, gap, box_w, row_h = 300, 220, 30, 300, 26
        width = label_w + bar_w + gap + box_w + 20
        height = 40 + row_h * len(rows) + 10
        box_x = label_w + bar_w + gap
        parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
                 f'viewBox="0 0 {width} {height}" role="img" aria-label="사업별 최적합 제안서 수와 적합도 분포" '
                 'font-family="sans-serif" font-size="12">',
                 f'<text x="{label_w}" y="16" font-weight="bold">최적합 제안서 수</text>',
                 f'<text x="{box_x}" y="16" font-weight="bold">최고 적합도 분포 (최소·사분위·중앙값·최대)</text>']
        for tick in (0, 25, 50, 75, 100):
            x = box_x + box_w * tick / 100
            parts.append(f'<line x1="{x:.1f}" y1="24" x2="{x:.1f}" y2="{height - 8}" stroke="#ddd"/>'
                         f'<text x="{x:.1f}" y="34" text-anchor="middle" fill="#666">{tick}%</text>')
        for i, s in enumerate(rows):
            y = 40 + i * row_h
            colour = PILLAR_COLOURS.get(s.pillar, "#777")
            label = html.escape(f"{s.id} {s.name}")
            parts.append(f'<text x="{label_w - 8}" y="{y + 16}" text-anchor="end">{label}</text>')
            w = bar_w * s.count / most
            parts.append(f'<rect x="{label_w}" y="{y + 4}" width="{w:.1f}" height="{row_h - 10}" '
                         f'fill="{colour}"><title>{label}: {s.count}</title></rect>'
                         f'<text x="{label_w + w + 4:.1f}" y="{y + 16}">{s.count}</text>')
            if s.count:
                lo, q1, med, q3, hi = (s.low_score, s.quantile(0.25), s.quantile(0.5), s.quantile(0.75),
                                       s.high_score)

                def px(v: float) -> float:
                    return box_x + box_w * v

                mid = y + row_h / 2
                parts.append(
                    f'<g><title>{label}: 최소 {lo:.0%}, 1사분위 {q1:.0%}, 중앙값 {med:.0%}, 3사분위 {q3:.0%}, '
                    f'최대 {hi:.0%}</title>'
                    f'<line x1="{px(lo):.1f}" y1="{mid}" x2="{px(hi):.1f}" y2="{mid}" stroke="{colour}"/>'
                    f'<rect x="{px(q1):.1f}" y="{y + 6}" width="{max(px(q3) - px(q1), 1):.1f}" '
                    f'height="{row_h - 12}" fill="{colour}" fill-opacity="0.35" stroke="{colour}"/>'
                    f'<line x1="{px(med):.1f}" y1="{y + 4}" x2="{px(med):.1f}" y2="{y + row_h - 4}" '
                    f'stroke="{colour}" stroke-width="3"/></g>')
        parts.append("</svg>")
        table = ['<table><thead><tr><th>ID</th><th>사업명</th><th>분야</th><th>최적합 제안서</th><th>비중</th>'
                 '<th>낮은 신뢰도</th><th>평균</th><th>중앙값</th><th>최소–최대</th></tr></thead><tbody>']
        for s in rows:
            share = f"{s.count / self.ranked:.1%}" if self.ranked else "–"
            if s.count:
                mean, median = f"{s.total / s.count:.0%}", f"{s.quantile(0.5):.0%}"
                spread = f"{s.low_score:.0%}–{s.high_score:.0%}"
            else:
                mean = median = spread = "–"
            table.append(f"<tr><td>{html.escape(s.id)}</td><td>{html.escape(s.name)}</td>"
                         f"<td>{PILLAR_NAMES.get(s.pillar, html.escape(s.pillar))}</td><td class=n>{s.count}</td>"
                         f"<td class=n>{share}</td><td class=n>{s.low}</td><td class=n>{mean}</td>"
                         f"<td class=n>{median}</td><td class=n>{spread}</td></tr>")
        table.append("</tbody></table>")
        meta = (f"입력 {html.escape(self.source)} · 제안서 {self.ranked}건 · 낮은 신뢰도 {self.low_confidence}건 · "
                f"건너뜀 {self.skipped}건 · 모형 {html.escape(self.model_version)} · "
                f"{time.strftime('%Y-%m-%d %H:%M')}")
        style = ("body{font-family:sans-serif;margin:24px;color:#222}h1{font-size:20px}"
                 "table{border-collapse:collapse;margin-top:16px;font-size:13px}"
                 "th,td{border:1px solid #ccc;padding:4px 8px}th{background:#f3f3f3}td.n{text-align:right}"
                 ".meta{color:#555;font-size:13px}.legend span{display:inline-block;width:12px;height:12px;"
                 "margin:0 4px 0 12px;vertical-align:middle}")
        legend = "".join(f'<span style="background:{c}"></span>{PILLAR_NAMES[p]}' for p, c in PILLAR_COLOURS.items())
        return ("<!DOCTYPE html>\n<html lang=\"ko\"><head><meta charset=\"utf-8\">"
                f"<title>한국판 뉴딜 사업별 제안서 분포</title><style>{style}</style></head><body>"
                f"<h1>한국판 뉴딜 사업별 제안서 분포</h1><p class=meta>{meta}</p>"
                f"<p class=legend>{legend}</p>{''.join(parts)}{''.join(table)}</body></html>\n")


def check_summary_path(path: Path) -> None:
    """Refuse a summary path whose suffix is neither .html nor .csv (before any work is done)."""
    if Path(path).suffix.lower() not in SUMMARY_SUFFIXES:
        raise UsageError(f"{path}: unsupported summary type {Path(path).suffix or '(none)'}; "
                         "use a .html or .csv file name")
