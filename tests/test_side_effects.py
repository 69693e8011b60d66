"""No global side effects: import sets nothing, threads and devices are the user's, quiet by default,
and the DVC stages run without an activated venv."""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
SETTINGS = ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE", "TOKENIZERS_PARALLELISM",
            "NUMBA_CACHE_DIR", "DISABLE_TELEMETRY", "HF_HUB_DISABLE_TELEMETRY", "OMP_NUM_THREADS",
            "HF_HUB_DISABLE_PROGRESS_BARS", "TRANSFORMERS_VERBOSITY", "TRANSFORMERS_NO_ADVISORY_WARNINGS")


def _clean_env(**extra):
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS}
    env.update(extra)
    return env


def _py(code, **env):
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=_clean_env(**env),
                       cwd=ROOT)
    assert r.returncode == 0, r.stderr[-3000:]
    return r.stdout.strip().splitlines()[-1]


def test_import_sets_no_environment_variable():
    # scikit-learn sets KMP_* variables when it is imported: load the third-party packages first
    code = ("import json, os, numpy, pandas, scipy, sklearn, yaml; before = dict(os.environ); import topicstance; "
            "import topicstance.predict, topicstance.topics.model, topicstance.topics.components, "
            "topicstance.stance.classifier, topicstance.embed.encoder, topicstance.cli; "
            "print(json.dumps(sorted(k for k in set(before) | set(os.environ) if before.get(k) != os.environ.get(k))))")
    assert json.loads(_py(code)) == []


def test_the_command_called_from_python_leaves_the_environment_as_it_was(tmp_path, monkeypatch):
    from topicstance.cli import main

    for k in SETTINGS:
        monkeypatch.delenv(k, raising=False)
    before = dict(os.environ)
    main(["chunk", str(tmp_path / "missing.parquet"), "--out", str(tmp_path / "c.parquet")])
    assert dict(os.environ) == before


def test_numba_cache_is_set_only_when_the_user_has_not(monkeypatch):
    from topicstance._env import ensure_numba_cache

    monkeypatch.setenv("NUMBA_CACHE_DIR", "/somewhere/mine")
    assert ensure_numba_cache() == "/somewhere/mine" and os.environ["NUMBA_CACHE_DIR"] == "/somewhere/mine"
    monkeypatch.delenv("NUMBA_CACHE_DIR")
    monkeypatch.chdir(ROOT)
    assert ensure_numba_cache() == str(ROOT / ".cache" / "numba") == os.environ["NUMBA_CACHE_DIR"]


WATCH_UMAP_IMPORT = """
import json, os, sys

class Watch:  # reports NUMBA_CACHE_DIR at the moment umap is about to be imported, then stops
    def find_spec(self, name, path=None, target=None):
        if name == "umap":
            print(json.dumps({"at_umap_import": os.environ.get("NUMBA_CACHE_DIR"), "after_import": after,
                              "import_changed": changed, "numba_loaded_before": "numba" in sys.modules}))
            sys.stdout.flush()
            os._exit(0)
        return None

sys.meta_path.insert(0, Watch())
import numpy, pandas, scipy, sklearn  # scikit-learn sets KMP_* variables of its own
before = dict(os.environ)
import topicstance, topicstance.topics, topicstance.topics.model, topicstance.topics.components
after = os.environ.get("NUMBA_CACHE_DIR")
changed = sorted(k for k in set(before) | set(os.environ) if before.get(k) != os.environ.get(k))
from topicstance.topics.components import UMAPReducer
UMAPReducer(n_neighbors=3).fit(numpy.random.default_rng(0).random((12, 4)))
print(json.dumps({"error": "umap was never imported"}))
"""


@pytest.mark.parametrize("users", [None, "mine"])
def test_numba_cache_dir_is_set_just_before_umap_is_imported_and_only_when_unset(users, tmp_path):
    """A fresh interpreter, so the import order is the real one."""
    env = {} if users is None else {"NUMBA_CACHE_DIR": str(tmp_path / users)}
    got = json.loads(_py(WATCH_UMAP_IMPORT, **env))
    assert got.get("error") is None, got
    assert got["import_changed"] == []  # import topicstance (and its topics modules) sets nothing
    if users is None:
        assert got["after_import"] is None
        assert got["at_umap_import"] == str(ROOT / ".cache" / "numba")  # the project's cache (cwd is the project)
    else:
        assert got["after_import"] == got["at_umap_import"] == str(tmp_path / "mine")  # the user's own, kept
    assert got["numba_loaded_before"] is False  # numba reads NUMBA_CACHE_DIR when it is imported, after this


@pytest.mark.parametrize("how", ["omp", "torch"])
def test_the_encoder_keeps_the_users_thread_count(how, tmp_path):
    setup = "import torch; torch.set_num_threads(1); " if how == "torch" else "import torch; "
    code = (setup + "from topicstance.embed.encoder import Embedder; "
            f"e = Embedder(cache_dir={str(tmp_path)!r}, precision='float32'); e.encode(['Kyiv said.']); "
            "print(torch.get_num_threads())")
    env = {"OMP_NUM_THREADS": "1"} if how == "omp" else {}
    assert _py(code, **env) == "1"


