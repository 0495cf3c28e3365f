"""Learned leaf instances: the interior target, the seeded split, and touching leaves on generated sheets."""

import cv2
import numpy as np
import skimage.draw

from herbarium_leaves.instances import (
    LEAF_EDGE,
    LEAF_INTERIOR,
    interior_target,
    join_across_interior,
    split_leaves,
    training_target,
)
from herbarium_leaves.measure import MeasureSpec, label_leaves
from herbarium_leaves.metrics import instance_iou, match_leaves
from herbarium_leaves.resize import resize_labels
from herbarium_leaves.synthetic import TEST_INDEX_OFFSET, generate_sheet


def _touching_ellipses() -> np.ndarray:
    labels = np.zeros((80, 120), np.uint16)
    for leaf, centre in ((1, 35), (2, 85)):
        rows, cols = skimage.draw.ellipse(40, centre, 20, 26)
        labels[rows, cols] = leaf  # the second overwrites the first where they overlap: a shared edge
    return labels


def test_interior_leaves_a_rim_at_background_and_between_leaves_but_not_at_the_image_border():
    labels = np.zeros((10, 12), np.uint16)
    labels[:, :6], labels[2:8, 6:11] = 1, 2
    target = interior_target(labels, margin_px=1)
    assert target[5, 2] == LEAF_INTERIOR and target[0, 2] == LEAF_INTERIOR  # image border: no rim
    assert target[5, 5] == LEAF_EDGE and target[5, 6] == LEAF_EDGE  # where leaves 1 and 2 meet
    assert target[5, 10] == LEAF_EDGE and target[5, 11] == 0  # leaf 2 against the background
    assert set(np.unique(training_target(labels, "components", 1))) == {0, 1}


def test_split_gives_each_touching_leaf_its_pixels_and_keeps_unseeded_parts():
    labels = _touching_ellipses()
    leaf = labels > 0
    assert label_leaves(leaf, MeasureSpec(min_area_px=10), None).max() == 1  # components merge them
    interior = np.where(interior_target(labels, 1) == LEAF_INTERIOR, 230, 20).astype(np.uint8)  # a probability
    split = split_leaves(leaf, interior, 0.5, 5, weak_seed_threshold=0.5)
    iou = instance_iou(split, labels)
    assert split.max() == 2 and (np.sort(iou.max(axis=0)) > 0.97).all()
    speck = leaf.copy()
    speck[2:4, 2:4] = True  # a leaf too thin for an interior: one leaf of its own, not dropped
    assert split_leaves(speck, interior, 0.5, 5, weak_seed_threshold=0.5).max() == 3
    no_seed = split_leaves(leaf, interior, 0.5, 10_000, weak_seed_threshold=0.5)
    assert (no_seed > 0).sum() == leaf.sum()  # no seed: one leaf


def test_a_leaf_seen_less_surely_seeds_itself_only_apart_from_every_sure_seed():
    labels = _touching_ellipses()
    labels[labels == 2] = 0
    rows, cols = skimage.draw.ellipse(40, 100, 12, 14)
    labels[rows, cols] = 2  # a second leaf, joined to the first by a stem in the mask
    leaf = labels > 0
    leaf[39:42, 60:90] = True
    interior = np.full(labels.shape, 20, np.uint8)
    interior[interior_target(labels, 2) == LEAF_INTERIOR] = 230
    interior[(labels == 2) & (interior == 230)] = 150  # 0.59: below the sure seeds' 0.8

    def leaves(split):
        return len(np.unique(split[split > 0]))

    assert leaves(split_leaves(leaf, interior, 0.8, 5, weak_seed_threshold=0.8)) == 1  # flooded from leaf 1
    split = split_leaves(leaf, interior, 0.8, 5, weak_seed_threshold=0.5)
    assert leaves(split) == 2 and (np.sort(instance_iou(split, labels).max(axis=0)) > 0.9).all()
    halo = interior.copy()
    halo[(labels == 1) & (interior == 20)] = 150  # leaf 1's rim above 0.5 but around its sure seed
    assert leaves(split_leaves(leaf, halo, 0.8, 5, weak_seed_threshold=0.5)) == 2  # no third seed


