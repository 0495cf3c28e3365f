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

# A stalk narrower than this is a petiole, as botanists separate blade from petiole (and lm2-dev's truth does).
PETIOLE_MAX_WIDTH_MM = 3.0
# How far from the blade a petiole is followed, as a share of the blade's length.
PETIOLE_REACH = 0.6


def _disk(radius: int) -> np.ndarray:
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))


def _distance_to(mask: np.ndarray) -> np.ndarray:
    """Euclidean distance (px) of every pixel to the nearest pixel of `mask` (large where it has none)."""
    if not mask.any():
        return np.full(mask.shape, np.inf, np.float32)
    return cv2.distanceTransform((~mask).astype(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_PRECISE)


def petiole_length_px(blade: np.ndarray, others: np.ndarray, lab: np.ndarray, max_width_px: float) -> float:
    """Length in px of the petiole of `blade` (NaN where none is found), within a crop around it.

    `blade` and `others` (other leaves) are boolean masks of the crop, `lab` its CIELAB
    colours. A petiole shorter than twice `max_width_px` is a stub, not reported.
    """
    radius = max(1, int(np.ceil(max_width_px / 2)))
    # The band along the blade's edge holds its own rim; a petiole is what crosses it and goes on.
    from_blade = _distance_to(blade)
    band = (from_blade <= radius + 1) & ~blade
    ring = (from_blade <= radius + 4) & ~band & ~blade & (_distance_to(others) > 2)
    if np.count_nonzero(ring) < 5 or not blade.any():
        return np.nan
    leaf_colour, paper_colour = np.median(lab[blade], axis=0), np.median(lab[ring], axis=0)
    leafy = np.linalg.norm(lab - leaf_colour, axis=2) < np.linalg.norm(lab - paper_colour, axis=2)
    candidate = leafy & ~blade & ~others
    # What a disk of the width limit fits in (an opening, by two distance transforms: fast for wide limits).
    centres = cv2.distanceTransform(candidate.astype(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_PRECISE) > radius
    wide = candidate & (_distance_to(centres) <= radius)
    outside = candidate & ~wide & ~band
    parts = skimage.measure.label(outside, connectivity=2)
    beside_band = cv2.dilate(band.astype(np.uint8), _disk(1)).astype(bool)
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
    stalk &= _distance_to(junctions) > radius + 1  # a petiole ends where it meets a stem
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
    id) bound how far from its blade a petiole is followed.
    """
    lab = cv2.cvtColor(image, cv2.COLOR_RGB2LAB).astype(np.float32)
    height, width = labels.shape
    lengths = {}
    for region in regions:
        pad = int(np.ceil(PETIOLE_REACH * blade_lengths[region.label])) + 6
        y0, x0, y1, x1 = region.bbox
        y0, x0, y1, x1 = max(y0 - pad, 0), max(x0 - pad, 0), min(y1 + pad, height), min(x1 + pad, width)
        crop = labels[y0:y1, x0:x1]
        blade = crop == region.label
        lengths[region.label] = petiole_length_px(
            blade, (crop > 0) & ~blade, lab[y0:y1, x0:x1], PETIOLE_MAX_WIDTH_MM * px_per_mm
        )
    return lengths
