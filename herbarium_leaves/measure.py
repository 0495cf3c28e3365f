"""Leaves from masks (connected components, or split by a learned interior) and their traits (length, width, shape)."""

from __future__ import annotations

from dataclasses import dataclass, replace

import cv2
import numpy as np
import pandas as pd
import scipy.ndimage
import skimage.feature
import skimage.measure
import skimage.segmentation

from herbarium_leaves.instances import (
    DEFAULT_MERGE_LEAF_RATIO,
    DEFAULT_MERGE_THRESHOLD,
    DEFAULT_SEED_THRESHOLD,
    DEFAULT_WEAK_SEED_THRESHOLD,
    split_leaves,
)
from herbarium_leaves.metrics import component_truth
from herbarium_leaves.outlines import DEFAULT_TIP_REACH, reduced, refine_outlines, refine_radius_px
from herbarium_leaves.petiole import petiole_lengths
from herbarium_leaves.resize import resize_image, resize_labels


def feret_length_width(mask: np.ndarray) -> tuple[float, float]:
    """Return (length, width) of a binary mask in px.

    Length is the longest Feret diameter (the largest distance between two points
    of the region); width is the region's extent perpendicular to it. Both are
    measured on the sub-pixel boundary halfway between pixels inside and outside
    (marching squares), so they resolve to about 1 px. Returns (0.0, 0.0) for an
    empty mask.
    """
    region = mask.astype(bool)
    if not region.any():
        return 0.0, 0.0
    rows, cols = np.nonzero(region)
    crop = np.pad(region[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1], 1).astype(np.float32)
    boundary = np.concatenate(skimage.measure.find_contours(crop, 0.5))[:, ::-1]
    return feret_of_points(boundary)


def feret_of_points(points: np.ndarray) -> tuple[float, float]:
    """(length, width) of a set of (x, y) points: the longest distance between two of them, and their extent
    perpendicular to it (feret_length_width of a mask's boundary; the generator's truth of a drawn outline)."""
    hull = cv2.convexHull(points.astype(np.float32)).reshape(-1, 2).astype(np.float64)
    offsets = hull[:, None, :] - hull[None, :, :]
    distances = np.hypot(offsets[..., 0], offsets[..., 1])
    i, j = np.unravel_index(np.argmax(distances), distances.shape)
    length = float(distances[i, j])
    axis = offsets[i, j] / length
    across = hull @ np.array([-axis[1], axis[0]])
    return length, float(np.ptp(across))


def convex_area_px(mask: np.ndarray) -> int:
    """Pixels of a binary mask's convex hull: those whose centres lie in the hull of its pixels' edge midpoints.

    The same count as scikit-image's area_convex, from the hull's crossings of each pixel row
    rather than a point-in-polygon test of every pixel of the box (seconds per leaf at scan size).
    """
    filled = mask.any(axis=1)
    if not filled.any():
        return 0
    rows = np.flatnonzero(filled)
    first = mask[rows].argmax(axis=1)
    last = mask.shape[1] - 1 - mask[rows, ::-1].argmax(axis=1)
    ends = np.concatenate([np.stack([first, rows], axis=1), np.stack([last, rows], axis=1)]).astype(np.float64)
    corners = np.concatenate([ends + offset for offset in ((-0.5, 0), (0.5, 0), (0, -0.5), (0, 0.5))])
    hull = cv2.convexHull(corners.astype(np.float32)).reshape(-1, 2).astype(np.float64)
    x0, y0 = hull[:, 0], hull[:, 1]
    x1, y1 = np.roll(x0, -1), np.roll(y0, -1)
    ys = np.arange(np.ceil(y0.min()), np.floor(y0.max()) + 1)[:, None]
    crosses = (np.minimum(y0, y1) <= ys) & (ys <= np.maximum(y0, y1)) & (y0 != y1)
    with np.errstate(divide="ignore", invalid="ignore"):
        xs = x0 + (ys - y0) * (x1 - x0) / (y1 - y0)
    left = np.where(crosses, xs, np.inf).min(axis=1)
    right = np.where(crosses, xs, -np.inf).max(axis=1)
    tolerance = 1e-9  # a centre on the hull's edge is inside
    counts = np.floor(right + tolerance) - np.ceil(left - tolerance) + 1
    return int(np.clip(counts, 0, None).sum())


