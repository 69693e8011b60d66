"""The ``topicstance`` command line (see docs/cli.md).

Each command group lives in its own module exposing ``add_parser(subparsers)``;
the parser sets ``func(args) -> int`` and ``inputs``, the names of the arguments
that are input paths. Every command runs as the owner of what it writes
(:func:`topicstance.io.writing`): it never overwrites a file another command
wrote, and never writes over one of its inputs. Errors in user input
(:class:`TopicstanceError`) print one line and exit 2, without a traceback.

The domain packages report progress through the ``topicstance`` logger; the
command prints it to stderr (``-v/--verbose``: also debug messages and the
third-party libraries' own output, such as their progress bars).
"""
from __future__ import annotations

import argparse
import importlib
import logging
import sys

from .. import __version__
from ..errors import TopicstanceError
from ..io import writing

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
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="more output: debug messages and the libraries' own progress bars and warnings")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            mod = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name and name.startswith(exc.name):
                continue  # command group not built yet
            raise
        mod.add_parser(sub)
    _verbose_everywhere(sub)
    return parser


def _verbose_everywhere(sub) -> None:
    """Accept ``-v`` after the command too (``topicstance embed ... -v``)."""
    for p in sub.choices.values():
        if any(a.dest == "verbose" for a in p._actions):
            continue
        p.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
        for a in p._actions:
            if isinstance(a, argparse._SubParsersAction):
                _verbose_everywhere(a)


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is at the time of the message."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value):
        pass


def configure_output(verbose: bool) -> None:
    """The ``topicstance`` logger on stderr: INFO, or DEBUG with ``--verbose``."""
    log = logging.getLogger("topicstance")
    handler = _StderrHandler()
    handler.setFormatter(logging.Formatter("%(message)s"))
    log.handlers[:] = [handler]
    log.setLevel(logging.DEBUG if verbose else logging.INFO)
    log.propagate = False


def add_params_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--params", default=None,
                   help="params file; it must exist (default: ./params.yaml if there is one, else the defaults)")


COLUMN_FLAGS = {"text": "--text-col", "id": "--id-col", "date": "--date-col"}


def add_column_args(p: argparse.ArgumentParser, which: tuple[str, ...] = ("text", "id", "date")) -> None:
    """``--text-col``/``--id-col``/``--date-col``: a table input's own column names
    (default: ``ingest.text_column``, ``ingest.id_column``, ``ingest.date_column``)."""
    for name in which:
        p.add_argument(COLUMN_FLAGS[name], dest=f"{name}_col", default=None, metavar="NAME",
                       help=f"the table column holding the {name} (default: ingest.{name}_column, '{name}')")


def column_overrides(args) -> dict[str, str]:
    """The column names given on the command line, as ``ingest`` params (``{"text_column": "body"}``)."""
    return {f"{k}_column": getattr(args, f"{k}_col") for k in COLUMN_FLAGS if getattr(args, f"{k}_col", None)}


def with_columns(params, args):
    """``params`` with the command line's column names in ``ingest``."""
    import dataclasses

    given = column_overrides(args)
    return dataclasses.replace(params, ingest=dataclasses.replace(params.ingest, **given)) if given else params


def command_name(args) -> str:
    """``stance train``, ``ingest``, ...: the command as typed, which owns what it writes."""
    parts = [args.command]
    for attr in ("topics_command", "stance_command"):
        if getattr(args, attr, None):
            parts.append(getattr(args, attr))
    return " ".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    from .._env import command_environment

    verbose = bool(getattr(args, "verbose", False))
    configure_output(verbose)
    try:
        with command_environment(verbose), \
                writing(command_name(args), [getattr(args, n, None) for n in getattr(args, "inputs", ())]):
            return int(args.func(args) or 0)
    except TopicstanceError as exc:
        print(f"topicstance: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("topicstance: interrupted", file=sys.stderr)
        return 130
