"""The petiole of a measured leaf: the thin stalk of leaf-like colour that leaves its blade.

Leaves are measured as blades (outline refinement opens stalks away), so the petiole
is found from the sheet image: pixels beside the blade whose colour is nearer the
blade's than the paper's, narrower than PETIOLE_MAX_WIDTH_MM, connected to the blade.
Its length is the skeleton's geodesic length from the blade to its free end or to the
first branching, where a petiole meets a stem.
"""

from __future__ import annotations

import cv2
import numpy as np
import scipy.ndimage
import skimage.graph
import skimage.measure
import skimage.morphology

from herbarium_leaves.outlines import (
    box_around,
    distance_outside,
    lab_colours,
    median_colour,
    nearer_first,
    opened,
    reduced,
)

# A stalk narrower than this is a petiole, as botanists separate blade from petiole (and lm2-dev's truth does).
PETIOLE_MAX_WIDTH_MM = 3.0
# How far from the blade a petiole is followed, as a share of the blade's length.
PETIOLE_REACH = 0.6
# Petioles are traced at no more than this many px/mm (a 0.5-mm stalk is still 3 px wide): finer scans are
# reduced by a whole factor first, as the search grows with the square of the resolution.
PETIOLE_PX_PER_MM = 6.0


def petiole_length_px(blade: np.ndarray, others: np.ndarray, lab: np.ndarray, max_width_px: float) -> float:
    """Length in px of the petiole of `blade` (NaN where none is found), within a crop around it.

    `blade` and `others` (other leaves) are boolean masks of the crop, `lab` its CIELAB
    colours. A petiole shorter than twice `max_width_px` is a stub, not reported.
    """
    radius = max(1, int(np.ceil(max_width_px / 2)))
    if not blade.any():
        return np.nan
    # The band along the blade's edge holds its own rim; a petiole is what crosses it and goes on.
    near = box_around(blade, 2 * radius + 4)
    from_blade = np.full(blade.shape, np.inf, np.float32)
    from_blade[near] = distance_outside(blade[near])
    band, ring = np.zeros_like(blade), np.zeros_like(blade)
    band[near] = (from_blade[near] <= radius + 1) & ~blade[near]
    ring[near] = (from_blade[near] <= radius + 4) & ~band[near] & ~blade[near] & (distance_outside(others[near]) > 2)
    if np.count_nonzero(ring) < 5:
        return np.nan
    leafy = nearer_first(lab, median_colour(lab, blade), median_colour(lab, ring))
    candidate = leafy & ~blade & ~others
    beside_band = np.zeros_like(blade)
    beside_band[near] = cv2.dilate(band[near].astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    # Only leafy parts that reach the band can hold a petiole: the opening below is traced in their box alone.
    _, parts = cv2.connectedComponents(candidate.astype(np.uint8), connectivity=8)
    candidate = np.isin(parts, np.unique(parts[beside_band & candidate]))
    if not candidate.any():
        return np.nan
    reach = box_around(candidate, radius + 2)
    # What a disk of the width limit fits in (an opening, by two distance transforms: fast for wide limits).
    outside = np.zeros_like(candidate)
    outside[reach] = candidate[reach] & ~opened(candidate[reach], radius) & ~band[reach]
    parts = skimage.measure.label(outside, connectivity=2)
    stalk = outside & np.isin(parts, np.unique(parts[beside_band & outside]))
    if not stalk.any():
        return np.nan
    window = box_around(stalk, radius + 3)
    stalk, beside_band, near_band = stalk[window], beside_band[window], (from_blade <= 2 * radius + 3)[window]
    skeleton = skimage.morphology.skeletonize(stalk)
    neighbours = scipy.ndimage.convolve(skeleton.astype(np.uint8), np.ones((3, 3), np.uint8), mode="constant") - 1
    junctions = skeleton & (neighbours >= 3) & ~near_band
    stalk &= distance_outside(junctions) > radius + 1  # a petiole ends where it meets a stem
    starts = np.argwhere(stalk & beside_band)
    if len(starts) == 0:
        return np.nan
    travelled, _ = skimage.graph.MCP_Geometric(np.where(stalk, 1.0, np.inf)).find_costs(starts)
    reached = travelled[np.isfinite(travelled) & stalk]
    length = float(reached.max()) + radius + 2 if len(reached) else np.nan  # + the band crossed from the blade
    return length if length >= 2 * max_width_px else np.nan


def petiole_lengths(
    labels: np.ndarray, regions: list, image: np.ndarray, px_per_mm: float, blade_lengths: dict
) -> dict:
    """Petiole length in px per leaf id of `labels` (NaN where none is found).

    `regions` are the leaves' scikit-image region properties; `blade_lengths` (px, per leaf
    id) bound how far from its blade a petiole is followed. Scans finer than PETIOLE_PX_PER_MM
    are traced reduced by a whole factor, the length given back in the sheet's px.
    """
    factor = max(1, int(px_per_mm // PETIOLE_PX_PER_MM))
    small_labels, lab = reduced(labels, factor, cv2.INTER_NEAREST), lab_colours(reduced(image, factor))
    height, width = small_labels.shape
    max_width_px = PETIOLE_MAX_WIDTH_MM * px_per_mm / factor
    lengths = {}
    for region in regions:
        pad = int(np.ceil(PETIOLE_REACH * blade_lengths[region.label] / factor)) + 6
        y0, x0, y1, x1 = (end // factor for end in region.bbox)
        box = np.s_[max(y0 - pad, 0) : min(y1 + pad, height), max(x0 - pad, 0) : min(x1 + pad, width)]
        crop = small_labels[box]
        blade = crop == region.label
        lengths[region.label] = factor * petiole_length_px(blade, (crop > 0) & ~blade, lab[box], max_width_px)
    return lengths
