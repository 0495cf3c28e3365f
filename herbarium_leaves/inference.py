"""Sliding-window inference over whole sheets, blended without seams, in bounded memory."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np
import torch

from herbarium_leaves.model import normalize
from herbarium_leaves.resize import ResizeSpec, resize_image
from herbarium_leaves.windows import sheet_windows


@dataclass(frozen=True)
class InferenceSpec:
    """Windows of `window` px overlapping by a fraction `overlap`, run `batch_size` at a time and blended."""

    window: int = 256
    overlap: float = 0.25
    batch_size: int = 8
    blend: str = "gaussian"
    pad: str = "reflect"
    threshold: float = 0.5
    bf16: bool = False

    @property
    def stride(self) -> int:
        return max(1, round(self.window * (1.0 - self.overlap)))


def blend_weights(window: int, mode: str) -> np.ndarray:
    """(window, window) float32 weights: a Gaussian (sigma = window / 8, floored at 1e-3) or uniform ones."""
    if mode == "uniform":
        return np.ones((window, window), np.float32)
    centre = (window - 1) / 2.0
    profile = np.exp(-0.5 * ((np.arange(window) - centre) / (window / 8.0)) ** 2)
    weights = np.outer(profile, profile).astype(np.float32)
    return np.maximum(weights / weights.max(), np.float32(1e-3))


def paper_colour(image: np.ndarray) -> np.ndarray:
    """The median colour of a sheet's outer 5% frame: what padding should look like."""
    height, width = image.shape[:2]
    band_h, band_w = max(1, height // 20), max(1, width // 20)
    frame = np.concatenate(
        [
            image[:band_h].reshape(-1, 3),
            image[-band_h:].reshape(-1, 3),
            image[:, :band_w].reshape(-1, 3),
            image[:, -band_w:].reshape(-1, 3),
        ]
    )
    return np.median(frame, axis=0).astype(np.uint8)


def pad_sheet(image: np.ndarray, window: int, mode: str) -> np.ndarray:
    """Pad bottom and right to at least `window` px: reflect, or the paper's own colour (never black)."""
    pad_h, pad_w = max(0, window - image.shape[0]), max(0, window - image.shape[1])
    if not pad_h and not pad_w:
        return image
    if mode == "paper":
        colour = paper_colour(image).tolist()
        return cv2.copyMakeBorder(image, 0, pad_h, 0, pad_w, cv2.BORDER_CONSTANT, value=colour)
    return np.pad(image, ((0, pad_h), (0, pad_w), (0, 0)), mode="reflect")


@torch.no_grad()
def sliding_window_probability(
    model: torch.nn.Module, image: np.ndarray, spec: InferenceSpec, device: torch.device
) -> np.ndarray:
    """Leaf probability (H, W) float32 of an RGB uint8 image at the working resolution.

    Only the image, two accumulators and one batch of windows are in memory at once.
    """
    height, width = image.shape[:2]
    padded = pad_sheet(image, spec.window, spec.pad)
    weights = blend_weights(spec.window, spec.blend)
    total = np.zeros(padded.shape[:2], np.float32)
    weight_sum = np.zeros(padded.shape[:2], np.float32)
    starts = sheet_windows(padded.shape[0], padded.shape[1], spec.window, spec.stride)
    window = spec.window
    for first in range(0, len(starts), spec.batch_size):
        batch = starts[first : first + spec.batch_size]
        tiles = torch.from_numpy(np.stack([padded[y : y + window, x : x + window] for y, x in batch]))
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=spec.bf16):
            logits = model(normalize(tiles.to(device)))
        probabilities = torch.sigmoid(logits.float())[:, 0].cpu().numpy()
        for (y, x), probability in zip(batch, probabilities, strict=True):
            total[y : y + window, x : x + window] += probability * weights
            weight_sum[y : y + window, x : x + window] += weights
    return (total / weight_sum)[:height, :width]


def predict_sheet(
    model: torch.nn.Module, sheet: np.ndarray, resize: ResizeSpec, spec: InferenceSpec, device: torch.device
) -> np.ndarray:
    """Leaf probability (H, W) float32 at the sheet's original resolution.

    The sheet goes to the working resolution exactly as for training, is covered by
    windows, and the probability is brought back with bilinear interpolation.
    """
    height, width = sheet.shape[:2]
    working = resize_image(sheet, resize.target_shape(height, width))
    probability = sliding_window_probability(model, working, spec, device)
    return cv2.resize(probability, (width, height), interpolation=cv2.INTER_LINEAR)


def probability_to_uint8(probability: np.ndarray) -> np.ndarray:
    """Probability in [0, 1] as uint8 0..255 (rounded)."""
    return np.clip(np.rint(probability * 255.0), 0, 255).astype(np.uint8)


def mask_from_probability(probability: np.ndarray, threshold: float) -> np.ndarray:
    """uint8 mask, 255 where the probability (uint8 0..255 or float 0..1) reaches `threshold`."""
    scaled = probability.astype(np.float32) / 255.0 if probability.dtype == np.uint8 else probability
    return np.where(scaled >= threshold, 255, 0).astype(np.uint8)


def mean_probability(probabilities: Sequence[np.ndarray]) -> np.ndarray:
    """The ensemble: the mean of uint8 probability maps, as uint8 (one map gives itself back)."""
    total = np.zeros(probabilities[0].shape, np.float32)
    for probability in probabilities:
        total += probability
    return np.clip(np.rint(total / len(probabilities)), 0, 255).astype(np.uint8)


def ensemble_probability(
    models: Sequence[torch.nn.Module], sheet: np.ndarray, resize: ResizeSpec, spec: InferenceSpec, device: torch.device
) -> np.ndarray:
    """The seeds' mean probability for one sheet, as uint8 at its original resolution (one sheet map in memory)."""
    total = np.zeros(sheet.shape[:2], np.float32)
    for model in models:
        total += predict_sheet(model, sheet, resize, spec, device)
    return probability_to_uint8(total / len(models))
