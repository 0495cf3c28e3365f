"""Seeded generator of synthetic herbarium sheets with leaf instance ground truth.

A sheet shows cream mounting paper (textured, unevenly lit, sometimes inside a
black scanner border) with one pressed plant: a woody or green stem, leaves on
petioles in brown, olive or dull green with midrib and veins, in several shapes
and sizes. Leaves overlap, are folded, torn, insect-eaten or cut off by the
image edge; paper strips and tape hold the plant down. Labels with printed and
handwritten text, a ruler with cm/mm ticks, a barcode, a colour chart with a
green patch, ink stamps and sometimes a paper capsule complete the sheet.

Only leaf blades are labelled; stems, petioles, strips and sheet furniture are
background. The same (seed, index) always gives the same sheet, bit for bit.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np
import pandas as pd

from herbarium_leaves.sheet_styles import COLORCHECKER_24, CONTROL_STRIP, GREY_SCALE, STYLES, SheetStyle

PAPER_HEIGHT_MM = 420.0
TEST_INDEX_OFFSET = 1_000_000
PRETRAIN_INDEX_OFFSET = 3_000_000  # pretraining sheets: apart from the demo's and the benchmarks' (2,000,000)
SVM_INDEX_OFFSET = 6_000_000  # the intact-leaf SVM's generated sheets: apart from the above and bench_pretrain's

LEAF_SHAPES = ("elliptic", "ovate", "lanceolate", "obovate", "lobed", "serrated")
# Half-width profile t**a * (1 - t)**b along the midrib: widest at a / (a + b).
_PROFILE_EXPONENTS = {
    "elliptic": (0.55, 0.55),
    "ovate": (0.45, 0.85),
    "lanceolate": (0.5, 1.1),
    "obovate": (0.85, 0.45),
    "lobed": (0.6, 0.6),
    "serrated": (0.55, 0.7),
    "linear": (0.12, 0.55),  # grass blades: parallel sides, a long tapering tip
    "needle": (0.04, 0.06),  # nearly parallel-sided, blunt
}
# Width as a fraction of length; at most 0.7 so the longest Feret diameter is the midrib.
_WIDTH_RATIO = {
    "elliptic": (0.35, 0.55),
    "ovate": (0.4, 0.6),
    "lanceolate": (0.15, 0.28),
    "obovate": (0.38, 0.55),
    "lobed": (0.5, 0.7),
    "serrated": (0.3, 0.5),
    "linear": (0.02, 0.06),
    "needle": (0.07, 0.12),
}
_SHAPE_WEIGHTS = np.array([0.22, 0.2, 0.16, 0.14, 0.12, 0.16])
# Pressed-leaf colours (RGB): brown, dark brown, olive, dull green, and (rarely) bright green.
_LEAF_PALETTE = np.array([[122, 88, 52], [84, 62, 42], [112, 108, 58], [86, 108, 64], [66, 148, 56]], dtype=np.float32)
_LEAF_PALETTE_WEIGHTS = np.array([0.3, 0.18, 0.24, 0.23, 0.05])
_INK_COLOURS = np.array([[30, 30, 35], [25, 40, 110], [150, 35, 40], [95, 45, 120], [30, 110, 55]], dtype=np.float32)
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
_SYLLABLES = ("ca", "ra", "lo", "phy", "ta", "si", "nus", "ae", "ri", "mo", "ne", "flo", "us", "la", "gen", "ti")


@dataclass(frozen=True)
class SyntheticSheet:
    """A generated sheet: RGB image, uint16 leaf instance labels and one row per visible leaf."""

    image: np.ndarray
    labels: np.ndarray
    leaves: pd.DataFrame
    px_per_mm: float
    ruler: str | None = None  # the style of the ruler drawn (RULER_STYLES), None when the sheet has none
    plant: str = "broadleaf"  # the plant type drawn (sheet_styles.PLANT_TYPES)


@dataclass
class _Leaf:
    outline: np.ndarray  # closed polygon in sheet px (x, y)
    flap: np.ndarray | None  # folded-over part in sheet px, drawn on top of the blade
    base: np.ndarray
    angle: float
    shape: str
    length_px: float
    width_px: float
    colour: np.ndarray
    petiole: np.ndarray | None = None
    damage: list[str] = field(default_factory=list)
    erasers: list[np.ndarray] = field(default_factory=list)  # polygons cut out of the blade


def leaf_outline(
    shape: str, length_px: float, width_px: float, rng: np.random.Generator, samples: int = 241
) -> np.ndarray:
    """Return a closed leaf outline (2 * samples - 2 points) in the leaf frame, in px.

    The base is at (0, 0), the tip at (length_px, 0) and the midrib on y = 0; the
    outline's extent is exactly length_px along the midrib and width_px across it.
    """
    t = np.linspace(0.0, 1.0, samples)
    a, b = (e * rng.uniform(0.85, 1.15) for e in _PROFILE_EXPONENTS[shape])
    profile = t**a * (1.0 - t) ** b
    profile /= profile.max()
    if shape == "lobed":
        n_lobes = int(rng.integers(2, 5))
        depth = rng.uniform(0.3, 0.5)
        profile = profile * (1.0 - depth * np.sin(np.pi * n_lobes * t) ** 2)
    elif shape == "serrated":
        n_teeth = int(rng.integers(14, 28))
        profile = profile * (1.0 + rng.uniform(0.05, 0.1) * ((t * n_teeth) % 1.0))
    upper = profile * rng.uniform(0.9, 1.0)
    lower = -profile * rng.uniform(0.9, 1.0)
    y_scale = width_px / (upper.max() - lower.min())
    x = t * length_px
    return np.concatenate(
        [np.stack([x, upper * y_scale], axis=1), np.stack([x[::-1], lower[::-1] * y_scale], axis=1)[1:-1]]
    )


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


def _to_sheet(points: np.ndarray, base: np.ndarray, angle: float) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    return points @ np.array([[c, s], [-s, c]]) + base


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


@dataclass(frozen=True)
class _LeafKind:
    """The blades of one plant type: shapes and their weights, and the length range in mm."""

    shapes: tuple[str, ...]
    weights: tuple[float, ...]
    length_mm: tuple[float, float]


_LEAF_KINDS = {
    "leaflet": _LeafKind(("elliptic", "ovate", "lanceolate", "obovate", "serrated"), (3, 3, 2, 1, 1), (12.0, 40.0)),
    "dense": _LeafKind(("elliptic", "ovate", "obovate", "lanceolate"), (3, 3, 2, 2), (6.0, 22.0)),
    "grass": _LeafKind(("linear",), (1,), (60.0, 220.0)),
    "needles": _LeafKind(("needle",), (1,), (8.0, 30.0)),
}


def _make_leaf(
    rng: np.random.Generator,
    base: np.ndarray,
    angle: float,
    px_per_mm: float,
    damage_rate: float,
    kind: _LeafKind | None = None,
) -> _Leaf:
    """A leaf blade at `base`, pointing at `angle`: a broad leaf of the demo, or a blade of `kind`."""
    if kind is None:
        shape = str(rng.choice(LEAF_SHAPES, p=_SHAPE_WEIGHTS / _SHAPE_WEIGHTS.sum()))
        low, high = 35.0, 110.0
    else:
        weights = np.array(kind.weights, float)
        shape = kind.shapes[int(rng.choice(len(kind.shapes), p=weights / weights.sum()))]
        low, high = kind.length_mm
    length = float(np.exp(rng.uniform(np.log(low), np.log(high))) * px_per_mm)
    width = float(length * rng.uniform(*_WIDTH_RATIO[shape]))
    if kind is not None:
        width = max(width, 2.0)  # a blade under 2 px wide has no measurable outline at the sheet's resolution
    # Small blades need fewer outline points: about one per px of length.
    local = leaf_outline(shape, length, width, rng, 241 if kind is None else int(np.clip(length, 25, 241)))
    colour = _LEAF_PALETTE[rng.choice(len(_LEAF_PALETTE), p=_LEAF_PALETTE_WEIGHTS)]
    colour = np.clip(colour * rng.uniform(0.85, 1.15) + rng.normal(0, 6, 3), 20, 235)
    leaf = _Leaf(_to_sheet(local, base, angle), None, base, angle, shape, length, width, colour)
    if rng.random() < damage_rate * 0.5:
        # Fold the apical part back over the blade along a slightly tilted line.
        tilt = rng.uniform(-0.35, 0.35)
        normal = np.array([np.cos(tilt), np.sin(tilt)])
        offset = rng.uniform(0.55, 0.85) * length
        kept = _clip_half_plane(local, normal, offset)
        flap = _clip_half_plane(local, -normal, -offset)
        if len(kept) >= 3 and len(flap) >= 3:
            flap = flap - 2.0 * (flap @ normal - offset)[:, None] * normal
            leaf.outline = _to_sheet(kept, base, angle)
            leaf.flap = _to_sheet(flap, base, angle)
            leaf.damage.append("folded")
    if rng.random() < damage_rate * 0.6:
        margin_point = local[int(rng.integers(20, len(local) - 20))]
        bite = _jagged_blob(margin_point, rng.uniform(0.25, 0.5) * width, rng, 0.45)
        leaf.erasers.append(_to_sheet(bite, base, angle))
        leaf.damage.append("torn")
    if rng.random() < damage_rate * 0.7:
        for _ in range(int(rng.integers(1, 6))):
            centre = np.array([rng.uniform(0.2, 0.8) * length, rng.uniform(-0.2, 0.2) * width])
            hole = _jagged_blob(centre, rng.uniform(0.04, 0.1) * width + 1.5, rng, 0.3)
            leaf.erasers.append(_to_sheet(hole, base, angle))
        leaf.damage.append("insect_damage")
    return leaf


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


def _words(rng: np.random.Generator, n: int) -> str:
    return " ".join(
        "".join(rng.choice(_SYLLABLES, int(rng.integers(1, 4)))).capitalize()
        if k == 0
        else "".join(rng.choice(_SYLLABLES, int(rng.integers(1, 4))))
        for k in range(n)
    )


_CHART_SIZES_MM = {"strip": ((85, 120), (14, 20)), "control": ((120, 190), (22, 32)), "checker": ((60, 90), (40, 60))}


def _place_items(
    rng: np.random.Generator, paper: tuple[int, int, int, int], mm: float, style: SheetStyle
) -> list[tuple[str, np.ndarray]]:
    """Choose non-overlapping rectangles (sheet px) for labels, ruler, barcode, chart, stamps, capsule and packet."""
    y0, y1, x0, x1 = paper
    wanted = [("label", rng.uniform(95, 130), rng.uniform(55, 80), "bottom_right")]
    if rng.random() < 0.6:
        slip_w, slip_h = rng.uniform(60, 90), rng.uniform(20, 32)
        coloured = style.coloured_labels > 0 and rng.random() < style.coloured_labels
        kind = f"slip:{int(rng.integers(len(style.slip_papers)))}" if coloured else "slip"
        wanted.append((kind, slip_w, slip_h, "any"))
    if rng.random() < 0.85:
        vertical = rng.random() < 0.35
        ruler = RULER_STYLES[int(rng.choice(len(RULER_STYLES), p=_RULER_STYLE_WEIGHTS))]
        length, breadth = rng.uniform(110, 180), rng.uniform(12, 18)
        inside = rng.random() < 0.3  # on the paper among the plant, not at its edge
        wanted.append(
            (
                f"ruler:{ruler}",
                *((breadth, length) if vertical else (length, breadth)),
                "any" if inside else "left" if vertical else "bottom",
            )
        )
    wanted.append(("barcode", rng.uniform(40, 55), rng.uniform(14, 20), "top"))
    if rng.random() < 0.7:
        layout = style.charts[int(rng.integers(len(style.charts)))] if len(style.charts) > 1 else style.charts[0]
        (w_low, w_high), (h_low, h_high) = _CHART_SIZES_MM[layout]
        wanted.append((f"chart:{layout}", rng.uniform(w_low, w_high), rng.uniform(h_low, h_high), "any"))
    if rng.random() < 0.3:
        wanted.append(("capsule", rng.uniform(50, 80), rng.uniform(40, 60), "top"))
    for _ in range(int(rng.integers(1, 3))):
        size = rng.uniform(18, 32)
        wanted.append(("stamp", size, size * rng.choice([1.0, 0.6]), "any"))
    if style.coloured_labels > 0 and rng.random() < style.coloured_labels:
        wanted.append(("type_label", rng.uniform(40, 60), rng.uniform(14, 20), "any"))
    if style.packet > 0 and rng.random() < style.packet:
        wanted.append(
            (f"packet:{'kraft' if rng.random() < 0.5 else 'white'}", rng.uniform(45, 80), rng.uniform(35, 60), "any")
        )
    placed: list[tuple[str, np.ndarray]] = []
    margin = 6 * mm
    for kind, w_mm, h_mm, where in wanted:
        w, h = w_mm * mm, h_mm * mm
        for _ in range(30):
            x = rng.uniform(x0 + margin, max(x0 + margin + 1, x1 - margin - w))
            y = rng.uniform(y0 + margin, max(y0 + margin + 1, y1 - margin - h))
            if where == "bottom_right":
                x, y = x1 - margin - w - rng.uniform(0, 15 * mm), y1 - margin - h - rng.uniform(0, 15 * mm)
            elif where == "bottom":
                y = y1 - margin - h - rng.uniform(0, 10 * mm)
            elif where == "left":
                x = x0 + margin + rng.uniform(0, 10 * mm)
            elif where == "top":
                y = y0 + margin + rng.uniform(0, 25 * mm)
            rect = _rect(x, y, w, h)
            if all(not _overlaps(rect, other) for _, other in placed):
                placed.append((kind, rect))
                if kind.startswith("ruler") and rng.random() < 0.2:
                    placed.append(("slip", _cover_end(rng, rect, mm)))
                break
    return placed


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


def _overlaps(a: np.ndarray, b: np.ndarray, gap: float = 4.0) -> bool:
    return not (
        a[:, 0].max() + gap < b[:, 0].min()
        or b[:, 0].max() + gap < a[:, 0].min()
        or a[:, 1].max() + gap < b[:, 1].min()
        or b[:, 1].max() + gap < a[:, 1].min()
    )


_TYPE_LABEL_PAPERS = np.array([[205, 55, 50], [236, 150, 160], [238, 128, 64]], np.float32)
_TYPE_WORDS = ("TYPE", "HOLOTYPE", "ISOTYPE", "PARATYPE", "LECTOTYPE")
_PACKET_TONES = {"kraft": np.array([186, 154, 108], np.float32), "white": np.array([248, 247, 242], np.float32)}


def _draw_item(
    painter: _SheetPainter, kind: str, rect: np.ndarray, mm: float, paper_tone: np.ndarray, style: SheetStyle
) -> None:
    rng = painter.rng
    x, y = rect[0]
    w, h = rect[2] - rect[0]
    if kind in ("label", "slip", "capsule") or kind.startswith("slip:"):
        if kind.startswith("slip:"):
            tone = np.array(style.slip_papers[int(kind.split(":")[1])], np.float32) + rng.normal(0, 4, 3)
        else:
            tone = np.clip(paper_tone + rng.normal(8, 6, 3), 0, 255) if kind != "capsule" else paper_tone * 0.97
        painter.rectangle(rect, tone, 1.0, covers=True)
        painter.polyline(np.vstack([rect, rect[:1]]), paper_tone * 0.8, 1)
        if kind == "capsule":
            painter.polyline(np.array([rect[0], [x + w / 2, y + 0.45 * h], rect[1]]), paper_tone * 0.75, 1)
            return
        line_h = rng.uniform(2.5, 3.8) * mm
        ink = _INK_COLOURS[int(rng.integers(0, 2))]
        for row in range(int(h // (line_h * 1.7))):
            handwritten = kind.startswith("slip") or rng.random() < 0.35
            baseline = y + (row + 1) * line_h * 1.7
            painter.text(
                (x + 3 * mm, baseline),
                _words(rng, int(rng.integers(2, 6))),
                line_h,
                _INK_COLOURS[int(rng.integers(0, 2))] if handwritten else ink,
                handwritten,
            )
    elif kind.startswith("ruler"):
        _draw_ruler(painter, rect, mm, kind.split(":")[1])
    elif kind == "barcode":
        painter.rectangle(rect, np.array([250, 250, 248]), 1.0, covers=True)
        bar_x = x + 2 * mm
        while bar_x < x + w - 3 * mm:
            bar_w = rng.choice([0.3, 0.6, 0.9]) * mm
            if rng.random() < 0.55:
                painter.rectangle(_rect(bar_x, y + 1.5 * mm, bar_w, h - 5.5 * mm), np.zeros(3), 1.0, covers=True)
            bar_x += bar_w
        painter.text(
            (x + 3 * mm, y + h - 1 * mm), "".join(rng.choice(list("0123456789"), 10)), 2.8 * mm, np.zeros(3), False
        )
    elif kind == "chart:strip":
        painter.rectangle(rect, np.array([30, 30, 30]), 1.0, covers=True)
        colours = _CHART_COLOURS[rng.permutation(len(_CHART_COLOURS))[: int(rng.integers(6, 12))]]
        if not any((c == _CHART_COLOURS[5]).all() for c in colours):
            colours[0] = _CHART_COLOURS[5]  # a green patch is always there, as on real charts
        patch = (w - 2 * mm) / len(colours)
        for k, colour in enumerate(colours):
            painter.rectangle(_rect(x + mm + k * patch, y + mm, patch * 0.9, h - 2 * mm), colour, 1.0, covers=True)
    elif kind.startswith("chart:"):
        _draw_chart(painter, rect, mm, kind.split(":")[1])
    elif kind == "type_label":
        tone = _TYPE_LABEL_PAPERS[int(rng.integers(len(_TYPE_LABEL_PAPERS)))] * rng.uniform(0.92, 1.03)
        painter.rectangle(rect, np.clip(tone, 0, 255), 1.0, covers=True)
        ink = np.array([245, 245, 240] if tone.mean() < 120 else [25, 25, 30], np.float32)
        painter.text((x + 2 * mm, y + 0.7 * h), _TYPE_WORDS[int(rng.integers(len(_TYPE_WORDS)))], 0.45 * h, ink, False)
    elif kind.startswith("packet:"):
        tone = _PACKET_TONES[kind.split(":")[1]] * rng.uniform(0.92, 1.04) + rng.normal(0, 3, 3)
        painter.rectangle(rect, np.clip(tone, 0, 255), 1.0, covers=True)
        edge = tone * 0.78
        painter.polyline(np.vstack([rect, rect[:1]]), edge, 1)
        painter.polyline(np.array([rect[0], [x + w / 2, y + rng.uniform(0.3, 0.5) * h], rect[1]]), edge, 1)
        painter.text((x + 3 * mm, y + 0.8 * h), _words(rng, 2), 3 * mm, _INK_COLOURS[0], True)
    elif kind == "stamp":
        ink = _INK_COLOURS[int(rng.integers(1, 5 if style.green_stamps else 4))]
        centre = (round(x + w / 2), round(y + h / 2))
        if w == h:
            cv2.circle(
                painter.image,
                centre,
                round(w / 2),
                tuple(float(c) * 1.0 for c in ink),
                max(1, round(0.6 * mm)),
                cv2.LINE_AA,
            )
        else:
            painter.polyline(np.vstack([rect, rect[:1]]), ink, max(1, 0.6 * mm))
        painter.text((x + 0.15 * w, y + 0.6 * h), _words(rng, 1).upper()[:8], 0.22 * h, ink, False)


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


def _grow_stem(
    rng: np.random.Generator,
    start: np.ndarray,
    heading: float,
    n_segments: int,
    segment: float,
    paper: tuple[int, int, int, int],
) -> np.ndarray:
    """A stem polyline that wanders upward and stops at the paper's edge."""
    y0, y1, x0, x1 = paper
    points = [start]
    for _ in range(n_segments):
        heading += rng.normal(0, 0.12)
        step = points[-1] + segment * np.array([np.cos(heading), np.sin(heading)])
        if not (x0 <= step[0] < x1 and y0 <= step[1] < y1):
            break
        points.append(step)
    return np.array(points)


