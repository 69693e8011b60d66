"""``topicstance predict [FILE ... | -] --models models --format json|csv``"""
from __future__ import annotations

import dataclasses
import json
import sys
import warnings
from pathlib import Path

from ..errors import InputError
from . import add_column_args, column_overrides


def add_parser(sub) -> None:
    p = sub.add_parser("predict", help="topics and stance for new text with the saved models")
    p.add_argument("inputs", nargs="*", default=["-"],
                   help=".txt files, a .csv/.jsonl/.parquet with a text column, or - for stdin (default)")
    p.add_argument("--models", default="models", help="models folder (default: models)")
    p.add_argument("--format", choices=["json", "csv"], default="json")
    p.add_argument("--details", action="store_true", help="include per-chunk results (json only)")
    p.add_argument("--out", default="-", help="output file (default: stdout)")
    add_column_args(p, ("text", "id"))  # default: the models' own ingest.text_column / ingest.id_column
    p.set_defaults(func=run, inputs=("inputs", "models"))


def read_inputs(inputs: list[str], columns: dict | None = None) -> list[tuple[str, str]]:
    """(id, text) in input order; tables are read by :func:`topicstance.tables.read_table` with
    the column map ``columns`` (``{"text": ..., "id": ...}``), as ``ingest`` reads a corpus table."""
    from ..tables import SUFFIXES, read_table

    rows: list[tuple[str, str]] = []
    for inp in inputs:
        if inp == "-":
            rows.append(("stdin", sys.stdin.read()))
            continue
        p = Path(inp)
        if not p.exists():
            raise InputError(f"{p}: file not found")
        if p.suffix.lower() in SUFFIXES:
            t = read_table(p, columns=columns, require=("text",))
            for s in t.skipped:
                print(f"topicstance: warning: {p}: line {s['row']}: {s['reason']}; skipped", file=sys.stderr)
            df = t.df
            ids = [v if v is not None else f"{p.name}:{i}" for i, v in enumerate(df["id"])] if "id" in df.columns \
                else [f"{p.name}:{i}" for i in range(len(df))]
            rows += [(i, t_ or "") for i, t_ in zip(ids, df["text"])]
        else:
            from ..ingest.decode import Skip, decode_bytes

            try:
                text, _ = decode_bytes(p.read_bytes())
            except Skip as exc:
                text = ""
                print(f"topicstance: warning: {p}: {exc}; predicted as an empty text", file=sys.stderr)
            rows.append((str(p), text))
    return rows


def run(args) -> int:
    import pandas as pd

    from ..io import check_outputs, write_text
    from ..predict import load

    check_outputs(files=[args.out])
    for inp in args.inputs:
        if inp != "-" and not Path(inp).exists():
            raise InputError(f"{inp}: file not found")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        models = load(args.models)
    for w in caught:  # one line each: a model from another version, or no stance model
        print(f"topicstance: note: {w.message}", file=sys.stderr)
    # a table's columns: the map the models' corpus was read with (their ingest params), then the flags
    ingest = dataclasses.replace(models.ingest, **column_overrides(args))
    rows = read_inputs(args.inputs, {"text": ingest.text_column, "id": ingest.id_column})
    recs = models.predict([t for _, t in rows], details=args.details)
    for (rid, _), r in zip(rows, recs):
        r["id"] = rid
    if args.format == "json":
        text = json.dumps(recs, ensure_ascii=False, indent=2) + "\n"
    else:
        flat = []
        for r in recs:
            row = {"id": r["id"], "n_chunks": r["n_chunks"], "topic": r["topic"], "topic_label": r["topic_label"],
                   "topic_mix": json.dumps(r["topic_mix"], sort_keys=True)}
            for t, s in r["stance"].items():
                row[f"{t}_stance"] = s["stance"]
                for k in ("p_favor", "p_against", "p_none"):
                    row[f"{t}_{k}"] = s[k]
            flat.append(row)
        text = pd.DataFrame(flat).to_csv(index=False)
    if args.out == "-":
        sys.stdout.write(text)
    else:
        write_text(args.out, text)
    return 0
