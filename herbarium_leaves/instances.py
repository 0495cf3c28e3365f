"""Leaf instances learned from instance labels: a leaf-interior target, and leaves split by a seeded watershed.

The network learns two outputs: leaf, and leaf interior (each leaf less a margin
along its whole outline). Touching leaves share a leaf region but their interiors
are apart, so each interior seeds one leaf, and a watershed gives every leaf pixel
to the seed it is connected to across the leaf region.
"""

from __future__ import annotations

import numpy as np
import scipy.ndimage
import skimage.measure
import skimage.segmentation

METHODS = ("learned", "components")
BACKGROUND, LEAF_EDGE, LEAF_INTERIOR = 0, 1, 2


def interior_target(labels: np.ndarray, margin_px: int) -> np.ndarray:
    """uint8 training target from instance labels: 0 background, 1 leaf edge, 2 leaf interior.

    A leaf pixel is interior when every pixel within `margin_px` (a square) belongs to
    the same leaf: background and other leaves both end an interior; the image's own
    border does not.
    """
    size = 2 * margin_px + 1
    same = (scipy.ndimage.minimum_filter(labels, size, mode="nearest") == labels) & (
        scipy.ndimage.maximum_filter(labels, size, mode="nearest") == labels
    )
    target = np.where(labels > 0, LEAF_EDGE, BACKGROUND).astype(np.uint8)
    target[same & (labels > 0)] = LEAF_INTERIOR
    return target


def training_target(labels: np.ndarray, method: str, margin_px: int) -> np.ndarray:
    """The mask a network learns from: 0/1 leaf for `components`, interior_target for `learned`."""
    if method == "learned":
        return interior_target(labels, margin_px)
    return (labels > 0).astype(np.uint8)


def split_leaves(leaf: np.ndarray, interior: np.ndarray, min_seed_px: int) -> np.ndarray:
    """int32 leaf labels: a seeded watershed of the leaf mask from the interior mask's 4-connected parts.

    `leaf` and `interior` are boolean masks of one sheet. Seeds smaller than
    `min_seed_px` are noise and dropped; a part of the leaf mask with no seed stays
    one leaf. Pixels go to the seed they reach first when flooding outward from the
    interiors (by distance from them, inside the leaf mask).
    """
    seeds = skimage.measure.label(interior & leaf, connectivity=1)
    small = np.bincount(seeds.ravel()) < min_seed_px
    small[0] = False
    seeds[small[seeds]] = 0
    distance = scipy.ndimage.distance_transform_edt(seeds == 0)
    labels = skimage.segmentation.watershed(distance, seeds, mask=leaf)
    unseeded = skimage.measure.label(leaf & (labels == 0), connectivity=2)
    labels[unseeded > 0] = unseeded[unseeded > 0] + labels.max()
    return labels.astype(np.int32)
