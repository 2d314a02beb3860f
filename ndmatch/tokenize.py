"""Korean tokenization with KoNLPy: morphological analysis, POS filtering, term normalisation, stop words.

The tagger runs in a JVM that is started once per process and reused by every tokenizer in it.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from functools import cached_property
from importlib import resources
from typing import Iterable

from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from ndmatch.errors import UsageError
from ndmatch.jvm import TAGGERS, get_tagger  # noqa: F401 - re-exported for callers of this module

#: Bumped whenever tokenization output changes for the same settings (invalidates caches, refuses old models).
TOKENIZER_VERSION = "2"

#: Parts of speech kept per tagger: nouns, verb and adjective stems, roots, Hanja, unknown noun-likes.
DEFAULT_KEEP_POS = {
    "komoran": ("NNG", "NNP", "VV", "VA", "XR", "SH", "NF"),
    "okt": ("Noun", "Verb", "Adjective"),
}

# A Latin-script term: letters with digits and joiners inside, such as 5G, R&D, C-ITS, V2G, RE100, PM2.5.
_LATIN_TERM = re.compile(r"(?<![A-Za-z0-9])[0-9]*[A-Za-z][A-Za-z0-9]*(?:[&+.\-][A-Za-z0-9]+)*")
# Control characters, zero-width marks and lone surrogates (e.g. a JSON "\\ud800" escape: not text).
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f\u200b-\u200f\ufeff\ud800-\udfff]")
_HANGUL = re.compile(r"[\uac00-\ud7a3]")
_HORIZONTAL_SPACE = re.compile(r"[^\S\n]+")

# Characters the JVM bridge cannot pass through (astral planes: emoji, CJK extension B; lone surrogates):
# KoNLPy returns them in Java's modified UTF-8, which Python cannot decode. They carry no Korean morphemes.
_JVM_UNSAFE = re.compile("[\U00010000-\U0010ffff\ud800-\udfff]")
#: Komoran's time grows quadratically with line length: longer lines are analysed in pieces of at most this
#: many characters, cut at a space (no line of the bundled corpus or a program description comes near it).
MAX_LINE_CHARS = 5000

# Particles that follow a vowel-final noun (AI를, R&D와); any other follower gets a consonant-final stand-in.
_VOWEL_PARTICLES = frozenset("를는가와로랑야여")


def _placeholder_for(match: re.Match) -> str:
    """Stand-in for a removed Latin term so that the particle after it still attaches to a noun.

    거 and 것 are bound nouns that the POS filter drops.
    """
    following = match.string[match.end():match.end() + 1]
    return " 거" if following in _VOWEL_PARTICLES else " 것"


def normalize_text(text: str) -> str:
    """Unicode-normalise (NFKC), drop control characters and collapse horizontal whitespace.

    >>> normalize_text("ＡＩ\\u00a0기반\\t돌봄")
    'AI 기반 돌봄'
    """
    text = unicodedata.normalize("NFKC", text)
    text = _CONTROL.sub(" ", text.replace("\r\n", "\n").replace("\r", "\n"))
    return _HORIZONTAL_SPACE.sub(" ", text).strip()


def _pieces(text: str, limit: int = MAX_LINE_CHARS) -> list[str]:
    """The non-blank lines of ``text``, lines over ``limit`` characters cut at a space into shorter pieces."""
    pieces = []
    for line in text.split("\n"):
        line = line.strip()
        while len(line) > limit:
            cut = line.rfind(" ", limit // 2, limit)
            cut = cut if cut > 0 else limit
            pieces.append(line[:cut].strip())
            line = line[cut:].strip()
        if line:
            pieces.append(line)
    return pieces


def hangul_ratio(text: str) -> float:
    """Share of Hangul syllables among the non-space characters of ``text`` (0.0 for empty text)."""
    chars = [c for c in text if not c.isspace()]
    if not chars:
        return 0.0
    return sum(1 for c in chars if _HANGUL.match(c)) / len(chars)


def load_stopwords(name: str = "default") -> tuple[str, ...]:
    """Load the bundled stop-word list ``name``."""
    if name != "default":
        raise UsageError(f"unknown stop-word list {name!r}: only 'default' is bundled")
    raw = resources.files("ndmatch.data").joinpath("stopwords.txt").read_text(encoding="utf-8")
    words = {line.strip() for line in raw.splitlines() if line.strip() and not line.startswith("#")}
    return tuple(sorted(words))


def load_terms(name: str = "default") -> dict[str, str]:
    """Load the bundled term table ``name`` as a mapping variant (lower-cased) -> canonical token."""
    import yaml

    if name != "default":
        raise UsageError(f"unknown term table {name!r}: only 'default' is bundled")
    raw = yaml.safe_load(resources.files("ndmatch.data").joinpath("terms.yaml").read_text(encoding="utf-8"))
    mapping: dict[str, str] = {}
    for canonical, variants in raw.items():
        canonical = str(canonical)
        mapping[canonical.lower()] = canonical
        for variant in variants or []:
            mapping[str(variant).lower()] = canonical
    return mapping


class KoreanTokenizer(TransformerMixin, BaseEstimator):
    """Turn Korean texts into space-joined tokens for a TF-IDF vectorizer.

    Latin-script terms are taken out before morphological analysis and normalised through a term table
    (``IoT``, ``iot`` and ``사물인터넷`` become ``IOT``); the rest goes through a KoNLPy tagger, keeping nouns,
    verb and adjective stems and roots, minus stop words.

    Parameters
    ----------
    tagger : {'komoran', 'okt'}
        KoNLPy tagger. Stored with a trained model so scoring uses the training-time analysis.
    keep_pos : tuple of str or None
        Parts of speech to keep; ``None`` uses the tagger's default (nouns, stems, roots).
    stopwords : str
        Name of the bundled stop-word list.
    terms : str
        Name of the bundled term-normalisation table.

    Examples
    --------
    >>> tok = KoreanTokenizer().fit([])
    >>> tok.tokenize("보건소 IoT 기반 어르신 돌봄 서비스")
    ['보건소', '기반', '어르신', '돌봄', '서비스', 'IOT']
    """

    def __init__(self, tagger: str = "komoran", keep_pos: tuple[str, ...] | None = None,
                 stopwords: str = "default", terms: str = "default"):
        self.tagger = tagger
        self.keep_pos = keep_pos
        self.stopwords = stopwords
        self.terms = terms

    def fit(self, X: Iterable[str] | None = None, y=None) -> "KoreanTokenizer":
        """Resolve the settings into fitted state (stop words, term table); the texts are not used."""
        if self.tagger not in TAGGERS:
            raise UsageError(f"unknown tagger {self.tagger!r}: choose one of {', '.join(TAGGERS)}")
        self.keep_pos_ = tuple(self.keep_pos or DEFAULT_KEEP_POS[self.tagger])
        self.stopwords_ = tuple(load_stopwords(self.stopwords))
        self.terms_ = load_terms(self.terms)
        self.version_ = TOKENIZER_VERSION
        return self

    def transform(self, X: Iterable[str]) -> list[str]:
        """Tokenize each text and join its tokens with spaces."""
        return [" ".join(self.tokenize(text)) for text in X]

    def __getstate__(self):
        # Lookup structures are derived from the fitted state; keep them out of saved models.
        return {k: v for k, v in super().__getstate__().items() if not k.startswith("_")}

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "terms_")

    # Derived lookup structures are rebuilt after unpickling rather than stored.
    @cached_property
    def _stopword_set(self) -> frozenset[str]:
        return frozenset(self.stopwords_)

    @cached_property
    def _keep_pos_set(self) -> frozenset[str]:
        return frozenset(self.keep_pos_)

    @cached_property
    def _phrase_pattern(self) -> re.Pattern | None:
        phrases = sorted((v for v in self.terms_ if " " in v), key=len, reverse=True)
        if not phrases:
            return None
        return re.compile(r"(?<![A-Za-z0-9])(?:" + "|".join(re.escape(p) for p in phrases) + r")(?![A-Za-z0-9])",
                          re.IGNORECASE)

    def settings_fingerprint(self) -> str:
        """Hash of everything that decides this tokenizer's output (for caches and model checks)."""
        self._check_fitted()
        userdic = resources.files("ndmatch.data").joinpath("komoran_userdic.txt").read_bytes()
        payload = json.dumps({"tagger": self.tagger, "userdic": hashlib.sha256(userdic).hexdigest(), "keep_pos": self.keep_pos_, "stopwords": self.stopwords_,
                              "terms": sorted(self.terms_.items()), "version": self.version_},
                             ensure_ascii=False, sort_keys=True)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()

    def _check_fitted(self) -> None:
        if not self.__sklearn_is_fitted__():
            from ndmatch.errors import NotFittedError

            raise NotFittedError("KoreanTokenizer is not fitted yet: call fit() first")

    def split_latin(self, text: str) -> tuple[str, list[str]]:
        """Take Latin-script terms out of ``text``; return the rest and the normalised terms in order."""
        found: list[str] = []

        def keep_phrase(match: re.Match) -> str:
            found.append(self.terms_[match.group(0).lower()])
            return _placeholder_for(match)

        if self._phrase_pattern is not None:
            text = self._phrase_pattern.sub(keep_phrase, text)

        def keep_term(match: re.Match) -> str:
            term = match.group(0).strip(".-+&")
            if term.lower() in ENGLISH_STOP_WORDS:
                return " "
            canonical = self.terms_.get(term.lower())
            if canonical is None:
                canonical = term.upper()
            if len(canonical) >= 2 and not canonical.isdigit():
                found.append(canonical)
            return _placeholder_for(match)

        return _LATIN_TERM.sub(keep_term, text), found

    def morphemes(self, text: str) -> list[tuple[str, str]]:
        """Tag ``text`` with the configured tagger; return (morpheme, POS) pairs."""
        tagger = get_tagger(self.tagger)
        pairs: list[tuple[str, str]] = []
        for line in _pieces(_JVM_UNSAFE.sub(" ", text)):
            if self.tagger == "komoran":
                # One JNI call per line: much faster than converting each Java token object.
                plain = tagger.jki.analyze(line).getPlainText()
                for item in str(plain).split(" "):
                    morph, sep, pos = item.rpartition("/")
                    if sep and morph:
                        pairs.append((morph, pos))
            else:
                pairs.extend(tagger.pos(line, norm=True, stem=True))
        return pairs

    def tokenize(self, text: str) -> list[str]:
        """Return the model tokens of one text."""
        self._check_fitted()
        if not isinstance(text, str):
            text = "" if text is None else str(text)
        text = normalize_text(text)
        if not text:
            return []
        rest, latin = self.split_latin(text)
        keep, stop, terms = self._keep_pos_set, self._stopword_set, self.terms_
        tokens = []
        if _HANGUL.search(rest) or re.search(r"[\u4e00-\u9fff]", rest):
            for morph, pos in self.morphemes(rest):
                if pos in keep and morph not in stop:
                    tokens.append(terms.get(morph, morph))
        tokens.extend(latin)
        return tokens
