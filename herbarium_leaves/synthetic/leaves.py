"""Leaf shapes, colours and their drawing: outlines by shape, placement on the sheet, blade layers."""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from herbarium_leaves.measure import feret_of_points
from herbarium_leaves.synthetic.canvas import _box, _draw_line, _smooth_noise, rasterize_polygon
from herbarium_leaves.synthetic.damage import _clip_half_plane, _jagged_blob

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
    "oak": (0.6, 0.75),
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
    "oak": (0.45, 0.7),
    "palmate": (0.8, 1.25),  # maples and sweetgums: about as wide as long (truth is the drawn blade's Feret)
}


_SHAPE_WEIGHTS = np.array([0.22, 0.2, 0.16, 0.14, 0.12, 0.16])


# Pressed-leaf colours (RGB): brown, dark brown, olive, dull green, and (rarely) bright green.
_LEAF_PALETTE = np.array([[122, 88, 52], [84, 62, 42], [112, 108, 58], [86, 108, 64], [66, 148, 56]], dtype=np.float32)


_LEAF_PALETTE_WEIGHTS = np.array([0.3, 0.18, 0.24, 0.23, 0.05])
# Autumn colours of leaves picked from trees (RGB): tan-orange, yellow, red, crimson, purple-brown, pale pink.
_AUTUMN_PALETTE = np.array(
    [[196, 140, 70], [206, 170, 80], [172, 58, 42], [120, 36, 44], [86, 44, 52], [214, 170, 164]], dtype=np.float32
)
_AUTUMN_WEIGHTS = np.array([0.3, 0.15, 0.2, 0.15, 0.1, 0.1])


@dataclass
class _Leaf:
    outline: np.ndarray  # closed polygon in sheet px (x, y)
    flap: np.ndarray | None  # folded-over part in sheet px, drawn on top of the blade
    base: np.ndarray
    angle: float
    shape: str
    length_px: float  # along the midrib, as drawn
    width_px: float
    colour: np.ndarray
    feret_px: tuple[float, float]  # the whole blade's longest Feret diameter and width across it: the truth
    petiole: np.ndarray | None = None
    damage: list[str] = field(default_factory=list)
    erasers: list[np.ndarray] = field(default_factory=list)  # polygons cut out of the blade
    veins: list[np.ndarray] = field(default_factory=list)  # primary veins besides the midrib (palmate blades)


def leaf_outline(
    shape: str, length_px: float, width_px: float, rng: np.random.Generator, samples: int = 241
) -> np.ndarray:
    """Return a closed leaf outline (2 * samples - 2 points) in the leaf frame, in px.

    The base is at (0, 0), the tip at (length_px, 0) and the midrib on y = 0; the
    outline's extent is exactly length_px along the midrib and width_px across it.
    A palmate outline's lobes radiate from the base, so its basal lobes reach behind it (x < 0).
    """
    if shape == "palmate":
        return _palmate_outline(length_px, width_px, rng, samples)
    t = np.linspace(0.0, 1.0, samples)
    a, b = (e * rng.uniform(0.85, 1.15) for e in _PROFILE_EXPONENTS[shape])
    profile = t**a * (1.0 - t) ** b
    profile /= profile.max()
    if shape == "lobed":
        n_lobes = int(rng.integers(2, 5))
        depth = rng.uniform(0.3, 0.5)
        profile = profile * (1.0 - depth * np.sin(np.pi * n_lobes * t) ** 2)
    elif shape == "oak":
        # Deep sinuses between lobes rounded (white oaks) or narrow (red oaks), those of the two sides staggered.
        n_lobes, depth, broad = int(rng.integers(3, 7)), rng.uniform(0.45, 0.7), rng.uniform(0.3, 1.0)
        sides = []
        for phase in (0.0, rng.uniform(-0.25, 0.25)):
            lobe = (0.5 - 0.5 * np.cos(2 * np.pi * (n_lobes * t + phase))) ** broad
            sides.append(profile * (1.0 - depth + depth * lobe))
        upper, lower = sides
        return _scaled_sides(t, upper, -lower, length_px, width_px)
    elif shape == "serrated":
        n_teeth = int(rng.integers(14, 28))
        profile = profile * (1.0 + rng.uniform(0.05, 0.1) * ((t * n_teeth) % 1.0))
    return _scaled_sides(t, profile * rng.uniform(0.9, 1.0), -profile * rng.uniform(0.9, 1.0), length_px, width_px)


def _scaled_sides(t: np.ndarray, upper: np.ndarray, lower: np.ndarray, length_px: float, width_px: float) -> np.ndarray:
    """The closed outline of the two half-width profiles along t in 0..1, length_px long and width_px wide."""
    y_scale = width_px / (upper.max() - lower.min())
    x = t * length_px
    return np.concatenate(
        [np.stack([x, upper * y_scale], axis=1), np.stack([x[::-1], lower[::-1] * y_scale], axis=1)[1:-1]]
    )


