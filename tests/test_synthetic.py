import cv2
import numpy as np
import pandas as pd
import pytest
import skimage.draw

from herbarium_leaves.measure import feret_length_width, feret_of_points
from herbarium_leaves.sheet_styles import PLANT_TYPES, STYLES
from herbarium_leaves.synthetic import (
    LEAF_SHAPES,
    TEST_INDEX_OFFSET,
    demo_sheets,
    generate_sheet,
    leaf_outline,
    rasterize_polygon,
)
from herbarium_leaves.synthetic.canvas import _SheetPainter
from herbarium_leaves.synthetic.leaves import _AUTUMN_PALETTE, _LEAF_KINDS, _LEAF_PALETTE, _make_leaf, _to_sheet
from herbarium_leaves.synthetic.sheet import _tabs

SIZE = (512, 352)


@pytest.fixture(scope="module", params=sorted(STYLES))
def sheets(request):
    """Six sheets of each style: every property below holds for every look."""
    return [generate_sheet(3, index, *SIZE, style=request.param) for index in range(6)]


def test_same_seed_and_index_give_the_same_sheet_bit_for_bit():
    first, second = generate_sheet(7, 2, *SIZE), generate_sheet(7, 2, *SIZE)
    assert first.image.tobytes() == second.image.tobytes()
    assert first.labels.tobytes() == second.labels.tobytes()
    assert first.leaves.equals(second.leaves)


def test_other_index_or_seed_gives_another_sheet():
    base = generate_sheet(7, 2, *SIZE).image
    assert not np.array_equal(base, generate_sheet(7, 3, *SIZE).image)
    assert not np.array_equal(base, generate_sheet(8, 2, *SIZE).image)


def test_sheet_types_and_sizes(sheets):
    for sheet in sheets:
        assert sheet.image.shape == (*SIZE, 3) and sheet.image.dtype == np.uint8
        assert sheet.labels.shape == SIZE and sheet.labels.dtype == np.uint16
        assert sheet.px_per_mm == pytest.approx(sheet.leaves["px_per_mm"].iloc[0], rel=1e-5)


@pytest.mark.parametrize("shape", LEAF_SHAPES)
@pytest.mark.parametrize("angle", [0.0, 0.7, 2.2])
def test_generated_leaf_measures_its_true_length_and_width(shape, angle):
    # Large enough that the +-1 px quantization of a pixel mask stays within 2%.
    rng = np.random.default_rng(11)
    length, width = 400.0, 400.0 * {"lanceolate": 0.16, "lobed": 0.6}.get(shape, 0.45)
    outline = _to_sheet(leaf_outline(shape, length, width, rng), np.array([0.0, 0.0]), angle)
    outline -= outline.min(axis=0) - 5
    mask = rasterize_polygon(outline, (420, 420))
    measured_length, measured_width = feret_length_width(mask)
    assert measured_length == pytest.approx(length, rel=0.02)
    assert measured_width == pytest.approx(width, rel=0.02)


@pytest.mark.parametrize("shape", ["palmate", "oak"])
@pytest.mark.parametrize("angle", [0.0, 0.7, 2.2])
def test_tree_leaves_are_deeply_lobed_and_measure_their_recorded_feret_size(shape, angle):
    rng = np.random.default_rng(5)
    for _ in range(3):
        local = leaf_outline(shape, 300.0, 300.0 * (0.9 if shape == "palmate" else 0.55), rng)
        outline = _to_sheet(local, np.array([0.0, 0.0]), angle)
        outline -= outline.min(axis=0) - 5
        mask = rasterize_polygon(outline, (480, 480))
        truth = feret_of_points(local)
        assert feret_length_width(mask) == pytest.approx(truth, rel=0.02)
        hull = cv2.fillPoly(np.zeros_like(mask), [cv2.convexHull(outline.astype(np.float32)).astype(np.int32)], 1)
        assert mask.sum() < 0.9 * hull.sum()  # lobed: well short of its convex hull


def test_loose_tree_leaves_lie_apart_up_to_300_mm_long():
    pressed = [sheet for index in range(40) if (sheet := generate_sheet(1, index, 512, 352)).plant == "pressed"]
    assert len(pressed) >= 5
    lengths = pd.concat([sheet.leaves for sheet in pressed])["length_mm"]
    assert lengths.min() >= 40 * 0.95 and lengths.max() >= 150
    assert {"palmate", "oak"} <= set(pd.concat([sheet.leaves for sheet in pressed])["shape"])
    apart = [sheet for sheet in pressed if (sheet.leaves["reason"] == "").any()]
    assert len(apart) >= len(pressed) // 2  # most sheets keep an intact leaf clear of the others
    # Laid around the labels, ruler and chart rather than left off where they meet them: no sheet without leaves.
    assert min(len(sheet.leaves) for sheet in pressed) >= 1
    assert np.mean([len(sheet.leaves) for sheet in pressed]) >= 3


