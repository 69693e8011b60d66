"""``topicstance stance ...``: train, predict, suggest, evaluate, apply, split, shares (docs/stance.md).

    topicstance stance train LABELS.csv --out MODEL_DIR [--method M] [--split train]
    topicstance stance predict MODEL_DIR INPUT.csv --out OUT.csv
    topicstance stance suggest MODEL_DIR CANDIDATES --labels LABELS.csv --n 20 --out FILE.csv
    topicstance stance evaluate LABELS.csv --model MODEL_DIR --reports DIR
    topicstance stance apply MODEL_DIR --chunks data/chunks.parquet --embeddings data/embeddings \\
        --out data/stance.parquet --articles-out data/article_stance.parquet
    topicstance stance split LABELS.csv [--frozen seeds/labels/test_split.txt] [--fraction 0.25]
    topicstance stance shares DATA_DIR --by topic [source period ...] (--cv-predictions FILE | --correction DIR) \\
        [--model MODEL_DIR] [--sources seed ...] [--out FILE]

Every command takes ``--params`` (default params.yaml).
"""
from __future__ import annotations

import sys
import warnings

from ..stance import METHODS
from . import add_column_args, add_params_arg



def _say(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _warn_one_line(message, category, filename, lineno, file=None, line=None):
    print(f"topicstance: warning: {message}", file=sys.stderr)


def add_parser(sub) -> None:
    g = sub.add_parser("stance", help="stance classifier: train, predict, suggest, evaluate, apply, split, shares")
    ss = g.add_subparsers(dest="stance_command", metavar="SUBCOMMAND")

    p = ss.add_parser("train", help="train a stance model on a labelled CSV (text,target,stance)")
    p.add_argument("labels", help="labelled CSV with columns text,target,stance[,split]")
    p.add_argument("--out", required=True, help="model directory to write")
    p.add_argument("--method", choices=METHODS, default=None, help="default: stance.method")
    p.add_argument("--split", choices=("train",), default=None,
                   help="train only on rows whose split is 'train' (default: all rows)")
    p.add_argument("--strict", action="store_true",
                   help="a (text, target) pair labelled with different stances is an error "
                        "(default: such pairs are dropped, counted in a warning and in the model's config)")
    add_params_arg(p)
    p.set_defaults(func=cmd_train, inputs=("labels",))

    p = ss.add_parser("predict", help="stance for each row of a CSV with columns text,target")
    p.add_argument("model", help="model directory")
    p.add_argument("input", help="CSV with columns text,target")
    p.add_argument("--out", required=True, help="CSV to write: the input rows plus stance,p_favor,p_against,p_none")
    add_column_args(p, ("text",))
    add_params_arg(p)
    p.set_defaults(func=cmd_predict, inputs=("model", "input"))

    p = ss.add_parser("suggest", help="unlabelled units worth annotating next (uncertain and diverse)")
    p.add_argument("model", help="model directory")
    p.add_argument("candidates", help="chunks or paragraphs table (parquet or csv) with a text column")
    p.add_argument("--labels", required=True, help="the labels CSV (already labelled units are left out)")
    p.add_argument("--n", type=int, default=20, help="units to suggest per target (default 20)")
    p.add_argument("--targets", nargs="+", default=None, help="targets (default: the model's training targets)")
    p.add_argument("--out", required=True, help="CSV to write, ready to annotate")
    add_column_args(p, ("text",))
    add_params_arg(p)
    p.set_defaults(func=cmd_suggest, inputs=("model", "candidates", "labels"))

    p = ss.add_parser("evaluate", help="test metrics, CV, learning curve, calibration, baselines")
    p.add_argument("labels", help="labelled CSV with a split column")
    p.add_argument("--model", required=True, help="model directory trained on the train split")
    p.add_argument("--reports", required=True, help="reports folder: writes stance_metrics.json and stance/*.csv")
    add_params_arg(p)
    p.set_defaults(func=cmd_evaluate, inputs=("labels", "model"))

    p = ss.add_parser("apply", help="stance of every chunk for every target, and per article")
    p.add_argument("model", help="model directory")
    p.add_argument("--chunks", required=True, help="chunks.parquet")
    p.add_argument("--embeddings", default=None, help="embeddings folder of those chunks (reused when possible)")
    p.add_argument("--out", required=True, help="stance.parquet to write")
    p.add_argument("--articles-out", required=True, help="article_stance.parquet to write")
    add_params_arg(p)
    p.set_defaults(func=cmd_apply, inputs=("model", "chunks", "embeddings"))

    p = ss.add_parser("split", help="set the split column of a labels CSV from the frozen test split")
    p.add_argument("labels", help="labels CSV")
    p.add_argument("--frozen", default=None, help="frozen test unit ids (default: stance.test_split)")
    p.add_argument("--fraction", type=float, default=None, help="test share when creating it (default: stance.test_fraction)")
    p.add_argument("--out", default=None, help="CSV to write: the labels with their split column")
    p.add_argument("--in-place", action="store_true", help="rewrite LABELS.csv itself (only its split column changes)")
    add_params_arg(p)
    p.set_defaults(func=cmd_split, inputs=("labels", "frozen"))

    p = ss.add_parser("shares", help="stance shares per group, corrected for classifier error, with intervals")
    p.add_argument("data", help="data folder with stance.parquet (and topics, chunks, articles tables to group by)")
    p.add_argument("--by", nargs="+", default=None,
                   help="columns to group by, each on its own (topic, source, period, all, ...; "
                        "default: prevalence.by)")
    p.add_argument("--cv-predictions", default=None,
                   help="out-of-fold predictions to learn the correction from (reports/stance/cv_predictions.csv)")
    p.add_argument("--correction", default=None,
                   help="correction directory: written there with --cv-predictions, else read from it")
    p.add_argument("--model", default=None,
                   help="the stance model that wrote stance.parquet: its training units mark chunks it has seen")
    p.add_argument("--sources", nargs="*", default=None,
                   help="labelled sources most like these texts, whose error rates the correction uses "
                        "(default: prevalence.sources; none given: all labelled rows)")
    p.add_argument("--out", default=None, help="table to write (.csv or .parquet); default: CSV on stdout")
    add_params_arg(p)
    p.set_defaults(func=cmd_shares, inputs=("data", "cv_predictions", "model"))

    g.set_defaults(func=lambda args: (g.print_help(), 2)[1])


def _setup(args):
    from ..params import load_params

    warnings.showwarning = _warn_one_line
    return load_params(args.params)


def cmd_train(args) -> int:
    from ..stance.classifier import StanceClassifier
    from ..stance.labels import check_trainable, read_labels

    from ..io import check_outputs

    params = _setup(args)
    check_outputs(folders=[args.out])
    df = read_labels(args.labels, split=args.split, on_conflict="error" if args.strict else "drop")
    conflicts = df.attrs["conflicts_dropped"]
    if conflicts["pairs"]:
        _say(f"topicstance: warning: {args.labels}: dropped {conflicts['pairs']} (text, target) pair(s) labelled "
             f"with different stances ({conflicts['rows']} rows, first at lines "
             f"{', '.join(map(str, conflicts['first_rows']))}); --strict makes this an error")
    for w in check_trainable(df, args.labels):
        _say(f"topicstance: warning: {w}")
    if df.attrs.get("n_duplicates_dropped"):
        _say(f"stance train: skipped {df.attrs['n_duplicates_dropped']} duplicate row(s)")
    clf = StanceClassifier.from_params(params.stance, params.embed, method=args.method, verbose=True)
    clf.fit(df["text"].tolist(), df["target"].tolist(), df["stance"].tolist())
    clf.training_data_ = {"labels": str(args.labels), "rows": int(len(df)),
                          "duplicates_dropped": int(df.attrs.get("n_duplicates_dropped", 0)),
                          "conflicting_pairs_dropped": conflicts["pairs"],
                          "conflicting_rows_dropped": conflicts["rows"]}
    clf.save(args.out)
    counts = ", ".join(f"{k} {v}" for k, v in clf.train_counts_.items())
    _say(f"stance train: {clf.method} on {len(df)} rows ({counts}; targets {', '.join(clf.targets_.names_)}) "
         f"in {clf.fit_seconds_:.1f}s -> {args.out}")
    return 0


def cmd_predict(args) -> int:
    from ..embed.model import load_tokenizer
    from ..errors import InputError
    from ..io import check_outputs, write_text
    from ..stance.classifier import StanceClassifier
    from ..stance.labels import _where, check_columns, read_table_any
    from ..stance.predict import predict_rows

    params = _setup(args)
    check_outputs(files=[args.out])
    df = read_table_any(args.input, columns={"text": args.text_col or params.ingest.text_column})
    check_columns(df, ("text", "target"), args.input)
    for i, t in enumerate(df["target"].tolist()):
        if not str(t).strip():
            raise InputError(f"{_where(df, args.input, i)}: column 'target' is empty")
    clf = StanceClassifier.load(args.model, cache_dir=params.embed.cache_dir)
    # chunked like the corpus, `predict` and `stance apply`: the embed model's tokenizer, chunk.max_tokens
    out, stats = predict_rows(clf, df["text"].tolist(), df["target"].astype(str).tolist(),
                              tokenizer=load_tokenizer(params.embed.model), max_tokens=params.chunk.max_tokens,
                              overlap_sentences=params.chunk.overlap_sentences, rule=params.stance.article_rule)
    res = df.copy()
    for c in ("stance", "p_favor", "p_against", "p_none"):
        res[c] = out[c].to_numpy()
    write_text(args.out, res.to_csv(index=False))
    msg = (f"stance predict: {stats['rows']} rows, chunked at {params.chunk.max_tokens} tokens ({stats['chunked_rows']} texts "
           f"in several chunks, aggregated by {params.stance.article_rule})")
    if stats["empty_skipped"]:
        msg += f"; skipped {stats['empty_skipped']} empty text(s) (stance left empty)"
    if stats["unseen_target_rows"]:
        msg += (f"; {stats['unseen_target_rows']} row(s) with targets unseen in training used the shared weights, "
                "which mostly answer NONE: label examples for those targets (docs/stance.md)")
    _say(msg + f" -> {args.out}")
    return 0


def cmd_suggest(args) -> int:
    from ..io import write_text
    from ..stance.classifier import StanceClassifier
    from ..stance.suggest import suggest

    from ..io import check_outputs

    params = _setup(args)
    check_outputs(files=[args.out])
    clf = StanceClassifier.load(args.model, cache_dir=params.embed.cache_dir)
    df, stats = suggest(clf, args.candidates, args.labels, args.n, args.targets,
                        text_column=args.text_col or params.ingest.text_column)
    write_text(args.out, df.to_csv(index=False))
    per = ", ".join(f"{t}: {v.get('suggested', 0)} of {v['unlabelled']} unlabelled" for t, v in stats["per_target"].items())
    extra = f"; skipped {stats['empty_skipped']} empty text(s)" if stats["empty_skipped"] else ""
    _say(f"stance suggest: {per}{extra} -> {args.out}")
    return 0


def cmd_evaluate(args) -> int:
    from ..stance.evaluate import evaluate

    params = _setup(args)
    m = evaluate(args.labels, args.model, args.reports, params)
    t = m["test"]["model"]
    ci = t["ci95"]
    _say(f"stance evaluate: test macro-F1 {t['macro_f1']:.3f} [{ci['macro_f1'][0]:.3f}, {ci['macro_f1'][1]:.3f}], "
         f"F_avg {t['f_avg']:.3f} [{ci['f_avg'][0]:.3f}, {ci['f_avg'][1]:.3f}] (n={t['n']}); "
         f"tfidf F_avg {m['test']['baseline_tfidf']['f_avg']:.3f}, majority {m['test']['baseline_majority']['f_avg']:.3f}; "
         f"ECE {m['calibration']['ece']:.3f}; {m['seconds']}s -> {args.reports}/stance_metrics.json")
    if "skipped" in m["cv"]:
        _say(f"stance evaluate: cross-validation skipped: {m['cv']['skipped']}")
    return 0


def cmd_apply(args) -> int:
    from ..stance.apply import apply_stance

    params = _setup(args)
    s = apply_stance(args.model, args.chunks, args.embeddings, args.out, args.articles_out, params)
    _say(f"stance apply: {s['chunks']} chunks x {len(s['targets'])} targets, {s['articles']} articles; "
         f"embeddings reused {s['embeddings_reused']}, encoded {s['embeddings_encoded']} -> {args.out}, {args.articles_out}")
    if s["unseen_targets"]:
        _say(f"stance apply: targets unseen in training (shared weights only, which mostly answer NONE: "
             f"label examples for them, docs/stance.md): {', '.join(s['unseen_targets'])}")
    return 0


def cmd_split(args) -> int:
    from ..errors import InputError
    from ..stance.split import split_labels_file

    params = _setup(args)
    if bool(args.out) == bool(args.in_place):
        raise InputError(f"{args.labels}: give --out FILE for the split labels, or --in-place to rewrite this file")
    from ..io import check_outputs

    check_outputs(files=[args.out])
    s = split_labels_file(args.labels, args.frozen or params.stance.test_split,
                          args.fraction if args.fraction is not None else params.stance.test_fraction, args.out)
    verb = "created" if s["created"] else "read"
    _say(f"stance split: {verb} {s['frozen_file']}; {s['test_units']} of {s['units']} units in test "
         f"({s['rows_test']} test rows, {s['rows_train']} train rows) -> {s['written']}")
    return 0


def cmd_shares(args) -> int:
    from ..stance.prevalence import DIAGNOSTIC
    from ..stance.shares import run_shares

    params = _setup(args)
    if args.sources is not None:
        import dataclasses

        params = dataclasses.replace(params, prevalence=dataclasses.replace(params.prevalence,
                                                                            sources=tuple(args.sources)))
    table, s = run_shares(args.data, args.by or list(params.prevalence.by), args.out, params,
                          correction=args.correction, cv_predictions=args.cv_predictions, model=args.model)
    if args.out is None:
        sys.stdout.write(table.to_csv(index=False))
    per = "; ".join(f"{k}: {v['groups']} groups" + (f" ({v['chunks_without_value']} chunks without a value, left out)"
                                                    if v["chunks_without_value"] else "")
                    for k, v in s["groupings"].items())
    flags = ", ".join(f"{k} {v}" for k, v in s["flag_counts"].items()) or "none"
    cond = ", ".join(f"{t} {c[DIAGNOSTIC[params.prevalence.method]]:.1f}" for t, c in s["condition"].items())
    src = ", ".join(params.prevalence.sources) or "all labelled sources"
    _say(f"stance shares: {per}; {s['group_targets']} group x target cells, {s['flagged']} flagged ({flags}); "
         f"{params.prevalence.method} correction from {src}, condition number {cond}"
         + (f" -> {args.out}" if args.out else ""))
    if s.get("chunks_seen_in_training"):
        _say(f"stance shares: {s['chunks_seen_in_training']} chunks contain paragraphs the model was trained on "
             f"(units from the {s['trained_units_from']}); their groups are flagged seen_in_training")
    if s.get("same_method") is False:
        _say(f"topicstance: warning: the correction was learnt from {', '.join(s['cv_method'])} cross-validation, "
             f"the model is {s['model_method']}; its error rates may differ")
    if args.cv_predictions and args.correction:
        _say(f"stance shares: correction learnt from {args.cv_predictions} -> {args.correction}")
    return 0