def _chunks(path: Path) -> Path:
    pd.DataFrame({"chunk_id": ["c0", "c1"], "article_id": ["a", "a"], "position": [0, 1], "char_start": [0, 20],
                  "char_end": [19, 40], "n_tokens": [8, 8],
                  "text": ["Kyiv said on Monday.", "Moscow replied on Tuesday."]}).to_parquet(path)
    return path


def _embed(tmp_path, *args, params="{}\n"):
    (tmp_path / "p.yaml").write_text(params)
    chunks = _chunks(tmp_path / "chunks.parquet")
    return subprocess.run([sys.executable, "-m", "topicstance.cli", *args, "embed", str(chunks), "--out",
                           str(tmp_path / "emb"), "--params", str(tmp_path / "p.yaml")],
                          capture_output=True, text=True, env=_clean_env(TOPICSTANCE_CACHE=str(tmp_path / "c")))


def _model_outside_the_own_encoders(tmp_path) -> Path:
    """A copy of MiniLM whose config names the tanh GELU: not embed/encoders.py's architecture, so
    the model is loaded through transformers' own classes (and their "Loading weights" bar)."""
    from topicstance.embed.model import resolve_model_path

    src = resolve_model_path("all-MiniLM-L6-v2")
    dst = tmp_path / "model"
    shutil.copytree(src, dst)
    cfg = json.loads((dst / "config.json").read_text())
    cfg["hidden_act"] = "gelu_new"
    (dst / "config.json").write_text(json.dumps(cfg))
    return dst


def test_quiet_by_default_and_auto_device_falls_back_to_the_cpu(tmp_path):
    model = _model_outside_the_own_encoders(tmp_path)
    r = _embed(tmp_path, params=f"embed:\n  model: {model}\n")
    assert r.returncode == 0, r.stderr
    assert "Loading weights" not in r.stderr and "embedded 2 chunks" in r.stderr
    meta = json.loads((tmp_path / "emb" / "meta.json").read_text())
    assert meta["device"] == "cpu"  # no GPU on these machines: auto is the CPU


def test_verbose_shows_the_libraries_own_output(tmp_path):
    model = _model_outside_the_own_encoders(tmp_path)
    r = _embed(tmp_path, "-v", params=f"embed:\n  model: {model}\n")
    assert r.returncode == 0, r.stderr
    assert "Loading weights" in r.stderr


def test_an_unavailable_cuda_device_is_a_one_line_error(tmp_path):
    r = _embed(tmp_path, params="embed:\n  device: cuda\n")
    err = r.stderr.strip()
    assert r.returncode == 2 and "\n" not in err and "embed.device" in err and "cuda" in err
    assert not (tmp_path / "emb").exists()


def test_auto_device_resolves_to_cuda_when_torch_sees_a_gpu(monkeypatch):
    """Only the resolved name is checked: nothing runs on CUDA (these machines have none)."""
    import torch

    from topicstance.embed.encoder import Embedder
    from topicstance.embed.model import resolve_device

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert resolve_device("auto") == "cuda" and resolve_device("cuda") == "cuda"
    assert resolve_device("cpu") == "cpu"  # cpu forces the CPU
    assert Embedder(device="auto").device_ == "cuda"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert resolve_device("auto") == "cpu"


def test_every_dvc_stage_runs_through_the_launcher():
    stages = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]
    assert stages and all(" ".join(str(s["cmd"]).split()).startswith("scripts/topicstance ") for s in stages.values())


def test_the_launcher_finds_the_project_venv_from_a_fresh_shell(tmp_path):
    """A fresh shell: PATH without the venv, no VIRTUAL_ENV. The launcher still runs the project's
    .venv python (here a stand-in that reports how it was called)."""
    proj = tmp_path / "proj"
    (proj / "scripts").mkdir(parents=True)
    shutil.copy(ROOT / "scripts" / "topicstance", proj / "scripts" / "topicstance")
    (proj / ".venv" / "bin").mkdir(parents=True)
    fake = proj / ".venv" / "bin" / "python"
    fake.write_text("#!/bin/sh\necho \"venv python $*\"\n")
    fake.chmod(0o755)
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    r = subprocess.run(["sh", "scripts/topicstance", "ingest", "seeds/corpus"], cwd=proj, env=env,
                       capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout.strip() == "venv python -m topicstance.cli ingest seeds/corpus"
    r = subprocess.run([str(ROOT / "scripts" / "topicstance"), "--version"], capture_output=True, text=True,
                       env=dict(os.environ, TOPICSTANCE_PYTHON=sys.executable, PATH="/usr/bin:/bin"))
    assert r.returncode == 0 and r.stdout.startswith("topicstance ")