def _palmate_outline(length_px: float, width_px: float, rng: np.random.Generator, samples: int) -> np.ndarray:
    """A palmately lobed blade (maple, sweetgum, plane): 3 to 7 lobes radiating from the base, the middle one's
    tip at (length_px, 0), sinuses of random depth, toothed or entire; width_px across."""
    half = int(rng.choice([1, 2, 2, 3]))
    spread = rng.uniform(0.45, 0.8) if half < 3 else rng.uniform(0.4, 0.55)  # rad between neighbouring lobes
    lobes = spread * np.arange(-half, half + 1) + rng.normal(0, 0.04, 2 * half + 1)
    shortening = rng.uniform(0.08, 0.25)
    reach = 1.0 - shortening * np.abs(np.arange(-half, half + 1)) * rng.uniform(0.85, 1.15, 2 * half + 1)
    reach[half] = 1.0
    sinus, pointed = rng.uniform(0.3, 0.65), rng.uniform(0.6, 1.6)
    theta = np.linspace(-np.pi, np.pi, 2 * samples - 2, endpoint=False)
    # Past the outermost lobes the margin falls to the base, where the petiole joins.
    outer = np.abs(lobes).max()
    fall = np.clip((np.abs(theta) - outer) / spread, 0, 1)
    floor = sinus + (rng.uniform(0.03, 0.12) - sinus) * fall
    bumps = np.clip(1.0 - np.abs(theta[:, None] - lobes[None, :]) / spread, 0, None) ** pointed
    radius = floor + ((reach - sinus)[None, :] * bumps).max(axis=1)
    if rng.random() < 0.7:  # toothed margin
        radius *= 1.0 + rng.uniform(0.015, 0.05) * ((theta * rng.uniform(30, 70) / (2 * np.pi)) % 1.0)
    points = np.stack([radius * np.cos(theta), radius * np.sin(theta)], axis=1)
    return points * np.array([length_px / points[:, 0].max(), width_px / np.ptp(points[:, 1])])


def _to_sheet(points: np.ndarray, base: np.ndarray, angle: float) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    return points @ np.array([[c, s], [-s, c]]) + base


@dataclass(frozen=True)
class _LeafKind:
    """The blades of one plant type: shapes and their weights, the length range in mm, and the share of blades in
    autumn colours."""

    shapes: tuple[str, ...]
    weights: tuple[float, ...]
    length_mm: tuple[float, float]
    autumn: float = 0.0


_LEAF_KINDS = {
    "leaflet": _LeafKind(("elliptic", "ovate", "lanceolate", "obovate", "serrated"), (3, 3, 2, 1, 1), (12.0, 40.0)),
    "dense": _LeafKind(("elliptic", "ovate", "obovate", "lanceolate"), (3, 3, 2, 2), (6.0, 22.0)),
    "grass": _LeafKind(("linear",), (1,), (60.0, 220.0)),
    "needles": _LeafKind(("needle",), (1,), (8.0, 30.0)),
    # Leaves picked from trees: maples and oaks, chestnuts and beeches, up to 300 mm long, half in autumn colours.
    "tree": _LeafKind(
        ("palmate", "oak", "serrated", "ovate", "elliptic", "obovate"), (3, 3, 2, 1, 1, 1), (40.0, 300.0), 0.5
    ),
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
    if kind is not None and kind.autumn and rng.random() < kind.autumn:
        colour = _AUTUMN_PALETTE[rng.choice(len(_AUTUMN_PALETTE), p=_AUTUMN_WEIGHTS)]
    else:
        colour = _LEAF_PALETTE[rng.choice(len(_LEAF_PALETTE), p=_LEAF_PALETTE_WEIGHTS)]
    colour = np.clip(colour * rng.uniform(0.85, 1.15) + rng.normal(0, 6, 3), 20, 235)
    leaf = _Leaf(_to_sheet(local, base, angle), None, base, angle, shape, length, width, colour, feret_of_points(local))
    if shape == "palmate":  # a primary vein to each lobe's tip (the outline's outermost points off the midrib)
        radius = np.hypot(*local.T)
        tips = [
            i for i in range(len(local)) if radius[i] >= radius[i - 1] and radius[i] >= radius[(i + 1) % len(local)]
        ]
        leaf.veins = [
            _to_sheet(np.array([[0.0, 0.0], 0.9 * local[i]]), base, angle) for i in tips if radius[i] > 0.5 * length
        ]
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


def _rotated_points(points: np.ndarray, pivot: np.ndarray, delta: float) -> np.ndarray:
    c, s = np.cos(delta), np.sin(delta)
    return (points - pivot) @ np.array([[c, s], [-s, c]]) + pivot


def _rotated(leaf: _Leaf, pivot: np.ndarray, delta: float, shift: np.ndarray | None = None) -> _Leaf:
    """The leaf (blade, flap, damage, petiole, veins) swung by `delta` radians around its stem node, then moved by
    `shift` px."""
    offset = np.zeros(2) if shift is None else shift

    def move(points):
        return None if points is None else _rotated_points(points, pivot, delta) + offset

    return _Leaf(
        move(leaf.outline),
        move(leaf.flap),
        move(leaf.base[None])[0],
        leaf.angle + delta,
        leaf.shape,
        leaf.length_px,
        leaf.width_px,
        leaf.colour,
        leaf.feret_px,
        move(leaf.petiole),
        list(leaf.damage),
        [move(eraser) for eraser in leaf.erasers],
        [move(vein) for vein in leaf.veins],
    )


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
    for vein in leaf.veins:
        _draw_line(patch, list(vein - origin), vein_colour, max(1, round(0.35 * mm)))
    for t in np.linspace(0.12, 0.85, int(rng.integers(4, 9))) if not leaf.veins else ():
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
