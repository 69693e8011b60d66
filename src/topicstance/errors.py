"""User-facing errors: the CLI prints them as one line, without a traceback."""
from __future__ import annotations


class TopicstanceError(Exception):
    """A mistake in user input (a file, a row, a parameter), not a bug."""


class InputError(TopicstanceError):
    """Bad input data: names the file and, where known, the row."""


class ParamsError(TopicstanceError):
    """A bad or unknown parameter in params.yaml or on the command line."""


class ModelFileError(TopicstanceError):
    """A saved model that is missing, changed, or made by another version."""


class OutputError(TopicstanceError):
    """An output path the command may not write: someone else's file, or one of its own inputs."""
