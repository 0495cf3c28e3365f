import cv2
import numpy as np
import scipy.ndimage

from herbarium_leaves.measure import feret_length_width
from herbarium_leaves.outlines import _grow, median_colour, refine_outlines, refine_radius_px
from herbarium_leaves.synthetic import leaf_outline, rasterize_polygon

PAPER, LEAF = (236, 228, 208), (96, 110, 60)


def sheet_with_leaf(shape=(160, 220)):
    """A lanceolate leaf on paper, its true mask, and a prediction that lost its tip and margin (as upsampling does)."""
    outline = leaf_outline("lanceolate", 150.0, 36.0, np.random.default_rng(0)) + np.array([30.0, 80.0])
    truth = rasterize_polygon(outline, shape)
    image = np.empty((*shape, 3), np.uint8)
    image[:] = PAPER
    image[truth.astype(bool)] = LEAF
    image = cv2.GaussianBlur(image, (0, 0), 0.7)
    predicted = cv2.erode(truth, np.ones((3, 3), np.uint8), iterations=2)
    predicted[:, 174:] = 0  # the tip lost
    return image, truth, predicted.astype(np.uint16)


def iou(a, b):
    a, b = a.astype(bool), b.astype(bool)
    return (a & b).sum() / (a | b).sum()


def test_refined_outline_recovers_a_lost_tip_and_margin():
    image, truth, predicted = sheet_with_leaf()
    refined = refine_outlines(predicted, image, 6)
    true_length = feret_length_width(truth)[0]
    assert iou(predicted, truth) < 0.85 and iou(refined, truth) > 0.95
    assert abs(feret_length_width(refined)[0] - true_length) < abs(feret_length_width(predicted)[0] - true_length) / 3


def test_a_petiole_stub_and_another_leaf_are_not_taken():
    image, truth, predicted = sheet_with_leaf()
    image[78:81, 10:31] = LEAF  # a petiole of leaf colour at the base, 3 px wide
    neighbour = np.zeros_like(predicted)
    neighbour[60:100, 180:215] = 2
    image[neighbour.astype(bool)] = LEAF
    labels = np.where(neighbour > 0, neighbour, predicted)
    refined = refine_outlines(labels, image, 6)
    assert not (refined[neighbour > 0] == 1).any()  # never another leaf's pixels
    assert (refined[neighbour > 0] == 2).mean() > 0.98  # it keeps all but its square corners, opened
    assert not (refined[:, :27] == 1).any()  # at most the 3 px next to the blade, never the stalk (even width: no tip)
    assert set(np.unique(refined)) == {0, 1, 2}


def test_a_petiole_in_the_networks_own_mask_goes():
    image, truth, predicted = sheet_with_leaf()
    image[78:81, 5:31] = LEAF  # a petiole at the base, 3 px wide, that the network took for leaf
    predicted[78:81, 5:40] = 1
    refined = refine_outlines(predicted, image, 6)
    assert not (refined[:, :27] == 1).any()
    assert iou(refined, truth) > 0.95


def test_a_tip_lost_beyond_the_radius_is_followed_as_it_narrows():
    image, truth, predicted = sheet_with_leaf()
    predicted[:, 156:] = 0  # 24 px of tip lost, four times the radius
    true_length = feret_length_width(truth)[0]
    near_only = refine_outlines(predicted, image, 6, tip_reach=1)
    followed = refine_outlines(predicted, image, 6, tip_reach=3)
    assert true_length - feret_length_width(near_only)[0] > 15
    assert true_length - feret_length_width(followed)[0] < 8
    assert iou(followed, truth) > iou(near_only, truth)
    assert (followed.astype(bool) & ~truth.astype(bool)).sum() <= 20  # what it takes is the tip's, not the paper's


