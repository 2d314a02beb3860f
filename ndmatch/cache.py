"""Tokenization cache: identical texts are analysed once per tokenizer setting.

Proposals can be confidential, so the cache keeps no raw text: the key is a SHA-256 of the tokenizer settings
and the text, the value the token string. It lives in the user's cache folder (``NDMATCH_CACHE_DIR`` overrides).
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
from pathlib import Path


def default_cache_dir() -> Path:
    """``$NDMATCH_CACHE_DIR`` or the platform's user cache folder for ndmatch."""
    override = os.environ.get("NDMATCH_CACHE_DIR")
    if override:
        return Path(override)
    import platformdirs

    return platformdirs.user_cache_path("ndmatch")


class TokenCache:
    """A small SQLite store of token strings keyed by hash(settings, text)."""

    def __init__(self, folder: Path | None = None):
        self.folder = Path(folder) if folder is not None else default_cache_dir()
        self._conn: sqlite3.Connection | None = None

    @property
    def path(self) -> Path:
        return self.folder / "tokens.sqlite3"

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            self.folder.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=30)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("CREATE TABLE IF NOT EXISTS tokens (key TEXT PRIMARY KEY, tokens TEXT NOT NULL)")
            self._conn = conn
        return self._conn

    @staticmethod
    def key(settings_fingerprint: str, text: str) -> str:
        return hashlib.sha256(f"{settings_fingerprint}\0{text}".encode("utf-8")).hexdigest()

    def get_many(self, keys: list[str]) -> dict[str, str]:
        """Return the cached token strings of those ``keys`` that are present."""
        found: dict[str, str] = {}
        conn = self._connection()
        unique = list(dict.fromkeys(keys))
        for start in range(0, len(unique), 500):
            chunk = unique[start:start + 500]
            marks = ",".join("?" * len(chunk))
            found.update(conn.execute(f"SELECT key, tokens FROM tokens WHERE key IN ({marks})", chunk).fetchall())
        return found

    def put_many(self, items: dict[str, str]) -> None:
        """Store token strings by key."""
        if not items:
            return
        conn = self._connection()
        with conn:
            conn.executemany("INSERT OR REPLACE INTO tokens (key, tokens) VALUES (?, ?)", items.items())

    def clear(self) -> int:
        """Delete every entry; return how many there were."""
        if not self.path.exists():
            return 0
        conn = self._connection()
        with conn:
            count = conn.execute("SELECT COUNT(*) FROM tokens").fetchone()[0]
            conn.execute("DELETE FROM tokens")
        conn.execute("VACUUM")
        return int(count)

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def tokenize_texts(tokenizer, texts: list[str], cache: TokenCache | None = None) -> list[str]:
    """Token strings for ``texts``, using and filling ``cache`` when given."""
    if cache is None:
        return tokenizer.transform(texts)
    fingerprint = tokenizer.settings_fingerprint()
    keys = [TokenCache.key(fingerprint, t) for t in texts]
    try:
        found = cache.get_many(keys)
    except sqlite3.Error:
        found, cache = {}, None  # an unusable cache must never stop the work
    missing = {k: t for k, t in zip(keys, texts) if k not in found}
    if missing:
        new = dict(zip(missing.keys(), tokenizer.transform(list(missing.values()))))
        found.update(new)
        if cache is not None:
            try:
                cache.put_many(new)
            except sqlite3.Error:
                pass
    return [found[k] for k in keys]
