"""Leaf outlines refined at the sheet's full resolution from the sheet image itself."""

from __future__ import annotations

import cv2
import numpy as np
import scipy.ndimage
import skimage.measure

# A tip narrows away from the blade: its last third at most this share of its first third's width.
TIP_TAPER = 0.6
# Tip pixels are within this percentile of the leaf core's own colour spread (a stem or petiole is not).
TIP_COLOUR_PERCENTILE = 95
# Default reach of tips, in refinement radii from the network's outline (schema: measure.refine_tip_reach).
DEFAULT_TIP_REACH = 3


def refine_radius_px(sheet_shape: tuple[int, int], working_shape: tuple[int, int]) -> int:
    """Twice the number of sheet px per working px (rounded up): how far the network's outline can be off."""
    factor = max(sheet_shape[0] / working_shape[0], sheet_shape[1] / working_shape[1])
    return 2 * int(np.ceil(factor - 1e-9))


# A pixel and its four neighbours: the disk of radius 1.
CROSS = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3))


def lab_colours(rgb: np.ndarray) -> np.ndarray:
    """CIELAB colours (float32, OpenCV's 8-bit scaling) of an RGB image or crop."""
    return cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2LAB).astype(np.float32)


def median_colour(colours: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Per-channel median, as np.median gives it, of integer-valued `colours` (lab_colours) under a non-empty
    `mask`, from 256-bin histograms (no copy of the pixels, no sort)."""
    count, weights = np.count_nonzero(mask), mask.astype(np.uint8)
    medians = []
    for channel in range(colours.shape[-1]):
        cumulative = np.cumsum(cv2.calcHist([colours], [channel], weights, [256], [0, 256]).ravel())
        low, high = np.searchsorted(cumulative, [(count - 1) // 2 + 1, count // 2 + 1])
        medians.append((low + high) / 2)
    return np.array(medians, np.float32)


def box_around(mask: np.ndarray, margin: int) -> tuple[slice, slice]:
    """The box of a non-empty mask's pixels, `margin` px wider on every side (within the array)."""
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    return np.s_[max(rows[0] - margin, 0) : rows[-1] + margin + 1, max(cols[0] - margin, 0) : cols[-1] + margin + 1]


def reduced(array: np.ndarray, factor: int, interpolation: int = cv2.INTER_AREA) -> np.ndarray:
    """`array` (labels, nearest, or an image or mask, averaged) `factor` times smaller."""
    if factor == 1:
        return array
    size = (max(array.shape[1] // factor, 1), max(array.shape[0] // factor, 1))
    return cv2.resize(np.ascontiguousarray(array), size, interpolation=interpolation)


def distance_outside(mask: np.ndarray) -> np.ndarray:
    """Euclidean distance (px) of every pixel to the nearest pixel of `mask` (0 on it; huge where it has none).

    `<= r` is `mask` dilated by a disk of radius r in one pass, whatever r (a structuring
    element costs its area per pixel).
    """
    return cv2.distanceTransform((~mask.astype(bool)).astype(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_PRECISE)


def distance_inside(mask: np.ndarray) -> np.ndarray:
    """Euclidean distance (px) of every pixel of `mask` to the nearest pixel outside it (0 outside it).

    `> r` is `mask` eroded by a disk of radius r; the image's own border does not erode.
    """
    return cv2.distanceTransform(mask.astype(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_PRECISE)


def opened(mask: np.ndarray, radius: float) -> np.ndarray:
    """`mask` opened by a Euclidean disk of `radius` px: the pixels such a disk inside `mask` covers."""
    return mask & (distance_outside(distance_inside(mask) > radius) <= radius)


def nearer_first(colours: np.ndarray, first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Whether each colour (last axis) is nearer `first` than `second`, Euclidean: one dot product per pixel."""
    first, second = first.astype(np.float64), second.astype(np.float64)
    return colours @ (first - second).astype(np.float32) > np.float32((first @ first - second @ second) / 2)


def _core(own: np.ndarray, radius_px: int) -> tuple[np.ndarray, int]:
    """The leaf's core: eroded by `radius_px`, or by the largest smaller radius that leaves 5 px (0: none does)."""
    depth = distance_inside(own)
    core = depth > radius_px
    if np.count_nonzero(core) >= 5:
        return core, radius_px
    fifth_deepest = float(np.partition(depth.ravel(), -5)[-5]) if depth.size >= 5 else 0.0
    radius = min(radius_px, int(np.ceil(fifth_deepest)) - 1)
    if radius < 1:
        return np.zeros(own.shape, bool), 0
    return depth > radius, radius


def _tips(reached_at: np.ndarray) -> np.ndarray:
    """The tips among pixels grown from a leaf (`reached_at`: the step 1, 2, ... at which growth reached each, or 0).

    Each 8-connected branch of the pixels beyond the first step is a tip when its front
    narrows as it grows: the mean front of the last third of its steps is at most
    TIP_TAPER times that of the first third (a branch of one or two steps is kept: too
    short to judge). A tip is kept with the first-step pixels at its base; first-step
    pixels elsewhere (a rim along the margin, which the band has judged) are not.
    """
    later = np.where(reached_at >= 2, reached_at - 1, 0)
    branches, count = scipy.ndimage.label(later > 0, np.ones((3, 3)))
    steps = int(later.max()) + 1
    fronts = np.bincount((branches * steps + later).ravel(), minlength=(count + 1) * steps).reshape(count + 1, steps)
    keep = np.zeros(count + 1, bool)
    for branch in range(1, count + 1):
        front = np.trim_zeros(fronts[branch, 1:], "b")
        third = len(front) // 3
        keep[branch] = third == 0 or front[-third:].mean() <= TIP_TAPER * front[:third].mean()
    tips = keep[branches]
    base = (reached_at == 1) & cv2.dilate(tips.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    return tips | base


def _grow(start: np.ndarray, allowed: np.ndarray, steps: int) -> np.ndarray:
    """The step (1..steps) at which 8-connected growth from `start` through `allowed` reached each pixel; 0: never.

    The step is the chessboard geodesic distance from `start` within `allowed`: one ring of
    3 x 3 growth per step, traced in the box of the last ring only (tips are thin, so a
    step costs what the front covers, not the leaf's box).
    """
    remaining = allowed & ~start
    reached_at = np.zeros(start.shape, np.int32)
    front = start & cv2.dilate(remaining.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    for step in range(1, steps + 1):
        if not front.any():
            break
        box = box_around(front, 1)
        ring = cv2.dilate(front[box].astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool) & remaining[box]
        reached_at[box][ring] = step
        remaining[box] &= ~ring
        front[box] = ring  # the box holds the whole last front, so this also clears it
    return reached_at


def refine_outlines(
    labels: np.ndarray, image: np.ndarray, radius_px: int, tip_reach: int = DEFAULT_TIP_REACH
) -> np.ndarray:
    """Leaf labels whose outlines follow the sheet's own colours within `radius_px` of the predicted ones.

    The network's outline comes from a reduced working image, upsampled: narrow tips
    and margins are lost or blurred. For each leaf, pixels within `radius_px` of its
    outline (not another leaf's) are re-assigned by colour (CIELAB): to the leaf
    when nearer the median colour of its core (the leaf eroded by `radius_px`) than
    that of the paper just outside it. Protrusions so added under 3 px wide (petiole
    stubs) are opened away, and the network's own outline by a disk of half `radius_px`
    (spurs it cannot resolve: a petiole or stem taken for blade); only the part
    connected to the core is kept. Beyond that, tips the network missed are followed up
    to `tip_reach` radii from its outline: pixels of the core's own colour range
    (TIP_COLOUR_PERCENTILE) connected to the leaf, kept where they narrow away from it
    (_tips), so a stalk of even width is not. `tip_reach` 1 follows none. A leaf too
    narrow for a core at `radius_px` (a needle, a small leaf) takes the core of the
    largest smaller radius that leaves one and is only trimmed: blur already spreads
    it wider than it is, so nothing is added and no tip followed. Returns a new uint16
    label image; radius 0, or a leaf without a core even at 1 px, is left as it was.
    """
    if radius_px <= 0 or not labels.any():
        return labels
    refined, lab = labels.copy(), lab_colours(image)
    height, width = labels.shape
    tip_steps = (max(tip_reach, 1) - 1) * radius_px
    pad = radius_px + tip_steps + 4
    for index, box in enumerate(scipy.ndimage.find_objects(labels), start=1):
        if box is None:
            continue
        y0, x0 = max(box[0].start - pad, 0), max(box[1].start - pad, 0)
        y1, x1 = min(box[0].stop + pad, height), min(box[1].stop + pad, width)
        crop = labels[y0:y1, x0:x1]
        own = crop == index
        others = (crop > 0) & ~own
        core, core_radius = _core(own, radius_px)
        full_core = core_radius == radius_px  # a leaf too narrow for one is only trimmed: nothing added, no tips
        from_own = distance_outside(own)
        grown = from_own <= radius_px
        near_others = cv2.dilate(others.astype(np.uint8), CROSS).astype(bool)
        ring = (from_own <= radius_px + 3) & ~grown & ~near_others
        if core_radius == 0 or np.count_nonzero(ring) < 5:
            continue
        colours = lab[y0:y1, x0:x1]
        leaf_colour, paper_colour = median_colour(colours, core), median_colour(colours, ring)
        nearer_leaf = nearer_first(colours, leaf_colour, paper_colour)
        leafy_band = grown & ~core & ~others & nearer_leaf
        added = leafy_band & ~own if full_core else np.zeros_like(own)
        # Protrusions under 3 px wide (petiole stubs, a stem alongside) go; a thin rim along the blade stays.
        added &= cv2.morphologyEx((own | added).astype(np.uint8), cv2.MORPH_OPEN, CROSS).astype(bool)
        # Spurs of the network's own outline under 2 * (core radius // 2) + 1 px wide (a petiole, a stem) go too.
        network = core | (leafy_band & own)
        if core_radius // 2:
            network = opened(network, core_radius // 2)
        kept = core | network | added
        parts = skimage.measure.label(kept, connectivity=2)
        kept = np.isin(parts, np.unique(parts[core & (parts > 0)]))
        if tip_steps and full_core:
            off_leaf = colours - leaf_colour
            to_leaf = np.einsum("ijk,ijk->ij", off_leaf, off_leaf)  # squared: the percentile test is the same
            leaf_range = to_leaf <= np.percentile(to_leaf[core], TIP_COLOUR_PERCENTILE)
            tip_colour = nearer_leaf & leaf_range & ~own & ~near_others
            kept |= _tips(_grow(kept, tip_colour, tip_steps))
        out = refined[y0:y1, x0:x1]
        out[own & ~kept] = 0
        out[kept & (out == 0) & ~others] = index
    return refined
