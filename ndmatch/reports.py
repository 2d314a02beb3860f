"""Batch outputs: ranked proposals as CSV."""

from __future__ import annotations

import csv
from typing import TextIO


def ranked_header(top: int, program: str | None, original: list[str]) -> list[str]:
    header = ["id"]
    if program:
        header += [f"{program}_rank", f"{program}_score"]
    for k in range(1, top + 1):
        header += [f"program_{k}", f"name_{k}", f"score_{k}"]
    return header + [c for c in original if c not in header]


def write_ranked_csv(out: TextIO, ranked, top: int, program: str | None) -> None:
    """Write one row per ranked proposal: id, (rank and score for ``program``), top programs, original columns."""
    original: list[str] = []
    for row in ranked:
        original.extend(k for k in row.row if k not in original)
    header = ranked_header(top, program, original)
    writer = csv.writer(out)
    writer.writerow(header)
    for position, row in enumerate(ranked, 1):
        values = {"id": row.id}
        if program:
            values[f"{program}_rank"] = position
            values[f"{program}_score"] = f"{row.program_score:.4f}"
        for k, match in enumerate(row.matches, 1):
            values[f"program_{k}"], values[f"name_{k}"] = match.program, match.name
            values[f"score_{k}"] = f"{match.score:.4f}"
        for key, value in row.row.items():
            values.setdefault(key, value)
        writer.writerow([values.get(column, "") for column in header])
