"""Damage done to a leaf's outline: a torn or cut edge, an insect's bite."""

from __future__ import annotations

import numpy as np


def _clip_half_plane(polygon: np.ndarray, normal: np.ndarray, offset: float) -> np.ndarray:
    """Sutherland-Hodgman clip of a polygon to {p : p . normal <= offset}."""
    kept = []
    side = polygon @ normal - offset
    for i in range(len(polygon)):
        j = i - 1
        if (side[i] <= 0) != (side[j] <= 0):
            frac = side[j] / (side[j] - side[i])
            kept.append(polygon[j] + frac * (polygon[i] - polygon[j]))
        if side[i] <= 0:
            kept.append(polygon[i])
    return np.array(kept).reshape(-1, 2)


def _jagged_blob(centre: np.ndarray, radius: float, rng: np.random.Generator, roughness: float) -> np.ndarray:
    angles = np.sort(rng.uniform(0, 2 * np.pi, int(rng.integers(9, 16))))
    radii = radius * rng.uniform(1 - roughness, 1 + roughness, len(angles))
    return centre + np.stack([np.cos(angles) * radii, np.sin(angles) * radii], axis=1)
