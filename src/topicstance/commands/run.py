"""``topicstance run CORPUS --out DIR``: the whole pipeline outside DVC.

Runs ingest, chunk, embed and topics on any corpus the ingest step accepts and
writes ``DIR/data/``, ``DIR/models/`` and ``DIR/reports/`` in the same layout as
the project. With ``--stance-model MODEL_DIR`` it also applies a trained stance
model to every chunk. With ``--embeddings EMB_DIR`` (a table only) each row is
one chunk and its vector comes from ``EMB_DIR`` instead of the encoder
(:mod:`topicstance.embed.own`). Each step's time is printed and saved in
``DIR/reports/run.json``.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

from ..cli import add_params_arg


def add_parser(sub) -> None:
    p = sub.add_parser("run", help="run ingest, chunk, embed and topics on a corpus (outside DVC)")
    p.add_argument("corpus", help="a folder of .txt/.md files or a .csv/.jsonl/.parquet table")
    p.add_argument("--out", required=True, help="output root: DIR/data, DIR/models, DIR/reports")
    p.add_argument("--stance-model", default=None, help="also apply this stance model to every chunk")
    p.add_argument("--embeddings", default=None,
                   help="a table's own embeddings (folder in the embeddings format, ids = the table's id "
                        "column): each row is one chunk and nothing is encoded")
    add_params_arg(p)
    p.set_defaults(func=run)


def run_pipeline(corpus, out, params, stance_model=None, log=print, embeddings=None) -> dict:
    from ..chunk import chunk_file
    from ..embed.run import embed_chunks
    from ..ingest import write_ingest
    from ..io import write_json
    from ..topics.stage import fit_topics

    out = Path(out)
    data, models, reports = out / "data", out / "models", out / "reports"
    timings: dict[str, float] = {}

    def step(name, fn):
        t0 = time.perf_counter()
        res = fn()
        timings[name] = round(time.perf_counter() - t0, 2)
        log(f"run: {name} done in {timings[name]:.1f}s")
        return res

    if embeddings is not None and Path(corpus).is_dir():
        from ..errors import InputError

        raise InputError(f"--embeddings {embeddings}: needs a table (.csv/.jsonl/.parquet) with an id column, "
                         f"not the folder {corpus}")
    rep = step("ingest", lambda: write_ingest(corpus, data, params.ingest, reports / "ingest.json"))
    if embeddings is None:
        ch = step("chunk", lambda: chunk_file(data / "articles.parquet", data / "chunks.parquet",
                                              params.chunk.max_tokens, params.chunk.overlap_sentences,
                                              params.embed.model))
        emb = step("embed", lambda: embed_chunks(data / "chunks.parquet", data / "embeddings", params.embed))
    else:
        ch = step("chunk", lambda: _row_chunks(data, params))
        emb = step("embed", lambda: _own_embeddings(embeddings, data, corpus))
    write_json(reports / "embed.json", emb)
    top = step("topics", lambda: fit_topics(data / "chunks.parquet", data / "embeddings", data / "articles.parquet",
                                            data / "duplicates.parquet", models, data, reports, params.topics,
                                            skipped_path=data / "skipped.parquet"))
    if stance_model:
        from ..stance.apply import apply_stance

        step("stance", lambda: apply_stance(stance_model, data / "chunks.parquet", data / "embeddings",
                                            data / "stance.parquet", data / "article_stance.parquet", params))
    summary = {"corpus": str(corpus), "articles": rep["articles_out"], "duplicates_dropped": rep["duplicates_count"],
               "chunks": ch["chunks"], "embed_cache_hits": emb.get("hits", 0), "embed_cache_misses": emb.get("misses", 0),
               "own_embeddings": None if embeddings is None else str(embeddings),
               "n_topics": top["metrics"]["n_topics"], "seconds": timings,
               "topics_seconds": top.get("timings", {})}
    write_json(reports / "run.json", summary)
    return summary


def _row_chunks(data: Path, params) -> dict:
    from .. import schema
    from ..embed.model import load_tokenizer
    from ..embed.own import row_chunks
    from ..io import write_parquet

    arts = schema.read_table(data / "articles.parquet", schema.ARTICLES, unique="article_id")
    df = row_chunks(arts, load_tokenizer(params.embed.model))
    write_parquet(data / "chunks.parquet", df)
    return {"articles": int(len(arts)), "chunks": int(len(df)), "one_chunk_per_row": True}


def _own_embeddings(src, data: Path, corpus) -> dict:
    import pandas as pd

    from ..embed.own import adopt_embeddings, table_ids

    chunks = pd.read_parquet(data / "chunks.parquet", columns=["chunk_id"])
    return adopt_embeddings(src, chunks, table_ids(corpus), data / "embeddings", table=str(corpus))


def run(args) -> int:
    from ..params import load_params

    params = load_params(args.params)
    s = run_pipeline(args.corpus, args.out, params, args.stance_model,
                     log=lambda m: print(m, file=sys.stderr), embeddings=args.embeddings)
    print(f"run: {s['articles']} articles, {s['chunks']} chunks, {s['n_topics']} topics -> {args.out}",
          file=sys.stderr)
    return 0
