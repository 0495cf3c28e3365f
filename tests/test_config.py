from pathlib import Path

import pytest
import yaml

from herbarium_leaves.config import ConfigError, load_schema, validate_config
from herbarium_leaves.instances import DEFAULT_SEED_THRESHOLD, DEFAULT_WEAK_SEED_THRESHOLD
from herbarium_leaves.outlines import DEFAULT_TIP_REACH

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = load_schema(ROOT / "schemas" / "config.schema.yaml")


def _walk(schema, path=""):
    yield path, schema
    for name, sub in schema.get("properties", {}).items():
        yield from _walk(sub, f"{path}.{name}".lstrip("."))


def test_every_key_is_typed_described_and_defaulted():
    for path, schema in _walk(SCHEMA):
        if not path:
            continue
        assert "type" in schema, path
        assert schema.get("description"), path
        assert "default" in schema, path
        if schema["type"] == "object":
            assert schema.get("additionalProperties") is False, path


def test_empty_config_gets_every_default():
    config = validate_config({}, SCHEMA)
    assert config["data"]["source"] == "synthetic"
    assert config["data"]["synthetic"]["n_train"] == 16
    assert config["resize"]["mode"] == "fixed"


def test_the_packages_defaults_are_the_schemas():
    config = validate_config({}, SCHEMA)
    assert config["instances"]["seed_threshold"] == DEFAULT_SEED_THRESHOLD
    assert config["instances"]["weak_seed_threshold"] == DEFAULT_WEAK_SEED_THRESHOLD
    assert config["measure"]["refine_tip_reach"] == DEFAULT_TIP_REACH


def test_defaults_are_copies_not_shared():
    first = validate_config({}, SCHEMA)
    first["data"]["synthetic"]["seed"] = 99
    assert validate_config({}, SCHEMA)["data"]["synthetic"]["seed"] == 0


@pytest.mark.parametrize(
    "name", ["config.yaml", *sorted(f"presets/{p.name}" for p in (ROOT / "presets").glob("*.yaml"))]
)
def test_shipped_configs_validate(name):
    validate_config(yaml.safe_load((ROOT / name).read_text()), SCHEMA)


def test_paper_preset_is_the_papers_setup():
    config = validate_config(yaml.safe_load((ROOT / "presets/paper.yaml").read_text()), SCHEMA)
    assert (config["resize"]["height"], config["resize"]["width"], config["resize"]["mode"]) == (512, 512, "fixed")
    assert config["model"]["encoder"] == "resnet101"
    assert (config["train"]["batch_size"], config["train"]["epochs"]) == (3, 100)
    assert (config["train"]["learning_rate"], config["train"]["loss"]) == (1e-4, "bce")


def test_tiled_preset_works_above_patch_size():
    config = validate_config(yaml.safe_load((ROOT / "presets/tiled.yaml").read_text()), SCHEMA)
    assert config["resize"]["long_side"] > config["patch"]["size"]
    assert config["patch"]["stride"] < config["patch"]["size"]


def test_unknown_key_is_named():
    with pytest.raises(ConfigError, match=r"config key 'data\.synthetic\.n_trian' is not a known setting"):
        validate_config({"data": {"synthetic": {"n_trian": 3}}}, SCHEMA)


def test_unknown_top_level_key_is_named():
    with pytest.raises(ConfigError, match=r"config key 'resise' is not a known setting"):
        validate_config({"resise": {}}, SCHEMA)


def test_wrong_type_is_named():
    with pytest.raises(ConfigError, match=r"config key 'data\.synthetic\.n_train': 'many' is not of type 'integer'"):
        validate_config({"data": {"synthetic": {"n_train": "many"}}}, SCHEMA)


def test_out_of_range_is_named():
    with pytest.raises(ConfigError, match=r"config key 'data\.split\.test_fraction': 1\.5"):
        validate_config({"data": {"split": {"test_fraction": 1.5}}}, SCHEMA)


def test_bad_choice_is_named():
    with pytest.raises(ConfigError, match=r"config key 'resize\.mode': 'stretch' is not one of"):
        validate_config({"resize": {"mode": "stretch"}}, SCHEMA)
