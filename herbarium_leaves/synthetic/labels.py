"""Labels, slips, packets, stamps, barcodes, paper strips and tape: where they go and how they are drawn."""

from __future__ import annotations

import cv2
import numpy as np

from herbarium_leaves.sheet_styles import SheetStyle
from herbarium_leaves.synthetic.canvas import _rect, _SheetPainter
from herbarium_leaves.synthetic.leaves import _to_sheet
from herbarium_leaves.synthetic.rulers import (
    _CHART_COLOURS,
    _CHART_SIZES_MM,
    _RULER_STYLE_WEIGHTS,
    RULER_STYLES,
    _cover_end,
    _draw_chart,
    _draw_ruler,
)

_INK_COLOURS = np.array([[30, 30, 35], [25, 40, 110], [150, 35, 40], [95, 45, 120], [30, 110, 55]], dtype=np.float32)


_SYLLABLES = ("ca", "ra", "lo", "phy", "ta", "si", "nus", "ae", "ri", "mo", "ne", "flo", "us", "la", "gen", "ti")


def _words(rng: np.random.Generator, n: int) -> str:
    return " ".join(
        "".join(rng.choice(_SYLLABLES, int(rng.integers(1, 4)))).capitalize()
        if k == 0
        else "".join(rng.choice(_SYLLABLES, int(rng.integers(1, 4))))
        for k in range(n)
    )


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
