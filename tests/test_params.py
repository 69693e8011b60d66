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
    ("stance:\n  target_weight: 0\n", "stance.target_weight"),
    ("stance:\n  embedding_weight: -1\n", "stance.embedding_weight"),
    ("stance:\n  hashtags: remove\n", "stance.hashtags"),
])
def test_out_of_range_values_name_the_parameter(tmp_path, text, name):
    p = tmp_path / "params.yaml"
    p.write_text(text)
    with pytest.raises(ParamsError, match=name.replace(".", r"\.")):
        load_params(p)


def test_a_params_file_that_does_not_exist_is_an_error(tmp_path):
    with pytest.raises(ParamsError, match=r"nope\.yaml: params file not found"):
        load_params(tmp_path / "nope.yaml")


def test_no_params_and_no_params_yaml_here_gives_the_defaults(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert load_params(None) == Params()
    (tmp_path / "params.yaml").write_text("chunk:\n  max_tokens: 64\n")
    assert load_params(None).chunk.max_tokens == 64  # ./params.yaml when it exists


def test_a_mistyped_params_path_on_the_command_line_is_a_one_line_error(tmp_path, capsys):
    from topicstance.cli import main

    rc = main(["chunk", "x.parquet", "--out", str(tmp_path / "c.parquet"), "--params", str(tmp_path / "parms.yaml")])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and err.endswith("parms.yaml: params file not found") and "\n" not in err


def _defaults(cls) -> dict:
    import inspect

    return {k: v.default for k, v in inspect.signature(cls.__init__).parameters.items()
            if v.default is not inspect.Parameter.empty}


def test_estimator_defaults_are_the_params_defaults():
    from topicstance.embed.encoder import Embedder
    from topicstance.params import EmbedParams, StanceParams, TopicsParams
    from topicstance.stance.classifier import StanceClassifier
    from topicstance.topics.model import TopicModel

    checked = 0
    for cls, sections in ((StanceClassifier, (StanceParams(), EmbedParams())), (TopicModel, (TopicsParams(),)),
                          (Embedder, (EmbedParams(),))):
        for name, default in _defaults(cls).items():
            if name == "aliases":  # None stands for stance.aliases' default (a dict default would be shared)
                assert default is None
                continue
            if name == "overrides":  # the model takes the Overrides read from the file topics.overrides names
                continue
            for sec in sections:
                if hasattr(sec, name):
                    want = getattr(sec, name)
                    assert default == want or (isinstance(want, tuple) and tuple(default) == want), \
                        (cls.__name__, name, default, want)
                    checked += 1
                    break
    assert checked >= 30


def test_prevalence_estimator_defaults_are_the_prevalence_params_defaults():
    from topicstance.params import PrevalenceParams
    from topicstance.stance.prevalence import StancePrevalence

    defaults, section = _defaults(StancePrevalence), PrevalenceParams()
    assert defaults  # every constructor parameter has a default, and each is prevalence's own
    for name, default in defaults.items():
        assert hasattr(section, name), name
        assert default == getattr(section, name), (name, default, getattr(section, name))
    assert StancePrevalence().sources == ("seed",)


def test_one_list_of_stance_methods():
    from topicstance.cli import build_parser
    from topicstance.stance import METHODS
    from topicstance.params import StanceParams

    for m in METHODS:
        assert StanceParams(method=m).method == m
    with pytest.raises(ParamsError, match="stance.method"):
        StanceParams(method="bert")
    train = build_parser()._subparsers._group_actions[0].choices["stance"]
    train = train._subparsers._group_actions[0].choices["train"]
    method = next(a for a in train._actions if a.dest == "method")
    assert tuple(method.choices) == METHODS


def test_the_stance_train_stage_lists_every_parameter_the_classifier_is_built_from(root):
    """dvc repro retrains when any stance or embed value that from_params hands the classifier changes."""
    from topicstance.params import EmbedParams, StanceParams
    from topicstance.stance.classifier import StanceClassifier

    stage = yaml.safe_load((root / "dvc.yaml").read_text())["stages"]["stance_train"]
    listed = {p for p in stage["params"] if isinstance(p, str)}
    used = set(StanceClassifier.from_params(StanceParams(), EmbedParams()).get_params())
    # not in the stage on purpose: how fast vectors are made, where they are cached, logging
    runtime = {"batch_size", "cache_dir", "verbose"}
    want = {f"stance.{n}" for n in used if hasattr(StanceParams(), n)} | {
        f"embed.{n}" for n in used if hasattr(EmbedParams(), n) and not hasattr(StanceParams(), n)}
    missing = {w for w in want if w.split(".", 1)[1] not in runtime and w not in listed
               and w.split(".", 1)[0] not in listed}
    assert used >= {"target_weight", "embedding_weight", "hashtags"} and not missing, sorted(missing)
