"""The matcher: KoNLPy tokens -> TF-IDF -> one-vs-rest logistic regression, as one scikit-learn Pipeline."""

from __future__ import annotations

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.multiclass import OneVsRestClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MultiLabelBinarizer

from ndmatch.features import build_features
from ndmatch.settings import ModelSettings
from ndmatch.tokenize import KoreanTokenizer


def build_classifier(settings: ModelSettings) -> OneVsRestClassifier:
    """One binary logistic regression per program, so that scores are independent and in [0, 1]."""
    return OneVsRestClassifier(LogisticRegression(C=settings.C, class_weight="balanced", max_iter=2000,
                                                  solver="liblinear", random_state=settings.seed))


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
