"""``topicstance run CORPUS --out DIR``: the whole pipeline outside DVC (:mod:`topicstance.pipeline`)."""
from __future__ import annotations

import sys

from . import add_column_args, add_params_arg, with_columns


def add_parser(sub) -> None:
    p = sub.add_parser("run", help="run the pipeline on a corpus outside DVC: ingest, chunk, embed, topics, "
                                   "[stance], report, package")
    p.add_argument("corpus", help="a folder of .txt/.md files or a .csv/.jsonl/.parquet table")
    p.add_argument("--out", required=True, help="output root: DIR/data, DIR/models, DIR/reports")
    p.add_argument("--stance-model", default=None, help="also apply this stance model to every chunk")
    p.add_argument("--embeddings", default=None, metavar="EMB_DIR",
                   help="a table's own embeddings (a folder in the embeddings format whose ids are the table's "
                        "id column): each row is one chunk and nothing is encoded")
    add_column_args(p)
    p.add_argument("--outlet-col", default=None, metavar="COLUMN",
                   help="table input: the column that names each row's outlet (overrides ingest.outlet_column)")
    add_params_arg(p)
    p.set_defaults(func=run, inputs=("corpus", "stance_model", "embeddings"))


def run(args) -> int:
    from ..params import load_params, with_overrides
    from ..pipeline import run_pipeline

    params = with_overrides(with_columns(load_params(args.params), args), "ingest", outlet_column=args.outlet_col)
    s = run_pipeline(args.corpus, args.out, params, args.stance_model, embeddings=args.embeddings)
    print(f"run: {s['articles']} articles, {s['chunks']} chunks, {s['n_topics']} topics -> {args.out}",
          file=sys.stderr)
    return 0
