from collections.abc import Callable

import numpy as np
import pytest

from herbarium_leaves.ingest import read_leaves_csv, read_scale_table
from herbarium_leaves.scale import PaperScale, RulerScale, detect_paper_scale, detect_ruler_scale, resolve_scale
from herbarium_leaves.sheet_io import InputError
from herbarium_leaves.synthetic import generate_sheet

PX_PER_MM = 5.0


def _paper(height: int = 2100, width: int = 1450) -> np.ndarray:
    rng = np.random.default_rng(0)
    return np.clip(rng.normal(225, 3, (height, width)), 0, 255).astype(np.uint8)


def _ticks(
    image: np.ndarray, top: int, start: float, spacing_mm: float, depths_px, count: int, px_per_mm: float = PX_PER_MM
) -> None:
    """Dark 1 px ticks every `spacing_mm`, hanging from row `top`, depth by tick index."""
    for k in range(count):
        x = round(start + k * spacing_mm * px_per_mm)
        image[top : top + depths_px(k), x] = 30


@pytest.mark.parametrize(("index", "style"), [(0, "mm_cm"), (2, "white_cm")])
def test_generated_rulers_give_the_true_scale_within_1_percent(index, style):
    sheet = generate_sheet(11, index, 2000, 1380)
    assert sheet.ruler == style
    found = detect_ruler_scale(sheet.image)
    assert found.px_per_mm == pytest.approx(sheet.px_per_mm, rel=0.01)
    assert found.confidence > 0.3 and found.orientation in ("horizontal", "vertical")
    assert found.coarse_mm in (5, 10)
    assert found.coarse_period_px == pytest.approx(found.coarse_mm * sheet.px_per_mm, rel=0.01)


def test_a_sheet_without_a_ruler_gives_none_with_the_reason():
    sheet = generate_sheet(11, 3, 2000, 1380)
    assert sheet.ruler is None
    found = detect_ruler_scale(sheet.image)
    assert found.px_per_mm is None and found.reason


def test_a_drawn_metric_ruler_in_either_orientation():
    image = _paper()
    _ticks(image, 1800, 100.3, 1.0, lambda k: 50 if k % 10 == 0 else 35 if k % 5 == 0 else 20, 150)
    found = detect_ruler_scale(image)
    assert found.px_per_mm == pytest.approx(PX_PER_MM, rel=0.005) and found.orientation == "horizontal"
    turned = detect_ruler_scale(np.ascontiguousarray(image.T))
    assert turned.px_per_mm == pytest.approx(PX_PER_MM, rel=0.005) and turned.orientation == "vertical"


def test_white_ticks_on_black_are_read_too():
    image = _paper()
    image[1790:1880, 80:900] = 25
    _ticks(image, 1800, 100.3, 1.0, lambda k: 50 if k % 10 == 0 else 20, 150)
    image[1790:1880, 80:900] = 255 - image[1790:1880, 80:900]  # light ticks on a dark ruler
    found = detect_ruler_scale(image)
    assert found.px_per_mm == pytest.approx(PX_PER_MM, rel=0.005)


def test_inch_scales_and_lone_periods_give_no_scale():
    inch = _paper()
    _ticks(inch, 1800, 100.3, 25.4 / 16, lambda k: 50 if k % 16 == 0 else 35 if k % 8 == 0 else 20, 96)
    assert detect_ruler_scale(inch).px_per_mm is None  # ratios 2, 4, 8, 16: never taken for mm and cm
    stripes = _paper()
    _ticks(stripes, 1800, 100.3, 7.0, lambda k: 40, 30)  # evenly spaced lines, one period only
    assert detect_ruler_scale(stripes).px_per_mm is None
    tiny = generate_sheet(11, 0, 256, 176)
    assert "5 mm ticks would be under 4.0 px apart" in detect_ruler_scale(tiny.image).reason


@pytest.mark.parametrize(("index", "style"), [(1, "mm_cm"), (9, "cm_inch")])
def test_coarse_sheets_are_read_from_5_mm_and_cm_ticks(index, style):
    sheet = generate_sheet(11, index, 512, 352)  # 1.2 px/mm: mm ticks cannot be told apart
    assert sheet.ruler == style
    found = detect_ruler_scale(sheet.image)
    assert found.px_per_mm == pytest.approx(sheet.px_per_mm, rel=0.01)
    assert (found.fine_mm, found.coarse_mm) == (5, 10)
    white = generate_sheet(11, 7, 512, 352)
    assert white.ruler == "white_cm"  # cm ticks alone: nothing confirms them
    assert "5 mm and cm" in detect_ruler_scale(white.image).reason


def _coarse_ruler(spacing_mm: float, depth: Callable[[int], int], count: int) -> np.ndarray:
    """A 512 x 352 px sheet (1.22 px/mm) with dark ticks every `spacing_mm`, depth in px by tick index."""
    image = _paper(512, 352)
    _ticks(image, 440, 20, spacing_mm, depth, count, px_per_mm=512 / 420)
    return image


