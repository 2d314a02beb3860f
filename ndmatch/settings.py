"""Model and tokenizer defaults in one table that the library, ``--help`` and the README read."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace


@dataclass(frozen=True)
class ModelSettings:
    """Hyperparameters of the matcher. Defaults were chosen by the ablation in ``benchmarks/ablation.py``."""

    tagger: str = "komoran"          # KoNLPy tagger used for training and scoring
    word_ngram_max: int = 2          # word n-grams 1..n over the morpheme tokens
    char_ngrams: bool = True         # add character 2-4-grams of the tokens beside them
    min_df: int = 1                  # minimum document frequency of a feature
    C: float = 10.0                  # inverse regularisation of each one-vs-rest logistic regression
    program_text_weight: int = 3     # how many times a program's description, keywords and examples count
    prototype_weight: float = 0.5    # share of program-centroid similarity blended into each score
    segment_blend: float = 0.5       # share of the paragraph-weighted score in a multi-paragraph text's score
    segment_power: float = 1.0       # paragraph weight = its best score ** this (ndmatch/segments.py)
    cv_folds: int = 5                # folds of the cross-validation reported at training time
    seed: int = 13                   # seeds every random choice (fold split, solver)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "ModelSettings":
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    def with_overrides(self, **overrides) -> "ModelSettings":
        return replace(self, **{k: v for k, v in overrides.items() if v is not None})


DEFAULT_TOP = 5