def test_about_half_the_tree_leaves_are_in_autumn_colours():
    rng = np.random.default_rng(3)
    colours = np.array([_make_leaf(rng, np.zeros(2), 0.0, 4.0, 0.0, _LEAF_KINDS["tree"]).colour for _ in range(200)])
    # Nearest palette colour (before the leaf's own tint): autumn or the pressed greens and browns.
    autumn = np.min(np.linalg.norm(colours[:, None] - _AUTUMN_PALETTE[None], axis=2), axis=1) < np.min(
        np.linalg.norm(colours[:, None] - _LEAF_PALETTE[None], axis=2), axis=1
    )
    assert 0.35 <= autumn.mean() <= 0.65
    assert (colours[:, 0] > 1.8 * colours[:, 1]).any()  # reds and crimsons, which no pressed green or brown is


def test_label_ids_match_leaf_rows(sheets):
    for sheet in sheets:
        ids = set(np.unique(sheet.labels)) - {0}
        assert ids == set(sheet.leaves["leaf_id"])


def test_intact_flags_agree_with_occlusion_and_damage(sheets):
    leaves = 0
    for sheet in sheets:
        for row in sheet.leaves.itertuples():
            leaves += 1
            blade = sheet.labels == row.leaf_id
            assert row.intact == (row.reason == "")
            if row.visible_fraction < 1.0:
                assert not row.intact
            if row.intact:
                assert not (blade[0].any() or blade[-1].any() or blade[:, 0].any() or blade[:, -1].any())
    assert leaves > 30


def test_intact_leaves_measure_their_recorded_size(sheets):
    checked = 0
    for sheet in sheets:
        for row in sheet.leaves[sheet.leaves["intact"]].itertuples():
            # Demo blades are small: acute tips lose a pixel or two to rasterization.
            length, width = feret_length_width(sheet.labels == row.leaf_id)
            true_length, true_width = row.length_mm * row.px_per_mm, row.width_mm * row.px_per_mm
            assert abs(length - true_length) <= max(0.03 * true_length, 3.0)
            assert abs(width - true_width) <= max(0.03 * true_width, 3.0)
            checked += 1
    assert checked >= 5


def test_every_kind_of_damage_and_occlusion_occurs():
    reasons = set()
    for index in range(12):
        for reason in generate_sheet(0, index, *SIZE).leaves["reason"]:
            reasons.update(filter(None, reason.split(";")))
    assert reasons == {"folded", "torn", "insect_damage", "cut_by_edge", "overlapped", "covered"}


def test_leaves_are_darker_than_paper_but_not_black(sheets):
    for sheet in sheets:
        blade = sheet.labels > 0
        leaf_tone = sheet.image[blade].mean()
        paper_tone = np.median(sheet.image[~blade])
        assert 40 < leaf_tone < paper_tone - 40


def test_demo_sheets_keep_train_and_test_indices_apart():
    table = demo_sheets(3, 2)
    assert list(table["sample"]) == ["train_0000", "train_0001", "train_0002", "test_0000", "test_0001"]
    assert list(table["index"]) == [0, 1, 2, TEST_INDEX_OFFSET, TEST_INDEX_OFFSET + 1]
    assert demo_sheets(5, 2).query("split == 'test'")["index"].tolist() == [TEST_INDEX_OFFSET, TEST_INDEX_OFFSET + 1]


def test_every_layout_generates_even_when_a_stem_stops_at_the_edge():
    for index in range(60):  # index 5 at this size once grew a one-point stem
        sheet = generate_sheet(0, index, 256, 176)
        assert sheet.labels.shape == (256, 176)


def test_polygon_fill_is_scikit_images_pixel_for_pixel():
    rng = np.random.default_rng(5)
    for trial in range(600):
        polygon = rng.uniform(-15, 60, (int(rng.integers(3, 30)), 2))
        if trial % 3 == 0:
            polygon = np.round(polygon)  # vertices and edges through pixel centres
        shape = (int(rng.integers(1, 50)), int(rng.integers(1, 50)))
        expected = np.zeros(shape, np.uint8)
        expected[skimage.draw.polygon(polygon[:, 1], polygon[:, 0], shape)] = 1
        assert np.array_equal(rasterize_polygon(polygon, shape), expected), trial