def test_inch_halvings_on_a_coarse_sheet_give_no_scale():
    # 1/2, 1/4 and 1/8 inch ticks pair like cm and 5 mm ticks (ratio 2) at 1.27 and 0.64 times the px/mm
    inch = _coarse_ruler(25.4 / 8, lambda k: 16 if k % 8 == 0 else 13 if k % 4 == 0 else 10 if k % 2 == 0 else 7, 80)
    assert detect_ruler_scale(inch).px_per_mm is None
    metric = _coarse_ruler(5.0, lambda k: 16 if k % 2 == 0 else 10, 50)
    assert detect_ruler_scale(metric).px_per_mm == pytest.approx(512 / 420, rel=0.01)


def test_scale_comes_from_the_first_source_that_applies():
    ruler = RulerScale(4.0, 0.9, (1, 2, 3, 4), "horizontal", 4.0, 40.0, 10, [4.0, 40.0])
    assert resolve_scale(5.0, ruler, 6.0)["source"] == "given"
    assert resolve_scale(None, ruler, 6.0) | {"ruler": None} == {
        "px_per_mm": 4.0,
        "source": "ruler",
        "confidence": 0.9,
        "ruler": None,
    }
    unread = RulerScale(None, 0.0, reason="no ruler with agreeing mm and cm ticks")
    assert resolve_scale(np.nan, unread, 6.0)["source"] == "config"
    none = resolve_scale(None, unread, None)
    assert none["px_per_mm"] is None and none["source"] == "none"
    assert none["ruler"]["reason"] == "no ruler with agreeing mm and cm ticks"


def test_paper_before_config_and_after_the_ruler():
    ruler = RulerScale(4.0, 0.9, (1, 2, 3, 4), "horizontal", 4.0, 40.0, 10, [4.0, 40.0])
    unread = RulerScale(None, 0.0, reason="no ruler with agreeing mm and cm ticks")
    paper = PaperScale(1.2, 504.0)
    assert resolve_scale(None, ruler, 6.0, paper)["source"] == "ruler"
    record = resolve_scale(None, unread, 6.0, paper)
    assert record["source"] == "paper" and record["px_per_mm"] == 1.2
    assert record["paper"] == {"px_per_mm": 1.2, "long_side_px": 504.0, "reason": ""}
    unmeasured = PaperScale(None, reason="the paper reaches the image's edge along its long side")
    assert resolve_scale(None, unread, 6.0, unmeasured)["source"] == "config"


@pytest.mark.parametrize("style", ["classic", "varied", "shifted"])
def test_the_paper_inside_a_scanner_border_gives_the_true_scale(style):
    measured = missing = 0
    for index in range(12):
        sheet = generate_sheet(0, 1_000_000 + index, 512, 352, style=style)
        paper = detect_paper_scale(sheet.image, 420.0)
        if paper.px_per_mm is None:
            missing += 1
            continue
        measured += 1
        assert paper.px_per_mm == pytest.approx(sheet.px_per_mm, rel=0.005), index
    assert measured >= 3 and missing >= 3  # about half the generated sheets lie inside a border


def test_no_paper_scale_without_a_background_beyond_the_paper():
    plain = np.dstack([_paper(700, 480)] * 3)
    assert "reaches the image's edge" in detect_paper_scale(plain, 420.0).reason
    framed = np.full((700, 480, 3), 20, np.uint8)
    framed[20:680, 15:465] = 225
    assert detect_paper_scale(framed, 420.0).px_per_mm == pytest.approx(660 / 420)
    turned = np.ascontiguousarray(framed.transpose(1, 0, 2))
    assert detect_paper_scale(turned, 420.0).px_per_mm == pytest.approx(660 / 420)
    small = np.full((700, 480, 3), 20, np.uint8)
    small[100:300, 40:440] = 225  # a card on a dark table, not a sheet
    assert detect_paper_scale(small, 420.0).reason == "no bright paper across half the image"


def test_given_scales_must_be_positive_numbers(tmp_path):
    table = tmp_path / "scales.csv"
    table.write_text("sample,px_per_mm\nK1,4.5\nK2,\n")
    assert read_scale_table(table) == {"K1": 4.5}
    cases = {
        "sample,px_per_mm\nK1,four\n": "column px_per_mm has non-numeric values",
        "sample,px_per_mm\nK1,4.5\nK2,0\n": "row 3: px_per_mm is 0.0; a scale must be a positive number",
        "sample,px_per_mm\nK1,4.5\nK1,4.6\n": "sheet 'K1' is listed twice",
        "sample,scale\nK1,4.5\n": r"missing column\(s\) px_per_mm",
    }
    for text, message in cases.items():
        table.write_text(text)
        with pytest.raises(InputError, match=message):
            read_scale_table(table)
    leaves = tmp_path / "leaves.csv"
    leaves.write_text("sample,leaf_id,px_per_mm\nK1,1,-2\n")
    with pytest.raises(InputError, match="row 2: px_per_mm is -2; a scale must be a positive number"):
        read_leaves_csv(leaves)


def test_the_scale_weighs_the_mm_ticks_by_their_precision():
    from herbarium_leaves.scale import _combined

    # 5 mm ticks fitted to 22.94 +- 0.2 px, mm ticks to 4.535 +- 0.002 px: the mm ticks decide.
    assert _combined(((22.94, 0.2, 5), (4.535, 0.002, 1))) == pytest.approx(4.535, rel=0.001)
    assert _combined(((45.0, 0.1, 10), (4.6, 0.1, 1))) == pytest.approx((4.5 * 100 + 4.6 * 1) / 101)