def shape_moments(mask: np.ndarray) -> tuple[float, float, float]:
    """(centroid row, centroid column, eccentricity) of a binary mask, as scikit-image's regionprops gives them,
    from OpenCV's image moments (one pass instead of one over every pixel's coordinates)."""
    moments = cv2.moments(mask.astype(np.uint8), binaryImage=True)
    area = moments["m00"]
    if not area:
        return np.nan, np.nan, np.nan
    a, b, c = moments["mu02"] / area, -moments["mu11"] / area, moments["mu20"] / area
    spread = np.hypot((a - c) / 2, b)
    major, minor = (a + c) / 2 + spread, max((a + c) / 2 - spread, 0.0)
    eccentricity = float(np.sqrt(1 - minor / major)) if major > 0 else 0.0
    return moments["m01"] / area, moments["m10"] / area, eccentricity


SYMMETRY_SIDE_PX = 256  # mirror symmetry is judged on the blade reduced to at most this many px across


def mirror_symmetry(mask: np.ndarray) -> float:
    """How well a blade covers its own mirror image, 0..1: the larger IoU of the mask and its reflection across
    either principal axis through its centroid.

    A bilaterally symmetric blade, lobed or not, has its midrib as a principal axis and
    scores near 1; a torn margin or a missing piece lowers it, whatever the species (but
    not a bite at mid-length of a blade as symmetric across its short axis).
    """
    step = max(1, int(np.ceil(max(mask.shape) / SYMMETRY_SIDE_PX)))
    blade = (reduced(mask.astype(np.uint8), step) > 0).astype(np.uint8)
    moments = cv2.moments(blade, binaryImage=True)
    if not moments["m00"]:
        return np.nan
    reach = int(np.ceil(np.hypot(*blade.shape))) + 1
    blade = np.pad(blade, reach)
    centre = np.array([moments["m10"], moments["m01"]]) / moments["m00"] + reach
    axis = 0.5 * np.arctan2(2 * moments["mu11"], moments["mu20"] - moments["mu02"])
    best = 0.0
    for angle in (axis, axis + np.pi / 2):
        cos, sin = np.cos(2 * angle), np.sin(2 * angle)
        reflect = np.array([[cos, sin], [sin, -cos]])
        shift = centre - reflect @ centre
        mirrored = cv2.warpAffine(
            blade, np.hstack([reflect, shift[:, None]]), blade.shape[::-1], flags=cv2.INTER_NEAREST
        )
        union = np.count_nonzero(blade | mirrored)
        best = max(best, np.count_nonzero(blade & mirrored) / union)
    return float(best)


def shared_outline_fraction(labels: np.ndarray, label: int) -> float:
    """The fraction of a leaf's outline pixels that touch another leaf (8-neighbours), 0..1, from the
    labels around it (its box and 1 px more): a leaf overlapped by, or cut from, another."""
    own = labels == label
    rim = own & ~cv2.erode(own.astype(np.uint8), np.ones((3, 3), np.uint8), borderValue=1).astype(bool)
    others = ((labels > 0) & ~own).astype(np.uint8)
    if not rim.any() or not others.any():
        return 0.0
    near_others = cv2.dilate(others, np.ones((3, 3), np.uint8)).astype(bool)
    return float(np.count_nonzero(rim & near_others) / np.count_nonzero(rim))


def filled_area_px(mask: np.ndarray) -> int:
    """Pixels of a binary mask with its holes (background not 8-connected to the outside) filled."""
    outside = np.pad(~mask.astype(bool), 1, constant_values=True).astype(np.uint8)
    flood = np.zeros((outside.shape[0] + 2, outside.shape[1] + 2), np.uint8)
    cv2.floodFill(outside, flood, (0, 0), 2, flags=8)
    return int(np.count_nonzero(outside != 2))


@dataclass(frozen=True)
class MeasureSpec:
    """How a binary mask becomes leaves: a minimum size, hole filling, splitting of touching leaves, and
    outlines refined at the sheet's resolution (a radius in px; None: twice the working-to-sheet factor), tips
    followed up to refine_tip_reach radii; a sheet over max_megapixels is analysed reduced to that size (None:
    always at its own size); parts filling more than max_rectangularity of their enclosing rectangle are dropped."""

    min_area_mm2: float = 20.0
    min_area_px: int = 30
    fill_holes: bool = False
    split_touching: bool = False
    split_min_distance_mm: float = 8.0
    refine_outlines: bool = True
    refine_px: int | None = None
    refine_tip_reach: int = DEFAULT_TIP_REACH
    max_megapixels: float | None = 3.0
    max_rectangularity: float = 0.9


