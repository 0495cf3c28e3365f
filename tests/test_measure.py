from dataclasses import replace

import cv2
import numpy as np
import pytest
import scipy.ndimage
import skimage.draw
import skimage.measure

from herbarium_leaves.measure import (
    MeasureSpec,
    analysis_shape,
    convex_area_px,
    feret_length_width,
    filled_area_px,
    in_sheet_px,
    label_leaves,
    measure_leaves,
    measured_leaves,
    mirror_symmetry,
    predicted_leaves,
    rectangularity,
    shape_moments,
    shared_outline_fraction,
)


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


def _ellipse_labels(shape=(300, 300), scale=1):
    labels = np.zeros(shape, np.uint16)
    rows, cols = skimage.draw.ellipse(100 * scale, 100 * scale, 30 * scale, 80 * scale, rotation=0.4)
    labels[rows, cols] = 1
    rows, cols = skimage.draw.ellipse(220 * scale, 200 * scale, 25 * scale, 50 * scale)
    labels[rows, cols] = 2
    return labels


def test_traits_of_an_ellipse_in_px_and_mm():
    traits = measure_leaves(_ellipse_labels(), px_per_mm=2.0)
    first = traits.iloc[0]
    assert first["length_px"] == pytest.approx(160, rel=0.02) and first["width_px"] == pytest.approx(60, rel=0.03)
    assert first["length_mm"] == pytest.approx(first["length_px"] / 2)
    assert first["area_mm2"] == pytest.approx(first["area_px"] / 4)
    assert first["area_px"] == pytest.approx(np.pi * 80 * 30, rel=0.02)
    assert first["solidity"] == pytest.approx(1.0, abs=0.02)
    assert first["circularity"] == pytest.approx(
        4 * np.pi * np.pi * 80 * 30 / (2 * np.pi * np.sqrt((80**2 + 30**2) / 2)) ** 2, rel=0.08
    )
    assert first["aspect_ratio"] == pytest.approx(160 / 60, rel=0.04)
    assert first["eccentricity"] == pytest.approx(np.sqrt(1 - (30 / 80) ** 2), abs=0.02)


def test_traits_without_a_scale_are_in_px_only():
    traits = measure_leaves(_ellipse_labels(), px_per_mm=None)
    assert traits["length_mm"].isna().all() and traits["px_per_mm"].isna().all()
    assert traits["length_px"].notna().all()


def test_components_below_the_minimum_size_are_dropped():
    mask = _ellipse_labels() > 0
    mask[5:8, 5:8] = True  # 9 px = 2.25 mm² at 2 px/mm
    labels = label_leaves(mask, MeasureSpec(min_area_mm2=5.0), px_per_mm=2.0)
    assert labels.max() == 2 and labels[6, 6] == 0
    assert label_leaves(mask, MeasureSpec(min_area_px=5), px_per_mm=None).max() == 3


def test_hole_filling_and_touching_leaves_split():
    labels = _ellipse_labels()
    mask = labels > 0
    mask[95:105, 95:105] = False  # an insect hole
    filled = label_leaves(mask, MeasureSpec(fill_holes=True), 2.0)
    assert (filled > 0)[100, 100]
    touching = np.zeros((100, 200), bool)
    for centre in (60, 130):
        rows, cols = skimage.draw.disk((50, centre), 36)
        touching[rows, cols] = True
    assert label_leaves(touching, MeasureSpec(), 1.0).max() == 1
    assert label_leaves(touching, MeasureSpec(split_touching=True, split_min_distance_mm=20), 1.0).max() == 2


def test_damage_cues_holes_border_and_a_pale_fold():
    labels = _ellipse_labels()
    labels[95:106, 95:106] = 0  # an 11 x 11 px insect hole in leaf 1
    labels[labels == 2] = 0
    labels[:40, 250:300] = 2  # a leaf cut by the image's top edge
    image = np.full((*labels.shape, 3), 100, np.uint8)
    image[labels == 1] = (60, 80, 40)
    fold = (labels == 1) & (np.arange(300)[None, :] > 140)  # its tip folded over: the paler underside shows
    image[fold] = (110, 130, 80)
    traits = measure_leaves(labels, px_per_mm=2.0, image=image).set_index("leaf_id")
    assert traits.loc[1, "hole_fraction"] == pytest.approx(121 / (traits.loc[1, "area_px"] + 121))
    assert traits.loc[2, "hole_fraction"] == 0.0
    assert (traits.loc[1, "touches_edge"], traits.loc[2, "touches_edge"]) == (0.0, 1.0)
    share = np.count_nonzero(fold) / np.count_nonzero(labels == 1)
    assert traits.loc[1, "pale_fraction"] == pytest.approx(share, abs=0.03)
    assert traits.loc[2, "pale_fraction"] == 0.0  # one colour: nothing paler than its median
    assert measure_leaves(labels, px_per_mm=2.0)["pale_fraction"].isna().all()  # no image, no colour cue


