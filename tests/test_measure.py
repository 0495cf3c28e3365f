import numpy as np
import pytest
import skimage.draw

from herbarium_leaves.measure import feret_length_width


def test_empty_mask_measures_zero():
    assert feret_length_width(np.zeros((5, 5), bool)) == (0.0, 0.0)


def test_axis_aligned_rectangle():
    mask = np.zeros((100, 200), bool)
    mask[20:50, 30:150] = True  # 120 x 30 px
    length, width = feret_length_width(mask)
    diagonal = np.hypot(120, 30)  # the longest diameter of a rectangle is its diagonal
    assert length == pytest.approx(diagonal, abs=1.5)
    assert width == pytest.approx(2 * 120 * 30 / diagonal, abs=1.5)  # both other corners' distance from it


@pytest.mark.parametrize("angle", [0, 30, 75])
def test_rotated_rectangle(angle):
    corners = np.array([[-80, -20], [80, -20], [80, 20], [-80, 20]], float)
    c, s = np.cos(np.deg2rad(angle)), np.sin(np.deg2rad(angle))
    corners = corners @ np.array([[c, s], [-s, c]]) + 150
    rows, cols = skimage.draw.polygon(corners[:, 1], corners[:, 0], (300, 300))
    mask = np.zeros((300, 300), bool)
    mask[rows, cols] = True
    # Only the length: across a diagonal, the width swings with the corners' pixelation.
    assert feret_length_width(mask)[0] == pytest.approx(np.hypot(160, 40), abs=1.5)


@pytest.mark.parametrize("angle", [0, 17, 45, 90, 133])
def test_rotated_ellipse(angle):
    rows, cols = skimage.draw.ellipse(200, 200, 50, 120, rotation=np.deg2rad(angle))  # pixel centres inside
    mask = np.zeros((400, 400), bool)
    mask[rows, cols] = True
    length, width = feret_length_width(mask)
    assert length == pytest.approx(240, rel=0.01)
    assert width == pytest.approx(100, rel=0.02)
