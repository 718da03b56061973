import pytest

from zhner.cli import main
from zhner.config import ConfigError, load_config


def test_recipe_and_dotted_overrides(tmp_path):
    path = tmp_path / "r.toml"
    path.write_text('[model]\nencoder = "idcnn"\nidcnn_dilations = [1, 2]\n[train]\nepochs = 3\n')
    cfg = load_config(path, {"train.epochs": "5", "train.lr": "1e-3", "model.rope": "false"})
    assert (cfg.model.encoder, cfg.model.idcnn_dilations, cfg.train.epochs) == ("idcnn", [1, 2], 5)
    assert cfg.train.lr == 1e-3 and cfg.model.rope is False


@pytest.mark.parametrize("text,overrides,message", [
    ("[model]\nencodr = 'x'\n", {}, "unknown key model.encodr"),
    ("[modle]\n", {}, "unknown section"),
    ("[train]\nepochs = 'many'\n", {}, "expected int"),
    ("", {"train.epochs": "many"}, "cannot read"),
    ("", {"model.head": "tree"}, "choose from"),
    ("", {"nosection": "1"}, "expected --section.key"),
    ("[model\n", {}, "r.toml"),
    ("[model]\nhead = 'globalpointer'\npos_weight_by_type = [2.0]\n", {}, "expected a table"),
    ("", {"model.head": "globalpointer", "model.pos_weight_by_type": "{PER = 0}"}, "must be > 0"),
    ("", {"model.head": "crf", "model.pos_weight_by_type": "{PER = 2.0}"}, "GlobalPointer heads"),
    ("", {"model.postag_dim": "8", "model.segmenter": "lexicon"}, "parts of speech"),
    ("", {"model.postag_dim": "8", "model.level": "word"}, "postag_dim"),
    ("", {"train.ema": "1"}, "train.ema"),
    ("", {"train.adversarial": "-1"}, "train.adversarial"),
    ("", {"train.epochs": "0"}, "train.epochs"),
    ("", {"train.min_steps": "-5"}, "train.min_steps"),
])
def test_bad_configs_fail_fast(tmp_path, text, overrides, message):
    path = tmp_path / "r.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_config(path, overrides)


def test_per_type_weights_from_toml_and_command_line(tmp_path):
    path = tmp_path / "r.toml"
    path.write_text('[model]\nhead = "globalpointer"\npos_weight_by_type = {"品牌" = 2, PER = 0.5}\n')
    assert load_config(path).model.pos_weight_by_type == {"品牌": 2.0, "PER": 0.5}
    cfg = load_config(path, {"model.pos_weight_by_type": '{LOC = 3.0}'})
    assert cfg.model.pos_weight_by_type == {"LOC": 3.0}


def test_cli_rejects_unknown_override(tmp_path, capsys):
    assert main(["train", "--train.epoch", "3"]) == 1
    assert "unknown key train.epoch" in capsys.readouterr().err


def test_all_shipped_recipes_are_valid():
    from pathlib import Path
    recipes = sorted((Path(__file__).parents[1] / "configs").glob("*.toml"))
    assert recipes
    for recipe in recipes:
        load_config(recipe)
