"""topicstance.project_root(): the notebooks' way to find the pipeline outputs from any working directory."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import topicstance
from topicstance.paths import ENV_VAR, ProjectNotFoundError, project_root

ROOT = Path(__file__).resolve().parents[2]


def _fake_project(base: Path) -> Path:
    base.mkdir(parents=True, exist_ok=True)
    (base / "dvc.yaml").write_text("stages: {}\n", encoding="utf-8")
    (base / "pyproject.toml").write_text("[project]\nname = 'x'\n", encoding="utf-8")
    return base


def test_exported_lazily_from_the_package():
    assert topicstance.project_root is project_root


def test_from_the_checkout_and_its_subfolders(monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    for d in (ROOT, ROOT / "notebooks", ROOT / "src" / "topicstance"):
        monkeypatch.chdir(d)
        assert project_root() == ROOT
    assert project_root(ROOT / "tests" / "notebooks") == ROOT
    assert project_root(ROOT / "notebooks" / "01-corpus.ipynb") == ROOT  # a file: its folder


def test_from_another_directory_without_the_variable(tmp_path, monkeypatch):
    """Outside any project, the editable install's checkout is the answer."""
    monkeypatch.delenv(ENV_VAR, raising=False)
    monkeypatch.chdir(tmp_path)
    assert project_root() == ROOT
    assert project_root().is_absolute()


def test_the_variable_wins(tmp_path, monkeypatch):
    other = _fake_project(tmp_path / "other")
    inside = _fake_project(tmp_path / "here") / "deep" / "er"
    inside.mkdir(parents=True)
    monkeypatch.chdir(inside)
    monkeypatch.setenv(ENV_VAR, str(other))
    assert project_root() == other.resolve()
    monkeypatch.setenv(ENV_VAR, str(ROOT))
    assert project_root() == ROOT
    monkeypatch.setenv(ENV_VAR, "")  # empty means unset
    assert project_root() == (tmp_path / "here").resolve()


def test_a_bad_variable_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "nowhere"))
    with pytest.raises(ProjectNotFoundError, match=ENV_VAR):
        project_root()


def test_walks_up_to_the_nearest_project(tmp_path, monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    proj = _fake_project(tmp_path / "proj")
    sub = proj / "notebooks" / "drafts"
    sub.mkdir(parents=True)
    monkeypatch.chdir(sub)
    assert project_root() == proj.resolve()
    # both markers are needed: dvc.yaml alone is not a topicstance project
    (tmp_path / "half").mkdir()
    (tmp_path / "half" / "dvc.yaml").write_text("stages: {}\n", encoding="utf-8")
    assert project_root(tmp_path / "half") == ROOT


def test_nothing_found_says_to_set_the_variable(tmp_path, monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    fake_pkg = tmp_path / "site-packages" / "topicstance" / "__init__.py"
    fake_pkg.parent.mkdir(parents=True)
    fake_pkg.write_text("", encoding="utf-8")
    monkeypatch.setattr(topicstance, "__file__", str(fake_pkg))  # as if installed, not from a checkout
    with pytest.raises(ProjectNotFoundError, match=ENV_VAR) as exc:
        project_root(tmp_path)
    assert isinstance(exc.value, FileNotFoundError)


@pytest.mark.parametrize("with_variable", [False, True], ids=["unset", "set"])
def test_in_a_fresh_process_from_a_tmp_dir(tmp_path, with_variable):
    env = os.environ.copy()
    env.pop(ENV_VAR, None)
    if with_variable:
        env[ENV_VAR] = str(ROOT)
    r = subprocess.run([sys.executable, "-c", "import topicstance; print(topicstance.project_root())"],
                       cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert Path(r.stdout.strip()) == ROOT
