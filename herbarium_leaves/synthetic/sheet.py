"""One generated sheet: paper, plant, furniture and scanner, put together with its leaf truth."""

from __future__ import annotations

import cv2
import numpy as np

from herbarium_leaves.sheet_styles import STYLES, SheetStyle
from herbarium_leaves.synthetic.canvas import _on_image, _rect, _SheetPainter
from herbarium_leaves.synthetic.labels import _draw_item, _overlaps, _place_items, _strip
from herbarium_leaves.synthetic.leaves import _leaf_layers
from herbarium_leaves.synthetic.plants import _draw_organs, _layout_plant
from herbarium_leaves.synthetic.truth import SyntheticSheet, leaf_truth

PAPER_HEIGHT_MM = 420.0


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
    plant, (stems, twigs, leaves) = _layout_plant(rng, paper, mm, damage_rate, look, [rect for _, rect in items])
    # Leaves that run into sheet furniture are mostly left off, as a mounter would; a few stay covered, and a sheet
    # keeps at least its first leaf (large loose leaves on a small sheet may find no room clear of it).
    kept = [
        leaf for leaf in leaves if not any(_overlaps(leaf.outline, rect, 0) for _, rect in items) or rng.random() < 0.2
    ]
    leaves = kept or leaves[:1]
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
    if rng.random() < _TABS_CHANCE:
        _tabs(painter, rng, paper, mm)

    leaves_only = labels.copy()
    labels[painter.cover] = 0
    labels, truth = leaf_truth(labels, leaves_only, painter.cover, layers, leaves, mm)

    if look.shadow > 0 and rng.random() < look.shadow:
        _shadow(painter, rng, (leaves_only > 0) | painter.cover, mm)
    _finish(painter, rng, look)
    image = np.clip(np.round(painter.image), 0, 255).astype(np.uint8)
    if look.jpeg is not None:
        image = _jpeg(image, int(rng.integers(look.jpeg[0], look.jpeg[1] + 1)))
    ruler = next((kind.split(":")[1] for kind, _ in items if kind.startswith("ruler")), None)
    return SyntheticSheet(image, labels, truth, float(mm), ruler, plant)


# Saturated things at the paper's edge that are not leaves (index tabs, coloured tape, tags), in the hues of autumn
# leaves and in blue (RGB): a red or purple leaf is a leaf by its shape, not by its colour.
_TAB_COLOURS = np.array(
    [[200, 50, 40], [222, 122, 40], [226, 192, 62], [222, 142, 172], [122, 52, 112], [52, 92, 172], [150, 30, 50]],
    dtype=np.float32,
)
_TABS_CHANCE = 0.35


def _tabs(painter: _SheetPainter, rng: np.random.Generator, paper: tuple[int, int, int, int], mm: float) -> None:
    """One to three coloured tabs astride the paper's edge (half beyond it, in the scanner border where there is
    one), covering what lies under them."""
    y0, y1, x0, x1 = paper
    for _ in range(int(rng.integers(1, 4))):
        along, across = rng.uniform(10, 30) * mm, rng.uniform(4, 12) * mm
        colour = np.clip(_TAB_COLOURS[int(rng.integers(len(_TAB_COLOURS)))] * rng.uniform(0.85, 1.1), 0, 255)
        side = int(rng.integers(4))
        if side < 2:  # the top or bottom edge
            rect = _rect(rng.uniform(x0, max(x0 + 1, x1 - along)), (y0, y1)[side] - across / 2, along, across)
        else:
            rect = _rect((x0, x1)[side - 2] - across / 2, rng.uniform(y0, max(y0 + 1, y1 - along)), across, along)
        painter.rectangle(rect, colour, 1.0, covers=True)


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
