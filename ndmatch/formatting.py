"""Plain-text rendering for the terminal: tables that line up with Korean (double-width) characters."""

from __future__ import annotations

import unicodedata

from ndmatch.programs import PILLAR_NAMES

BAR_WIDTH = 20


def display_width(text: str) -> int:
    """Columns ``text`` takes in a terminal (Hangul and other wide characters count two)."""
    return sum(2 if unicodedata.east_asian_width(c) in ("W", "F") else 1 for c in text)


def pad(text: str, width: int) -> str:
    """Left-align ``text`` in ``width`` terminal columns, truncating with … when too long."""
    if display_width(text) > width:
        out = ""
        for char in text:
            if display_width(out + char) > width - 1:
                break
            out += char
        text = out + "…"
    return text + " " * (width - display_width(text))


def bar(score: float, width: int = BAR_WIDTH) -> str:
    """A horizontal bar for a score in [0, 1]."""
    filled = int(round(max(0.0, min(1.0, score)) * width))
    return "█" * filled + "·" * (width - filled)


def render_table(headers: list[str], rows: list[list[str]]) -> str:
    """A simple aligned table with a header rule."""
    widths = [max(display_width(str(cell)) for cell in column) for column in zip(headers, *rows)]
    lines = ["  ".join(pad(str(h), w) for h, w in zip(headers, widths)).rstrip(),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(pad(str(c), w) for c, w in zip(row, widths)).rstrip() for row in rows]
    return "\n".join(lines)


def render_matches(matches, name_width: int = 34) -> str:
    """Ranked programs of one input as a table with score bars, grades and, when present, the reasons."""
    rows = [[str(i), m.program, pad(m.name, name_width).rstrip(), PILLAR_NAMES.get(m.pillar, m.pillar),
             f"{bar(m.score)} {m.score * 100:5.1f}%", m.grade or ""] for i, m in enumerate(matches, 1)]
    lines = [render_table(["순위", "ID", "사업명", "분야", "적합도", "등급"], rows)]
    for m in matches:
        if m.evidence is None and m.missing is None:
            continue
        lines.append(f"\n{m.program} {m.name}")
        if m.evidence:
            lines.append("  근거(초안의 단어): " + ", ".join(e["term"] for e in m.evidence))
        if m.missing:
            lines.append("  보완 검토(사업의 핵심어 중 초안에 없는 것): " + ", ".join(m.missing))
        if m.similar:
            lines.append("  유사 사례: " + "; ".join(f"{s['id']} {s['title']} ({s['similarity']:.2f})"
                                                  for s in m.similar))
    return "\n".join(lines)


def render_metrics(metrics: dict, names: dict[str, str] | None = None) -> str:
    """Evaluation metrics: the summary line, then the per-program table and the main confusions."""
    names = names or {}
    lines = [f"n={metrics['n']}  top1={metrics['top1']:.3f}  top3={metrics['top3']:.3f}  "
             f"mrr={metrics['mrr']:.3f}  top1_any={metrics['top1_any']:.3f}  macro_f1={metrics['macro_f1']:.3f}"]
    per = metrics.get("per_program") or {}
    if per:
        rows = [[pid, pad(names.get(pid, ""), 30).rstrip(), str(v["support"]), f"{v['top1']:.2f}", f"{v['top3']:.2f}"]
                for pid, v in per.items()]
        lines += ["", render_table(["ID", "사업명", "n", "top1", "top3"], rows)]
    confusions = metrics.get("confusions") or []
    if confusions:
        lines += ["", "most confused (true → predicted: count): "
                  + ", ".join(f"{c['true']}→{c['predicted']}: {c['count']}" for c in confusions[:6])]
    return "\n".join(lines)
