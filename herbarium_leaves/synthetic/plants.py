"""Plant layouts: broad-leaved, compound, dense, needle and grass plants, and their flowers, fruits and roots."""

from __future__ import annotations

import cv2
import numpy as np

from herbarium_leaves.sheet_styles import SheetStyle
from herbarium_leaves.synthetic.canvas import _SheetPainter, rasterize_polygon
from herbarium_leaves.synthetic.leaves import _LEAF_KINDS, _Leaf, _LeafKind, _make_leaf, _rotated, _rotated_points


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
    rng: np.random.Generator,
    paper: tuple[int, int, int, int],
    mm: float,
    damage_rate: float,
    style: SheetStyle,
    furniture: list[np.ndarray],
) -> tuple[str, _Layout]:
    """One plant of a type the style draws: the type, and its stems, twigs and leaves (with petioles), in sheet px.

    `furniture` holds the corners (sheet px) of the labels, ruler and the like already placed."""
    types = list(style.plants)
    if len(types) > 1:
        weights = np.array([style.plants[name] for name in types], float)
        plant = types[int(rng.choice(len(types), p=weights / weights.sum()))]
    else:
        plant = types[0]
    if plant == "pressed":  # loose leaves are laid where the paper has room, around the sheet's furniture
        return plant, _layout_pressed(rng, paper, mm, damage_rate, furniture)
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


def _layout_pressed(
    rng: np.random.Generator, paper, mm: float, damage_rate: float, furniture: list[np.ndarray]
) -> _Layout:
    """Loose leaves picked from trees (40 to 300 mm), each on its own petiole, laid apart where the paper has room
    (off the `furniture`'s boxes); on a crowded sheet some overlap or run off the edge."""
    y0, y1, x0, x1 = paper
    occupied, leaves, kind = _occupancy(paper), [], _LEAF_KINDS["tree"]
    for corners in furniture:
        (left, top), (right, bottom) = np.floor(corners.min(axis=0) / _GRID), np.ceil(corners.max(axis=0) / _GRID)
        occupied[max(int(top), 0) : max(int(bottom) + 1, 0), max(int(left), 0) : max(int(right) + 1, 0)] = True
    room = ~occupied
    for _ in range(int(rng.integers(2, 10))):
        if occupied[room].mean() > 0.45:
            break
        near = _near(occupied)
        origin = np.zeros(2)
        leaf = _make_leaf(rng, origin, 0.0, mm, damage_rate, kind)
        stalk = rng.uniform(5, 40) * mm
        leaf.petiole = np.array([[-stalk, rng.normal(0, 0.1) * stalk], [-stalk / 2, 0.0], origin])
        centre = leaf.outline.mean(axis=0)
        best, best_cost, best_cells = None, np.inf, None
        for _ in range(12):
            delta = rng.uniform(-np.pi, np.pi)
            target = np.array([rng.uniform(x0, x1), rng.uniform(y0, y1)])
            shift = target - _rotated_points(centre[None], origin, delta)[0]
            outline = _rotated_points(leaf.outline, origin, delta) + shift
            cells = _coarse_cells(outline, occupied.shape)
            off_paper = np.count_nonzero(
                (outline[:, 0] < x0) | (outline[:, 0] >= x1) | (outline[:, 1] < y0) | (outline[:, 1] >= y1)
            )
            cost = np.count_nonzero(cells & near) + off_paper
            if cost < best_cost:
                best, best_cost, best_cells = (delta, shift), cost, cells
        occupied |= best_cells
        leaves.append(_rotated(leaf, origin, *best))
    return [], [], leaves


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


def _coarse_cells(outline: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """The cells of the coarse map an outline (sheet px) covers, by OpenCV's polygon fill."""
    cells = np.zeros(shape, np.uint8)
    cv2.fillPoly(cells, [np.round(outline / _GRID).astype(np.int32)], 1)
    return cells.astype(bool)


def _near(occupied: np.ndarray) -> np.ndarray:
    """The placed leaves' cells and their neighbours: where a new leaf would leave no gap."""
    return cv2.dilate(occupied.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)


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
    near = _near(occupied)
    best, best_overlap, best_cells = None, np.inf, None
    for delta in deltas:
        outline = leaf.outline if delta is None else _rotated_points(leaf.outline, pivot, delta)
        if coarse_fill:
            cells = _coarse_cells(outline, occupied.shape)
        else:
            cells = rasterize_polygon(outline / _GRID, occupied.shape).astype(bool)
        overlap = np.count_nonzero(cells & near)
        if overlap < best_overlap:
            best, best_overlap, best_cells = delta, overlap, cells
        if overlap == 0:
            break
    occupied |= best_cells
    return leaf if best is None else _rotated(leaf, pivot, best)


_PETALS = np.array([[245, 244, 232], [236, 204, 60], [222, 134, 170], [132, 74, 150], [192, 48, 44]], np.float32)


_FRUITS = np.array([[120, 24, 32], [34, 28, 34], [208, 112, 34], [112, 72, 42], [96, 132, 52]], np.float32)


def _draw_organs(
    painter: _SheetPainter, rng: np.random.Generator, plant: str, stems: list[np.ndarray], mm: float, style: SheetStyle
) -> None:
    """Roots at the stem's foot, flowers (or a grass's spikelets) at the stems' ends, and fruits: none is a leaf.

    Loose leaves (no stems) have none."""
    if not stems:
        return
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
