"""Seeded augmentation of training patches with albumentations.

Every augmented copy draws from its own random stream, derived from (run seed,
sheet, window, copy), so the result does not depend on job order or worker count.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterator
from dataclasses import dataclass

import albumentations
import cv2
import numpy as np

from herbarium_leaves.windows import pad_to_window, sheet_windows

_BORDER_MODES = {"reflect": cv2.BORDER_REFLECT_101, "constant": cv2.BORDER_CONSTANT}
_AUGMENT_STAGE = 1


@dataclass(frozen=True)
class AugmentSpec:
    """How each training patch is augmented: rotation (deg), flip probabilities, brightness/contrast limits,
    hue (degrees of OpenCV's 0-180 hue circle) and saturation (0-255) shift limits."""

    copies: int = 2
    rotation_limit: float = 30.0
    border_mode: str = "reflect"
    hflip_p: float = 0.5
    vflip_p: float = 0.5
    brightness_limit: float = 0.2
    contrast_limit: float = 0.0
    hue_shift_limit: float = 0.0
    saturation_shift_limit: float = 0.0


def stream_seed(seed: int, *keys: int | str) -> int:
    """A 32-bit seed for the random stream of (seed, keys...), stable across runs and machines."""
    parts = [seed] + [int(hashlib.sha256(k.encode()).hexdigest()[:15], 16) if isinstance(k, str) else k for k in keys]
    return int(np.random.SeedSequence(parts).generate_state(1)[0])


def _pipeline(spec: AugmentSpec, seed: int) -> albumentations.Compose:
    transforms = [
        albumentations.Rotate(limit=spec.rotation_limit, border_mode=_BORDER_MODES[spec.border_mode], p=1.0),
        albumentations.HorizontalFlip(p=spec.hflip_p),
        albumentations.VerticalFlip(p=spec.vflip_p),
    ]
    if spec.brightness_limit or spec.contrast_limit:
        transforms.append(
            albumentations.RandomBrightnessContrast(
                brightness_limit=spec.brightness_limit, contrast_limit=spec.contrast_limit, p=1.0
            )
        )
    if spec.hue_shift_limit or spec.saturation_shift_limit:
        transforms.append(
            albumentations.HueSaturationValue(
                hue_shift_limit=spec.hue_shift_limit,
                sat_shift_limit=spec.saturation_shift_limit,
                val_shift_limit=0,
                p=1.0,
            )
        )
    return albumentations.Compose(transforms, seed=seed, save_applied_params=True)


def augment_patch(
    image: np.ndarray, mask: np.ndarray, spec: AugmentSpec, seed: int
) -> tuple[np.ndarray, np.ndarray, dict]:
    """One augmented copy of an RGB patch and its mask (nearest), with every sampled parameter.

    Returns (image, mask, parameters): rotation_deg, hflip, vflip, brightness (offset as
    a fraction of 255), contrast (gain), hue_shift and saturation_shift.
    """
    result = _pipeline(spec, seed)(image=image, mask=mask)
    applied = dict(result["applied_transforms"])
    matrix = applied["Rotate"]["matrix"]
    colour = applied.get("RandomBrightnessContrast", {"alpha": 1.0, "beta": 0.0})
    hsv = applied.get("HueSaturationValue", {"hue_shift": 0.0, "sat_shift": 0.0})
    parameters = {
        "rotation_deg": round(math.degrees(math.atan2(matrix[0][1], matrix[0][0])), 6),
        "hflip": "HorizontalFlip" in applied,
        "vflip": "VerticalFlip" in applied,
        "brightness": round(float(colour["beta"]) / 255.0, 6),
        "contrast": round(float(colour["alpha"]), 6),
        "hue_shift": round(float(hsv["hue_shift"]), 6),
        "saturation_shift": round(float(hsv["sat_shift"]), 6),
    }
    return result["image"], result["mask"], parameters


IDENTITY = {
    "rotation_deg": 0.0,
    "hflip": False,
    "vflip": False,
    "brightness": 0.0,
    "contrast": 1.0,
    "hue_shift": 0.0,
    "saturation_shift": 0.0,
}


def sheet_patches(
    image: np.ndarray, target: np.ndarray, sample: str, window: int, stride: int, spec: AugmentSpec, seed: int
) -> Iterator[tuple[dict, np.ndarray, np.ndarray]]:
    """Training patches of one sheet: every window, unaugmented (copy 0) and `spec.copies` augmented copies.

    `target` is the uint8 mask the network learns (instances.training_target). Yields
    (manifest row, RGB patch, mask patch). A sheet smaller than the window is padded
    by reflection.
    """
    height, width = target.shape
    padded_image = pad_to_window(image, window)
    padded_mask = pad_to_window(target, window)
    for y, x in sheet_windows(height, width, window, stride):
        patch = padded_image[y : y + window, x : x + window]
        mask = padded_mask[y : y + window, x : x + window]
        for copy in range(spec.copies + 1):
            if copy == 0:
                out_image, out_mask, parameters = patch, mask, IDENTITY
            else:
                out_image, out_mask, parameters = augment_patch(
                    patch, mask, spec, stream_seed(seed, sample, y, x, copy)
                )
            yield {"source": sample, "window_y": y, "window_x": x, "copy": copy, **parameters}, out_image, out_mask
