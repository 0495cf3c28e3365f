import cv2
import numpy as np
import pytest

from herbarium_leaves import petiole
from herbarium_leaves.measure import measure_leaves
from herbarium_leaves.petiole import PETIOLE_MAX_WIDTH_MM, petiole_length_px

PAPER, BLADE, STALK = (240, 236, 226), (60, 110, 50), (90, 84, 44)


def _leaf(stalk_end=(100, 180), stem=False):
    """A green blade on cream paper with a brown stalk 3 px wide leaving it downwards (40 px), maybe into a stem."""
    image = np.full((220, 200, 3), PAPER, np.uint8)
    cv2.ellipse(image, (100, 80), (40, 60), 0, 0, 360, BLADE, -1)
    if stalk_end:
        cv2.line(image, (100, 140), stalk_end, STALK, 3)
    if stem:
        cv2.line(image, (20, 180), (180, 180), STALK, 3)  # a stem the petiole joins
    labels = np.zeros((220, 200), np.uint16)
    cv2.ellipse(labels, (100, 80), (40, 60), 0, 0, 360, 1, -1)
    return image, labels


def _petiole(image, labels, max_width_px=6.0):
    lab = cv2.cvtColor(image, cv2.COLOR_RGB2LAB).astype(np.float32)
    return petiole_length_px(labels == 1, np.zeros(labels.shape, bool), lab, max_width_px)


def test_a_petiole_is_measured_from_the_blade_to_its_end():
    assert _petiole(*_leaf()) == pytest.approx(40, abs=3)
    assert _petiole(*_leaf((130, 178))) == pytest.approx(np.hypot(30, 38), abs=3)


def test_a_petiole_ends_where_it_meets_a_stem():
    assert _petiole(*_leaf(stem=True)) == pytest.approx(40, abs=5)


def test_no_stalk_or_a_stub_gives_no_petiole():
    assert np.isnan(_petiole(*_leaf(stalk_end=None)))
    assert np.isnan(_petiole(*_leaf((100, 146))))  # 6 px: a stub, under twice the width limit


def test_a_stalk_wider_than_the_limit_is_not_a_petiole():
    image, labels = _leaf(stalk_end=None)
    cv2.line(image, (100, 140), (100, 200), STALK, 11)
    assert np.isnan(_petiole(image, labels))


def test_traits_carry_the_petiole_in_px_and_mm_only_with_a_scale():
    image, labels = _leaf()
    px_per_mm = 2.0  # the 3 mm limit is 6 px
    assert PETIOLE_MAX_WIDTH_MM * px_per_mm == 6.0
    traits = measure_leaves(labels, px_per_mm, image).iloc[0]
    assert traits["petiole_length_px"] == pytest.approx(40, abs=3)
    assert traits["petiole_length_mm"] == pytest.approx(traits["petiole_length_px"] / 2)
    assert traits["length_px"] == pytest.approx(120, abs=2)  # the blade alone
    assert np.isnan(measure_leaves(labels, None, image).iloc[0]["petiole_length_px"])


def test_a_fine_scan_is_traced_reduced_as_at_its_own_resolution(monkeypatch):
    image, labels = _leaf()
    factor = 6  # 12 px/mm: traced at half resolution (PETIOLE_PX_PER_MM), the length given back in full px
    fine_image = cv2.resize(image, None, fx=factor, fy=factor, interpolation=cv2.INTER_NEAREST)
    fine_labels = cv2.resize(labels, None, fx=factor, fy=factor, interpolation=cv2.INTER_NEAREST)
    reduced = measure_leaves(fine_labels, 2.0 * factor, fine_image).iloc[0]
    monkeypatch.setattr(petiole, "PETIOLE_PX_PER_MM", 100.0)
    full = measure_leaves(fine_labels, 2.0 * factor, fine_image).iloc[0]
    assert reduced["petiole_length_px"] == pytest.approx(full["petiole_length_px"], rel=0.05)
    assert reduced["petiole_length_mm"] == pytest.approx(20, rel=0.15)
