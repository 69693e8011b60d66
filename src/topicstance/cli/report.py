"""``topicstance report --data DIR --models DIR --reports DIR``: figures and the interactive map."""
from __future__ import annotations

import sys

from . import add_params_arg


def add_parser(sub) -> None:
    p = sub.add_parser("report", help="write reports/figures/*.png and reports/topic_map.html from pipeline outputs")
    p.add_argument("--data", default="data")
    p.add_argument("--models", default="models")
    p.add_argument("--reports", default="reports")
    add_params_arg(p)
    p.set_defaults(func=run)


def run(args) -> int:
    from ..params import load_params
    from ..report.build import build_report

    params = load_params(args.params)
    res = build_report(args.data, args.models, args.reports, params.report, list(params.stance.targets),
                       period=params.topics.time_period)
    print(f"report: wrote {len(res['written'])} files ({res['points_in_page']} points in the map page)",
          file=sys.stderr)
    for name, why in res["not_drawn"].items():
        print(f"report: no {name}: {why}", file=sys.stderr)
    return 0
