"""``topicstance chunk ARTICLES.parquet --out CHUNKS.parquet``"""
from __future__ import annotations

import sys

from . import add_params_arg


def add_parser(sub) -> None:
    p = sub.add_parser("chunk", help="split articles into sentence-aware chunks under the model's token budget")
    p.add_argument("articles", help="articles.parquet")
    p.add_argument("--out", required=True, help="chunks.parquet to write")
    add_params_arg(p)
    p.set_defaults(func=run, inputs=("articles",))


def run(args) -> int:
    from ..chunk import chunk_file
    from ..params import load_params

    params = load_params(args.params)
    rep = chunk_file(args.articles, args.out, params.chunk.max_tokens, params.chunk.overlap_sentences,
                     params.embed.model)
    print(f"chunked {rep['articles']} articles -> {rep['chunks']} chunks "
          f"(largest {rep['max_tokens_seen']} tokens)", file=sys.stderr)
    return 0
