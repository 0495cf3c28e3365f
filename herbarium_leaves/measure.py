"""Leaf length and width from binary masks."""

from __future__ import annotations

import cv2
import numpy as np


def feret_length_width(mask: np.ndarray) -> tuple[float, float]:
    """Return (length, width) of a binary mask in px.

    Length is the longest Feret diameter (the largest distance between two
    points of the region); width is the region's extent perpendicular to that
    diameter. Both are measured on pixel corners, so a single pixel is 1 x 1.
    Returns (0.0, 0.0) for an empty mask.
    """
    region = mask.astype(bool)
    if not region.any():
        return 0.0, 0.0
    border = region & ~cv2.erode(region.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    ys, xs = np.nonzero(border)
    corners = np.concatenate([np.stack([xs + dx, ys + dy], axis=1) for dx in (-0.5, 0.5) for dy in (-0.5, 0.5)]).astype(
        np.float32
    )
    hull = cv2.convexHull(corners).reshape(-1, 2).astype(np.float64)
    offsets = hull[:, None, :] - hull[None, :, :]
    distances = np.hypot(offsets[..., 0], offsets[..., 1])
    i, j = np.unravel_index(np.argmax(distances), distances.shape)
    length = float(distances[i, j])
    axis = offsets[i, j] / length
    across = hull @ np.array([-axis[1], axis[0]])
    return length, float(across.max() - across.min())
