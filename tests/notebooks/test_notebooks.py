"""The exploration notebooks: committed clean, and each runs end to end with a real Jupyter kernel.

Each notebook is executed the way a researcher would run it headless:
``jupyter nbconvert --to notebook --execute`` with ``notebooks/`` as the working
directory, in a fresh kernel of the ``python3`` kernelspec, against the seed
pipeline's outputs (``project_outputs``). The notebooks find those outputs with
``topicstance.project_root()``, so ``TOPICSTANCE_PROJECT`` is removed from the
kernel's environment to prove they need no help. Notebook 05 reads a
``topicstance run`` over the press releases instead: the ``press_release_run``
slice, named by ``TOPICSTANCE_RUN``.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK_DIR = ROOT / "notebooks"
EXPECTED = ["01-corpus.ipynb", "02-topics.ipynb", "03-stance.ipynb", "04-topics-x-stance.ipynb",
            "05-press-releases.ipynb"]
RUN_NOTEBOOKS = {"05-press-releases.ipynb": "press_release_run"}  # notebook -> fixture giving its TOPICSTANCE_RUN
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
TIMEOUT = 300  # seconds per notebook (2 shared cores)
VENV_PREFIX = Path(sys.prefix)
REINSTALL = f"{sys.executable} -m ipykernel install --sys-prefix"


def _jupyter() -> list[str]:
    """This interpreter's own jupyter (the venv's), never one found elsewhere on PATH."""
    script = Path(sys.executable).parent / "jupyter"
    return [str(script)] if script.exists() else [sys.executable, "-m", "jupyter"]


def _kernel_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = os.environ.copy()
    env.pop("TOPICSTANCE_PROJECT", None)  # the notebooks must find the project on their own
    env.pop("TOPICSTANCE_RUN", None)
    env.update(extra or {})
    env.pop("MPLBACKEND", None)  # let ipykernel use its inline backend, so figures are rendered
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    # the venv's kernelspecs first, ahead of any user-level `python3` pointing at another interpreter
    env["JUPYTER_PATH"] = os.pathsep.join(p for p in [str(VENV_PREFIX / "share" / "jupyter"),
                                                      env.get("JUPYTER_PATH", "")] if p)
    env.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    return env


@pytest.fixture(scope="session")
def venv_kernel() -> str:
    """Make sure the `python3` kernelspec starts this venv's interpreter; install it into the venv if missing."""
    spec_file = VENV_PREFIX / "share" / "jupyter" / "kernels" / "python3" / "kernel.json"
    if not spec_file.exists():
        subprocess.run([sys.executable, "-m", "ipykernel", "install", "--sys-prefix"], check=True,
                       capture_output=True, text=True, timeout=120)
    argv0 = json.loads(spec_file.read_text(encoding="utf-8"))["argv"][0]
    # jupyter_client replaces a bare `python`/`python3` with the interpreter running jupyter (the venv's)
    ok = argv0 in {"python", "python3", f"python{sys.version_info[0]}.{sys.version_info[1]}"} or \
        Path(argv0).resolve() == Path(sys.executable).resolve() or \
        str(Path(argv0)).startswith(str(VENV_PREFIX))
    assert ok, f"{spec_file} starts {argv0!r}, not this venv's python: run `{REINSTALL}`"
    return "python3"


def _execute(nb_path: Path, out_dir: Path, kernel: str,
             env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    cmd = _jupyter() + ["nbconvert", "--to", "notebook", "--execute",
                        f"--ExecutePreprocessor.kernel_name={kernel}",
                        f"--ExecutePreprocessor.timeout={TIMEOUT}",
                        "--output-dir", str(out_dir), nb_path.name]
    return subprocess.run(cmd, cwd=nb_path.parent, env=_kernel_env(env), capture_output=True, text=True,
                          timeout=TIMEOUT + 120)


def test_the_five_notebooks_exist_in_reading_order():
    assert [p.name for p in NOTEBOOKS] == EXPECTED


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_committed_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert nb.nbformat == 4
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3", "notebooks use the python3 kernelspec"
    dirty = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and (c.outputs or c.execution_count is not None)]
    assert not dirty, f"{path.name}: cells {dirty} carry outputs or execution counts; clear them before committing"
    assert not nb.metadata.get("widgets"), f"{path.name}: widget state is an output too"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_reads_outputs_through_the_package(path):
    """No pipeline logic and no hard-coded paths: the project is found by topicstance.project_root()."""
    src = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code")
    assert "project_root()" in src
    assert str(ROOT) not in src and "/work/" not in src
    for refit in ("umap.UMAP(", "UMAP(", "HDBSCAN(", ".fit(", "fit_transform("):
        assert refit not in src, f"{path.name} refits a model ({refit}); notebooks read precomputed outputs"


def test_python3_kernel_is_this_venv(tmp_path, venv_kernel):
    probe = nbformat.v4.new_notebook()
    probe.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    probe.cells = [nbformat.v4.new_code_cell("import sys, topicstance; print(sys.prefix); print(topicstance.__file__)")]
    src = tmp_path / "in"
    src.mkdir()
    nbformat.write(probe, src / "probe.ipynb")
    r = _execute(src / "probe.ipynb", tmp_path / "out", venv_kernel)
    assert r.returncode == 0, r.stderr[-3000:]
    out = nbformat.read(tmp_path / "out" / "probe.ipynb", as_version=4)
    prefix, pkg = out.cells[0].outputs[0]["text"].split()
    assert Path(prefix).resolve() == VENV_PREFIX.resolve(), f"kernel runs {prefix}, not {VENV_PREFIX}: run `{REINSTALL}`"
    assert Path(pkg).resolve().is_relative_to(ROOT)


@pytest.mark.pipeline
@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_executes(path, venv_kernel, tmp_path, request):
    env = {}
    if path.name in RUN_NOTEBOOKS:
        env["TOPICSTANCE_RUN"] = str(request.getfixturevalue(RUN_NOTEBOOKS[path.name]))
    else:
        request.getfixturevalue("project_outputs")
    r = _execute(path, tmp_path, venv_kernel, env)
    assert r.returncode == 0, f"{path.name} failed to execute:\n{r.stderr[-6000:]}"
    done = nbformat.read(tmp_path / path.name, as_version=4)
    code = [c for c in done.cells if c.cell_type == "code"]
    assert all(c.execution_count is not None for c in code), "every code cell ran"
    errors = [o for c in code for o in c.outputs if o.output_type == "error"]
    assert not errors, errors[0].get("evalue") if errors else ""
    images = [o for c in code for o in c.outputs if "image/png" in o.get("data", {})]
    assert images, f"{path.name} rendered no figure"
    # the source notebook is untouched by the run
    assert not any(c.outputs for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code")
