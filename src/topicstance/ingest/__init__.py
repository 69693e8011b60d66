"""Ingest: read, decode, clean, split and deduplicate a corpus."""
from .pipeline import ingest_corpus, paragraph_units, write_ingest  # noqa: F401
