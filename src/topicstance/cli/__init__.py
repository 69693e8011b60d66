"""The ``topicstance`` command line (see docs/cli.md).

Each command group lives in its own module exposing ``add_parser(subparsers)``;
the parser sets ``func(args) -> int``. Errors in user input
(:class:`TopicstanceError`) print one line and exit 2, without a traceback.
"""
from __future__ import annotations

import argparse
import importlib
import sys

from .. import __version__
from ..errors import TopicstanceError

# Modules that register subcommands, in help order.
COMMAND_MODULES = [
    "topicstance.cli.ingest",
    "topicstance.cli.chunk",
    "topicstance.cli.embed",
    "topicstance.cli.run",
    "topicstance.cli.topics",
    "topicstance.cli.stance",
    "topicstance.cli.package",
    "topicstance.cli.predict",
    "topicstance.cli.report",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="topicstance", description="Topics and stance for news corpora.")
    parser.add_argument("--version", action="version", version=f"topicstance {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            mod = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name and name.startswith(exc.name):
                continue  # command group not built yet
            raise
        mod.add_parser(sub)
    return parser


def add_params_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--params", default="params.yaml",
                   help="params file (default: params.yaml; a missing file means the defaults)")


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except TopicstanceError as exc:
        print(f"topicstance: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("topicstance: interrupted", file=sys.stderr)
        return 130
