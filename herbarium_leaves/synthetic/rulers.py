"""Rulers and colour charts drawn on a generated sheet."""

from __future__ import annotations

import numpy as np

from herbarium_leaves.sheet_styles import COLORCHECKER_24, CONTROL_STRIP, GREY_SCALE
from herbarium_leaves.synthetic.canvas import _rect, _SheetPainter

_CHART_COLOURS = np.array(
    [
        [40, 40, 40],
        [120, 120, 120],
        [200, 200, 200],
        [245, 245, 245],
        [180, 40, 40],
        [60, 140, 60],
        [50, 60, 160],
        [230, 200, 40],
        [200, 110, 40],
        [90, 60, 40],
        [60, 160, 170],
        [170, 60, 140],
    ],
    dtype=np.float32,
)


# Ruler styles: black mm/cm ticks on white or cream; white cm ticks on black with mm only in the
# first cm; cm/mm on one edge and inches (to 1/16) on the other.
RULER_STYLES = ("mm_cm", "white_cm", "cm_inch")


_RULER_STYLE_WEIGHTS = np.array([0.5, 0.25, 0.25])


_INCH_MM = 25.4


_CHART_SIZES_MM = {"strip": ((85, 120), (14, 20)), "control": ((120, 190), (22, 32)), "checker": ((60, 90), (40, 60))}


def _cover_end(rng: np.random.Generator, ruler: np.ndarray, mm: float) -> np.ndarray:
    """A slip laid over one end of a ruler, hiding 15 to 35 % of its length."""
    x, y = ruler[0]
    w, h = ruler[2] - ruler[0]
    share = rng.uniform(0.15, 0.35)
    overhang = rng.uniform(3, 8) * mm
    if w > h:
        cover_w, cover_h = share * w + overhang, h + 2 * overhang
        left = x - overhang if rng.random() < 0.5 else x + w - share * w
        return _rect(left, y - overhang, cover_w, cover_h)
    cover_w, cover_h = w + 2 * overhang, share * h + overhang
    top = y - overhang if rng.random() < 0.5 else y + h - share * h
    return _rect(x - overhang, top, cover_w, cover_h)


def _draw_chart(painter: _SheetPainter, rect: np.ndarray, mm: float, layout: str) -> None:
    """A colour-control strip (saturated patches over a grey scale, on a light card) or a 4 x 6 ColorChecker."""
    x, y = rect[0]
    w, h = rect[2] - rect[0]
    if layout == "control":
        painter.rectangle(rect, np.array([232, 232, 228]), 1.0, covers=True)
        for row, colours in enumerate((CONTROL_STRIP, GREY_SCALE)):
            patch = (w - 2 * mm) / len(colours)
            top = y + mm + row * (h - 2 * mm) / 2
            for k, colour in enumerate(colours):
                painter.rectangle(
                    _rect(x + mm + k * patch, top, patch, (h - 2 * mm) / 2 - 0.5 * mm), np.array(colour), 1.0, True
                )
        return
    painter.rectangle(rect, np.array([28, 28, 30]), 1.0, covers=True)
    rows, columns = (4, 6) if w >= h else (6, 4)
    cell_w, cell_h = (w - mm) / columns, (h - mm) / rows
    for k, colour in enumerate(COLORCHECKER_24):
        row, column = (k // 6, k % 6) if w >= h else (k % 6, k // 6)
        corner = _rect(x + mm + column * cell_w, y + mm + row * cell_h, cell_w - mm, cell_h - mm)
        painter.rectangle(corner, np.array(colour), 1.0, covers=True)


def _draw_ruler(painter: _SheetPainter, rect: np.ndarray, mm: float, style: str) -> None:
    """A ruler at the sheet's true scale in one of RULER_STYLES, ticks from its first long edge."""
    rng = painter.rng
    x, y = rect[0]
    w, h = rect[2] - rect[0]
    along_x = w > h
    length, breadth = (w, h) if along_x else (h, w)
    dark = style == "white_cm"
    if dark:
        base = np.array([28, 28, 30]) + rng.normal(0, 2, 3)
    else:
        base = np.array([250, 250, 246] if rng.random() < 0.5 else [238, 232, 205]) * rng.uniform(0.95, 1.02)
    painter.rectangle(rect, base, 1.0, covers=True)
    ink = np.array([238, 238, 232] if dark else [25, 25, 25], np.float32)
    thickness = max(1.0, 0.15 * mm)
    start_mm = rng.uniform(2, 5)

    def tick(at_mm: float, depth: float, far_edge: bool = False) -> None:
        along, reach = (start_mm + at_mm) * mm, depth * breadth
        edge = (y + h if far_edge else y) if along_x else (x + w if far_edge else x)
        sign = -1 if far_edge else 1
        if along_x:
            points = np.array([[x + along, edge], [x + along, edge + sign * reach]])
        else:
            points = np.array([[edge, y + along], [edge + sign * reach, y + along]])
        painter.polyline(points, ink, thickness)

    span_mm = length / mm - start_mm - 3
    metric_depth = 0.5 if style == "cm_inch" else 1.0
    for k in range(int(span_mm) + 1):
        if style == "white_cm" and k % 10 and k > 10:
            continue  # mm only in the first cm
        depth = 0.45 if k % 10 == 0 else 0.3 if k % 5 == 0 else 0.18
        tick(k, depth * metric_depth)
        if k % 10 == 0 and along_x:
            painter.text(
                (x + (start_mm + k - 1.2) * mm, y + (0.48 if style == "cm_inch" else 0.85) * h),
                str(k // 10),
                0.22 * h,
                ink,
                False,
            )
    if style == "cm_inch":
        sixteenth = _INCH_MM / 16
        for k in range(int(span_mm / sixteenth) + 1):
            depth = 0.4 if k % 16 == 0 else 0.3 if k % 8 == 0 else 0.24 if k % 4 == 0 else 0.18 if k % 2 == 0 else 0.12
            tick(k * sixteenth, depth, far_edge=True)
