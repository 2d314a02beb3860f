"""The matcher: KoNLPy tokens -> TF-IDF -> one-vs-rest logistic regression, as one scikit-learn Pipeline."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.linear_model import LogisticRegression
from sklearn.multiclass import OneVsRestClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MultiLabelBinarizer

from ndmatch.features import build_features
from ndmatch.settings import ModelSettings
from ndmatch.tokenize import KoreanTokenizer


class PrototypeBlendClassifier(ClassifierMixin, BaseEstimator):
    """A one-vs-rest classifier blended with each program's prototype (centroid) similarity.

    ``score = (1 - prototype_weight) * classifier probability + prototype_weight * cosine(text, centroid)``,
    both in [0, 1]. The centroid of a program is the mean of its training texts' feature vectors, so a
    program added with only a description, keywords and a few examples still gets a strong, direct signal
    (measured on three new programs: top-1 0.47 -> 0.56, top-3 0.89 -> 0.92, held-out unchanged; README).

    Parameters
    ----------
    classifier : estimator
        Multi-label one-vs-rest classifier with ``predict_proba``.
    prototype_weight : float
        Share of the prototype similarity in the score (0 disables it).
    """

    def __init__(self, classifier=None, prototype_weight: float = 0.5):
        self.classifier = classifier
        self.prototype_weight = prototype_weight

    def fit(self, X, Y):
        """Fit the classifier and compute one L2-normalised centroid per label column of ``Y``."""
        from sklearn.preprocessing import normalize

        if not 0.0 <= self.prototype_weight <= 1.0:
            raise ValueError(f"prototype_weight must be in [0, 1], got {self.prototype_weight!r}")
        Y = np.asarray(Y)
        self.classifier_ = clone(self.classifier).fit(X, Y)
        rows = normalize(X)
        counts = np.maximum(Y.sum(axis=0), 1)[:, None]
        self.centroids_ = normalize(np.asarray((Y.T @ rows) / counts)).astype(np.float32)
        self.n_outputs_ = Y.shape[1]
        return self

    @property
    def estimators_(self):
        """The per-program binary estimators of the wrapped classifier."""
        return self.classifier_.estimators_

    def predict_proba(self, X) -> np.ndarray:
        """Blended scores in [0, 1], one column per program."""
        from sklearn.preprocessing import normalize
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self, "centroids_")
        probabilities = np.asarray(self.classifier_.predict_proba(X))
        if self.prototype_weight == 0:
            return probabilities
        similarity = np.clip(np.asarray(normalize(X) @ self.centroids_.T), 0.0, 1.0)
        return (1 - self.prototype_weight) * probabilities + self.prototype_weight * similarity

    def predict(self, X) -> np.ndarray:
        """Indicator matrix of programs scoring at least 0.5."""
        return (self.predict_proba(X) >= 0.5).astype(int)


def build_classifier(settings: ModelSettings) -> PrototypeBlendClassifier:
    """One binary logistic regression per program (independent scores in [0, 1]) blended with prototypes."""
    ovr = OneVsRestClassifier(LogisticRegression(C=settings.C, class_weight="balanced", max_iter=2000,
                                                 solver="liblinear", random_state=settings.seed))
    return PrototypeBlendClassifier(ovr, prototype_weight=settings.prototype_weight)


def build_head(settings: ModelSettings) -> Pipeline:
    """Everything after tokenization: features and classifier (trained on token strings)."""
    return Pipeline([("features", build_features(settings)), ("classifier", build_classifier(settings))])


def build_pipeline(settings: ModelSettings, tokenizer: KoreanTokenizer | None = None,
                   head: Pipeline | None = None) -> Pipeline:
    """The full pipeline from raw text to program scores."""
    tokenizer = tokenizer if tokenizer is not None else KoreanTokenizer(tagger=settings.tagger).fit()
    head = head if head is not None else build_head(settings)
    return Pipeline([("tokens", tokenizer), *head.steps])


def label_matrix(labels: list[tuple[str, ...]], program_ids: list[str]) -> np.ndarray:
    """Binary indicator matrix (documents x programs) in catalog order."""
    return MultiLabelBinarizer(classes=program_ids).fit_transform(labels)


def fit_head(settings: ModelSettings, token_docs: list[str], labels: list[tuple[str, ...]],
             program_ids: list[str]) -> Pipeline:
    """Fit features and classifier on already tokenized documents."""
    head = build_head(settings)
    head.fit(token_docs, label_matrix(labels, program_ids))
    return head


def head_scores(head: Pipeline, token_docs: list[str]) -> np.ndarray:
    """Scores in [0, 1], one column per program in catalog order."""
    return np.asarray(head.predict_proba(token_docs))
