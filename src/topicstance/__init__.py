"""topicstance: topics and stance for news corpora.

Importing the package is cheap and has no side effects: it sets no environment
variable, and heavy modules (torch, UMAP, HDBSCAN) load only when the functions
that need them are called (see ``topicstance._env`` for what the command sets).
"""
from __future__ import annotations

__version__ = "0.1.0"

__all__ = [
    "__version__",
    "load",
    "load_embeddings",
    "project_root",
    "TopicModel",
    "StanceClassifier",
]


def __getattr__(name: str):
    if name == "load":
        from .predict import load

        return load
    if name == "load_embeddings":
        from .embed.store import load_embeddings

        return load_embeddings
    if name == "project_root":
        from .paths import project_root

        return project_root
    if name == "TopicModel":
        from .topics.model import TopicModel

        return TopicModel
    if name == "StanceClassifier":
        from .stance.classifier import StanceClassifier

        return StanceClassifier
    raise AttributeError(f"module 'topicstance' has no attribute {name!r}")
