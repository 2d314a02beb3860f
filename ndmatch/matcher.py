"""A loaded model ready to score texts: the pipeline plus the program catalog it was trained on."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ndmatch.errors import InputError
from ndmatch.persistence import StoredModel, load_model
from ndmatch.programs import Program, find_program
from ndmatch.tokenize import hangul_ratio, normalize_text

#: Texts shorter than this (after normalisation) are refused: nothing to match on.
MIN_TEXT_CHARS = 2
#: Texts longer than this (after normalisation; about 100 pages of Korean) are cut to it, with a warning on
#: stderr, so that one huge input cannot stall a score or a batch. Used by score and rank through check_text.
MAX_TEXT_CHARS = 200_000


@dataclass
class Match:
    """One program's fit to one text."""

    program: str
    name: str
    pillar: str
    score: float
    grade: str | None = None
    evidence: list[dict] | None = None
    missing: list[str] | None = None
    similar: list[dict] | None = None

    def to_dict(self) -> dict:
        data = {"program": self.program, "name": self.name, "pillar": self.pillar, "score": round(self.score, 4)}
        for key in ("grade", "evidence", "missing", "similar"):
            value = getattr(self, key)
            if value is not None:
                data[key] = value
        return data


@dataclass
class Matcher:
    """Score texts against the programs of a trained model."""

    pipeline: object
    manifest: dict
    path: Path | None = None
    programs: list[Program] = field(init=False)

    def __post_init__(self) -> None:
        from ndmatch.settings import ModelSettings

        self.settings = ModelSettings.from_dict(self.manifest.get("settings") or {})
        self.programs = [Program.from_dict(p) for p in self.manifest["catalog"]]
        self.program_ids = list(self.manifest["program_ids"])
        self._by_id = {p.id: p for p in self.programs}

    @classmethod
    def load(cls, path: Path) -> "Matcher":
        """Load a model folder or store (see :func:`ndmatch.persistence.load_model`)."""
        stored: StoredModel = load_model(path)
        return cls(pipeline=stored.pipeline, manifest=stored.manifest, path=stored.path)

    @property
    def tokenizer(self):
        return self.pipeline.named_steps["tokens"]

    def program(self, program_id: str) -> Program:
        """The catalog entry ``program_id`` (raises a usage error listing known ids)."""
        return find_program(self.programs, program_id)

    def scores_from_tokens(self, token_docs: list[str]) -> np.ndarray:
        """Score matrix (documents x programs) for already tokenized documents."""
        if not token_docs:
            return np.zeros((0, len(self.program_ids)))
        return np.asarray(self.pipeline[1:].predict_proba(token_docs))

    def score_texts(self, texts: list[str], tokenize: Callable[[list[str]], list[str]] | None = None
                    ) -> tuple[np.ndarray, list[str]]:
        """Scores (documents x programs, in [0, 1]) of raw texts, paragraph-aware (:mod:`ndmatch.segments`),
        and their token strings. ``tokenize`` (default: the model's tokenizer) may go through a cache."""
        from ndmatch.segments import segment_scores

        return segment_scores(list(texts), tokenize or self.tokenizer.transform, self.scores_from_tokens,
                              self.settings.segment_blend, self.settings.segment_power)

    def scores(self, texts: list[str]) -> np.ndarray:
        """Score matrix (documents x programs, in [0, 1]) for raw texts."""
        return self.score_texts(texts)[0]

    def similar(self, token_doc: str, program_ids: list[str], limit: int = 3) -> dict[str, list[dict]] | None:
        """For each of ``program_ids``, its corpus proposals most similar to a tokenized draft (feature cosine).

        The draft is vectorised once for all programs. ``None`` when the model has no similar-project index.
        """
        if not hasattr(self, "_similar"):
            from ndmatch.persistence import load_similar_matrix

            self._similar = load_similar_matrix(self.path, self.manifest) if self.path else None
        records = self.manifest.get("similar_projects") or []
        if self._similar is None or self._similar.shape[0] != len(records):
            return None
        from sklearn.preprocessing import normalize

        query = normalize(self.pipeline.named_steps["features"].transform([token_doc]))
        sims = (self._similar @ query.T).toarray().ravel()
        result = {}
        for program_id in program_ids:
            rows = sorted((i for i, r in enumerate(records) if r["program"] == program_id), key=lambda i: -sims[i])
            result[program_id] = [{"id": records[i]["id"], "title": records[i]["title"],
                                   "similarity": round(float(sims[i]), 3)} for i in rows[:limit]]
        return result

    def eligible(self, applicant: str | None) -> set[str]:
        """Ids of the programs open to ``applicant`` (all of them when ``None``)."""
        if applicant is None:
            return set(self.program_ids)
        from ndmatch.errors import UsageError
        from ndmatch.programs import APPLICANT_TYPES

        if applicant not in APPLICANT_TYPES:
            raise UsageError(f"unknown applicant type {applicant!r}; use one of: {', '.join(APPLICANT_TYPES)}")
        return {p.id for p in self.programs if applicant in p.applicants}

    def matches(self, row: np.ndarray, top: int | None = None, allowed: set[str] | None = None) -> list[Match]:
        """Programs sorted by score (best first, ties by id), at most ``top`` of them, only ``allowed`` ones."""
        order = sorted((i for i, pid in enumerate(self.program_ids) if allowed is None or pid in allowed),
                       key=lambda i: (-row[i], self.program_ids[i]))
        if top is not None:
            order = order[:max(top, 0)]
        result = []
        for i in order:
            program = self._by_id[self.program_ids[i]]
            result.append(Match(program=program.id, name=program.name, pillar=program.pillar,
                                score=float(row[i])))
        return result


def check_text(text: str, where: str) -> str:
    """Normalise a text and refuse one with nothing to score."""
    cleaned = normalize_text(text or "")
    if len(cleaned) < MIN_TEXT_CHARS:
        raise InputError(f"{where}: the text is empty; give the proposal's title, aims and main activities")
    if hangul_ratio(cleaned) == 0.0 and not any(c.isalpha() for c in cleaned):
        raise InputError(f"{where}: the text has no words to match (no Korean or Latin letters)")
    if len(cleaned) > MAX_TEXT_CHARS:
        import logging

        cut = cleaned.rfind(" ", MAX_TEXT_CHARS - 1000, MAX_TEXT_CHARS + 1)
        # Without handlers configured, logging prints warnings bare on stderr (the CLI's case).
        logging.getLogger("ndmatch").warning(
            "warning: %s: the text has %s characters; only the first %s are scored "
            "(split the document to score the rest)", where, f"{len(cleaned):,}", f"{MAX_TEXT_CHARS:,}")
        cleaned = cleaned[:cut if cut > 0 else MAX_TEXT_CHARS].rstrip()
    return cleaned
