"""Leaf instances learned from instance labels: a leaf-interior target, and leaves split by a seeded watershed.

The network learns two outputs: leaf, and leaf interior (each leaf less a margin
along its whole outline). Touching leaves share a leaf region but their interiors
are apart, so each interior seeds one leaf, and a watershed over the interior
probability gives every leaf pixel to one seed.
"""

from __future__ import annotations

import numpy as np
import scipy.ndimage
import skimage.measure
import skimage.segmentation

BACKGROUND, LEAF_EDGE, LEAF_INTERIOR = 0, 1, 2
# Defaults of instances.seed_threshold and instances.weak_seed_threshold (schema), for callers without a config.
DEFAULT_SEED_THRESHOLD, DEFAULT_WEAK_SEED_THRESHOLD = 0.8, 0.5


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


def seed_thresholds(instances: dict) -> tuple[float, float]:
    """The sure and weak seed thresholds of a config's `instances` block, in split_leaves' order."""
    return instances["seed_threshold"], instances["weak_seed_threshold"]


def _seed_parts(region: np.ndarray, min_seed_px: int) -> np.ndarray:
    """The 4-connected parts of `region`, those under `min_seed_px` (noise) dropped."""
    parts = skimage.measure.label(region, connectivity=1)
    small = np.bincount(parts.ravel()) < min_seed_px
    small[0] = False
    parts[small[parts]] = 0
    return parts


def split_leaves(
    leaf: np.ndarray, interior: np.ndarray, seed_threshold: float, min_seed_px: int, weak_seed_threshold: float
) -> np.ndarray:
    """int32 leaf labels: a seeded watershed of the leaf mask over the learned interior probability.

    `leaf` is a sheet's boolean leaf mask, `interior` its uint8 interior probability
    (0..255). Seeds are the 4-connected parts where the interior reaches
    `seed_threshold` (0..1), and the parts where it reaches the lower
    `weak_seed_threshold` that hold no such seed (a leaf the network saw less surely,
    apart from every sure one); parts smaller than `min_seed_px` are noise and dropped.
    Each seed floods the leaf mask downhill in interior probability, so two leaves
    meet where the network saw their edges; a part of the mask with no seed stays one leaf.
    """
    seeds = _seed_parts(leaf & (interior >= 255.0 * seed_threshold), min_seed_px)
    if weak_seed_threshold < seed_threshold:
        weak = _seed_parts(leaf & (interior >= 255.0 * weak_seed_threshold), min_seed_px)
        unseeded = (weak > 0) & ~np.isin(weak, weak[seeds > 0])
        seeds[unseeded] = weak[unseeded] + seeds.max()
    labels = skimage.segmentation.watershed(255 - interior.astype(np.int16), seeds, mask=leaf)
    unseeded = skimage.measure.label(leaf & (labels == 0), connectivity=2)
    labels[unseeded > 0] = unseeded[unseeded > 0] + labels.max()
    return labels.astype(np.int32)
