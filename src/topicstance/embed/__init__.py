"""Embedding: model resolution, the cache, the encoder and the embeddings folder."""
from .store import load_embeddings, write_embeddings  # noqa: F401
