"""``topicstance package``: write models/README.md (model card) and models/manifest.json."""
from __future__ import annotations

import sys

from . import add_params_arg


def add_parser(sub) -> None:
    p = sub.add_parser("package", help="write the model card and the manifest (sha256 of every model file)")
    p.add_argument("--models", default="models")
    p.add_argument("--data", default="data")
    p.add_argument("--reports", default="reports")
    add_params_arg(p)
    p.set_defaults(func=run)


def run(args) -> int:
    from ..card import package_models
    from ..params import load_params

    m = package_models(args.models, args.data, args.reports, load_params(args.params), args.params)
    print(f"package: {len(m['files'])} model files hashed into {args.models}/manifest.json", file=sys.stderr)
    return 0
