import dataclasses

import pytest
import yaml

from topicstance.errors import ParamsError
from topicstance.params import SECTIONS, Params, load_params, to_dict


def test_params_yaml_holds_the_dataclass_defaults(root):
    committed = yaml.safe_load((root / "params.yaml").read_text())
    assert committed == to_dict(Params())


def test_every_section_is_a_dataclass_with_defaults():
    for name, cls in SECTIONS.items():
        assert dataclasses.is_dataclass(cls)
        cls()  # all fields have defaults


def test_unknown_key_is_rejected_by_name(tmp_path):
    p = tmp_path / "params.yaml"
    p.write_text("ingest:\n  max_char: 10\n")
    with pytest.raises(ParamsError, match=r"ingest\.max_char"):
        load_params(p)


def test_unknown_section_is_rejected(tmp_path):
    p = tmp_path / "params.yaml"
    p.write_text("ingestion:\n  max_chars: 10\n")
    with pytest.raises(ParamsError, match="ingestion"):
        load_params(p)


@pytest.mark.parametrize("text,name", [
    ("chunk:\n  overlap_sentences: -1\n", "chunk.overlap_sentences"),
    ("ingest:\n  dedup_threshold: 1.5\n", "ingest.dedup_threshold"),
    ("embed:\n  precision: half\n", "embed.precision"),
    ("topics:\n  min_cluster_size: 1\n", "topics.min_cluster_size"),
])
def test_out_of_range_values_name_the_parameter(tmp_path, text, name):
    p = tmp_path / "params.yaml"
    p.write_text(text)
    with pytest.raises(ParamsError, match=name.replace(".", r"\.")):
        load_params(p)


def test_missing_file_gives_defaults(tmp_path):
    assert load_params(tmp_path / "nope.yaml") == Params()
