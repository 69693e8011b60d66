"""``topicstance ingest CORPUS --out DIR``"""
from __future__ import annotations

import sys

from . import add_column_args, add_params_arg, with_columns


def add_parser(sub) -> None:
    p = sub.add_parser("ingest", help="read, clean, split and deduplicate a corpus")
    p.add_argument("corpus", help="a folder of .txt/.md files, or a .csv/.jsonl/.parquet table with a text column")
    p.add_argument("--out", required=True, help="folder for articles.parquet, duplicates.parquet, paragraphs.parquet, skipped.parquet")
    p.add_argument("--report", default=None, help="where to write the ingest report (default: OUT/ingest.json)")
    add_column_args(p)
    p.add_argument("--outlet-col", default=None, metavar="COLUMN",
                   help="table input: the column that names each row's outlet (overrides ingest.outlet_column)")
    add_params_arg(p)
    p.set_defaults(func=run, inputs=("corpus",))


def run(args) -> int:
    from ..ingest import write_ingest
    from ..params import load_params, with_overrides

    params = with_overrides(with_columns(load_params(args.params), args), "ingest", outlet_column=args.outlet_col)
    rep = write_ingest(args.corpus, args.out, params.ingest, args.report)
    print(f"ingested {rep['documents']} documents -> {rep['articles_out']} articles; "
          f"skipped {rep['skipped_count']}, duplicates dropped {rep['duplicates_count']}, "
          f"truncated {rep['truncated_count']}, encoding fallbacks {rep['encoding_fallback_count']}",
          file=sys.stderr)
    return 0
