"""``topicstance topics fit ...`` (the DVC stage) and ``topicstance topics cut DIR --n-topics K --out F``
(logic in :mod:`topicstance.topics.cut`)."""
from __future__ import annotations

import sys
from pathlib import Path

from . import add_params_arg


def add_parser(sub) -> None:
    p = sub.add_parser("topics", help="topic model: fit (DVC stage) and cut the hierarchy")
    tsub = p.add_subparsers(dest="topics_command", metavar="SUBCOMMAND")

    f = tsub.add_parser("fit", help="fit topics on embedded chunks and write models/, data/, reports/ outputs")
    f.add_argument("--chunks", required=True, help="chunks.parquet")
    f.add_argument("--embeddings", required=True, help="embeddings folder (vectors.npy, chunk_ids.parquet, meta.json)")
    f.add_argument("--articles", required=True, help="articles.parquet")
    f.add_argument("--duplicates", required=True, help="duplicates.parquet")
    f.add_argument("--skipped", default=None,
                   help="skipped.parquet from ingest: its rows get a result row (topic -1) in article_topics")
    f.add_argument("--models", required=True, help="models folder; the model goes to MODELS/topics/")
    f.add_argument("--data", required=True, help="data folder for topics/article_topics/coords/shares parquet files")
    f.add_argument("--reports", required=True, help="reports folder for topics.csv and topics_metrics.json")
    f.add_argument("--previous", default=None,
                   help="previous model for stable ids (default: MODELS/topics if present; 'none' to start afresh)")
    f.add_argument("--overrides", default=None, help="overrides file (default: params topics.overrides)")
    add_params_arg(f)
    f.set_defaults(func=run_fit, inputs=("chunks", "embeddings", "articles", "duplicates", "skipped",
                                           "overrides"))

    c = tsub.add_parser("cut", help="write article_id,topic at exactly K topics (merging or splitting topics)")
    c.add_argument("dir", help="run or project root holding models/topics and data/ (article_topics, topics, "
                               "chunks, embeddings)")
    c.add_argument("--n-topics", type=int, required=True, help="K: exactly this many topics (outliers apart)")
    c.add_argument("--out", required=True, help="CSV file to write (article_id,topic); the topics' keywords "
                                                "go to FILE.topics.csv beside it")
    add_params_arg(c)
    c.set_defaults(func=run_cut)
    p.set_defaults(func=lambda args: (p.print_help(), 2)[1])


def run_fit(args) -> int:
    from ..params import load_params
    from ..topics.stage import fit_topics

    params = load_params(args.params)
    prev = None
    if args.previous is not None:
        prev = False if args.previous.lower() in ("none", "off", "") else Path(args.previous)
    res = fit_topics(args.chunks, args.embeddings, args.articles, args.duplicates, args.models, args.data,
                     args.reports, params.topics, previous_model_dir=prev, overrides_path=args.overrides,
                     skipped_path=args.skipped)
    m = res["metrics"]
    st = m["stability"]
    print(f"topics: {m['n_topics']} topics on {m['n_chunks']} chunks (min_cluster_size {m['min_cluster_size']}); "
          f"outliers {m['outlier_share_raw']:.1%} raw, {m['outlier_share']:.1%} after reassignment; "
          f"NPMI {m['npmi_coherence']}, diversity {m['topic_diversity']}; "
          f"stability ARI seeds {st['ari_seeds_mean']}, shuffled {st['ari_shuffled_order']}", file=sys.stderr)
    print("topics: seconds " + ", ".join(f"{k} {v:.1f}" for k, v in res["timings"].items()), file=sys.stderr)
    return 0


def run_cut(args) -> int:
    from ..params import load_params
    from ..topics.cut import cut_articles

    res = cut_articles(args.dir, args.n_topics, args.out, load_params(args.params).topics)
    print(f"topics cut: {res['note']}; {res['n_topics']} topics -> {res['out']}, keywords -> "
          f"{res['topics_out']}", file=sys.stderr)
    for new, olds in res["merged"].items():
        print(f"  topic {new} <- merged {olds}", file=sys.stderr)
    for part, origin in sorted(res["split_of"].items()):
        if part != origin:
            print(f"  topic {part} <- split from {origin}", file=sys.stderr)
    return 0