TRAIT_COLUMNS = [
    "leaf_id",
    "length_px",
    "width_px",
    "petiole_length_px",
    "area_px",
    "perimeter_px",
    "convex_area_px",
    "solidity",
    "eccentricity",
    "aspect_ratio",
    "circularity",
    "hole_fraction",
    "touches_edge",
    "touches_leaf",
    "mirror_symmetry",
    "pale_fraction",
    "centroid_x_px",
    "centroid_y_px",
    "bbox_x0_px",
    "bbox_y0_px",
    "bbox_x1_px",
    "bbox_y1_px",
    "px_per_mm",
    "length_mm",
    "width_mm",
    "petiole_length_mm",
    "area_mm2",
    "perimeter_mm",
    "convex_area_mm2",
]


def label_leaves(
    mask: np.ndarray,
    spec: MeasureSpec,
    px_per_mm: float | None,
    interior: np.ndarray | None = None,
    seed_threshold: float = DEFAULT_SEED_THRESHOLD,
    weak_seed_threshold: float = DEFAULT_WEAK_SEED_THRESHOLD,
    merge_threshold: float = DEFAULT_MERGE_THRESHOLD,
    merge_leaf_ratio: float = DEFAULT_MERGE_LEAF_RATIO,
    leaf_probability: np.ndarray | None = None,
) -> np.ndarray:
    """uint16 leaf labels from a binary mask, each leaf at least the minimum size.

    With a uint8 leaf-interior probability given leaf (from a network's second output) leaves are split
    by instances.split_leaves at `seed_threshold`, `weak_seed_threshold`, `merge_threshold` and
    `merge_leaf_ratio` (over the uint8 `leaf_probability` the mask came from), seeds under
    a quarter of the minimum size dropped;
    without, they are 8-connected components, optionally with touching leaves split
    by a distance-transform watershed. The minimum is spec.min_area_mm2 when
    px_per_mm is known, else spec.min_area_px. Holes are filled first if asked.
    """
    region = mask.astype(bool)
    if spec.fill_holes:
        region = scipy.ndimage.binary_fill_holes(region)
    min_area = minimum_area(spec, px_per_mm)
    if interior is not None:
        min_seed_px = max(1, round(min_area / 4))
        joining = (merge_threshold, merge_leaf_ratio, leaf_probability)
        leaves = split_leaves(region, interior, seed_threshold, min_seed_px, weak_seed_threshold, *joining)
        return drop_small(leaves, min_area)
    labels = skimage.measure.label(region, connectivity=2)
    if spec.split_touching and labels.max():
        distance = scipy.ndimage.distance_transform_edt(region)
        min_distance = max(1, round(spec.split_min_distance_mm * px_per_mm)) if px_per_mm else 5
        peaks = skimage.feature.peak_local_max(distance, min_distance=min_distance, labels=labels, exclude_border=False)
        markers = np.zeros(labels.shape, np.int32)
        markers[tuple(peaks.T)] = np.arange(1, len(peaks) + 1)
        labels = skimage.segmentation.watershed(-distance, markers, mask=region)
    return drop_small(labels, min_area)


def predicted_leaves(
    mask: np.ndarray,
    image: np.ndarray,
    working_shape: tuple[int, int],
    spec: MeasureSpec,
    px_per_mm: float | None,
    interior: np.ndarray | None = None,
    seed_threshold: float = DEFAULT_SEED_THRESHOLD,
    weak_seed_threshold: float = DEFAULT_WEAK_SEED_THRESHOLD,
    merge_threshold: float = DEFAULT_MERGE_THRESHOLD,
    merge_leaf_ratio: float = DEFAULT_MERGE_LEAF_RATIO,
    leaf_probability: np.ndarray | None = None,
) -> np.ndarray:
    """uint16 labels of the leaves of a predicted full-size mask: label_leaves, then (spec.refine_outlines)
    outlines refined from the sheet `image` (outlines.refine_outlines), `working_shape` being the network's view;
    rectangles (labels, tabs, chart patches: rectangularity over spec.max_rectangularity) dropped."""
    thresholds = (seed_threshold, weak_seed_threshold, merge_threshold, merge_leaf_ratio)
    labels = label_leaves(mask, spec, px_per_mm, interior, *thresholds, leaf_probability)
    if spec.refine_outlines:
        radius = spec.refine_px if spec.refine_px is not None else refine_radius_px(mask.shape, working_shape)
        labels = refine_outlines(labels, image, radius, spec.refine_tip_reach)
    kept = np.bincount(labels.ravel()) >= minimum_area(spec, px_per_mm)
    if spec.max_rectangularity < 1:  # 1 keeps every part, rectangles whose pixels overfill their box included
        kept &= rectangularity(labels) <= spec.max_rectangularity
    return keep_labels(labels, kept)


