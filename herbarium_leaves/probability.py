"""Probability maps as uint8 (0..255): the mask at a threshold and the seed ensemble's mean, without torch."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def mask_from_probability(probability: np.ndarray, threshold: float) -> np.ndarray:
    """uint8 mask, 255 where a uint8 probability (0..255) reaches `threshold` (0..1)."""
    mask = np.zeros(probability.shape, np.uint8)
    mask[probability >= threshold * 255.0] = 255
    return mask


def mean_probability(probabilities: Sequence[np.ndarray]) -> np.ndarray:
    """The ensemble: the mean of uint8 probability maps, as uint8 (one map gives itself back)."""
    total = np.zeros(probabilities[0].shape, np.float32)
    for probability in probabilities:
        total += probability
    return np.clip(np.rint(total / len(probabilities)), 0, 255).astype(np.uint8)


def leaf_and_interior(probability: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """A model's uint8 probability split into leaf and leaf interior (None for a leaf-only model's 2-D map)."""
    if probability.ndim == 2:
        return probability, None
    return probability[..., 0], probability[..., 1]


def conditional_interior(leaf: np.ndarray, interior: np.ndarray) -> np.ndarray:
    """The interior probability given leaf (interior / leaf, 0..1; 0 where leaf is 0), float32.

    The network's interior output is the probability of leaf and interior together: on a
    leaf it is less sure of (a real leaf unlike those it learned from) both are low, and
    the interior alone reads as an edge everywhere. Given leaf, it is low only where the
    network saw an edge.
    """
    leaf, interior = leaf.astype(np.float32), interior.astype(np.float32)
    ratio = np.divide(interior, leaf, out=np.zeros_like(leaf), where=leaf > 0)
    return np.clip(ratio, 0.0, 1.0)
