"""The real sentence pool of the scale benchmark (bench/scale.py), embedded once.

    .venv/bin/python bench/scale_pool.py [--embed-max N] [--force]

Documents: BBC News (``text``), the SemEval-2016 stance tweets, both corpora in
``../shared/corpora/`` (the press releases' ``body``, the propaganda diary's
``text``) and the seed pages (``seeds/corpus``). Each is split into sentences with
the project's splitter (:func:`topicstance.sentences.split_sentences`); sentences
of 25 to 400 characters are kept, exact repeats once. The sentences are embedded
with the pipeline's encoder (all-MiniLM-L6-v2, ``embed.precision: auto``, no
cache), timed once: all of them, or with ``--embed-max N`` a seeded subset of
N that holds at least one sentence of every document (the first, then a
uniform draw of the rest). A sentence left out stands in with the unit mean
of its document's embedded sentences, so every sentence has a vector and the
texts still draw on the whole pool (its vocabulary grows with the corpus);
``embedded`` says which vectors are a sentence's own. Written to
``.cache/bench/scale/pool/``: ``sentences.parquet`` (``sentence``, ``doc``,
``source``, ``embedded``), ``vectors.npy`` (float32, unit rows) and
``pool.json`` (counts, seconds).
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, SHARED  # noqa: E402

POOL = ROOT / ".cache" / "bench" / "scale" / "pool"
MIN_CHARS, MAX_CHARS = 25, 400


def documents() -> list[tuple[str, str, str]]:
    """(doc id, source, text) for every document of the pool."""
    docs: list[tuple[str, str, str]] = []
    bbc = pd.read_csv(SHARED / "benchmarks" / "bbc_news" / "bbc_news.csv", dtype=str)
    docs += [(f"bbc:{i}", "bbc", t) for i, t in zip(bbc["id"], bbc["text"].fillna(""))]
    sem = pd.read_csv(SHARED / "benchmarks" / "semeval2016" / "stance.csv", dtype=str)
    docs += [(f"semeval:{i}", "semeval", t) for i, t in zip(sem["id"], sem["text"].fillna(""))]
    pr = SHARED / "corpora" / "presidential_press_releases"
    for name in ("kremlin", "president_of_ukraine"):
        df = pd.read_csv(pr / f"{name}.csv", dtype=str)
        docs += [(f"{name}:{k}", name, t) for k, t in enumerate(df["body"].fillna(""))]
    pd_ = pd.read_csv(SHARED / "corpora" / "propaganda_diary" / "cases.csv", dtype=str)
    docs += [(f"diary:{i}", "propaganda_diary", t) for i, t in zip(pd_["id"], pd_["text"].fillna(""))]
    for f in sorted((ROOT / "seeds" / "corpus").glob("*.txt")):
        docs.append((f"seeds:{f.name}", "seeds", f.read_text(encoding="utf-8", errors="replace")))
    return docs


def build(force: bool = False, embed_max: int = 0) -> dict:
    from topicstance.embed.encoder import Embedder
    from topicstance.sentences import split_sentences

    if (POOL / "pool.json").exists() and not force:
        return json.loads((POOL / "pool.json").read_text())
    seen: set[str] = set()
    rows = []
    for doc, source, text in documents():
        for s, e in split_sentences(text):
            sent = " ".join(text[s:e].split())
            if MIN_CHARS <= len(sent) <= MAX_CHARS and sent not in seen:
                seen.add(sent)
                rows.append((sent, doc, source))
    df = pd.DataFrame(rows, columns=["sentence", "doc", "source"])
    codes, _ = pd.factorize(df["doc"])
    first = np.r_[True, codes[1:] != codes[:-1]]  # a document's sentences are contiguous
    take = first.copy()
    if embed_max and embed_max < len(df):
        rest = np.nonzero(~first)[0]
        extra = max(0, embed_max - int(first.sum()))
        take[np.random.default_rng(0).choice(rest, size=min(extra, len(rest)), replace=False)] = True
    else:
        take[:] = True
    emb = Embedder(cache_dir=None, show_progress=False)
    t0 = time.perf_counter()
    own = emb.encode(df.loc[take, "sentence"].tolist())
    secs = time.perf_counter() - t0
    from topicstance.topics.groups import group_sums
    from topicstance.topics.knn import unit_rows

    doc_mean = unit_rows(group_sums(own, codes[take], int(codes.max()) + 1))
    V = doc_mean[codes].astype(np.float32)
    V[take] = own
    df["embedded"] = take
    POOL.mkdir(parents=True, exist_ok=True)
    df.to_parquet(POOL / "sentences.parquet", index=False)
    np.save(POOL / "vectors.npy", np.asarray(V, dtype=np.float32))
    info = {"n_sentences": int(len(df)), "n_docs": int(df["doc"].nunique()), "n_embedded": int(take.sum()),
            "embed_max": int(embed_max), "stand_in": "unit mean of the document's embedded sentences",
            "per_source": {k: int(v) for k, v in df["source"].value_counts().sort_index().items()},
            "embed_seconds": round(secs, 1), "sentences_per_second": round(int(take.sum()) / secs, 1),
            "precision_reason": emb.stats.extra.get("precision_reason"), "model": emb.model}
    (POOL / "pool.json").write_text(json.dumps(info, indent=2) + "\n")
    return info


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--force", action="store_true")
    ap.add_argument("--embed-max", type=int, default=0, help="embed at most N sentences (0: all)")
    a = ap.parse_args(argv)
    print(json.dumps(build(a.force, a.embed_max)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