def analysis_shape(
    sheet_shape: tuple[int, int], working_shape: tuple[int, int], max_megapixels: float | None
) -> tuple[int, int]:
    """(height, width) at which a sheet's leaves are labelled and measured: the sheet's own, or reduced to
    `max_megapixels` when it is larger, never below the network's `working_shape` (which holds all it saw)."""
    height, width = sheet_shape
    if max_megapixels is None or height * width <= max_megapixels * 1e6:
        return sheet_shape
    factor = max(np.sqrt(max_megapixels * 1e6 / (height * width)), max(working_shape) / max(sheet_shape))
    return (height, width) if factor >= 1 else (max(1, round(height * factor)), max(1, round(width * factor)))


def in_sheet_px(traits: pd.DataFrame, factor_yx: tuple[float, float], px_per_mm: float | None) -> pd.DataFrame:
    """Traits measured on a sheet reduced `factor_yx` (sheet px per analysed px, rows and columns) in the sheet's
    own px, and in mm at its `px_per_mm`."""
    factor_y, factor_x = factor_yx
    linear, result = float(np.sqrt(factor_y * factor_x)), traits.copy()
    for column in ("length_px", "width_px", "petiole_length_px", "perimeter_px"):
        result[column] = traits[column] * linear
    for column in ("area_px", "convex_area_px"):
        result[column] = (traits[column] * factor_y * factor_x).round().astype(traits[column].dtype)
    for axis, factor in (("x", factor_x), ("y", factor_y)):
        result[f"centroid_{axis}_px"] = (traits[f"centroid_{axis}_px"] + 0.5) * factor - 0.5
        for end in (0, 1):
            column = f"bbox_{axis}{end}_px"
            result[column] = (traits[column] * factor).round().astype(traits[column].dtype)
    return with_mm(result, px_per_mm)


@dataclass(frozen=True)
class SheetLeaves:
    """A sheet's leaves as measured: uint16 labels and the RGB image at the size they were analysed at
    (analysis_shape), their traits in the sheet's own px (and mm), and the sheet's (height, width)."""

    labels: np.ndarray
    image: np.ndarray
    traits: pd.DataFrame
    sheet_shape: tuple[int, int]

    def sheet_labels(self) -> np.ndarray:
        """The labels at the sheet's own size (nearest neighbour)."""
        return self.labels if self.labels.shape == self.sheet_shape else resize_labels(self.labels, self.sheet_shape)


def measured_leaves(
    mask: np.ndarray,
    image: np.ndarray,
    working_shape: tuple[int, int],
    spec: MeasureSpec,
    px_per_mm: float | None,
    interior: np.ndarray | None = None,
    seeds: tuple[float, float, float, float] = (
        DEFAULT_SEED_THRESHOLD,
        DEFAULT_WEAK_SEED_THRESHOLD,
        DEFAULT_MERGE_THRESHOLD,
        DEFAULT_MERGE_LEAF_RATIO,
    ),
    leaf_probability: np.ndarray | None = None,
) -> SheetLeaves:
    """The leaves of a predicted full-size mask (predicted_leaves, with the sure seed, weak seed and merge
    thresholds and merge leaf ratio `seeds`, over the uint8 `leaf_probability` the mask came from) and their
    traits (measure_leaves).

    A sheet over spec.max_megapixels is labelled and measured at analysis_shape (mask,
    image, interior and leaf probability reduced by area; refine_px and the px minimum in the reduced
    px), its traits given in the sheet's px (in_sheet_px): the cost of a sheet is then
    bounded, whatever its size. `image` is the sheet's, at its size or already reduced,
    but never below analysis_shape (read_sheet_image's `at_least`).
    """
    sheet_shape = mask.shape
    if interior is None:  # only the split's joins read the leaf probability
        leaf_probability = None
    shape = analysis_shape(sheet_shape, working_shape, spec.max_megapixels)
    reduced_by, scale = (sheet_shape[0] / shape[0], sheet_shape[1] / shape[1]), px_per_mm
    if shape != sheet_shape:
        scale = px_per_mm / float(np.sqrt(reduced_by[0] * reduced_by[1])) if px_per_mm else px_per_mm
        if spec.refine_px is not None:
            spec = replace(spec, refine_px=max(1, round(spec.refine_px / max(reduced_by))))
        mask = resize_image(mask.astype(np.uint8) * 255, shape) >= 128
        image = resize_image(image, shape)
        interior = None if interior is None else resize_image(interior, shape)
        leaf_probability = None if leaf_probability is None else resize_image(leaf_probability, shape)
    labels = predicted_leaves(mask, image, working_shape, spec, scale, interior, *seeds, leaf_probability)
    traits = measure_leaves(labels, scale, image)
    if shape != sheet_shape:
        traits = in_sheet_px(traits, reduced_by, px_per_mm)
    return SheetLeaves(labels, image, traits, sheet_shape)


