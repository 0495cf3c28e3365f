"""Leaf outlines refined at the sheet's full resolution from the sheet image itself."""

from __future__ import annotations

import cv2
import numpy as np
import skimage.measure


def refine_radius_px(sheet_shape: tuple[int, int], working_shape: tuple[int, int]) -> int:
    """Twice the number of sheet px per working px (rounded up): how far the network's outline can be off."""
    factor = max(sheet_shape[0] / working_shape[0], sheet_shape[1] / working_shape[1])
    return 2 * int(np.ceil(factor - 1e-9))


def _disk(radius: int) -> np.ndarray:
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))


def refine_outlines(labels: np.ndarray, image: np.ndarray, radius_px: int) -> np.ndarray:
    """Leaf labels whose outlines follow the sheet's own colours within `radius_px` of the predicted ones.

    The network's outline comes from a reduced working image, upsampled: narrow tips
    and margins are lost or blurred. For each leaf, pixels within `radius_px` of its
    outline (not another leaf's) are re-assigned by colour (CIELAB): to the leaf
    when nearer the median colour of its core (the leaf eroded by `radius_px`) than
    that of the paper just outside it. Protrusions so added under 3 px wide (petiole
    stubs) are opened away, and the network's own outline by a disk of half `radius_px`
    (spurs it cannot resolve: a petiole or stem taken for blade); only the part
    connected to the core is kept. Returns a new
    uint16 label image; radius 0, or a leaf too small to have a core, is left as it was.
    """
    if radius_px <= 0 or not labels.any():
        return labels
    lab = cv2.cvtColor(image, cv2.COLOR_RGB2LAB).astype(np.float32)
    refined = labels.copy()
    height, width = labels.shape
    reach, outer, one, spur = _disk(radius_px), _disk(radius_px + 3), _disk(1), _disk(max(1, radius_px // 2))
    for region in skimage.measure.regionprops(labels):
        y0, x0, y1, x1 = region.bbox
        pad = radius_px + 4
        y0, x0, y1, x1 = max(y0 - pad, 0), max(x0 - pad, 0), min(y1 + pad, height), min(x1 + pad, width)
        crop = labels[y0:y1, x0:x1]
        own = crop == region.label
        others = (crop > 0) & ~own
        own_u8 = own.astype(np.uint8)
        core = cv2.erode(own_u8, reach).astype(bool)
        grown = cv2.dilate(own_u8, reach).astype(bool)
        near_others = cv2.dilate(others.astype(np.uint8), one).astype(bool)
        ring = cv2.dilate(own_u8, outer).astype(bool) & ~grown & ~near_others
        if np.count_nonzero(core) < 5 or np.count_nonzero(ring) < 5:
            continue
        colours = lab[y0:y1, x0:x1]
        leaf_colour, paper_colour = np.median(colours[core], axis=0), np.median(colours[ring], axis=0)
        nearer_leaf = np.linalg.norm(colours - leaf_colour, axis=2) < np.linalg.norm(colours - paper_colour, axis=2)
        leafy_band = grown & ~core & ~others & nearer_leaf
        added = leafy_band & ~own
        # Protrusions under 3 px wide (petiole stubs, a stem alongside) go; a thin rim along the blade stays.
        added &= cv2.morphologyEx((own | added).astype(np.uint8), cv2.MORPH_OPEN, one).astype(bool)
        # Spurs of the network's own outline under 2 * (radius // 2) + 1 px wide (a petiole, a stem) go too.
        network = cv2.morphologyEx((core | (leafy_band & own)).astype(np.uint8), cv2.MORPH_OPEN, spur).astype(bool)
        kept = core | network | added
        parts = skimage.measure.label(kept, connectivity=2)
        kept = np.isin(parts, np.unique(parts[core & (parts > 0)]))
        out = refined[y0:y1, x0:x1]
        out[own & ~kept] = 0
        out[kept & (out == 0) & ~others] = region.label
    return refined
