"""Active learning: the unlabelled units whose labels would teach the model most.

For each target, every candidate unit not yet labelled is scored by its
uncertainty ``1 - (p_top - p_second)`` (margin sampling; 1 = a coin toss between
two classes). From the ``5 * n`` most uncertain, ``n`` are picked greedily for
uncertainty *and* diversity: each step takes the unit maximising
``uncertainty * (1 - max cosine similarity to the units already picked for that
target and to the labelled units of that target)`` on the frozen sentence
embeddings, so near-duplicates and paraphrases of what is already labelled are
not suggested twice.

A candidate is "already labelled" for a target when its ``unit_id`` (or the
hash of its text, :func:`unit_id`) appears in the labels for that target.
Candidates with an empty text are skipped and counted.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import InputError
from .labels import check_columns, read_labels, read_table_any, target_key, unit_id

# No predicted label or probabilities: annotators label blind to the model.
OUT_COLUMNS = ["unit_id", "text", "target", "stance", "evidence", "uncertainty", "source_id"]


def suggest(clf, candidates_path, labels_path, n: int, targets: list[str] | None = None,
            text_column: str = "text") -> tuple[pd.DataFrame, dict]:
    if n < 1:
        raise InputError(f"--n must be >= 1, got {n}")
    cand = read_table_any(candidates_path, columns={"text": text_column})
    check_columns(cand, ("text",), candidates_path)
    texts = cand["text"].astype(str).tolist()
    keep = np.array([bool(t.strip()) for t in texts])
    n_empty = int((~keep).sum())
    cand = cand.loc[keep].reset_index(drop=True)
    if "unit_id" in cand.columns:
        uids = cand["unit_id"].astype(str).tolist()
    else:
        uids = [unit_id(t) for t in cand["text"]]
    text_uids = [unit_id(t) for t in cand["text"]]
    src_col = next((c for c in ("chunk_id", "paragraph_id", "unit_id", "article_id") if c in cand.columns), None)
    # one row per unit (chunks overlap and repeat)
    first = pd.Series(range(len(cand))).groupby(pd.Series(text_uids)).first().sort_values().to_numpy()
    cand = cand.iloc[first].reset_index(drop=True)
    uids = [uids[i] for i in first]
    text_uids = [text_uids[i] for i in first]
    labels = read_labels(labels_path)
    targets = list(targets) if targets else list(clf.targets_.names_)
    all_texts = cand["text"].astype(str).tolist()
    E = clf.frozen_embeddings(all_texts) if len(all_texts) else np.zeros((0, 1), dtype=np.float32)
    rows, stats = [], {"candidates": len(keep), "empty_skipped": n_empty, "unique_units": len(cand), "per_target": {}}
    for target in targets:
        lab = labels[labels["target"].map(target_key) == target_key(target)]
        done = set(lab["unit_id"]) | {unit_id(t) for t in lab["text"]}
        free = np.array([u not in done and tu not in done for u, tu in zip(uids, text_uids)])
        idx = np.flatnonzero(free)
        stats["per_target"][target] = {"unlabelled": int(len(idx))}
        if len(idx) == 0:
            continue
        P = clf.predict_proba([all_texts[i] for i in idx], [target] * len(idx))
        s = np.sort(P, axis=1)
        unc = 1.0 - (s[:, -1] - s[:, -2])
        pool = idx[np.argsort(-unc, kind="stable")[: 5 * n]]
        unc_of = dict(zip(idx, unc))
        lab_emb = clf.frozen_embeddings(lab["text"].tolist()) if len(lab) else np.zeros((0, E.shape[1]), dtype=np.float32)
        ref = lab_emb
        chosen = []
        for _ in range(min(n, len(pool))):
            left = [i for i in pool if i not in chosen]
            sim = (E[left] @ ref.T).max(axis=1) if len(ref) else np.zeros(len(left))
            score = np.array([unc_of[i] for i in left]) * (1.0 - np.clip(sim, 0.0, 1.0))
            pick = left[int(np.argmax(score))]
            chosen.append(pick)
            ref = np.vstack([ref, E[pick][None, :]])
        for i in chosen:
            rows.append({"unit_id": uids[i], "text": all_texts[i], "target": target, "stance": "", "evidence": "",
                         "uncertainty": round(float(unc_of[i]), 4),
                         "source_id": str(cand[src_col].iloc[i]) if src_col else ""})
        stats["per_target"][target]["suggested"] = len(chosen)
    return pd.DataFrame(rows, columns=OUT_COLUMNS), stats
