import numpy as np
import pytest

from herbarium_leaves.augment import IDENTITY, AugmentSpec, augment_patch, sheet_patches, stream_seed
from herbarium_leaves.instances import training_target
from herbarium_leaves.windows import pad_to_window, sheet_windows, window_starts


def _patch(size=64):
    rng = np.random.default_rng(0)
    image = rng.integers(0, 255, (size, size, 3), dtype=np.uint8)
    mask = np.zeros((size, size), np.uint8)
    mask[10:40, 20:50] = 1
    return image, mask


def test_stream_seed_is_stable_and_keyed():
    assert stream_seed(3, "sheet", 0, 1) == stream_seed(3, "sheet", 0, 1)
    seeds = {stream_seed(s, name, c) for s in (0, 1) for name in ("a", "b") for c in (1, 2)}
    assert len(seeds) == 8


def test_same_stream_same_copy_bit_for_bit():
    image, mask = _patch()
    first = augment_patch(image, mask, AugmentSpec(), 42)
    second = augment_patch(image, mask, AugmentSpec(), 42)
    assert np.array_equal(first[0], second[0]) and np.array_equal(first[1], second[1]) and first[2] == second[2]
    other = augment_patch(image, mask, AugmentSpec(), 43)
    assert not np.array_equal(first[0], other[0])


def test_parameters_are_recorded_and_within_limits():
    image, mask = _patch()
    spec = AugmentSpec(rotation_limit=10, brightness_limit=0.1)
    for seed in range(20):
        out_image, out_mask, parameters = augment_patch(image, mask, spec, seed)
        assert abs(parameters["rotation_deg"]) <= 10 + 1e-6
        assert abs(parameters["brightness"]) <= 0.1 + 1e-6
        assert parameters["contrast"] == 1.0  # contrast is off by default
        assert set(np.unique(out_mask)) <= {0, 1}  # masks are never interpolated
        assert out_image.shape == image.shape


def test_hue_and_saturation_shifts_tint_the_image_not_the_mask():
    image, mask = _patch()
    plain = AugmentSpec(rotation_limit=0, brightness_limit=0, hflip_p=0, vflip_p=0)
    assert augment_patch(image, mask, plain, 5)[2]["hue_shift"] == 0.0  # off by default
    tinted = AugmentSpec(
        rotation_limit=0, brightness_limit=0, hflip_p=0, vflip_p=0, hue_shift_limit=20, saturation_shift_limit=40
    )
    shifts = []
    for seed in range(10):
        out_image, out_mask, parameters = augment_patch(image, mask, tinted, seed)
        assert abs(parameters["hue_shift"]) <= 20 and abs(parameters["saturation_shift"]) <= 40
        assert np.array_equal(out_mask, mask) and not np.array_equal(out_image, image)
        shifts.append(parameters["hue_shift"])
    assert len(set(shifts)) == 10


def test_recorded_flip_matches_the_pixels():
    image, mask = _patch()
    spec = AugmentSpec(rotation_limit=0, brightness_limit=0, hflip_p=0.5, vflip_p=0.0)
    flips = set()
    for seed in range(10):
        _, out_mask, parameters = augment_patch(image, mask, spec, seed)
        expected = mask[:, ::-1] if parameters["hflip"] else mask
        assert np.array_equal(out_mask, expected)
        flips.add(parameters["hflip"])
    assert flips == {True, False}


def test_sheet_patches_cover_windows_and_copies_independently_of_order():
    rng = np.random.default_rng(1)
    image = rng.integers(0, 255, (100, 70, 3), dtype=np.uint8)
    labels = np.zeros((100, 70), np.uint16)
    labels[20:60, 10:50] = 3
    spec = AugmentSpec(copies=2)
    target = training_target(labels, "components", 1)
    patches = list(sheet_patches(image, target, "a", 64, 48, spec, seed=5))
    assert len(patches) == len(sheet_windows(100, 70, 64, 48)) * 3
    row, plain, plain_mask = patches[0]
    assert row["copy"] == 0 and {k: row[k] for k in IDENTITY} == IDENTITY
    assert np.array_equal(plain, image[:64, :64]) and set(np.unique(plain_mask)) == {0, 1}
    list(sheet_patches(image, target, "b", 64, 48, spec, seed=5))  # another sheet drawn first changes nothing
    again = list(sheet_patches(image, target, "a", 64, 48, spec, seed=5))
    assert all(np.array_equal(x[1], y[1]) and x[0] == y[0] for x, y in zip(patches, again, strict=True))


@pytest.mark.parametrize(("length", "window", "stride"), [(100, 64, 48), (64, 64, 32), (30, 64, 64), (257, 128, 100)])
def test_windows_cover_the_side_and_end_at_its_edge(length, window, stride):
    starts = window_starts(length, window, stride)
    covered = np.zeros(max(length, window), bool)
    for start in starts:
        covered[start : start + window] = True
    assert covered[:length].all()
    assert starts[-1] + window == max(length, window)


def test_small_sheet_is_padded_by_reflection():
    image = np.arange(12, dtype=np.uint8).reshape(3, 4)
    padded = pad_to_window(image, 6)
    assert padded.shape == (6, 6) and np.array_equal(padded[:3, :4], image)
    assert padded[3, 0] == image[1, 0]
