"""Leaf instances learned from instance labels: a leaf-interior target, and leaves split by a seeded watershed.

The network learns two outputs: leaf, and leaf interior (each leaf less a margin
along its whole outline). Touching leaves share a leaf region but their interiors
are apart, so each interior seeds one leaf, and a watershed over the interior
probability given leaf (probability.conditional_interior) gives every leaf pixel to one
seed. Neighbouring parts whose shared boundary the network saw as interior are one leaf
cut by the seeds (a leaf larger or of another shape than those it learned from), and are
joined again.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import scipy.ndimage
import skimage.graph
import skimage.measure
import skimage.segmentation

BACKGROUND, LEAF_EDGE, LEAF_INTERIOR = 0, 1, 2
# Defaults of instances.seed_threshold, weak_seed_threshold, merge_threshold and merge_leaf_ratio (schema), for
# callers without a config.
DEFAULT_SEED_THRESHOLD, DEFAULT_WEAK_SEED_THRESHOLD, DEFAULT_MERGE_THRESHOLD = 0.8, 0.5, 0.5
DEFAULT_MERGE_LEAF_RATIO = 0.9


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


def seed_thresholds(instances: dict) -> tuple[float, float, float, float]:
    """The sure seed, weak seed and merge thresholds and the merge leaf ratio of a config's `instances` block, in
    split_leaves' order."""
    keys = ("seed_threshold", "weak_seed_threshold", "merge_threshold", "merge_leaf_ratio")
    return tuple(instances[key] for key in keys)


def _seed_parts(region: np.ndarray, min_seed_px: int) -> np.ndarray:
    """The 4-connected parts of `region`, those under `min_seed_px` (noise) dropped."""
    parts = skimage.measure.label(region, connectivity=1)
    small = np.bincount(parts.ravel()) < min_seed_px
    small[0] = False
    parts[small[parts]] = 0
    return parts


def join_across_interior(
    labels: np.ndarray,
    interior: np.ndarray,
    merge_threshold: float,
    leaf_probability: np.ndarray | None = None,
    merge_leaf_ratio: float = 0.0,
) -> np.ndarray:
    """`labels` with neighbouring leaves joined where the interior along their shared boundary averages at least
    `merge_threshold` (0..1); at 1 or above nothing is joined. Given the uint8 `leaf_probability`, only where it
    also averages, along the boundary, at least `merge_leaf_ratio` times the mean of its averages over the two leaves.

    Touching leaves meet where the network saw their edges (interior near 0); the parts
    of one leaf cut by its seeds meet inside it. Where the network is unsure of both leaves,
    the interior is low everywhere and its ratio to the leaf says little; a dip in the leaf
    itself along the boundary (a gap between two leaves) still parts them. Numbered 1..n in order of first label.
    """
    if merge_threshold >= 1 or labels.max(initial=0) < 2:
        return labels
    rag = skimage.graph.rag_boundary(labels, interior.astype(np.float64) / 255.0, connectivity=1)
    joins = [(a, b) for a, b, weight in rag.edges(data="weight") if 0 not in (a, b) and weight >= merge_threshold]
    if leaf_probability is not None and merge_leaf_ratio > 0 and joins:
        leaf = leaf_probability.astype(np.float64)
        along = skimage.graph.rag_boundary(labels, leaf, connectivity=1)
        inside = np.bincount(labels.ravel(), weights=leaf.ravel()) / np.maximum(np.bincount(labels.ravel()), 1)
        joins = [(a, b) for a, b in joins if along[a][b]["weight"] >= merge_leaf_ratio * (inside[a] + inside[b]) / 2]
    joined = nx.Graph()
    joined.add_nodes_from(sorted(node for node in rag.nodes if node != 0))
    joined.add_edges_from(joins)
    lookup = np.zeros(int(labels.max()) + 1, labels.dtype)
    for new, nodes in enumerate(sorted(nx.connected_components(joined), key=min), start=1):
        lookup[sorted(nodes)] = new
    return lookup[labels]