@pytest.mark.parametrize("style", sorted(set(STYLES) - {"classic"}))
def test_each_style_is_seeded_and_draws_its_own_look(style):
    first, again = generate_sheet(4, 1, *SIZE, style=style), generate_sheet(4, 1, *SIZE, style=style)
    assert first.image.tobytes() == again.image.tobytes() and first.leaves.equals(again.leaves)
    assert not np.array_equal(first.image, generate_sheet(4, 1, *SIZE).image)
    plants = {generate_sheet(0, index, 256, 176, style=style).plant for index in range(24)}
    assert plants == set(STYLES[style].plants) and plants <= set(PLANT_TYPES)


def test_the_shifted_style_holds_out_papers_charts_and_a_plant_type_from_the_varied_one():
    varied, shifted = STYLES["varied"], STYLES["shifted"]
    assert not set(varied.papers) & set(shifted.papers)
    assert not set(varied.charts) & set(shifted.charts)
    assert set(shifted.plants) - set(varied.plants)
    assert shifted.jpeg[1] < varied.jpeg[0]


def test_small_leaved_plants_label_every_leaflet_and_needle_as_its_own_leaf():
    kinds = {}
    for index in range(24):
        sheet = generate_sheet(2, index, 256, 176, style="shifted")
        kinds.setdefault(sheet.plant, []).append(len(sheet.leaves))
    assert {"compound", "dense", "needles"} <= set(kinds)
    for plant in ("compound", "dense", "needles"):
        assert np.median(kinds[plant]) >= 15, (plant, kinds[plant])


@pytest.mark.parametrize("style", sorted(set(STYLES) - {"classic"}))
def test_charts_labels_packets_flowers_fruits_and_roots_are_never_leaf_pixels(style, monkeypatch):
    import herbarium_leaves.synthetic.sheet as synthetic  # generate_sheet looks its helpers up there

    items, draw_item = [], synthetic._draw_item

    def recording_item(painter, kind, rect, *args):
        items.append((kind, rect))
        draw_item(painter, kind, rect, *args)

    draw_organs = synthetic._draw_organs

    def invisible_organs(painter, *args):
        # The same random draws, nothing painted: the labels must not change.
        monkeypatch.setattr(painter, "ellipse", lambda *a, **k: None)
        monkeypatch.setattr(painter, "polyline", lambda *a, **k: None)
        draw_organs(painter, *args)
        monkeypatch.undo()

    checked = set()
    for index in range(8):
        monkeypatch.setattr(synthetic, "_draw_item", recording_item)
        sheet = generate_sheet(1, index, *SIZE, style=style)
        for kind, rect in items:
            if kind == "stamp":  # ink over whatever lies beneath
                continue
            x0, y0 = np.ceil(rect.min(axis=0)).astype(int) + 1  # pixels wholly inside the item
            x1, y1 = np.floor(rect.max(axis=0)).astype(int)
            assert not sheet.labels[max(y0, 0) : max(y1, 0), max(x0, 0) : max(x1, 0)].any(), (kind, index)
            checked.add(kind.split(":")[0])
        items.clear()
        monkeypatch.setattr(synthetic, "_draw_organs", invisible_organs)
        without = generate_sheet(1, index, *SIZE, style=style)
        monkeypatch.undo()
        assert np.array_equal(without.labels, sheet.labels) and without.leaves.equals(sheet.leaves)
    assert {"chart", "label", "packet", "type_label"} <= checked


def test_coloured_tabs_sit_astride_the_papers_edge_and_are_not_leaves():
    painter = _SheetPainter(np.random.default_rng(0), 300, 200)
    paper = (20, 280, 15, 185)
    painter.paper(paper, ((240, 236, 225),))
    _tabs(painter, np.random.default_rng(5), paper, 1.0)
    rows, cols = np.nonzero(painter.cover)
    assert len(rows) > 0
    to_edge = np.minimum.reduce(
        [np.abs(rows - paper[0]), np.abs(rows - paper[1]), np.abs(cols - paper[2]), np.abs(cols - paper[3])]
    )
    assert to_edge.max() <= 7  # at most half a 12-mm tab from the edge
    colours = painter.image[painter.cover]
    assert (colours.max(axis=1) - colours.min(axis=1)).mean() > 60  # saturated, unlike paper or labels
