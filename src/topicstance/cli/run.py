"""``topicstance run CORPUS --out DIR``: the whole pipeline outside DVC.

Runs ingest, chunk, embed and topics on any corpus the ingest step accepts and
writes ``DIR/data/``, ``DIR/models/`` and ``DIR/reports/`` in the same layout as
the project. With ``--stance-model MODEL_DIR`` it also applies a trained stance
model to every chunk. Each step's time is printed and saved in
``DIR/reports/run.json``.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

from ..io import writes
from . import add_column_args, add_params_arg, with_columns


def add_parser(sub) -> None:
    p = sub.add_parser("run", help="run ingest, chunk, embed and topics on a corpus (outside DVC)")
    p.add_argument("corpus", help="a folder of .txt/.md files or a .csv/.jsonl/.parquet table")
    p.add_argument("--out", required=True, help="output root: DIR/data, DIR/models, DIR/reports")
    p.add_argument("--stance-model", default=None, help="also apply this stance model to every chunk")
    add_column_args(p)
    add_params_arg(p)
    p.set_defaults(func=run, inputs=("corpus", "stance_model"))


@writes("run", inputs=("corpus", "stance_model"))
def run_pipeline(corpus, out, params, stance_model=None, log=print) -> dict:
    from ..chunk import chunk_file
    from ..embed.run import embed_chunks
    from ..ingest import write_ingest
    from ..io import check_tree, write_json
    from ..topics.stage import fit_topics

    out = Path(out)
    check_tree(out)  # DIR is new, empty, or holds only this command's earlier output
    data, models, reports = out / "data", out / "models", out / "reports"
    timings: dict[str, float] = {}

    def step(name, fn):
        t0 = time.perf_counter()
        res = fn()
        timings[name] = round(time.perf_counter() - t0, 2)
        log(f"run: {name} done in {timings[name]:.1f}s")
        return res

    rep = step("ingest", lambda: write_ingest(corpus, data, params.ingest, reports / "ingest.json"))
    ch = step("chunk", lambda: chunk_file(data / "articles.parquet", data / "chunks.parquet", params.chunk.max_tokens,
                                          params.chunk.overlap_sentences, params.embed.model))
    emb = step("embed", lambda: embed_chunks(data / "chunks.parquet", data / "embeddings", params.embed))
    write_json(reports / "embed.json", emb)
    top = step("topics", lambda: fit_topics(data / "chunks.parquet", data / "embeddings", data / "articles.parquet",
                                            data / "duplicates.parquet", models, data, reports, params.topics,
                                            skipped_path=data / "skipped.parquet"))
    if stance_model:
        from ..stance.apply import apply_stance

        step("stance", lambda: apply_stance(stance_model, data / "chunks.parquet", data / "embeddings",
                                            data / "stance.parquet", data / "article_stance.parquet", params))
    summary = {"corpus": str(corpus), "articles": rep["articles_out"], "duplicates_dropped": rep["duplicates_count"],
               "chunks": ch["chunks"], "embed_cache_hits": emb["hits"], "embed_cache_misses": emb["misses"],
               "n_topics": top["metrics"]["n_topics"], "seconds": timings,
               "topics_seconds": top.get("timings", {})}
    write_json(reports / "run.json", summary)
    return summary


def run(args) -> int:
    from ..params import load_params

    params = with_columns(load_params(args.params), args)
    s = run_pipeline(args.corpus, args.out, params, args.stance_model,
                     log=lambda m: print(m, file=sys.stderr))
    print(f"run: {s['articles']} articles, {s['chunks']} chunks, {s['n_topics']} topics -> {args.out}",
          file=sys.stderr)
    return 0
