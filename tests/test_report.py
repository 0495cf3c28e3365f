"""Report pictures."""

import numpy as np
import pandas as pd

from herbarium_leaves.report import (
    BETTER,
    INTACT_COLOUR,
    OTHER_COLOUR,
    WORSE,
    disagreement,
    headline_table,
    leaf_overlay,
    overlay,
    side_by_side,
)


def test_disagreement_is_dark_where_seeds_agree_and_bright_where_they_split():
    agree = np.full((4, 6), 200, np.uint8)
    split = [agree.copy(), agree.copy()]
    split[0][:, 3:], split[1][:, 3:] = 0, 255
    picture = disagreement(split)
    assert picture.shape == (4, 6, 3) and picture.dtype == np.uint8
    assert picture[:, :3].sum(axis=2).max() < 20  # std 0: the colour map's darkest end
    assert picture[:, 3:].sum(axis=2).min() > 600  # std 0.5: its brightest


def _summary():
    return pd.DataFrame(
        [
            {
                "model": "seed0",
                "sheets": 24,
                "mean_iou": 0.85,
                "sheet_recall": 1.0,
                "matched_intact_leaves": 30,
                "length_error_pct": 4.0,
            },
            {
                "model": "seed1",
                "sheets": 24,
                "mean_iou": 0.87,
                "sheet_recall": 0.95,
                "matched_intact_leaves": 32,
                "length_error_pct": 5.0,
            },
            {
                "model": "ensemble",
                "sheets": 24,
                "mean_iou": 0.871234,
                "sheet_recall": 0.9,
                "matched_intact_leaves": 31,
                "length_error_pct": 4.61,
            },
            {
                "model": "seeds mean",
                "sheets": 24,
                "mean_iou": 0.86,
                "sheet_recall": 0.975,
                "matched_intact_leaves": 31.0,
                "length_error_pct": 4.5,
            },
            {
                "model": "seeds std",
                "sheets": 0,
                "mean_iou": 0.0141,
                "sheet_recall": 0.0354,
                "matched_intact_leaves": 1.41,
                "length_error_pct": 0.707,
            },
            {"model": "study: segmentation", "mean_iou": 0.552, "sheet_recall": 0.98},
            {"model": "study: measurement", "length_error_pct": 4.6},
        ]
    )


def test_headline_is_rounded_and_marks_ours_against_the_study():
    table = headline_table(_summary()).set_index("")
    ensemble, seeds = table.loc["Seed ensemble (2 seeds)"], table.loc["One seed, mean \u00b1 std over 2"]
    assert ensemble["Test sheets"] == "24" and ensemble["Intact leaves matched"] == "31"
    assert ensemble["Leaf IoU, mean over sheets"] == f"0.871 {BETTER}"
    assert ensemble["Sheets with an intact leaf found (share)"] == f"0.900 {WORSE}"  # 3 significant digits
    assert ensemble["Length error (%)"] == f"4.61 {WORSE}"  # lower is better
    assert seeds["Leaf IoU, mean over sheets"] == f"0.860 \u00b1 0.014 {BETTER}"
    assert seeds["Length error (%)"] == f"4.50 \u00b1 0.71 {BETTER}"
    assert seeds["Test sheets"] == "24"
    study = table.loc["The study (74 test sheets)"]  # its two rows in one, never marked
    assert (study["Leaf IoU, mean over sheets"], study["Length error (%)"]) == ("0.552", "4.60")
    assert table.loc["Seed 1", "Leaf IoU, mean over sheets"] == "0.870"
    assert study["Intact-leaf F1"] == ""


def test_overlay_colours_each_leaf_and_outlines_the_intact_ones():
    image = np.full((60, 80, 3), 230, np.uint8)
    predicted = np.zeros((60, 80), np.uint16)
    predicted[10:30, 10:30], predicted[35:55, 40:70] = 1, 2
    picture = overlay(image, predicted > 0, predicted, intact_ids=[2])
    assert picture.shape == image.shape
    assert not np.array_equal(picture[20, 20], picture[45, 55])  # two leaves, two colours
    assert tuple(picture[35, 55]) == (250, 210, 0)  # leaf 2's outline: called intact
    assert tuple(picture[10, 20]) != (250, 210, 0)


def test_the_curators_overlay_outlines_intact_and_other_leaves_in_two_colours_and_shrinks_large_sheets():
    image = np.full((600, 800, 3), 230, np.uint8)
    labels = np.zeros((600, 800), np.uint16)
    labels[100:300, 100:300], labels[350:550, 400:700] = 4, 9
    traits = pd.DataFrame({"leaf_id": [4, 9], "intact": pd.array([True, pd.NA], dtype="boolean")})
    picture = leaf_overlay(image, labels, traits, "4.500 px/mm from the ruler", longest=400)
    assert picture.shape == (300, 400, 3)
    colours = {tuple(pixel) for pixel in picture.reshape(-1, 3)}
    assert INTACT_COLOUR in colours and OTHER_COLOUR in colours
    assert tuple(picture[50, 100]) == INTACT_COLOUR  # leaf 4's top edge, at half size
    assert tuple(picture[175, 275]) == OTHER_COLOUR  # leaf 9's top edge: not judged, so not intact
    assert (picture[5:20, 5:200] < 100).any()  # the scale note is written


def test_side_by_side_keeps_both_pictures_whole_with_a_white_gap():
    left, right = np.zeros((20, 30, 3), np.uint8), np.full((20, 10, 3), 7, np.uint8)
    pair = side_by_side(left, right, gap=4)
    assert pair.shape == (20, 44, 3)
    assert np.array_equal(pair[:, :30], left) and np.array_equal(pair[:, 34:], right) and (pair[:, 30:34] == 255).all()
