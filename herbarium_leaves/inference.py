"""Sliding-window inference over whole sheets, blended without seams, in bounded memory."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np
import torch

from herbarium_leaves.model import normalize
from herbarium_leaves.probability import conditional_interior
from herbarium_leaves.resize import ResizeSpec, resize_image
from herbarium_leaves.windows import pad_to_window, sheet_windows


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
    if mode != "paper" or (not pad_h and not pad_w):
        return pad_to_window(image, window)
    return cv2.copyMakeBorder(image, 0, pad_h, 0, pad_w, cv2.BORDER_CONSTANT, value=paper_colour(image).tolist())


@torch.no_grad()
def sliding_window_probability(
    model: torch.nn.Module, image: np.ndarray, spec: InferenceSpec, device: torch.device
) -> np.ndarray:
    """Probability float32 of an RGB uint8 image at the working resolution, per output of the model.

    (H, W) for a leaf-only model; (H, W, 2) for one that also learned leaf interiors
    (instances: learned). Only the image, two accumulators and one batch of windows
    are in memory at once.
    """
    height, width = image.shape[:2]
    padded = pad_sheet(image, spec.window, spec.pad)
    weights = blend_weights(spec.window, spec.blend)[..., None]
    total, weight_sum = None, np.zeros((*padded.shape[:2], 1), np.float32)
    starts = sheet_windows(padded.shape[0], padded.shape[1], spec.window, spec.stride)
    window = spec.window
    for first in range(0, len(starts), spec.batch_size):
        batch = starts[first : first + spec.batch_size]
        tiles = torch.from_numpy(np.stack([padded[y : y + window, x : x + window] for y, x in batch]))
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=spec.bf16):
            logits = model(normalize(tiles.to(device)))
        probabilities = torch.sigmoid(logits.float()).permute(0, 2, 3, 1).cpu().numpy()
        if total is None:
            total = np.zeros((*padded.shape[:2], probabilities.shape[-1]), np.float32)
        for (y, x), probability in zip(batch, probabilities, strict=True):
            total[y : y + window, x : x + window] += probability * weights
            weight_sum[y : y + window, x : x + window] += weights
    result = (total / weight_sum)[:height, :width]
    return result[..., 0] if result.shape[-1] == 1 else result


def working_probability(
    model: torch.nn.Module, sheet: np.ndarray, resize: ResizeSpec, spec: InferenceSpec, device: torch.device
) -> np.ndarray:
    """Leaf probability (h, w) float32 of a sheet brought to the working resolution exactly as for training; with
    leaf interiors (h, w, 2), the second the interior given leaf (probability.conditional_interior)."""
    working = resize_image(sheet, resize.target_shape(*sheet.shape[:2]))
    probability = sliding_window_probability(model, working, spec, device)
    if probability.ndim == 3:
        probability[..., 1] = conditional_interior(probability[..., 0], probability[..., 1])
    return probability


def to_original(probability: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """A working-resolution probability (H, W) or (H, W, C) resized (bilinear) to `shape`, as uint8 0..255.

    The full-size map never exists as floats: it is resized in uint16 steps of 1/256
    of a uint8 level and then rounded, so a 10,000 x 14,000 px sheet costs 420 MB
    here rather than 1.1 GB.
    """
    # 255 * 256 = 65280: adding 128 before dropping the low byte rounds without overflowing.
    scaled = np.rint(np.clip(probability, 0.0, 1.0) * 65280.0).astype(np.uint16)
    full = cv2.resize(scaled, (shape[1], shape[0]), interpolation=cv2.INTER_LINEAR)
    full += 128
    full >>= 8
    return full.astype(np.uint8)


def predict_sheet(
    model: torch.nn.Module, sheet: np.ndarray, resize: ResizeSpec, spec: InferenceSpec, device: torch.device
) -> np.ndarray:
    """Probability (H, W), or (H, W, 2) with the leaf interior given leaf, as uint8 0..255 at the sheet's size.

    The sheet goes to the working resolution exactly as for training, is covered by
    windows, and the probability is brought back with bilinear interpolation.
    """
    return to_original(working_probability(model, sheet, resize, spec, device), sheet.shape[:2])


def ensemble_probability(
    models: Sequence[torch.nn.Module], sheet: np.ndarray, resize: ResizeSpec, spec: InferenceSpec, device: torch.device
) -> np.ndarray:
    """The seeds' mean probability for one sheet as uint8 at its original resolution.

    The mean is taken at the working resolution and resized once (resizing is linear,
    so this equals the mean of the resized maps).
    """
    total = None
    for model in models:
        probability = working_probability(model, sheet, resize, spec, device)
        total = probability if total is None else total + probability
    return to_original(total / len(models), sheet.shape[:2])
