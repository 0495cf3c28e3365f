import numpy as np
import pandas as pd
import pytest

from herbarium_leaves.real_sheets import instance_summary, plant_summary, score_instance_sheet, score_plant_sheet


def _sheet():
    """Two true leaves: leaf 1 found whole (called intact), leaf 2 cut in three pieces; one false leaf on paper."""
    truth = np.zeros((40, 60), np.uint16)
    truth[5:15, 5:25] = 1
    truth[20:35, 10:50] = 2
    predicted = np.zeros_like(truth)
    predicted[5:15, 5:24] = 7
    predicted[20:35, 10:24] = 3
    predicted[20:35, 24:37] = 4
    predicted[20:35, 37:50] = 5
    predicted[0:4, 55:60] = 9
    traits = pd.DataFrame(
        {
            "leaf_id": [7, 3, 4, 5, 9],
            "length_px": [19.0, 15.0, 15.0, 15.0, 5.0],
            "width_px": [10.0, 14.0, 13.0, 13.0, 4.0],
            "length_mm": [9.5, 7.5, 7.5, 7.5, 2.5],
            "width_mm": [5.0, 7.0, 6.5, 6.5, 2.0],
            "intact": [True, False, True, False, None],
        }
    )
    true_leaves = pd.DataFrame(
        {"leaf_id": [1, 2], "blade_length_px": [20.0, 40.0], "width_px": [10.0, 15.0], "px_per_mm": [2.0, 2.0]}
    ).assign(intact=[True, True])
    return predicted, truth, traits, true_leaves


def test_a_leaf_cut_in_pieces_is_counted_and_not_matched():
    counts, leaves = score_instance_sheet(*_sheet())
    assert counts["true_leaves"] == 2 and counts["reported"] == 5
    assert counts["matched"] == 1 and counts["false_leaves"] == 1
    assert leaves["pieces"].tolist() == [1, 3]
    first = leaves.iloc[0]
    assert first["matched_leaf"] == 7 and first["called_intact"]
    assert first["iou"] == pytest.approx(190 / 200)
    assert first["length_mm"] == 9.5 and first["true_length_mm"] == 10.0
    assert np.isnan(leaves.iloc[1]["matched_leaf"])
    # The piece of leaf 2 called intact is a call on no whole intact leaf.
    assert counts["called_intact"] == 2 and counts["called_intact_on_true_intact"] == 1


@pytest.mark.parametrize(("best_leaf", "on_true_intact"), [(7, 1), (4, 0)])
def test_the_sheets_most_likely_intact_leaf_counts_when_it_is_a_whole_true_intact_leaf(best_leaf, on_true_intact):
    predicted, truth, traits, true_leaves = _sheet()
    traits = traits.assign(most_intact_on_sheet=traits["leaf_id"] == best_leaf)  # 4: a piece of a leaf
    counts, leaves = score_instance_sheet(predicted, truth, traits, true_leaves)
    assert counts["most_intact_is_true_intact"] == on_true_intact
    scales = pd.DataFrame({"sample": ["a"], "px_per_mm": [2.0], "source": ["ruler"], "true_px_per_mm": [2.0]})
    figures = instance_summary(pd.DataFrame([counts]), leaves.assign(sample="a"), scales)
    assert figures["sheets whose most likely intact leaf is a true intact leaf"] == on_true_intact


def test_the_summary_reports_errors_scales_and_sheet_recall():
    counts, leaves = score_instance_sheet(*_sheet())
    scales = pd.DataFrame({"sample": ["a"], "px_per_mm": [2.01], "source": ["ruler"], "true_px_per_mm": [2.0]})
    figures = instance_summary(pd.DataFrame([counts]), leaves.assign(sample="a"), scales)
    assert figures["true leaves cut into 2+ pieces"] == 1
    assert figures["reported per true leaf"] == 2.5
    assert figures["length error median (px, %)"] == pytest.approx(-5.0)
    assert figures["length error median (mm, %)"] == pytest.approx(-5.0)
    assert figures["intact precision"] == 0.5 and figures["intact recall"] == 0.5
    assert figures["sheet recall (a true intact leaf called intact)"] == 1.0
    assert figures["scales within 1 %"] == 1 and figures["scale error max (%)"] == pytest.approx(0.5)
    assert figures["leaf pixel precision"] == pytest.approx((190 + 600) / (190 + 600 + 20))
    assert figures["leaf pixel recall"] == pytest.approx((190 + 600) / 800)


def test_a_sheet_where_no_leaf_is_found_scores_as_all_missed():
    predicted, truth, traits, true_leaves = _sheet()
    counts, leaves = score_instance_sheet(np.zeros_like(predicted), truth, traits.iloc[:0], true_leaves)
    assert counts["reported"] == 0 and counts["matched"] == 0 and counts["pixels_found"] == 0
    scales = pd.DataFrame({"sample": ["a"], "px_per_mm": [np.nan], "source": ["none"], "true_px_per_mm": [2.0]})
    figures = instance_summary(pd.DataFrame([counts]), leaves.assign(sample="a"), scales)
    assert figures["true leaves matched one to one"] == 0 and np.isnan(figures["length error mean abs (px, %)"])
    assert figures["sheet recall (a true intact leaf called intact)"] == 0.0


def test_leaf_pixels_outside_the_plant_are_counted():
    plant = np.zeros((10, 10), np.uint8)
    plant[:, :5] = 255
    leaves = np.zeros((10, 10), np.uint16)
    leaves[0:2, 3:7] = 1
    counts = pd.DataFrame([score_plant_sheet(leaves, plant), score_plant_sheet(np.zeros_like(leaves), plant)])
    assert counts.iloc[0].to_dict() == {"pixels_found": 8, "pixels_in_plant": 4, "plant": 50}
    figures = plant_summary(counts, pd.Series(["ruler", "none"]))
    assert figures["sheets with leaf pixels"] == 1
    assert figures["leaf pixels inside the plant (mean over sheets)"] == 0.5
    assert figures["plant recall (pooled)"] == pytest.approx(4 / 100)
    assert figures["rulers read"] == 1 and figures["no scale"] == 1
