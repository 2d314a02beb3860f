"""TF-IDF features over the tokenizer's output: word n-grams, optionally with character n-grams beside them."""

from __future__ import annotations

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion

from ndmatch.settings import ModelSettings

# Tokens are space-joined by KoreanTokenizer, so every non-space run is one token.
TOKEN_PATTERN = r"\S+"


def vocabulary_array(vocabulary: dict[str, int]) -> np.ndarray:
    """The terms of a fitted vocabulary as one string array, indexed by feature number."""
    terms = [""] * len(vocabulary)
    for term, index in vocabulary.items():
        terms[index] = term
    return np.array(terms, dtype=str)


class CompactTfidfVectorizer(TfidfVectorizer):
    """TfidfVectorizer whose vocabulary is pickled as one string array instead of a dict.

    A dict of tens of thousands of terms is large and slow to unpickle (0.74 s for 40k terms here); as an array
    it takes milliseconds. This matters when a model is sent to worker processes or Dask workers; model files
    use the same array form (``ndmatch.safeformat``).
    """

    def __getstate__(self):
        # A copy: on Python 3.11 object.__getstate__ returns the live __dict__, and popping from it would strip
        # the vocabulary from the fitted estimator itself each time a model is saved.
        state = dict(super().__getstate__())
        vocabulary = state.pop("vocabulary_", None)
        if vocabulary is not None:
            state["terms_"] = vocabulary_array(vocabulary)
        return state

    def __setstate__(self, state):
        terms = state.pop("terms_", None)
        super().__setstate__(state)
        if terms is not None:
            self.vocabulary_ = {term: index for index, term in enumerate(terms.tolist())}


def build_features(settings: ModelSettings) -> FeatureUnion:
    """Return the feature union for ``settings``: word TF-IDF, plus char TF-IDF when enabled."""
    parts = [("words", CompactTfidfVectorizer(token_pattern=TOKEN_PATTERN, lowercase=False, sublinear_tf=True,
                                       ngram_range=(1, settings.word_ngram_max), min_df=settings.min_df,
                                       dtype=np.float32))]
    if settings.char_ngrams:
        parts.append(("chars", CompactTfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), lowercase=False,
                                               sublinear_tf=True, min_df=max(settings.min_df, 2),
                                               max_features=60000, dtype=np.float32)))
    return FeatureUnion(parts)

