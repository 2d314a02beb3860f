"""Bundled corpus, installed as package data (ndmatch.bundled_corpus)."""
