"""The user docs name what the code has: every topics parameter and every CLI command."""
import argparse
import dataclasses
import re
from pathlib import Path

from topicstance.cli import build_parser
from topicstance.params import TopicsParams

DOCS = Path(__file__).resolve().parents[1] / "docs"


def test_every_topics_parameter_is_in_the_topics_doc():
    text = (DOCS / "topics.md").read_text(encoding="utf-8")
    missing = [f.name for f in dataclasses.fields(TopicsParams) if f"`{f.name}`" not in text]
    assert missing == []


def _commands(parser, prefix=()):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _commands(sub, prefix + (name,))
            return
    yield " ".join(prefix)


def test_every_cli_command_is_in_the_cli_doc():
    text = (DOCS / "cli.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"`topicstance ([a-z][a-z -]*?)(?= [A-Z\[-]|`)", text))
    commands = set(_commands(build_parser()))
    assert commands and commands <= {c.strip() for c in documented}


def test_every_other_parameter_is_in_the_params_doc():
    from topicstance.params import SECTIONS

    text = (DOCS / "params.md").read_text(encoding="utf-8")
    missing = [f"{sec}.{f.name}" for sec, cls in SECTIONS.items() if sec != "topics"
               for f in dataclasses.fields(cls) if f"`{f.name}`" not in text]
    assert missing == []
