import numpy as np
import pytest
import torch

from herbarium_leaves.inference import (
    InferenceSpec,
    blend_weights,
    ensemble_probability,
    pad_sheet,
    predict_sheet,
    sliding_window_probability,
    to_original,
)
from herbarium_leaves.model import ModelSpec, build_model, normalize
from herbarium_leaves.probability import conditional_interior, mask_from_probability, mean_probability
from herbarium_leaves.resize import ResizeSpec

CPU = torch.device("cpu")


class Constant(torch.nn.Module):
    """A model whose logit is the same everywhere."""

    def forward(self, x):
        return torch.full((x.shape[0], 1, *x.shape[2:]), 0.7)


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return build_model(ModelSpec("resnet18", None, 16)).eval()


def _image(height, width, seed=0):
    return np.random.default_rng(seed).integers(0, 255, (height, width, 3), dtype=np.uint8)


def test_one_window_over_the_whole_image_equals_whole_image_inference(model):
    image = _image(64, 64)
    sliding = sliding_window_probability(model, image, InferenceSpec(window=64), CPU)
    with torch.no_grad():
        whole = torch.sigmoid(model(normalize(torch.from_numpy(image[None]))))[0, 0].numpy()
    np.testing.assert_allclose(sliding, whole, atol=1e-6)


@pytest.mark.parametrize("blend", ["gaussian", "uniform"])
@pytest.mark.parametrize("overlap", [0.0, 0.25, 0.5])
def test_constant_model_gives_a_constant_map_without_seams(blend, overlap):
    image = _image(150, 97)
    spec = InferenceSpec(window=64, overlap=overlap, blend=blend, batch_size=3)
    probability = sliding_window_probability(Constant(), image, spec, CPU)
    assert probability.shape == (150, 97)
    np.testing.assert_allclose(probability, 1 / (1 + np.exp(-0.7)), rtol=1e-6)


@pytest.mark.parametrize(("height", "width"), [(101, 67), (33, 199), (64, 64)])
def test_output_has_the_sheets_original_size(model, height, width):
    spec = InferenceSpec(window=32, overlap=0.25, batch_size=4)
    probability = predict_sheet(model, _image(height, width), ResizeSpec("scale", scale=0.6), spec, CPU)
    assert probability.shape == (height, width) and probability.dtype == np.uint8


def test_overlapping_windows_agree_with_whole_image_away_from_borders(model):
    """With full context in every window the blend reproduces the single pass almost everywhere."""
    image = _image(96, 96, seed=3)
    whole = sliding_window_probability(model, image, InferenceSpec(window=96), CPU)
    tiled = sliding_window_probability(model, image, InferenceSpec(window=64, overlap=0.5), CPU)
    assert np.abs(whole - tiled).mean() < 0.1


def test_ensemble_of_one_seed_equals_that_seed(model):
    probability = to_original(
        sliding_window_probability(model, _image(40, 50), InferenceSpec(window=32), CPU), (40, 50)
    )
    assert np.array_equal(mean_probability([probability]), probability)
    sheet = _image(40, 50)
    single = predict_sheet(model, sheet, ResizeSpec("scale", scale=1.0), InferenceSpec(window=32), CPU)
    together = ensemble_probability([model], sheet, ResizeSpec("scale", scale=1.0), InferenceSpec(window=32), CPU)
    assert np.array_equal(single, together)


def test_back_to_full_size_rounds_like_uint8_without_overflow():
    probability = np.array([[0.0, 0.5, 1.0], [0.2, 0.999, 0.0039]], np.float32)
    assert np.array_equal(to_original(probability, (2, 3)), np.rint(probability * 255).astype(np.uint8))
    assert (to_original(np.ones((4, 4), np.float32), (9, 7)) == 255).all()


def test_mean_of_two_maps():
    a, b = np.full((2, 2), 100, np.uint8), np.full((2, 2), 201, np.uint8)
    assert (mean_probability([a, b]) == 150).all()  # 150.5 rounds to even


def test_gaussian_weights_peak_in_the_centre_and_never_vanish():
    weights = blend_weights(64, "gaussian")
    assert weights.shape == (64, 64) and weights.max() == pytest.approx(1.0, abs=1e-3)
    assert weights.min() >= 1e-3 and weights[32, 32] > weights[0, 0]


def test_paper_padding_uses_the_sheet_colour_not_black():
    sheet = np.full((20, 30, 3), (230, 220, 200), np.uint8)
    padded = pad_sheet(sheet, 64, "paper")
    assert padded.shape == (64, 64, 3) and (padded[40:, 40:] == (230, 220, 200)).all()


def test_mask_threshold():
    probability = np.array([[0, 127, 128, 255]], np.uint8)
    assert mask_from_probability(probability, 0.5).tolist() == [[0, 0, 255, 255]]


def test_interior_given_leaf_is_the_share_of_the_leaf_probability_and_zero_off_any_leaf():
    leaf = np.array([0.0, 0.2, 0.5, 0.9], np.float32)
    interior = np.array([0.0, 0.1, 0.5, 0.3], np.float32)
    np.testing.assert_allclose(conditional_interior(leaf, interior), [0.0, 0.5, 1.0, 1 / 3], rtol=1e-6)
    # An interior a little above its leaf (two sigmoids, not one) is still at most certain.
    assert conditional_interior(np.float32([0.4]), np.float32([0.41])).tolist() == [1.0]


class LeafAndInterior(torch.nn.Module):
    """A two-output model (instances: learned): logit 0.7 for leaf, -1.2 for interior, everywhere."""

    def forward(self, x):
        leaf = torch.full((x.shape[0], 1, *x.shape[2:]), 0.7)
        return torch.cat([leaf, torch.full_like(leaf, -1.2)], dim=1)


def test_a_model_with_leaf_and_interior_outputs_gives_leaf_and_interior_given_leaf_at_the_sheets_size():
    image = _image(90, 70)
    spec = InferenceSpec(window=32, overlap=0.5, batch_size=5)
    working = sliding_window_probability(LeafAndInterior(), image, spec, CPU)
    assert working.shape == (90, 70, 2)
    np.testing.assert_allclose(working[0, 0], 1 / (1 + np.exp([-0.7, 1.2])), rtol=1e-6)
    full = predict_sheet(LeafAndInterior(), image, ResizeSpec("scale", scale=0.5), spec, CPU)
    assert full.shape == (90, 70, 2) and full.dtype == np.uint8
    leaf, interior = 1 / (1 + np.exp(-0.7)), 1 / (1 + np.exp(1.2))
    assert (full[..., 0] == round(255 * leaf)).all() and (full[..., 1] == round(255 * interior / leaf)).all()
    together = ensemble_probability([LeafAndInterior()] * 2, image, ResizeSpec("scale", scale=0.5), spec, CPU)
    assert np.array_equal(together, full)