_Layout = tuple[list[np.ndarray], list[np.ndarray], list[_Leaf]]  # stems, thin twigs (rachises), leaves


def _layout_plant(
    rng: np.random.Generator, paper: tuple[int, int, int, int], mm: float, damage_rate: float, style: SheetStyle
) -> tuple[str, _Layout]:
    """One plant of a type the style draws: the type, and its stems, twigs and leaves (with petioles), in sheet px."""
    types = list(style.plants)
    if len(types) > 1:
        weights = np.array([style.plants[name] for name in types], float)
        plant = types[int(rng.choice(len(types), p=weights / weights.sum()))]
    else:
        plant = types[0]
    layout = {
        "broadleaf": _layout_broadleaf,
        "compound": _layout_compound,
        "dense": _layout_dense,
        "grass": _layout_grass,
        "needles": _layout_needles,
    }[plant]
    return plant, layout(rng, paper, mm, damage_rate)


def _main_stem(
    rng: np.random.Generator, paper: tuple[int, int, int, int], mm: float, segment_mm: tuple[float, float]
) -> tuple[np.ndarray, float]:
    """The main stem, rising from near the paper's foot, and its segment length in px."""
    y0, y1, x0, x1 = paper
    paper_w, paper_h = x1 - x0, y1 - y0
    near_side = rng.random() < 0.2
    x_frac = rng.choice([rng.uniform(0.08, 0.16), rng.uniform(0.84, 0.92)]) if near_side else rng.uniform(0.25, 0.7)
    start = np.array([x0 + x_frac * paper_w, y1 - rng.uniform(0.04, 0.14) * paper_h])
    segment = rng.uniform(*segment_mm) * mm
    height = rng.uniform(0.5, 0.85) * paper_h
    return _grow_stem(rng, start, -np.pi / 2 + rng.normal(0, 0.15), int(height / segment), segment, paper), segment


