"""Why a program fits a draft: the draft's terms that raised its score, and the program's terms it lacks.

Contributions are the linear model's weight times the draft's TF-IDF value for each word feature (character
n-gram features count in the score but are not readable, so they are not listed).
"""

from __future__ import annotations

import re
from functools import cached_property

import numpy as np

_WORD = re.compile(r"[^\s,.;:!?()\[\]{}<>「」『』“”\"'·…/|]+")


class Explainer:
    """Explain a fitted pipeline's scores in terms of the words a writer used."""

    def __init__(self, pipeline, program_ids: list[str]):
        self.pipeline = pipeline
        self.program_ids = list(program_ids)

    @cached_property
    def _word_vectorizer(self):
        return dict(self.pipeline.named_steps["features"].transformer_list)["words"]

    @cached_property
    def _word_names(self) -> np.ndarray:
        return self._word_vectorizer.get_feature_names_out()

    @cached_property
    def _weights(self) -> np.ndarray:
        """Word-feature weights, one row per program (catalog order)."""
        classifier = self.pipeline.named_steps["classifier"]
        n_words = len(self._word_names)
        return np.vstack([est.coef_.ravel()[:n_words] for est in classifier.estimators_])

    @cached_property
    def _display_names(self) -> dict[str, str]:
        """Readable form of canonical Latin tokens (IOT -> IoT/사물인터넷 as the table lists first)."""
        terms = self.pipeline.named_steps["tokens"].terms_
        names: dict[str, str] = {}
        for variant, canonical in terms.items():
            if variant == canonical.lower():
                continue
            current = names.get(canonical)
            is_korean = bool(re.search(r"[\uac00-\ud7a3]", variant))
            if current is None or (is_korean and not re.search(r"[\uac00-\ud7a3]", current)):
                names[canonical] = variant
        return names

    def display(self, token: str) -> str:
        """A token as a person would write it."""
        return " ".join(self._display_names.get(part, part) for part in token.split(" "))

    def surface(self, token: str, text: str) -> str:
        """The word of ``text`` in which ``token`` (a morpheme or canonical term) appears, else its display form."""
        terms = self.pipeline.named_steps["tokens"].terms_
        candidates = [token] + [v for v, c in terms.items() if c == token]
        for candidate in sorted(candidates, key=len, reverse=True):
            match = re.search(re.escape(candidate), text, flags=re.IGNORECASE)
            if match:
                # A noun or term written as is: show it without the particle that follows it (병원과 -> 병원).
                if candidate != token or len(token) >= 2:
                    return match.group(0)
                for word in _WORD.finditer(text):
                    if word.start() <= match.start() < word.end():
                        return word.group(0)
                return match.group(0)
        # Verb and adjective stems (돌보 from 돌봄) do not appear as written: show the word that starts like them.
        prefix = token[:max(1, len(token) - 1)]
        stem = re.search(r"(?<!\S)" + re.escape(prefix) + r"[^\s,.;:!?]*", text) if token else None
        return stem.group(0) if stem else self.display(token)

    def evidence(self, token_doc: str, text: str, program_index: int, limit: int = 6) -> list[dict]:
        """The draft's words that raised this program's score most, with their contributions."""
        x = self._word_vectorizer.transform([token_doc])
        row = x.tocsr()
        contributions = row.data * self._weights[program_index, row.indices]
        order = np.argsort(-contributions)
        result, seen = [], set()
        for i in order:
            if contributions[i] <= 0 or len(result) >= limit:
                break
            token = self._word_names[row.indices[i]]
            words = [self.surface(part, text) for part in token.split(" ")]
            label = " ".join(dict.fromkeys(words))
            if label in seen:
                continue
            seen.add(label)
            result.append({"term": label, "weight": round(float(contributions[i]), 4)})
        return result

    def missing(self, token_doc: str, program_index: int, limit: int = 5) -> list[str]:
        """The program's strongest single-word terms that the draft does not use."""
        present = set(token_doc.split())
        weights = self._weights[program_index]
        result = []
        for j in np.argsort(-weights):
            name = self._word_names[j]
            if weights[j] <= 0 or len(result) >= limit:
                break
            if " " in name or name in present or len(name) < 2:
                continue
            result.append(self.display(name))
        return result
