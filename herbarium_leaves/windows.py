"""Square windows over a sheet at the working resolution, shared by training patches and inference."""

from __future__ import annotations

import numpy as np


def window_starts(length: int, window: int, stride: int) -> list[int]:
    """Start offsets (px) of windows of `window` px every `stride` px that cover `length` px.

    The last window ends exactly at `length`; a side shorter than the window has one
    window at 0 (the sheet is then padded).
    """
    if length <= window:
        return [0]
    starts = list(range(0, length - window, stride))
    return [*starts, length - window]


def pad_to_window(array: np.ndarray, window: int, mode: str = "reflect") -> np.ndarray:
    """Pad the bottom and right of an (H, W, ...) array so both sides are at least `window` px."""
    pad_h, pad_w = max(0, window - array.shape[0]), max(0, window - array.shape[1])
    if not pad_h and not pad_w:
        return array
    widths = [(0, pad_h), (0, pad_w)] + [(0, 0)] * (array.ndim - 2)
    return np.pad(array, widths, mode=mode)


def sheet_windows(height: int, width: int, window: int, stride: int) -> list[tuple[int, int]]:
    """(y, x) starts of every window over a sheet of (height, width) px, row by row."""
    return [(y, x) for y in window_starts(height, window, stride) for x in window_starts(width, window, stride)]
