"""Bundled program catalog (package data)."""