def measure_true_leaves(
    labels: np.ndarray,
    image: np.ndarray,
    px_per_mm: float | None,
    spec: MeasureSpec,
    learned: bool,
    sheet_leaves: pd.DataFrame,
    iou_threshold: float,
) -> tuple[np.ndarray, pd.DataFrame]:
    """The leaves a perfect segmentation would give of true instance `labels`, and their traits.

    They are the true leaves themselves (`learned` instances) or the true mask's components
    (touching leaves merge). Each is intact when it is, by itself, a true intact leaf
    (metrics.component_truth); intact is NA throughout when `sheet_leaves` has no intact flag.
    """
    if learned:
        components = drop_small(labels, minimum_area(spec, px_per_mm))
    else:
        components = label_leaves(labels > 0, spec, px_per_mm)
    traits = measure_leaves(components, px_per_mm, image)
    if sheet_leaves["intact"].notna().any():
        intact_ids = sheet_leaves.loc[sheet_leaves["intact"].fillna(False).astype(bool), "leaf_id"].tolist()
        flags = component_truth(components, labels, intact_ids, iou_threshold)
        traits["intact"] = traits["leaf_id"].map(flags).astype(bool)
    else:
        traits["intact"] = pd.NA
    return components, traits


def minimum_area(spec: MeasureSpec, px_per_mm: float | None) -> float:
    """The smallest leaf kept, in px: spec.min_area_mm2 at a known scale, else spec.min_area_px."""
    return spec.min_area_mm2 * px_per_mm**2 if px_per_mm else spec.min_area_px


def drop_small(labels: np.ndarray, min_area: float) -> np.ndarray:
    """uint16 labels 1..n (in order) of the leaves of `labels` with at least `min_area` px."""
    return keep_labels(labels, np.bincount(labels.ravel()) >= min_area)


def keep_labels(labels: np.ndarray, kept: np.ndarray) -> np.ndarray:
    """uint16 labels 1..n (in order) of the leaves of `labels` whose entry in the boolean `kept` (by label) is set."""
    kept = kept.copy()
    kept[0] = False
    lookup = np.zeros(len(kept), np.uint16)
    lookup[kept] = np.arange(1, np.count_nonzero(kept) + 1)
    return lookup[labels]


def rectangularity(labels: np.ndarray) -> np.ndarray:
    """Per label 0..max, the share of its smallest enclosing rotated rectangle (OpenCV's minAreaRect, of pixel
    squares) that it fills: 1 for a filled rectangle at any angle, about 0.79 for an ellipse; 0 for label 0 and
    absent labels."""
    share = np.zeros(int(labels.max(initial=0)) + 1)
    for index, box in enumerate(scipy.ndimage.find_objects(labels), start=1):
        if box is None:
            continue
        part = (labels[box] == index).astype(np.uint8)
        outline, _ = cv2.findContours(part, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)  # the same hull as every pixel
        (_, _), (width, height), _ = cv2.minAreaRect(np.concatenate(outline))
        share[index] = np.count_nonzero(part) / ((width + 1) * (height + 1))
    return share


# A blade pixel this much lighter than the blade's median is "pale" (a folded-over underside, a scraped surface).
PALE_RATIO = 1.25


def pale_fraction(blade: np.ndarray, grey: np.ndarray) -> float:
    """Share of a blade's pixels lighter than PALE_RATIO x their median.

    `blade` is a boolean mask and `grey` the image's lightness over the same box; the
    blade's 1-px rim is left out (it blends with the paper).
    """
    inner = cv2.erode(blade.astype(np.uint8), np.ones((3, 3), np.uint8), borderValue=0).astype(bool)
    values = grey[inner if inner.any() else blade]
    return float(np.mean(values > PALE_RATIO * np.median(values)))


