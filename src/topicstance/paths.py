"""Find the project root (the folder holding ``dvc.yaml`` and the pipeline outputs) from anywhere.

Notebooks, scripts and tests call :func:`project_root` instead of assuming a
working directory, so ``jupyter nbconvert --execute`` run from ``notebooks/``
or from any other folder reads the same ``data/``, ``models/`` and ``reports/``.
"""
from __future__ import annotations

import os
from pathlib import Path

from .errors import TopicstanceError

ENV_VAR = "TOPICSTANCE_PROJECT"
MARKERS = ("dvc.yaml", "pyproject.toml")


class ProjectNotFoundError(TopicstanceError, FileNotFoundError):
    """No topicstance project could be located."""


def _is_project(d: Path) -> bool:
    return all((d / m).is_file() for m in MARKERS)


def project_root(start: str | os.PathLike | None = None) -> Path:
    """The topicstance project root, as an absolute path.

    Looked up in this order:

    1. the environment variable ``TOPICSTANCE_PROJECT``, when set (it must name
       a folder that holds ``dvc.yaml``);
    2. ``start`` (default: the current working directory) and each of its
       parents, for the first folder holding both ``dvc.yaml`` and
       ``pyproject.toml``;
    3. the checkout the package is installed from (an editable install:
       ``src/topicstance`` two levels below a folder holding ``dvc.yaml``).

    Raises :class:`ProjectNotFoundError` (a ``FileNotFoundError``) otherwise.
    """
    env = os.environ.get(ENV_VAR, "").strip()
    if env:
        root = Path(env).expanduser().resolve()
        if not (root / "dvc.yaml").is_file():
            raise ProjectNotFoundError(
                f"{ENV_VAR}={env!r} does not name a topicstance project: no dvc.yaml in {root}")
        return root

    here = Path(start if start is not None else Path.cwd()).expanduser().resolve()
    if here.is_file():
        here = here.parent
    for d in (here, *here.parents):
        if _is_project(d):
            return d

    import topicstance

    installed = Path(topicstance.__file__).resolve().parents[2]
    if (installed / "dvc.yaml").is_file():
        return installed

    raise ProjectNotFoundError(
        f"cannot find the topicstance project: no folder holding {' and '.join(MARKERS)} at or above {here}, "
        f"and the installed package ({installed}) is not inside a checkout. "
        f"Set {ENV_VAR} to the project folder (the one with dvc.yaml).")