def split_leaves(
    leaf: np.ndarray,
    interior: np.ndarray,
    seed_threshold: float,
    min_seed_px: int,
    weak_seed_threshold: float,
    merge_threshold: float = DEFAULT_MERGE_THRESHOLD,
    merge_leaf_ratio: float = DEFAULT_MERGE_LEAF_RATIO,
    leaf_probability: np.ndarray | None = None,
) -> np.ndarray:
    """int32 leaf labels: a seeded watershed of the leaf mask over the learned interior probability.

    `leaf` is a sheet's boolean leaf mask, `interior` its uint8 interior probability given leaf
    (0..255). Seeds are the 4-connected parts where the interior reaches
    `seed_threshold` (0..1), and the parts where it reaches the lower
    `weak_seed_threshold` that hold no such seed (a leaf the network saw less surely,
    apart from every sure one); parts smaller than `min_seed_px` are noise and dropped.
    Each seed floods the leaf mask downhill in interior probability, so two leaves
    meet where the network saw their edges; a part of the mask with no seed stays one leaf.
    Neighbours whose shared boundary averages an interior of at least `merge_threshold`
    are then one leaf, given the uint8 `leaf_probability` only where it does not dip along
    the boundary under `merge_leaf_ratio` of the two leaves' (join_across_interior). Each 8-connected
    part of the mask is split by itself (no leaf crosses between them), numbered in the order of the
    parts' first pixels.
    """
    labels = np.zeros(leaf.shape, np.int32)
    parts, _ = scipy.ndimage.label(leaf, np.ones((3, 3), int))
    sizes, count = np.bincount(parts.ravel()), 0
    for index, box in enumerate(scipy.ndimage.find_objects(parts), start=1):
        part = parts[box] == index
        if sizes[index] < min_seed_px:  # too small for a seed: one leaf as it is
            split = part.astype(np.int32)
        else:
            thresholds = (seed_threshold, weak_seed_threshold, merge_threshold, merge_leaf_ratio)
            leaf_in_box = None if leaf_probability is None else leaf_probability[box]
            split = _split_part(part, interior[box], leaf_in_box, min_seed_px, *thresholds)
        labels[box][split > 0] = split[split > 0] + count
        count += int(split.max())
    return labels


def _split_part(
    leaf: np.ndarray,
    interior: np.ndarray,
    leaf_probability: np.ndarray | None,
    min_seed_px: int,
    seed_threshold: float,
    weak_seed_threshold: float,
    merge_threshold: float,
    merge_leaf_ratio: float,
) -> np.ndarray:
    """split_leaves of one 8-connected part of a leaf mask (its box): int32 labels 1..n."""
    seeds = _seed_parts(leaf & (interior >= 255.0 * seed_threshold), min_seed_px)
    if weak_seed_threshold < seed_threshold:
        weak = _seed_parts(leaf & (interior >= 255.0 * weak_seed_threshold), min_seed_px)
        unseeded = (weak > 0) & ~np.isin(weak, weak[seeds > 0])
        seeds[unseeded] = weak[unseeded] + seeds.max()
    seeded = np.flatnonzero(np.bincount(seeds.ravel())[1:])
    if len(seeded) > 1:
        labels = skimage.segmentation.watershed(255 - interior.astype(np.int16), seeds, mask=leaf)
        labels = join_across_interior(labels, interior, merge_threshold, leaf_probability, merge_leaf_ratio)
    else:  # one seed floods its 4-connected part, as the watershed would, without ranking every pixel
        parts = skimage.measure.label(leaf, connectivity=1)
        labels = (parts == parts[seeds > 0][0]).astype(np.int32) if len(seeded) else np.zeros(leaf.shape, np.int32)
    unseeded = skimage.measure.label(leaf & (labels == 0), connectivity=2)
    labels[unseeded > 0] = unseeded[unseeded > 0] + labels.max()
    return labels.astype(np.int32)