def measure_leaves(labels: np.ndarray, px_per_mm: float | None, image: np.ndarray | None = None) -> pd.DataFrame:
    """One row of traits per leaf id: lengths in px (and mm when px_per_mm is known), areas in px² (and mm²).

    Length and width follow feret_length_width; perimeter is scikit-image's
    estimate; solidity = area / convex area; circularity = 4 pi area / perimeter²;
    aspect_ratio = length / width; hole_fraction = enclosed holes / filled area;
    touches_edge = 1.0 when the leaf reaches the image border (it may be cut off);
    touches_leaf follows shared_outline_fraction, mirror_symmetry follows mirror_symmetry;
    pale_fraction (NaN without the RGB `image`) follows pale_fraction. Length is the
    blade's; petiole_length follows petiole.petiole_lengths, with the `image` and a
    px_per_mm (NaN without either, or where no petiole is found).
    """
    height, width = labels.shape
    rows = []
    scale = float(px_per_mm) if px_per_mm and np.isfinite(px_per_mm) else np.nan
    regions = skimage.measure.regionprops(labels)
    blades = {region.label: feret_length_width(region.image) for region in regions}
    petioles = (
        petiole_lengths(labels, regions, image, scale, {label: size[0] for label, size in blades.items()})
        if image is not None and np.isfinite(scale)
        else {}
    )
    for region in regions:
        length, breadth = blades[region.label]
        perimeter = float(region.perimeter)
        convex_area = convex_area_px(region.image)
        centre_y, centre_x, eccentricity = shape_moments(region.image)
        y0, x0, y1, x1 = region.bbox
        rows.append(
            {
                "leaf_id": int(region.label),
                "length_px": length,
                "width_px": breadth,
                "petiole_length_px": petioles.get(region.label, np.nan),
                "area_px": int(region.area),
                "perimeter_px": perimeter,
                "convex_area_px": convex_area,
                "solidity": region.area / convex_area,
                "eccentricity": eccentricity,
                "aspect_ratio": length / breadth if breadth else np.nan,
                "circularity": 4 * np.pi * region.area / perimeter**2 if perimeter else np.nan,
                "hole_fraction": 1.0 - region.area / filled_area_px(region.image),
                "touches_edge": float(y0 == 0 or x0 == 0 or y1 == height or x1 == width),
                "touches_leaf": shared_outline_fraction(
                    labels[max(y0 - 1, 0) : y1 + 1, max(x0 - 1, 0) : x1 + 1], region.label
                ),
                "mirror_symmetry": mirror_symmetry(region.image),
                "pale_fraction": np.nan
                if image is None
                else pale_fraction(region.image, image[y0:y1, x0:x1].mean(axis=2, dtype=np.float32)),
                "centroid_x_px": x0 + centre_x,
                "centroid_y_px": y0 + centre_y,
                "bbox_x0_px": x0,
                "bbox_y0_px": y0,
                "bbox_x1_px": x1,
                "bbox_y1_px": y1,
            }
        )
    return with_mm(pd.DataFrame(rows, columns=TRAIT_COLUMNS[: TRAIT_COLUMNS.index("px_per_mm")]), px_per_mm)


def with_mm(traits: pd.DataFrame, px_per_mm: float | None) -> pd.DataFrame:
    """`traits` (px columns) with px_per_mm and the mm and mm² columns at that scale (NaN when unknown)."""
    table = traits.copy()
    scale = float(px_per_mm) if px_per_mm and np.isfinite(px_per_mm) else np.nan
    table["px_per_mm"] = scale
    for column in ("length", "width", "petiole_length", "perimeter"):
        table[f"{column}_mm"] = table[f"{column}_px"] / scale
    for column in ("area", "convex_area"):
        table[f"{column}_mm2"] = table[f"{column}_px"] / scale**2
    return table[TRAIT_COLUMNS]


def with_scale_source(traits: pd.DataFrame, source: str) -> pd.DataFrame:
    """`traits` with px_per_mm_source (scale.SCALE_SOURCES) after px_per_mm: where the sheet's scale came from."""
    result = traits.copy()
    result.insert(result.columns.get_loc("px_per_mm") + 1, "px_per_mm_source", source)
    return result


def sheet_scale(leaves: pd.DataFrame) -> float | None:
    """A sheet's px_per_mm from its leaf rows (None when no row gives one)."""
    known = leaves["px_per_mm"].dropna() if "px_per_mm" in leaves else pd.Series(dtype=float)
    return float(known.iloc[0]) if len(known) else None
