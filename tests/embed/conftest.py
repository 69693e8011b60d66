"""all-mpnet-base-v2 on its real weights: the installed parts, assembled once per session into a temporary cache.

Under ``CI=true`` missing parts fail the tests that need them; elsewhere they skip with the install command.
"""
from __future__ import annotations


import pytest

from topicstance.embed.packaged import MPNET
from topicstance.errors import ParamsError

from tests.conftest import missing_input


@pytest.fixture(scope="session")
def mpnet_parts():
    """The paths of the five installed pieces, in order."""
    try:
        parts = MPNET.part_paths()
    except ParamsError as exc:
        parts, why = None, str(exc)
    else:
        missing = [p for p in parts if not p.is_file()]
        why = f"missing {missing[0]}" if missing else ""
    if why:
        missing_input(f"all-mpnet-base-v2 parts not installed ({why}; make install, or {MPNET.reinstall})")
    return parts


@pytest.fixture(scope="session")
def mpnet_xdg(tmp_path_factory, mpnet_parts):
    """An XDG_CACHE_HOME holding the model assembled from the installed parts (done once per session)."""
    root = tmp_path_factory.mktemp("xdg")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XDG_CACHE_HOME", str(root))
        MPNET.path()
    return root


@pytest.fixture
def mpnet(mpnet_xdg, monkeypatch):
    """The verified model folder, with XDG_CACHE_HOME pointing at the session's cache for this test."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(mpnet_xdg))
    return MPNET.target
