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


def petiole_length_px(blade: np.ndarray, others: np.ndarray, lab: np.ndarray, max_width_px: float) -> float:
    """Length in px of the petiole of `blade` (NaN where none is found), within a crop around it.

    `blade` and `others` (other leaves) are boolean masks of the crop, `lab` its CIELAB
    colours. A petiole shorter than twice `max_width_px` is a stub, not reported.
    """
    radius = max(1, int(np.ceil(max_width_px / 2)))
    blade_u8 = blade.astype(np.uint8)
    # The band along the blade's edge holds its own rim; a petiole is what crosses it and goes on.
    band = cv2.dilate(blade_u8, _disk(radius + 1)).astype(bool) & ~blade
    ring = cv2.dilate(blade_u8, _disk(radius + 4)).astype(bool) & ~band & ~blade
    ring &= ~cv2.dilate(others.astype(np.uint8), _disk(2)).astype(bool)
    if np.count_nonzero(ring) < 5 or not blade.any():
        return np.nan
    leaf_colour, paper_colour = np.median(lab[blade], axis=0), np.median(lab[ring], axis=0)
    leafy = np.linalg.norm(lab - leaf_colour, axis=2) < np.linalg.norm(lab - paper_colour, axis=2)
    candidate = leafy & ~blade & ~others
    wide = cv2.morphologyEx(candidate.astype(np.uint8), cv2.MORPH_OPEN, _disk(radius)).astype(bool)
    outside = candidate & ~wide & ~band
    parts = skimage.measure.label(outside, connectivity=2)
    beside_band = cv2.dilate(band.astype(np.uint8), _disk(1)).astype(bool)
    stalk = outside & np.isin(parts, np.unique(parts[beside_band & outside]))
    skeleton = skimage.morphology.skeletonize(stalk)
    neighbours = scipy.ndimage.convolve(skeleton.astype(np.uint8), np.ones((3, 3), np.uint8), mode="constant") - 1
    near_band = cv2.dilate(band.astype(np.uint8), _disk(radius + 2)).astype(bool)
    junctions = (skeleton & (neighbours >= 3) & ~near_band).astype(np.uint8)
    stalk &= ~cv2.dilate(junctions, _disk(radius + 1)).astype(bool)  # a petiole ends where it meets a stem
    starts = np.argwhere(stalk & beside_band)
    if len(starts) == 0:
        return np.nan
    travelled, _ = skimage.graph.MCP_Geometric(np.where(stalk, 1.0, np.inf)).find_costs(starts)
    reached = travelled[np.isfinite(travelled) & stalk]
    length = float(reached.max()) + radius + 2 if len(reached) else np.nan  # + the band crossed from the blade
    return length if length >= 2 * max_width_px else np.nan


def petiole_lengths(labels: np.ndarray, image: np.ndarray, px_per_mm: float, blade_lengths: dict) -> dict:
    """Petiole length in px per leaf id of `labels` (NaN where none is found).

    `blade_lengths` (px, per leaf id) bound how far from its blade a petiole is followed.
    """
    lab = cv2.cvtColor(image, cv2.COLOR_RGB2LAB).astype(np.float32)
    height, width = labels.shape
    lengths = {}
    for region in skimage.measure.regionprops(labels):
        pad = int(np.ceil(PETIOLE_REACH * blade_lengths[region.label])) + 6
        y0, x0, y1, x1 = region.bbox
        y0, x0, y1, x1 = max(y0 - pad, 0), max(x0 - pad, 0), min(y1 + pad, height), min(x1 + pad, width)
        crop = labels[y0:y1, x0:x1]
        blade = crop == region.label
        lengths[region.label] = petiole_length_px(
            blade, (crop > 0) & ~blade, lab[y0:y1, x0:x1], PETIOLE_MAX_WIDTH_MM * px_per_mm
        )
    return lengths