def test_parts_of_one_leaf_cut_by_its_seeds_are_joined_but_touching_leaves_are_not():
    labels = _touching_ellipses()
    leaf = labels > 0
    interior = np.where(interior_target(labels, 1) == LEAF_INTERIOR, 230, 20).astype(np.uint8)
    rows, cols = np.nonzero(labels == 1)
    midrib = (labels == 1) & (np.abs(np.arange(labels.shape[1]) - int(cols.mean())) <= 1)[None, :]
    interior[midrib] = 160  # a midrib the network saw as less surely interior (0.63): two sure seeds in one leaf

    def leaves(split):
        return len(np.unique(split[split > 0]))

    assert leaves(split_leaves(leaf, interior, 0.8, 5, 0.8, merge_threshold=1.0)) == 3  # leaf 1 cut in two
    joined = split_leaves(leaf, interior, 0.8, 5, 0.8, merge_threshold=0.5)
    assert leaves(joined) == 2 and (np.sort(instance_iou(joined, labels).max(axis=0)) > 0.97).all()
    assert sorted(np.unique(joined)) == [0, 1, 2]  # numbered 1..n


def test_leaves_the_network_is_unsure_of_are_joined_only_where_the_leaf_does_not_dip_between_them():
    """Two leaves whose interiors meet in a leaf-probability trough stay apart; one leaf's halves, even, do not."""
    labels = np.zeros((40, 80), np.int32)
    labels[5:35, 5:40], labels[5:35, 40:75] = 1, 2  # two halves meeting along column 40
    interior = np.full(labels.shape, 200, np.uint8)  # high everywhere: the interior alone joins them
    trough = np.full(labels.shape, 120, np.uint8)
    trough[:, 38:42] = 60  # the paper showing through a gap between two pale leaves
    even = np.full(labels.shape, 120, np.uint8)

    def joined(probability, ratio):
        return len(np.unique(join_across_interior(labels, interior, 0.5, probability, ratio))) - 1

    assert joined(trough, 0.0) == 1 and joined(None, 0.9) == 1  # no check without a ratio or a probability
    assert joined(trough, 0.9) == 2
    assert joined(even, 0.9) == 1 and joined(even, 1.0) == 1


def test_touching_leaves_of_generated_sheets_are_split_from_working_resolution_interiors():
    """Each true leaf matched one-to-one at IoU >= 0.5: components against a split from ideal interiors.

    The interiors are made at the demo's 256 x 256 working resolution and resized to the
    sheet, as a network's would be: this is the split's ceiling, the network then learns
    to approach it. Measured on these 12 test sheets: components match 59 of the 124 true
    leaves (0.48), the split 121 (0.98).
    """
    totals = {"components": 0, "learned": 0, "leaves": 0}
    for index in range(TEST_INDEX_OFFSET, TEST_INDEX_OFFSET + 12):
        sheet = generate_sheet(0, index, 512, 352)
        small = interior_target(resize_labels(sheet.labels, (256, 256)), 1) == LEAF_INTERIOR
        interior = cv2.resize(255 * small.astype(np.uint8), (352, 512), interpolation=cv2.INTER_LINEAR)
        for method, found in (
            ("components", label_leaves(sheet.labels > 0, MeasureSpec(), sheet.px_per_mm)),
            ("learned", label_leaves(sheet.labels > 0, MeasureSpec(), sheet.px_per_mm, interior, 0.5)),
        ):
            totals[method] += len(match_leaves(instance_iou(found, sheet.labels), 0.5))
        totals["leaves"] += int(sheet.labels.max())
    assert totals["learned"] / totals["leaves"] >= 0.9
    assert totals["components"] / totals["leaves"] <= 0.6


def test_a_part_with_one_seed_is_split_as_the_watershed_splits_it():
    leaf = np.zeros((40, 60), bool)
    leaf[5:25, 5:30] = True  # a leaf with one seed
    leaf[25:30, 30:36] = True  # touching it only at a corner: 8- but not 4-connected
    leaf[30:38, 40:55] = True  # apart, no seed
    interior = np.zeros(leaf.shape, np.uint8)
    interior[10:20, 10:25] = 250
    labels = split_leaves(leaf, interior, 0.8, 4, 0.5)
    assert len(np.unique(labels[5:25, 5:30])) == 1 and labels[10, 10] > 0
    assert labels[27, 33] not in (0, labels[10, 10])  # the corner's part floods nothing of the seed's: its own leaf
    assert labels[34, 45] not in (0, labels[10, 10], labels[27, 33])
    assert set(np.unique(labels[leaf])) == {1, 2, 3} and not labels[~leaf].any()
