"""Leaf length and width from binary masks."""

from __future__ import annotations

import cv2
import numpy as np
import skimage.measure


def feret_length_width(mask: np.ndarray) -> tuple[float, float]:
    """Return (length, width) of a binary mask in px.

    Length is the longest Feret diameter (the largest distance between two points
    of the region); width is the region's extent perpendicular to it. Both are
    measured on the sub-pixel boundary halfway between pixels inside and outside
    (marching squares), so they resolve to about 1 px. Returns (0.0, 0.0) for an
    empty mask.
    """
    region = mask.astype(bool)
    if not region.any():
        return 0.0, 0.0
    rows, cols = np.nonzero(region)
    crop = np.pad(region[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1], 1).astype(np.float32)
    boundary = np.concatenate(skimage.measure.find_contours(crop, 0.5))[:, ::-1].astype(np.float32)
    hull = cv2.convexHull(boundary).reshape(-1, 2).astype(np.float64)
    offsets = hull[:, None, :] - hull[None, :, :]
    distances = np.hypot(offsets[..., 0], offsets[..., 1])
    i, j = np.unravel_index(np.argmax(distances), distances.shape)
    length = float(distances[i, j])
    axis = offsets[i, j] / length
    across = hull @ np.array([-axis[1], axis[0]])
    return length, float(np.ptp(across))
