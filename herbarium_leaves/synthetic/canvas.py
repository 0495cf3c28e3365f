"""Drawing primitives of a generated sheet: the painter (paper, shapes, cover), polygon fill, blending."""

from __future__ import annotations

import cv2
import numpy as np


def rasterize_polygon(polygon: np.ndarray, shape: tuple[int, int], origin: np.ndarray | None = None) -> np.ndarray:
    """Return a uint8 mask of `shape` with 1 where a pixel centre lies inside or on `polygon` (x, y px).

    The same pixels as `skimage.draw.polygon`: its crossing test (O'Rourke's, a pixel
    on an edge or vertex counts) with the same float64 arithmetic, evaluated only for
    the edges that straddle each row, all columns at once, which is many times faster
    on the generator's many-vertex outlines.
    """
    height, width = shape
    local = polygon - (np.zeros(2) if origin is None else origin)
    xi, yi = local[:, 0], local[:, 1]
    xj, yj = np.concatenate([xi[-1:], xi[:-1]]), np.concatenate([yi[-1:], yi[:-1]])  # edge i: vertex i - 1 to i
    mask = np.zeros(shape, np.uint8)
    first, last = max(0, int(np.floor(yi.min()))), min(height - 1, int(np.ceil(yi.max())))
    left, right = max(0, int(np.floor(xi.min()))), min(width - 1, int(np.ceil(xi.max())))
    if last < first or right < left:
        return mask
    columns = np.arange(left, right + 1, dtype=np.float64)
    block = max(1, 2_000_000 // (len(columns) * 8))  # rows per step: bounds the temporaries at scan size
    for top in range(first, last + 1, block):
        rows = np.arange(top, min(top + block, last + 1), dtype=np.float64)
        below_i, below_j = yi[None, :] - rows[:, None], yj[None, :] - rows[:, None]
        odd = np.zeros((len(rows), len(columns)), bool)
        for straddles, side in (((below_i > 0) != (below_j > 0), 1.0), ((below_i < 0) != (below_j < 0), -1.0)):
            row, edge = np.nonzero(straddles)
            if not len(row):
                continue
            y0, y1 = below_i[row, edge][:, None], below_j[row, edge][:, None]
            x0, x1 = xi[edge][:, None] - columns, xj[edge][:, None] - columns
            crosses = side * ((x0 * y1 - x1 * y0) / (y1 - y0)) > 0
            starts = np.flatnonzero(np.concatenate([[True], row[1:] != row[:-1]]))
            odd[row[starts]] |= np.add.reduceat(crosses, starts, axis=0) % 2 == 1
        mask[top : top + len(rows), left : right + 1] = odd
    # A pixel centre within 1e-12 px of a vertex counts as well.
    near = np.round(local)
    on_vertex = (np.abs(local - near) < 1e-12).all(axis=1)
    for x, y in near[on_vertex].astype(int):
        if 0 <= y < height and 0 <= x < width:
            mask[y, x] = 1
    return mask


def _on_image(points: np.ndarray, height: int, width: int) -> bool:
    y0, y1, x0, x1 = _box(points, 0, height, width)
    return y1 > y0 and x1 > x0


def _box(points: np.ndarray, pad: int, height: int, width: int) -> tuple[int, int, int, int]:
    """Integer (y0, y1, x0, x1) around points, padded, clipped to the image."""
    x0, y0 = np.floor(points.min(axis=0)).astype(int) - pad
    x1, y1 = np.ceil(points.max(axis=0)).astype(int) + pad + 1
    return max(y0, 0), min(y1, height), max(x0, 0), min(x1, width)


def _smooth_noise(rng: np.random.Generator, shape: tuple[int, int], cell: float) -> np.ndarray:
    """Zero-mean, unit-range low-frequency noise of `shape` with features of about `cell` px."""
    small = rng.uniform(-1, 1, (max(2, int(shape[0] / cell) + 2), max(2, int(shape[1] / cell) + 2)))
    return cv2.resize(small.astype(np.float32), (shape[1], shape[0]), interpolation=cv2.INTER_CUBIC)


def _blend(image: np.ndarray, alpha: np.ndarray, colour: np.ndarray | float, box: tuple[int, int, int, int]) -> None:
    y0, y1, x0, x1 = box
    a = alpha[..., None]
    image[y0:y1, x0:x1] = image[y0:y1, x0:x1] * (1 - a) + np.asarray(colour, np.float32) * a


class _SheetPainter:
    """Draws the sheet's layers in order onto a float RGB image and records what covers leaves."""

    def __init__(self, rng: np.random.Generator, height: int, width: int):
        self.rng, self.height, self.width = rng, height, width
        self.image = np.zeros((height, width, 3), np.float32)
        self.cover = np.zeros((height, width), bool)

    def paper(self, paper_box: tuple[int, int, int, int], papers: tuple[tuple[int, int, int], ...]) -> np.ndarray:
        rng = self.rng
        paper = papers[int(rng.integers(len(papers)))] if len(papers) > 1 else papers[0]
        tone = np.array(paper, np.float32) * rng.uniform(0.95, 1.02) + rng.normal(0, 2, 3)
        border = rng.uniform(8, 28)
        self.image[:] = border + rng.normal(0, 2.0, (self.height, self.width, 1)).astype(np.float32)
        y0, y1, x0, x1 = paper_box
        fibres = 4.0 * _smooth_noise(rng, (y1 - y0, x1 - x0), 6) + 3.0 * _smooth_noise(rng, (y1 - y0, x1 - x0), 60)
        self.image[y0:y1, x0:x1] = tone + fibres[..., None]
        return tone

    def polyline(self, points: np.ndarray, colour: np.ndarray, thickness: float) -> None:
        pts = np.round(points * 16).astype(np.int32)
        cv2.polylines(
            self.image, [pts], False, tuple(float(c) for c in colour), max(1, round(thickness)), cv2.LINE_AA, shift=4
        )

    def ellipse(self, centre: np.ndarray, axes: tuple[float, float], angle: float, colour: np.ndarray) -> None:
        """A filled, anti-aliased ellipse (`axes` are semi-axes in px, `angle` in radians)."""
        cv2.ellipse(
            self.image,
            (round(centre[0] * 16), round(centre[1] * 16)),
            (max(1, round(axes[0] * 16)), max(1, round(axes[1] * 16))),
            float(np.degrees(angle)),
            0,
            360,
            tuple(float(c) for c in colour),
            -1,
            cv2.LINE_AA,
            shift=4,
        )

    def rectangle(self, corners: np.ndarray, colour: np.ndarray, alpha: float, covers: bool) -> None:
        if not _on_image(corners, self.height, self.width):
            return
        box = _box(corners, 1, self.height, self.width)
        mask = rasterize_polygon(corners, (box[1] - box[0], box[3] - box[2]), np.array([box[2], box[0]]))
        if covers:
            self.cover[box[0] : box[1], box[2] : box[3]] |= mask.astype(bool)
        soft = cv2.GaussianBlur(mask.astype(np.float32), (0, 0), 0.6) * alpha
        _blend(self.image, soft, colour, box)

    def text(
        self, origin: tuple[float, float], text: str, height_px: float, colour: np.ndarray, handwritten: bool
    ) -> None:
        font = cv2.FONT_HERSHEY_SCRIPT_SIMPLEX if handwritten else cv2.FONT_HERSHEY_SIMPLEX
        scale = max(height_px / 22.0, 0.2)
        (text_w, text_h), descent = cv2.getTextSize(text, font, scale, 1)
        x0, y0 = round(origin[0]), round(origin[1]) - text_h - 2
        box = (max(y0, 0), min(y0 + text_h + descent + 4, self.height), max(x0, 0), min(x0 + text_w + 2, self.width))
        if box[1] <= box[0] or box[3] <= box[2]:
            return
        # putText draws on 8-bit images only: draw coverage, then blend the ink.
        coverage = np.zeros((text_h + descent + 4, text_w + 2), np.uint8)
        cv2.putText(coverage, text, (0, text_h + 2), font, scale, 255, 1, cv2.LINE_AA)
        coverage = coverage[box[0] - y0 : box[1] - y0, box[2] - x0 : box[3] - x0]
        _blend(self.image, coverage.astype(np.float32) / 255.0, colour, box)


def _rect(x: float, y: float, w: float, h: float) -> np.ndarray:
    return np.array([[x, y], [x + w, y], [x + w, y + h], [x, y + h]], np.float64)


def _draw_line(image: np.ndarray, points: list[np.ndarray], colour: tuple, thickness: int) -> None:
    pts = np.round(np.array(points) * 16).astype(np.int32)
    cv2.polylines(image, [pts], False, colour, thickness, cv2.LINE_AA, shift=4)