def _occupancy(paper: tuple[int, int, int, int]) -> np.ndarray:
    return np.zeros((paper[1] // _GRID + 2, paper[3] // _GRID + 2), bool)


def _side_leaf(
    rng: np.random.Generator,
    node: np.ndarray,
    heading: float,
    petiole_mm: tuple[float, float],
    mm: float,
    damage_rate: float,
    kind: _LeafKind,
    occupied: np.ndarray,
    swing: float = 1.6,
) -> _Leaf:
    """A blade of `kind` on a petiole from `node` towards `heading`, swung clear of placed leaves."""
    direction = np.array([np.cos(heading), np.sin(heading)])
    base = node + direction * rng.uniform(*petiole_mm) * mm
    leaf = _make_leaf(rng, base, heading, mm, damage_rate, kind)
    leaf.petiole = np.array([node, (node + base) / 2, base])
    return _spread(leaf, node, occupied, rng, swing, coarse_fill=True)


def _headings(stem: np.ndarray) -> np.ndarray:
    steps = np.diff(stem, axis=0)
    return np.arctan2(steps[:, 1], steps[:, 0])


def _layout_compound(rng: np.random.Generator, paper, mm: float, damage_rate: float) -> _Layout:
    """Pinnate leaves: a rachis every other node, leaflets in pairs along it and one at its end."""
    main, _ = _main_stem(rng, paper, mm, (12, 20))
    occupied, twigs, leaves = _occupancy(paper), [], []
    side = rng.choice([-1, 1])
    for k in range(1, len(main), 2):
        heading = _headings(main[: k + 1])[-1] + side * rng.uniform(0.5, 1.1)
        side = -side
        rachis = _grow_stem(rng, main[k], heading, int(rng.integers(3, 7)), rng.uniform(10, 20) * mm, paper)
        if len(rachis) < 2:
            continue
        twigs.append(rachis)
        directions = _headings(rachis)
        for node in range(1, len(rachis)):
            for sign in (-1, 1):
                angle = directions[node - 1] + sign * rng.uniform(0.7, 1.3)
                leaves.append(
                    _side_leaf(rng, rachis[node], angle, (1, 3), mm, damage_rate, _LEAF_KINDS["leaflet"], occupied, 0.3)
                )
        leaves.append(
            _side_leaf(rng, rachis[-1], directions[-1], (2, 5), mm, damage_rate, _LEAF_KINDS["leaflet"], occupied, 0.2)
        )
    return [main], twigs, leaves


def _branches(
    rng: np.random.Generator, main: np.ndarray, paper, segment: float, count: tuple[int, int]
) -> list[np.ndarray]:
    """Side branches forking off the main stem upwards."""
    branches = []
    for _ in range(int(rng.integers(*count))):
        if len(main) < 3:
            break
        fork = int(rng.integers(1, len(main) - 1))
        heading = -np.pi / 2 + rng.choice([-1, 1]) * rng.uniform(0.4, 1.1)
        branch = _grow_stem(rng, main[fork], heading, int(rng.integers(3, 10)), segment, paper)
        if len(branch) > 1:
            branches.append(branch)
    return branches


def _leaves_along(
    rng: np.random.Generator,
    stems: list[np.ndarray],
    mm: float,
    damage_rate: float,
    kind: _LeafKind,
    petiole_mm: tuple[float, float],
    spread: tuple[float, float],
    per_node: int,
    occupied: np.ndarray,
) -> list[_Leaf]:
    """Leaves of `kind` at every node of every stem, alternating sides (both sides when per_node is 2)."""
    leaves = []
    for stem in stems:
        side = rng.choice([-1, 1])
        for node, heading in zip(stem[1:], _headings(stem), strict=True):
            for _ in range(per_node):
                angle = heading + side * rng.uniform(*spread)
                side = -side
                leaves.append(_side_leaf(rng, node, angle, petiole_mm, mm, damage_rate, kind, occupied, 0.5))
    return leaves


def _layout_dense(rng: np.random.Generator, paper, mm: float, damage_rate: float) -> _Layout:
    """A twiggy shrub: branches with many small leaves."""
    main, segment = _main_stem(rng, paper, mm, (6, 10))
    stems = [main, *_branches(rng, main, paper, segment, (3, 8))]
    occupied = _occupancy(paper)
    return (
        stems,
        [],
        _leaves_along(rng, stems, mm, damage_rate, _LEAF_KINDS["dense"], (0.5, 2), (0.5, 1.2), 1, occupied),
    )


def _layout_needles(rng: np.random.Generator, paper, mm: float, damage_rate: float) -> _Layout:
    """A conifer twig: needles in pairs at every node of the main stem and its side twigs."""
    main, segment = _main_stem(rng, paper, mm, (4, 7))
    stems = [main, *_branches(rng, main, paper, segment, (2, 6))]
    occupied = _occupancy(paper)
    kind = _LEAF_KINDS["needles"]
    return stems, [], _leaves_along(rng, stems, mm, damage_rate, kind, (0.2, 0.6), (0.5, 1.1), 2, occupied)


def _layout_grass(rng: np.random.Generator, paper, mm: float, damage_rate: float) -> _Layout:
    """A grass tuft: culms from one base, long narrow blades from the base and from each culm's nodes."""
    y0, y1, x0, x1 = paper
    base = np.array([x0 + rng.uniform(0.3, 0.7) * (x1 - x0), y1 - rng.uniform(0.05, 0.15) * (y1 - y0)])
    occupied, kind = _occupancy(paper), _LEAF_KINDS["grass"]
    culms, leaves = [], []
    for _ in range(int(rng.integers(3, 8))):
        start = base + rng.normal(0, 2.5 * mm, 2)
        culm = _grow_stem(
            rng, start, -np.pi / 2 + rng.normal(0, 0.3), int(rng.integers(5, 12)), rng.uniform(18, 28) * mm, paper
        )
        if len(culm) < 2:
            continue
        culms.append(culm)
        headings = _headings(culm)
        for node in rng.choice(
            np.arange(1, len(culm)), size=min(len(culm) - 1, int(rng.integers(1, 4))), replace=False
        ):
            angle = headings[node - 1] + rng.choice([-1, 1]) * rng.uniform(0.15, 0.5)
            leaves.append(_side_leaf(rng, culm[node], angle, (0.5, 1.5), mm, damage_rate, kind, occupied, 0.3))
    for _ in range(int(rng.integers(2, 6))):
        angle = -np.pi / 2 + rng.normal(0, 0.6)
        leaves.append(_side_leaf(rng, base, angle, (0.5, 2), mm, damage_rate, kind, occupied, 0.3))
    return culms, [], leaves


def _layout_broadleaf(rng: np.random.Generator, paper, mm: float, damage_rate: float) -> _Layout:
    """The demo's plant: a stem (sometimes forked) with broad leaves on petioles."""
    main, segment = _main_stem(rng, paper, mm, (11, 17))
    stems = [main]
    if rng.random() < 0.5 and len(main) > 6:
        fork = int(rng.integers(len(main) // 3, 2 * len(main) // 3))
        side = rng.choice([-1, 1])
        stems.append(
            _grow_stem(
                rng,
                main[fork],
                -np.pi / 2 + side * rng.uniform(0.4, 0.8),
                int(rng.integers(3, max(4, len(main) - fork))),
                segment,
                paper,
            )
        )
    leaves = []
    occupied = _occupancy(paper)
    for stem in stems:
        side = rng.choice([-1, 1])
        step = 1 if rng.random() < 0.5 else 2
        for k in range(1, len(stem), step):
            direction = stem[k] - stem[k - 1]
            heading = np.arctan2(direction[1], direction[0])
            if k + step >= len(stem):
                leaf_heading = heading + rng.normal(0, 0.2)  # terminal leaf
            else:
                leaf_heading = heading + side * rng.uniform(0.6, 1.3)
                side = -side
            petiole_len = rng.uniform(3, 14) * mm
            leaf_dir = np.array([np.cos(leaf_heading), np.sin(leaf_heading)])
            bend = np.array([-leaf_dir[1], leaf_dir[0]]) * rng.normal(0, 0.15) * petiole_len
            base = stem[k] + leaf_dir * petiole_len
            leaf = _make_leaf(rng, base, leaf_heading, mm, damage_rate)
            leaf.petiole = np.array([stem[k], stem[k] + leaf_dir * petiole_len / 2 + bend / 2, base])
            leaves.append(_spread(leaf, stem[k], occupied, rng))
    return stems, [], leaves


_GRID = 4  # px per cell of the coarse map of where leaves already lie


def _rotated_points(points: np.ndarray, pivot: np.ndarray, delta: float) -> np.ndarray:
    c, s = np.cos(delta), np.sin(delta)
    return (points - pivot) @ np.array([[c, s], [-s, c]]) + pivot


def _rotated(leaf: _Leaf, pivot: np.ndarray, delta: float) -> _Leaf:
    """The leaf (blade, flap, damage, petiole) swung by `delta` radians around its stem node."""

    def move(points):
        return None if points is None else _rotated_points(points, pivot, delta)

    return _Leaf(
        move(leaf.outline),
        move(leaf.flap),
        move(leaf.base[None])[0],
        leaf.angle + delta,
        leaf.shape,
        leaf.length_px,
        leaf.width_px,
        leaf.colour,
        move(leaf.petiole),
        list(leaf.damage),
        [move(eraser) for eraser in leaf.erasers],
    )


def _spread(
    leaf: _Leaf,
    pivot: np.ndarray,
    occupied: np.ndarray,
    rng: np.random.Generator,
    swing: float = 1.6,
    coarse_fill: bool = False,
) -> _Leaf:
    """As a mounter would, usually swing a leaf on its petiole (up to `swing` rad) to cover the fewest placed leaves.

    `occupied` (a coarse map of placed leaves) is updated with the chosen placement.
    `coarse_fill` maps the candidates with OpenCV's polygon fill, faster on many small
    blades (the demo's broad leaves keep the exact fill, so its sheets stay as they were).
    """
    deltas = [None]  # the leaf as it grew
    if rng.random() < 0.9:
        deltas += list(rng.uniform(-swing, swing, 16))
    near = cv2.dilate(occupied.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)  # keep a small gap
    best, best_overlap, best_cells = None, np.inf, None
    for delta in deltas:
        outline = leaf.outline if delta is None else _rotated_points(leaf.outline, pivot, delta)
        if coarse_fill:
            cells = np.zeros(occupied.shape, np.uint8)
            cv2.fillPoly(cells, [np.round(outline / _GRID).astype(np.int32)], 1)
        else:
            cells = rasterize_polygon(outline / _GRID, occupied.shape)
        cells = cells.astype(bool)
        overlap = np.count_nonzero(cells & near)
        if overlap < best_overlap:
            best, best_overlap, best_cells = delta, overlap, cells
        if overlap == 0:
            break
    occupied |= best_cells
    return leaf if best is None else _rotated(leaf, pivot, best)


def _leaf_layers(leaf: _Leaf, rng: np.random.Generator, mm: float, height: int, width: int) -> dict:
    """Rasterize a leaf near its own box: blade and flap masks, colour patch, box and whether it was clipped."""
    points = leaf.outline if leaf.flap is None else np.vstack([leaf.outline, leaf.flap])
    box = _box(points, 2, height, width)
    clipped = points.min() < 0 or points[:, 0].max() > width - 1 or points[:, 1].max() > height - 1
    origin = np.array([box[2], box[0]], np.float64)
    size = (box[1] - box[0], box[3] - box[2])
    blade = rasterize_polygon(leaf.outline, size, origin)
    flap = rasterize_polygon(leaf.flap, size, origin) if leaf.flap is not None else np.zeros(size, np.uint8)
    for eraser in leaf.erasers:
        hole = rasterize_polygon(eraser, size, origin).astype(bool)
        blade[hole] = 0
        flap[hole] = 0
    texture = 1.0 + 0.12 * _smooth_noise(rng, size, 3 * mm) + 0.05 * _smooth_noise(rng, size, 0.8 * mm)
    patch = leaf.colour[None, None, :] * texture[..., None]
    dist = cv2.distanceTransform(blade, cv2.DIST_L2, 3)
    patch *= (1.0 - 0.25 * np.exp(-dist / (1.2 * mm)))[..., None]
    vein_colour = tuple(float(c) for c in np.clip(leaf.colour * rng.choice([0.72, 1.3]), 0, 255))
    tip = leaf.base + leaf.length_px * np.array([np.cos(leaf.angle), np.sin(leaf.angle)])
    _draw_line(patch, [leaf.base - origin, tip - origin], vein_colour, max(1, round(0.5 * mm)))
    for t in np.linspace(0.12, 0.85, int(rng.integers(4, 9))):
        for sign in (-1, 1):
            start = np.array([t * leaf.length_px, 0.0])
            spread = rng.uniform(0.6, 1.0)
            end = start + leaf.width_px * 0.55 * np.array([spread, sign * 1.0])
            _draw_line(
                patch,
                [
                    _to_sheet(start[None], leaf.base, leaf.angle)[0] - origin,
                    _to_sheet(end[None], leaf.base, leaf.angle)[0] - origin,
                ],
                vein_colour,
                1,
            )
    return {
        "blade": blade,
        "flap": flap,
        "patch": patch,
        "box": box,
        "clipped": bool(clipped),
        "full_area": int(np.count_nonzero(blade | flap)),
    }


def _draw_line(image: np.ndarray, points: list[np.ndarray], colour: tuple, thickness: int) -> None:
    pts = np.round(np.array(points) * 16).astype(np.int32)
    cv2.polylines(image, [pts], False, colour, thickness, cv2.LINE_AA, shift=4)


def generate_sheet(
    seed: int, index: int, height_px: int, width_px: int, damage_rate: float = 0.25, style: str = "classic"
) -> SyntheticSheet:
    """Generate sheet `index` of `style` (sheet_styles.STYLES) with `seed`: same arguments, same sheet bit for bit.

    `damage_rate` scales how often a leaf is folded, torn or insect-eaten.
    Leaf rows give true length and width in mm (the unfolded, undamaged blade),
    `px_per_mm`, and `intact` with the `reason` when it is not.
    """
    look = STYLES[style]
    rng = np.random.default_rng([seed, index])
    painter = _SheetPainter(rng, height_px, width_px)
    if rng.random() < 0.5:
        top, bottom = (int(rng.uniform(0.01, 0.04) * height_px) for _ in range(2))
        left, right = (int(rng.uniform(0.01, 0.05) * width_px) for _ in range(2))
        paper = (top, height_px - bottom, left, width_px - right)
    else:
        paper = (0, height_px, 0, width_px)
    mm = (paper[1] - paper[0]) / PAPER_HEIGHT_MM
    paper_tone = painter.paper(paper, look.papers)
    items = _place_items(rng, paper, mm, look)
    plant, (stems, twigs, leaves) = _layout_plant(rng, paper, mm, damage_rate, look)
    # Leaves that run into sheet furniture are mostly left off, as a mounter would; a few stay covered.
    leaves = [
        leaf for leaf in leaves if not any(_overlaps(leaf.outline, rect, 0) for _, rect in items) or rng.random() < 0.2
    ]
    leaves = [leaf for leaf in leaves if _on_image(leaf.outline, height_px, width_px)]

    woody = rng.random() < 0.6
    stem_colour = (np.array([92, 66, 44]) if woody else np.array([96, 112, 62])) * rng.uniform(0.85, 1.1)
    stem_width = (rng.uniform(1.5, 2.6) if woody else rng.uniform(0.8, 1.5)) * mm
    for stem in stems:
        painter.polyline(stem, stem_colour, stem_width)
    for twig in twigs:
        painter.polyline(twig, stem_colour, max(1.0, 0.45 * stem_width))
    _draw_organs(painter, rng, plant, stems, mm, look)
    for leaf in leaves:
        painter.polyline(leaf.petiole, leaf.colour * 0.85, max(1.0, 0.7 * mm))

    labels = np.zeros((height_px, width_px), np.uint16)
    layers = []
    for z in rng.permutation(len(leaves)):
        layer = _leaf_layers(leaves[z], rng, mm, height_px, width_px)
        y0, y1, x0, x1 = layer["box"]
        for mask, colour_scale in ((layer["blade"], 1.0), (layer["flap"], 1.22)):
            if mask.any():
                alpha = cv2.GaussianBlur(mask.astype(np.float32), (0, 0), 0.6)
                patch = layer["patch"] * colour_scale + (18.0 if colour_scale > 1 else 0.0)
                region = painter.image[y0:y1, x0:x1]
                region[:] = region * (1 - alpha[..., None]) + patch * alpha[..., None]
                labels[y0:y1, x0:x1][mask.astype(bool)] = z + 1
        layers.append((z, layer))

    for stem in (stem for stem in stems if len(stem) > 1):
        for _ in range(int(rng.integers(1, 3))):
            _strip(painter, rng, stem[int(rng.integers(1, len(stem)))], stem, mm)
    for leaf in rng.permutation(len(leaves))[: int(rng.integers(0, 3))]:
        _strip(
            painter,
            rng,
            leaves[leaf].base
            + 0.5 * leaves[leaf].length_px * np.array([np.cos(leaves[leaf].angle), np.sin(leaves[leaf].angle)]),
            None,
            mm,
            heading=leaves[leaf].angle + np.pi / 2 + rng.normal(0, 0.3),
        )
    for kind, rect in items:
        _draw_item(painter, kind, rect, mm, paper_tone, look)

    leaves_only = labels.copy()
    labels[painter.cover] = 0
    rows, new_ids = [], np.zeros(len(leaves) + 1, np.uint16)
    for z, layer in sorted(layers, key=lambda item: item[0]):
        y0, y1, x0, x1 = layer["box"]
        own = (layer["blade"] | layer["flap"]).astype(bool)
        visible = int(np.count_nonzero(labels[y0:y1, x0:x1] == z + 1))
        if visible == 0:
            continue
        reasons = list(leaves[z].damage)
        if layer["clipped"]:
            reasons.append("cut_by_edge")
        if np.any(own & (leaves_only[y0:y1, x0:x1] != z + 1)):
            reasons.append("overlapped")
        if np.any(own & painter.cover[y0:y1, x0:x1]):
            reasons.append("covered")
        new_ids[z + 1] = len(rows) + 1
        rows.append(
            {
                "leaf_id": len(rows) + 1,
                "shape": leaves[z].shape,
                "intact": not reasons,
                "reason": ";".join(sorted(reasons)),
                "length_mm": round(leaves[z].length_px / mm, 3),
                "width_mm": round(leaves[z].width_px / mm, 3),
                "px_per_mm": round(mm, 6),
                "visible_fraction": round(visible / max(layer["full_area"], 1), 4),
            }
        )
    labels = new_ids[labels]

    if look.shadow > 0 and rng.random() < look.shadow:
        _shadow(painter, rng, (leaves_only > 0) | painter.cover, mm)
    _finish(painter, rng, look)
    image = np.clip(np.round(painter.image), 0, 255).astype(np.uint8)
    if look.jpeg is not None:
        image = _jpeg(image, int(rng.integers(look.jpeg[0], look.jpeg[1] + 1)))
    columns = ["leaf_id", "shape", "intact", "reason", "length_mm", "width_mm", "px_per_mm", "visible_fraction"]
    ruler = next((kind.split(":")[1] for kind, _ in items if kind.startswith("ruler")), None)
    return SyntheticSheet(image, labels, pd.DataFrame(rows, columns=columns), float(mm), ruler, plant)


def _strip(
    painter: _SheetPainter,
    rng: np.random.Generator,
    centre: np.ndarray,
    stem: np.ndarray | None,
    mm: float,
    heading: float | None = None,
) -> None:
    """A paper strip (opaque, covers leaves) or clear tape (leaves stay visible) across a stem or blade."""
    if heading is None:
        nearest = int(np.argmin(np.linalg.norm(stem - centre, axis=1)))
        direction = stem[min(nearest, len(stem) - 1)] - stem[max(nearest - 1, 0)]
        heading = np.arctan2(direction[1], direction[0]) + np.pi / 2
    length, breadth = rng.uniform(14, 28) * mm, rng.uniform(3, 6) * mm
    local = _rect(-length / 2, -breadth / 2, length, breadth)
    corners = _to_sheet(local, centre, heading)
    if rng.random() < 0.6:
        painter.rectangle(corners, np.array([242, 238, 226]) + rng.normal(0, 4, 3), 1.0, covers=True)
    else:
        painter.rectangle(corners, np.array([235, 225, 170]), 0.35, covers=False)


def _finish(painter: _SheetPainter, rng: np.random.Generator, style: SheetStyle) -> None:
    """Uneven scanner lighting, the scanner's white balance, optics blur and sensor noise over the whole sheet."""
    height, width = painter.height, painter.width
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    xx, yy = xx / width - 0.5, yy / height - 0.5
    slope, vignette = style.light, style.vignette
    light = (
        1.0
        + rng.uniform(-slope, slope) * xx
        + rng.uniform(-slope, slope) * yy
        - rng.uniform(0, vignette) * (xx**2 + yy**2)
    )
    painter.image *= light[..., None]
    if style.colour_cast > 0:
        painter.image *= (1.0 + rng.uniform(-style.colour_cast, style.colour_cast, 3)).astype(np.float32)
    sigma = style.blur[0] if style.blur[0] == style.blur[1] else rng.uniform(*style.blur)
    painter.image[:] = cv2.GaussianBlur(painter.image, (0, 0), sigma)
    painter.image += rng.normal(0, 1.8, painter.image.shape).astype(np.float32)


def _shadow(painter: _SheetPainter, rng: np.random.Generator, raised: np.ndarray, mm: float) -> None:
    """A soft drop shadow of the raised things (leaves, labels, strips) on the paper around them."""
    dx, dy = (round(v) for v in rng.uniform(0.3, 1.2, 2) * mm * rng.choice([-1, 1], 2))
    shifted = np.roll(raised.astype(np.float32), (dy, dx), axis=(0, 1))
    shade = cv2.GaussianBlur(shifted, (0, 0), rng.uniform(0.6, 1.5) * mm) * (~raised)
    painter.image *= (1.0 - rng.uniform(0.08, 0.2) * shade)[..., None]


def _jpeg(image: np.ndarray, quality: int) -> np.ndarray:
    """The image after a round trip through JPEG at `quality`, as a scanner's or a portal's files are."""
    ok, encoded = cv2.imencode(".jpg", image[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, quality])
    return cv2.imdecode(encoded, cv2.IMREAD_COLOR)[..., ::-1].copy()


_PETALS = np.array([[245, 244, 232], [236, 204, 60], [222, 134, 170], [132, 74, 150], [192, 48, 44]], np.float32)
_FRUITS = np.array([[120, 24, 32], [34, 28, 34], [208, 112, 34], [112, 72, 42], [96, 132, 52]], np.float32)


def _draw_organs(
    painter: _SheetPainter, rng: np.random.Generator, plant: str, stems: list[np.ndarray], mm: float, style: SheetStyle
) -> None:
    """Roots at the stem's foot, flowers (or a grass's spikelets) at the stems' ends, and fruits: none is a leaf."""
    if style.roots > 0 and rng.random() < style.roots:
        foot = stems[0][0]
        for _ in range(int(rng.integers(3, 9))):
            root = [foot]
            heading = np.pi / 2 + rng.normal(0, 0.8)
            for _ in range(int(rng.integers(4, 12))):
                heading += rng.normal(0, 0.35)
                root.append(root[-1] + rng.uniform(2, 5) * mm * np.array([np.cos(heading), np.sin(heading)]))
            painter.polyline(np.array(root), np.array([118, 92, 64]) * rng.uniform(0.8, 1.1), max(1.0, 0.4 * mm))
    ends = [stem[-1] for stem in stems if len(stem) > 1]
    if ends and style.flowers > 0 and rng.random() < style.flowers:
        for end in ends:
            if plant == "grass":
                for k in range(int(rng.integers(5, 14))):
                    centre = end + np.array([rng.normal(0, 1.2), -k * 2.2]) * mm
                    painter.ellipse(
                        centre, (2.2 * mm, 0.9 * mm), np.pi / 2 + rng.normal(0, 0.4), np.array([156, 142, 92])
                    )
                continue
            colour = _PETALS[int(rng.integers(len(_PETALS)))] * rng.uniform(0.75, 1.0)
            size = rng.uniform(3, 9) * mm
            petals = int(rng.integers(4, 7))
            for k in range(petals):
                angle = 2 * np.pi * k / petals + rng.uniform(0, 0.3)
                centre = end + 0.55 * size * np.array([np.cos(angle), np.sin(angle)])
                painter.ellipse(centre, (0.55 * size, 0.3 * size), angle, colour)
            painter.ellipse(end, (0.22 * size, 0.22 * size), 0.0, np.array([190, 150, 50]))
    nodes = np.vstack(stems)
    if style.fruits > 0 and rng.random() < style.fruits and len(nodes):
        colour = _FRUITS[int(rng.integers(len(_FRUITS)))]
        for node in nodes[rng.choice(len(nodes), size=min(len(nodes), int(rng.integers(2, 9))), replace=False)]:
            radius = rng.uniform(1.5, 6) * mm
            centre = node + rng.normal(0, radius, 2)
            painter.ellipse(
                centre,
                (radius, radius * rng.uniform(0.75, 1.0)),
                rng.uniform(0, np.pi),
                colour * rng.uniform(0.85, 1.1),
            )
            painter.ellipse(
                centre - 0.35 * radius, (0.25 * radius, 0.2 * radius), 0.0, np.minimum(colour * 1.6 + 40, 255)
            )


def demo_sheets(n_train: int, n_test: int) -> pd.DataFrame:
    """The demo's sheets: sample name, split and generator index (test indices start at TEST_INDEX_OFFSET).

    Train and test indices never meet, so changing one split's size leaves the other's sheets as they were.
    """
    rows = [{"sample": f"train_{i:04d}", "split": "train", "index": i} for i in range(n_train)]
    rows += [{"sample": f"test_{i:04d}", "split": "test", "index": TEST_INDEX_OFFSET + i} for i in range(n_test)]
    return pd.DataFrame(rows)
