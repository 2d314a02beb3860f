"""A model file format that cannot run code when loaded: NumPy arrays plus JSON, no pickle.

The fitted pipeline (KoreanTokenizer -> FeatureUnion of CompactTfidfVectorizers -> PrototypeBlendClassifier
over one-vs-rest logistic regressions) is stored as its hyperparameters (JSON) and learned arrays, in one
``.npz`` read with ``allow_pickle=False``, and rebuilt from known classes only. Unlike skops, loading needs no
table of every scikit-learn type, which keeps a cold ``ndmatch score`` fast (README, performance).
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import numpy as np

from ndmatch.errors import ModelError
from ndmatch.features import vocabulary_array

FORMAT = "ndmatch-linear-1"


def _vectorizer_params(vectorizer) -> dict:
    params = vectorizer.get_params()
    params["dtype"] = np.dtype(params["dtype"]).name
    params["ngram_range"] = list(params["ngram_range"])
    for key in ("preprocessor", "tokenizer", "stop_words", "vocabulary"):
        if params.get(key) is not None:
            raise ModelError(f"cannot store a vectorizer with a custom {key}")
    return params


def dump_pipeline(pipeline, path: Path) -> None:
    """Write ``pipeline`` to ``path`` (an ``.npz`` of arrays and one JSON header)."""
    tokens = pipeline.named_steps["tokens"]
    features = pipeline.named_steps["features"]
    blend = pipeline.named_steps["classifier"]
    ovr = blend.classifier_
    arrays: dict[str, np.ndarray] = {}
    vectorizers = []
    for name, vectorizer in features.transformer_list:
        arrays[f"{name}.terms"] = vocabulary_array(vectorizer.vocabulary_)
        arrays[f"{name}.idf"] = np.asarray(vectorizer.idf_, dtype=np.float64)
        vectorizers.append({"name": name, "params": _vectorizer_params(vectorizer)})
    arrays["classifier.coef"] = np.vstack([e.coef_.ravel() for e in ovr.estimators_])
    arrays["classifier.intercept"] = np.array([float(e.intercept_.ravel()[0]) for e in ovr.estimators_])
    arrays["classifier.centroids"] = np.asarray(blend.centroids_, dtype=np.float32)
    header = {
        "format": FORMAT,
        "tokenizer": {"params": tokens.get_params(), "keep_pos_": list(tokens.keep_pos_),
                      "stopwords_": list(tokens.stopwords_), "terms_": tokens.terms_, "version_": tokens.version_},
        "vectorizers": vectorizers,
        "classifier": {"prototype_weight": blend.prototype_weight,
                       "logistic": {k: v for k, v in ovr.estimators_[0].get_params().items()
                                    if isinstance(v, (int, float, str, bool, type(None)))}},
    }
    header["tokenizer"]["params"]["keep_pos"] = (list(header["tokenizer"]["params"]["keep_pos"])
                                                 if header["tokenizer"]["params"]["keep_pos"] else None)
    arrays["header"] = np.frombuffer(json.dumps(header, ensure_ascii=False).encode("utf-8"), dtype=np.uint8)
    with open(path, "wb") as fh:
        np.savez(fh, **arrays)


def load_pipeline(data: bytes, where: str):
    """Rebuild the pipeline from the bytes of a file written by :func:`dump_pipeline`."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.pipeline import FeatureUnion, Pipeline
    from sklearn.preprocessing import LabelBinarizer

    from ndmatch.features import CompactTfidfVectorizer
    from ndmatch.model import PrototypeBlendClassifier
    from ndmatch.tokenize import KoreanTokenizer

    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            arrays = {name: npz[name] for name in npz.files}
        header = json.loads(bytes(arrays.pop("header")).decode("utf-8"))
        if header.get("format") != FORMAT:
            raise ModelError(f"{where}: unknown model format {header.get('format')!r}; retrain with `ndmatch train`")
        spec = header["tokenizer"]
        params = dict(spec["params"])
        params["keep_pos"] = tuple(params["keep_pos"]) if params.get("keep_pos") else None
        tokens = KoreanTokenizer(**params)
        tokens.keep_pos_, tokens.stopwords_ = tuple(spec["keep_pos_"]), tuple(spec["stopwords_"])
        tokens.terms_, tokens.version_ = dict(spec["terms_"]), str(spec["version_"])
        parts = []
        for item in header["vectorizers"]:
            params = dict(item["params"])
            params["dtype"] = np.dtype(params["dtype"]).type
            params["ngram_range"] = tuple(params["ngram_range"])
            vectorizer = CompactTfidfVectorizer(**params)
            terms = arrays[f"{item['name']}.terms"].tolist()
            vectorizer.vocabulary_ = {term: index for index, term in enumerate(terms)}
            vectorizer.idf_ = arrays[f"{item['name']}.idf"]
            parts.append((item["name"], vectorizer))
        coef, intercept = arrays["classifier.coef"], arrays["classifier.intercept"]
        n_features = coef.shape[1]
        estimators = []
        for row, bias in zip(coef, intercept):
            estimator = LogisticRegression(**header["classifier"]["logistic"])
            estimator.coef_, estimator.intercept_ = row[None, :].copy(), np.array([bias])
            estimator.classes_, estimator.n_features_in_ = np.array([0, 1]), n_features
            estimators.append(estimator)
        ovr = OneVsRestClassifier(LogisticRegression(**header["classifier"]["logistic"]))
        binarizer = LabelBinarizer(sparse_output=True)
        binarizer.classes_, binarizer.y_type_, binarizer.sparse_input_ = np.arange(len(estimators)), \
            "multilabel-indicator", False
        ovr.estimators_, ovr.label_binarizer_, ovr.n_features_in_ = estimators, binarizer, n_features
        blend = PrototypeBlendClassifier(ovr, prototype_weight=float(header["classifier"]["prototype_weight"]))
        blend.classifier_, blend.centroids_, blend.n_outputs_ = ovr, arrays["classifier.centroids"], len(estimators)
    except ModelError:
        raise
    except (ValueError, KeyError, TypeError, OSError, zipfile.BadZipFile, json.JSONDecodeError,
            UnicodeDecodeError) as exc:
        raise ModelError(f"{where}: not a valid ndmatch model file ({type(exc).__name__}); refusing to load it. "
                         "Retrain with `ndmatch train`") from exc
    return Pipeline([("tokens", tokens), ("features", FeatureUnion(parts)), ("classifier", blend)])