@pytest.mark.parametrize("angle", [0, 30, 70])
def test_mirror_symmetry_is_high_for_a_whole_blade_and_drops_with_a_missing_piece(angle):
    blade = np.zeros((700, 700), bool)
    rows, cols = skimage.draw.ellipse(350, 350, 300, 110, blade.shape)  # midrib along the rows
    blade[rows, cols] = True
    # A bite out of one margin, a third of the way along (one at mid-length is symmetric across the short axis).
    bitten = blade.copy()
    rows, cols = skimage.draw.disk((250, 460), 80, shape=blade.shape)
    bitten[rows, cols] = False
    blade, bitten = (scipy.ndimage.rotate(mask, angle, order=0, reshape=False) for mask in (blade, bitten))
    assert mirror_symmetry(blade) > 0.97  # reduced to 256 px across first: a rim of a px or two differs
    assert mirror_symmetry(bitten) < 0.85
    assert np.isnan(mirror_symmetry(np.zeros((5, 5), bool)))


def test_touches_leaf_is_the_share_of_the_outline_on_another_leaf():
    labels = np.zeros((60, 80), np.int32)
    labels[10:30, 10:30] = 1
    labels[10:30, 30:50] = 2  # shares leaf 1's right side
    labels[40:50, 60:70] = 3  # alone
    rim = 4 * 20 - 4
    assert shared_outline_fraction(labels, 1) == pytest.approx(20 / rim)
    assert shared_outline_fraction(labels, 3) == 0.0
    traits = measure_leaves(labels, px_per_mm=None).set_index("leaf_id")
    assert traits.loc[2, "touches_leaf"] == pytest.approx(20 / rim) and traits.loc[3, "touches_leaf"] == 0.0


def test_convex_area_filled_area_centroid_and_eccentricity_are_scikit_images():
    rng = np.random.default_rng(0)
    for _ in range(40):
        mask = np.zeros((70, 80), bool)
        for _ in range(3):  # three overlapping ellipses at any angle, then holes: concave shapes with holes
            centre, radii = rng.integers(20, 50, 2), rng.integers(2, 20, 2)
            rows, cols = skimage.draw.ellipse(*centre, *radii, mask.shape, rotation=rng.uniform(0, np.pi))
            mask[rows, cols] = True
        for _ in range(4):
            rows, cols = skimage.draw.disk(rng.integers(10, 60, 2), rng.integers(1, 5), shape=mask.shape)
            mask[rows, cols] = False
        region = max(skimage.measure.regionprops(skimage.measure.label(mask)), key=lambda r: r.area)
        assert convex_area_px(region.image) == region.area_convex
        assert filled_area_px(region.image) == region.area_filled
        assert shape_moments(region.image) == pytest.approx((*region.centroid_local, region.eccentricity), abs=1e-9)
    assert convex_area_px(np.zeros((4, 4), bool)) == 0


def test_analysis_shape_bounds_the_pixels_but_never_goes_below_the_working_size():
    assert analysis_shape((2000, 1500), (256, 256), 3.0) == (2000, 1500)
    assert analysis_shape((6300, 4200), (256, 256), None) == (6300, 4200)
    height, width = analysis_shape((6300, 4200), (256, 256), 4.0)
    assert height * width <= 4.0e6 and height * width > 3.99e6 and height / width == pytest.approx(1.5, rel=1e-3)
    assert analysis_shape((6300, 4200), (2048, 1365), 1.0) == (2048, 1365)


