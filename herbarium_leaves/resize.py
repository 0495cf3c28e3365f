"""Sheets and labels brought to the working resolution, and back."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True)
class ResizeSpec:
    """The working resolution: fixed (height x width), scale (factor) or long_side (px)."""

    mode: str = "fixed"
    height: int = 512
    width: int = 512
    scale: float = 0.5
    long_side: int = 1024

    def target_shape(self, height: int, width: int) -> tuple[int, int]:
        """(height, width) in px at the working resolution for a sheet of (height, width) px."""
        if self.mode == "fixed":
            return self.height, self.width
        if self.mode not in ("scale", "long_side"):
            raise ValueError(f"unknown resize mode {self.mode!r}")
        factor = self.scale if self.mode == "scale" else self.long_side / max(height, width)
        return max(1, round(height * factor)), max(1, round(width * factor))


def resize_image(image: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """An image at (height, width) with area interpolation (anti-aliased when shrinking)."""
    return cv2.resize(image, (shape[1], shape[0]), interpolation=cv2.INTER_AREA)


def resize_labels(labels: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Labels at (height, width) by nearest neighbour, so ids are never blended."""
    return cv2.resize(labels, (shape[1], shape[0]), interpolation=cv2.INTER_NEAREST_EXACT)
