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

from herbarium_leaves.outlines import distance_outside, lab_colours, nearer_first, opened, reduced

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
    # The band along the blade's edge holds its own rim; a petiole is what crosses it and goes on.
    from_blade = distance_outside(blade)
    band = (from_blade <= radius + 1) & ~blade
    ring = (from_blade <= radius + 4) & ~band & ~blade & (distance_outside(others) > 2)
    if np.count_nonzero(ring) < 5 or not blade.any():
        return np.nan
    leafy = nearer_first(lab, np.median(lab[blade], axis=0), np.median(lab[ring], axis=0))
    candidate = leafy & ~blade & ~others
    # What a disk of the width limit fits in (an opening, by two distance transforms: fast for wide limits).
    wide = opened(candidate, radius)
    outside = candidate & ~wide & ~band
    parts = skimage.measure.label(outside, connectivity=2)
    beside_band = cv2.dilate(band.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    stalk = outside & np.isin(parts, np.unique(parts[beside_band & outside]))
    if not stalk.any():
        return np.nan
    rows, cols = np.nonzero(stalk)
    pad = radius + 3
    window = np.s_[max(rows.min() - pad, 0) : rows.max() + pad + 1, max(cols.min() - pad, 0) : cols.max() + pad + 1]
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
    height, width = labels.shape
    factor = max(1, int(px_per_mm // PETIOLE_PX_PER_MM))
    lengths = {}
    for region in regions:
        pad = int(np.ceil(PETIOLE_REACH * blade_lengths[region.label])) + 6 * factor
        y0, x0, y1, x1 = region.bbox
        y0, x0, y1, x1 = max(y0 - pad, 0), max(x0 - pad, 0), min(y1 + pad, height), min(x1 + pad, width)
        crop, rgb = reduced(labels[y0:y1, x0:x1], factor, cv2.INTER_NEAREST), reduced(image[y0:y1, x0:x1], factor)
        blade = crop == region.label
        max_width_px = PETIOLE_MAX_WIDTH_MM * px_per_mm / factor
        lengths[region.label] = factor * petiole_length_px(blade, (crop > 0) & ~blade, lab_colours(rgb), max_width_px)
    return lengths