def test_a_sheet_over_the_limit_is_measured_reduced_and_reported_in_its_own_px():
    labels = _ellipse_labels((1200, 1600), scale=4)
    image = np.full((*labels.shape, 3), (236, 228, 208), np.uint8)
    image[labels > 0] = (96, 110, 60)
    spec = MeasureSpec(max_megapixels=None)
    full = measured_leaves(labels > 0, image, (300, 400), spec, 4.0).traits
    reduced = measured_leaves(labels > 0, image, (300, 400), replace(spec, max_megapixels=0.3), 4.0)
    small, small_labels = reduced.traits, reduced.sheet_labels()
    assert reduced.labels.shape == reduced.image.shape[:2] and reduced.labels.size <= 0.3e6
    assert small_labels.shape == labels.shape and list(small["leaf_id"]) == list(full["leaf_id"]) == [1, 2]
    for column, tolerance in (("length_px", 0.01), ("width_px", 0.015), ("area_px", 0.01), ("perimeter_px", 0.03)):
        np.testing.assert_allclose(small[column], full[column], rtol=tolerance, err_msg=column)
    for column in ("centroid_x_px", "centroid_y_px", "bbox_x0_px", "bbox_y0_px", "bbox_x1_px", "bbox_y1_px"):
        np.testing.assert_allclose(small[column], full[column], atol=3, err_msg=column)
    np.testing.assert_allclose(small["length_mm"], small["length_px"] / 4.0)
    np.testing.assert_allclose(small["area_mm2"], small["area_px"] / 16.0)
    assert (small["px_per_mm"] == 4.0).all()
    assert np.count_nonzero(small_labels == 1) == pytest.approx(small.loc[0, "area_px"], rel=0.01)


def test_traits_in_sheet_px_scale_lengths_once_and_areas_twice():
    traits = measure_leaves(_ellipse_labels(), px_per_mm=None)
    larger = in_sheet_px(traits, (2.0, 2.0), 8.0)
    np.testing.assert_allclose(larger["length_px"], 2 * traits["length_px"])
    np.testing.assert_allclose(larger["area_px"], 4 * traits["area_px"])
    np.testing.assert_allclose(larger["bbox_x1_px"], 2 * traits["bbox_x1_px"])
    np.testing.assert_allclose(larger["centroid_x_px"], 2 * traits["centroid_x_px"] + 0.5)
    np.testing.assert_allclose(larger["length_mm"], traits["length_px"] / 4.0)
    np.testing.assert_allclose(larger["solidity"], traits["solidity"])


def test_a_blank_sheet_over_the_limit_has_no_leaves_and_labels_at_its_own_size():
    blank = np.zeros((2400, 1800), bool)
    found = measured_leaves(
        blank, np.full((*blank.shape, 3), 230, np.uint8), (256, 256), MeasureSpec(max_megapixels=1.0), 5.0
    )
    assert found.traits.empty and list(found.traits.columns) == list(measure_leaves(_ellipse_labels(), 5.0).columns)
    assert found.sheet_labels().shape == blank.shape and not found.sheet_labels().any()


@pytest.mark.parametrize("angle", [0, 10, 30, 45])
def test_rectangularity_is_near_one_for_a_rectangle_at_any_angle_and_pi_over_four_for_an_ellipse(angle):
    rectangle, ellipse = np.zeros((400, 400), np.uint8), np.zeros((400, 400), np.uint8)
    cv2.fillPoly(rectangle, [cv2.boxPoints(((200, 200), (150, 60), angle)).astype(np.int32)], 1)
    cv2.ellipse(ellipse, ((200, 200), (150, 60), angle), 1, -1)
    assert rectangularity(rectangle.astype(np.int32))[1] > 0.95
    assert rectangularity(ellipse.astype(np.int32))[1] == pytest.approx(np.pi / 4, abs=0.02)
    assert rectangularity(np.zeros((5, 5), np.int32)).tolist() == [0.0]


def test_a_label_shaped_part_is_dropped_and_a_leaf_kept_unless_every_part_is_kept():
    mask = np.zeros((300, 400), bool)
    mask[20:100, 30:250] = True  # a label, tab or colour-chart patch
    rows, cols = skimage.draw.ellipse(200, 200, 60, 150, shape=mask.shape)
    mask[rows, cols] = True  # a leaf
    image = np.full((*mask.shape, 3), 240, np.uint8)
    spec = MeasureSpec(refine_outlines=False, min_area_px=10)
    found = predicted_leaves(mask, image, (300, 400), spec, None)
    assert found.max() == 1 and found[200, 200] == 1 and found[50, 100] == 0
    assert predicted_leaves(mask, image, (300, 400), replace(spec, max_rectangularity=1.0), None).max() == 2
