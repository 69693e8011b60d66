"""Article topics at K topics: ``topicstance topics cut DIR --n-topics K --out FILE.csv``.

Chunk topics are mapped through the hierarchy cut, each article's dominant
topic is recomputed from its mapped chunk mix (so two merged minor topics can
outvote a larger one; ties as in :mod:`articles`, by the article's similarity
to the merged topics' centroids, from the model's stored chunk vectors), and
dropped duplicates take their twin's topic.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError
from ..io import check_outputs, write_text, writes
from .articles import _dominant, similarity_lookup
from .outliers import OUTLIER
from .persistence import load_model


@writes("topics cut")
def cut_articles(root: str | Path, k: int, out: str | Path) -> dict:
    root = Path(root)
    check_outputs(files=[out])
    model = load_model(root / "models" / "topics")
    at_path = root / "data" / "article_topics.parquet"
    if not at_path.exists():
        raise InputError(f"{at_path}: file not found (run the topics stage first)")
    at = pd.read_parquet(at_path)
    for col in ("article_id", "duplicate_of"):
        if col not in at.columns:
            raise InputError(f"{at_path}: missing column {col!r}")
    c = model.cut(k)
    ch = model.chunks.copy()
    ch["topic_k"] = c.apply(ch["topic"].to_numpy())
    sims = similarity_lookup(ch["article_id"], np.asarray(model.knn_vectors), ch["topic_k"].to_numpy())
    ch = ch.sort_values(["article_id", "position"], kind="stable")
    dom = {aid: _dominant(g["topic_k"].to_numpy(), sims(aid)) for aid, g in ch.groupby("article_id", sort=False)}
    topics = []
    for aid, twin in zip(at["article_id"].astype(str), at["duplicate_of"]):
        src = twin if isinstance(twin, str) and twin else aid
        topics.append(dom.get(src, OUTLIER))
    df = pd.DataFrame({"article_id": at["article_id"].astype(str), "topic": np.array(topics, dtype=np.int64)})
    write_text(out, df.to_csv(index=False))
    return {**c.as_dict(), "merged": c.merged, "n_articles": int(len(df)), "out": str(out)}