def test_a_stem_of_another_colour_beside_the_blade_is_not_followed():
    image, truth, predicted = sheet_with_leaf()
    stem = np.zeros(truth.shape, bool)
    stem[60:64, 40:200] = True  # 4 px wide, brown, along the blade's upper margin and beyond its tip
    stem &= ~truth.astype(bool)
    image[stem] = (92, 66, 44)
    refined = refine_outlines(predicted, image, 6, tip_reach=3)
    far = ~cv2.dilate(truth, np.ones((13, 13), np.uint8)).astype(bool)  # more than the radius from the blade
    assert not (refined.astype(bool) & stem & far).any()
    near_only = refine_outlines(predicted, image, 6, tip_reach=1)
    assert (refined.astype(bool) & stem).sum() == (near_only.astype(bool) & stem).sum()


def test_a_leaf_too_narrow_for_a_core_at_the_radius_is_trimmed_to_its_own_colour():
    truth = np.zeros((60, 80), np.uint8)
    cv2.ellipse(truth, (40, 30), (14, 2), 20, 0, 360, 1, -1)  # 5 px wide
    image = np.empty((60, 80, 3), np.uint8)
    image[:] = PAPER
    image[truth.astype(bool)] = LEAF
    image = cv2.GaussianBlur(image, (0, 0), 1.0)
    predicted = cv2.dilate(truth, np.ones((3, 3), np.uint8)).astype(np.uint16)  # 7 px: no core at radius 4
    refined = refine_outlines(predicted, image, 4)
    assert iou(predicted, truth) < 0.65 and iou(refined, truth) > 0.9
    assert not (refined & ~predicted.astype(bool)).any()  # only trimmed, never grown


def test_no_radius_or_no_leaves_leaves_the_labels_as_they_are():
    image, _, predicted = sheet_with_leaf()
    assert refine_outlines(predicted, image, 0) is predicted
    empty = np.zeros_like(predicted)
    assert not refine_outlines(empty, image, 4).any()


def test_the_radius_follows_the_reduction_from_sheet_to_working_image():
    assert refine_radius_px((512, 352), (256, 256)) == 4
    assert refine_radius_px((256, 256), (256, 256)) == 2
    assert refine_radius_px((4000, 2760), (1024, 707)) == 8


def test_median_colour_is_numpys_median_for_odd_and_even_counts():
    rng = np.random.default_rng(3)
    colours = rng.integers(0, 256, (40, 50, 3)).astype(np.float32)
    for count in (1, 7, 8, 1999):
        mask = np.zeros(2000, bool)
        mask[rng.choice(2000, count, replace=False)] = True
        mask = mask.reshape(40, 50)
        np.testing.assert_array_equal(median_colour(colours, mask), np.median(colours[mask], axis=0))
    crop = colours[5:30, 7:41]  # a view into a larger image, as refine_outlines passes
    inside = rng.random(crop.shape[:2]) > 0.5
    np.testing.assert_array_equal(median_colour(crop, inside), np.median(crop[inside], axis=0))


def test_tip_growth_is_the_chessboard_geodesic_distance():
    rng = np.random.default_rng(4)
    start = np.zeros((60, 80), bool)
    start[20:30, 10:25] = True
    allowed = scipy.ndimage.binary_opening(rng.random(start.shape) > 0.35) | (rng.random(start.shape) > 0.9)
    steps = 12
    reached_at = _grow(start, allowed, steps)
    # The same by breadth-first search, one pixel at a time.
    expected = np.zeros(start.shape, np.int32)
    free = allowed & ~start
    front = [tuple(pixel) for pixel in np.argwhere(start)]
    for step in range(1, steps + 1):
        following = []
        for row, col in front:
            for dr in (-1, 0, 1):
                for dc in (-1, 0, 1):
                    r, c = row + dr, col + dc
                    if 0 <= r < start.shape[0] and 0 <= c < start.shape[1] and free[r, c] and not expected[r, c]:
                        expected[r, c] = step
                        following.append((r, c))
        front = following
    np.testing.assert_array_equal(reached_at, expected)
    assert reached_at.max() == steps and (reached_at > 0).sum() < free.sum()  # the limit bites
