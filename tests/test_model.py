import os
import subprocess
import sys

import pytest
import torch

from herbarium_leaves.config import ConfigError
from herbarium_leaves.model import (
    ModelSpec,
    build_model,
    load_initial_weights,
    load_model,
    save_model,
    state_dict_digest,
)
from herbarium_leaves.sheet_io import InputError

SPEC = ModelSpec("resnet18", None, 16)


def test_random_init_is_seeded():
    torch.manual_seed(0)
    first = state_dict_digest(build_model(SPEC))
    torch.manual_seed(0)
    assert state_dict_digest(build_model(SPEC)) == first


@pytest.mark.parametrize("classes", [1, 2])
def test_saved_model_rebuilds_from_its_files_alone(tmp_path, classes):
    spec = ModelSpec("resnet18", None, 16, classes)
    model = build_model(spec)
    save_model(model, spec, tmp_path / "model.pt", tmp_path / "config.json")
    # Loadable with weights_only=True: plain tensors, no pickled code.
    assert isinstance(torch.load(tmp_path / "model.pt", weights_only=True), dict)
    rebuilt = load_model(tmp_path / "model.pt", tmp_path / "config.json")
    assert state_dict_digest(rebuilt) == state_dict_digest(model)
    assert not rebuilt.training
    assert rebuilt(torch.zeros(1, 3, 32, 32)).shape[1] == classes  # leaf (and leaf interior)


@pytest.mark.parametrize("suffix", [".pth", ".safetensors"])
def test_local_encoder_weights_are_loaded(tmp_path, suffix):
    donor = build_model(SPEC)
    path = tmp_path / f"encoder{suffix}"
    if suffix == ".pth":
        torch.save({f"encoder.{k}": v for k, v in donor.encoder.state_dict().items()}, path)
    else:
        from safetensors.torch import save_file

        save_file({k: v.contiguous() for k, v in donor.encoder.state_dict().items()}, str(path))
    model = build_model(ModelSpec("resnet18", str(path), 16))
    for key, value in donor.encoder.state_dict().items():
        assert torch.equal(model.encoder.state_dict()[key], value), key


def test_missing_corrupt_and_foreign_weights_name_the_file(tmp_path):
    with pytest.raises(InputError, match=r"nothere\.pth: weights file not found"):
        build_model(ModelSpec("resnet18", str(tmp_path / "nothere.pth"), 16))
    corrupt = tmp_path / "corrupt.pth"
    corrupt.write_bytes(b"\x80\x02 not a torch file")
    with pytest.raises(InputError, match=r"corrupt\.pth: not a readable weights file"):
        build_model(ModelSpec("resnet18", str(corrupt), 16))
    foreign = tmp_path / "resnet34.pth"
    torch.save(build_model(ModelSpec("resnet34", None, 16)).encoder.state_dict(), foreign)
    with pytest.raises(InputError, match=r"resnet34\.pth: does not fit encoder"):
        build_model(ModelSpec("resnet18", str(foreign), 16))


def test_unknown_encoder_names_the_key():
    with pytest.raises(ConfigError, match=r"config key 'model.encoder': unknown encoder 'resnet9000'"):
        build_model(ModelSpec("resnet9000", None, 16))


def test_imagenet_weights_offline_say_how_to_provide_them():
    """A real download attempt with the hub offline (as on a machine without internet)."""
    code = (
        "from herbarium_leaves.model import build_model, ModelSpec\n"
        "build_model(ModelSpec('resnet18', 'imagenet', 16))\n"
    )
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode != 0
    assert "imagenet weights for resnet18 could not be downloaded" in result.stderr
    assert "set model.encoder_weights to its path" in result.stderr


def test_a_whole_model_file_starts_training_and_a_head_of_other_outputs_starts_fresh(tmp_path):
    torch.manual_seed(0)
    source = build_model(ModelSpec("resnet18", None, 16, 1))
    path = tmp_path / "model.pt"
    torch.save(source.state_dict(), path)
    torch.manual_seed(1)
    same = build_model(ModelSpec("resnet18", None, 16, 1))
    assert load_initial_weights(same, path) == []
    assert state_dict_digest(same) == state_dict_digest(source)
    torch.manual_seed(1)
    two_outputs = build_model(ModelSpec("resnet18", None, 16, 2))
    fresh_head = {key: value.clone() for key, value in two_outputs.state_dict().items() if "segmentation_head" in key}
    skipped = load_initial_weights(two_outputs, path)
    assert skipped and all(key.startswith("segmentation_head.") for key in skipped)
    state = two_outputs.state_dict()
    assert all(torch.equal(state[key], fresh_head[key]) for key in skipped)
    assert torch.equal(state["encoder.conv1.weight"], source.state_dict()["encoder.conv1.weight"])


def test_a_whole_model_file_of_another_architecture_names_the_file(tmp_path):
    path = tmp_path / "other.pt"
    torch.save(build_model(ModelSpec("resnet18", None, 8, 1)).state_dict(), path)
    with pytest.raises(InputError, match=r"other.pt: does not fit this model \(ResNetEncoder DeepLabV3Plus\)"):
        load_initial_weights(build_model(ModelSpec("resnet18", None, 16, 1)), path)
