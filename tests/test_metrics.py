import numpy as np
import pandas as pd
import pytest

from herbarium_leaves.metrics import (
    INTACT_METRICS,
    evaluate_sheet,
    instance_iou,
    mask_iou,
    match_leaves,
    summarize_model,
    summary_table,
)


def _labels():
    truth = np.zeros((20, 20), np.uint16)
    truth[0:10, 0:10] = 1  # intact
    truth[12:20, 12:20] = 2  # not intact
    predicted = np.zeros((20, 20), np.uint16)
    predicted[0:10, 0:8] = 1  # IoU 0.8 with true 1
    predicted[12:20, 12:16] = 2  # IoU 0.5 with true 2
    predicted[0:3, 15:18] = 3  # nothing there
    return predicted, truth


def test_mask_iou_by_hand():
    predicted, truth = _labels()
    assert mask_iou(predicted > 0, truth > 0) == pytest.approx((80 + 32) / (100 + 64 + 9))
    assert mask_iou(np.zeros((3, 3)), np.zeros((3, 3))) == 1.0


def test_instance_iou_and_matching_by_hand():
    predicted, truth = _labels()
    iou = instance_iou(predicted, truth)
    assert iou.shape == (3, 2)
    assert iou[0, 0] == pytest.approx(0.8) and iou[1, 1] == pytest.approx(0.5) and iou[2].sum() == 0
    assert match_leaves(iou, 0.5) == [(0, 0, pytest.approx(0.8)), (1, 1, pytest.approx(0.5))]
    assert match_leaves(iou, 0.6) == [(0, 0, pytest.approx(0.8))]


def test_sheet_found_when_a_leaf_called_intact_matches_a_true_intact_leaf():
    predicted, truth = _labels()
    true_rows = pd.DataFrame(
        {"leaf_id": [1, 2], "intact": [True, False], "length_mm": [10.0, 8.0], "width_mm": [10.0, 8.0]}
    )
    called = pd.DataFrame(
        {
            "leaf_id": [1, 2, 3],
            "intact": [True, True, False],
            "length_mm": [11.0, 8.0, 1.0],
            "width_mm": [8.0, 4.0, 1.0],
        }
    )
    sheet, pairs = evaluate_sheet("s", predicted, called, truth, true_rows, 0.5)
    assert sheet["found"] is True and sheet["matched_intact"] == 1 and sheet["called_intact"] == 2
    assert pairs[["predicted_leaf", "true_leaf"]].values.tolist() == [[1, 1]]
    summary = summarize_model(pd.DataFrame([sheet]), pairs)
    assert summary["sheet_recall"] == 1.0
    assert summary["intact_precision"] == 0.5 and summary["intact_recall"] == 1.0
    assert summary["intact_f1"] == pytest.approx(2 / 3)
    assert summary["length_error_pct"] == pytest.approx(10.0) and summary["width_error_pct"] == pytest.approx(20.0)


def test_sheet_not_found_when_the_intact_call_misses():
    predicted, truth = _labels()
    true_rows = pd.DataFrame({"leaf_id": [1, 2], "intact": [True, False]})
    called = pd.DataFrame({"leaf_id": [1, 2, 3], "intact": [False, True, True]})
    sheet, pairs = evaluate_sheet("s", predicted, called, truth, true_rows, 0.5)
    assert sheet["found"] is False and pairs.empty


def test_sheet_without_intact_leaves_does_not_count_for_recall():
    predicted, truth = _labels()
    true_rows = pd.DataFrame({"leaf_id": [1, 2], "intact": [False, False]})
    called = pd.DataFrame({"leaf_id": [1, 2, 3], "intact": [True, False, False]})
    sheet, _ = evaluate_sheet("s", predicted, called, truth, true_rows, 0.5)
    assert sheet["found"] is None
    empty = evaluate_sheet(
        "e", np.zeros((5, 5), np.uint16), called.iloc[:0], np.zeros((5, 5), np.uint16), true_rows.iloc[:0], 0.5
    )[0]
    summary = summarize_model(pd.DataFrame([sheet, empty]), pd.DataFrame())
    assert np.isnan(summary["sheet_recall"]) and summary["mean_iou"] == pytest.approx((sheet["iou"] + 1.0) / 2)


def test_summary_table_rows():
    per_model = pd.DataFrame({"model": ["seed0", "seed1", "ensemble"], "mean_iou": [0.8, 0.9, 0.92]})
    table = summary_table(per_model)
    assert table["model"].tolist()[:7] == [
        "seed0",
        "seed1",
        "ensemble",
        "seeds mean",
        "seeds std",
        "seeds min",
        "seeds max",
    ]
    assert table.loc[table["model"] == "seeds mean", "mean_iou"].item() == pytest.approx(0.85)
    assert table.loc[table["model"] == "seeds std", "mean_iou"].item() == pytest.approx(np.std([0.8, 0.9], ddof=1))
    assert any(table["model"].str.startswith("study"))


def test_a_sheet_without_matches_still_has_the_pair_columns():
    predicted, truth = _labels()
    true_rows = pd.DataFrame({"leaf_id": [1, 2], "intact": [False, False]})
    called = pd.DataFrame({"leaf_id": [1, 2, 3], "intact": [False, False, False]})
    _, pairs = evaluate_sheet("s", predicted, called, truth, true_rows, 0.5)
    assert pairs.empty and "true_length_mm" in pairs.columns


def test_unjudged_leaves_are_not_calls_and_a_skip_empties_the_intact_metrics():
    predicted, truth = _labels()
    true_rows = pd.DataFrame({"leaf_id": [1, 2], "intact": [True, False], "length_mm": [10.0, 8.0]})
    called = pd.DataFrame({"leaf_id": [1, 2, 3], "intact": pd.array([pd.NA, pd.NA, pd.NA], dtype="boolean")})
    sheet, pairs = evaluate_sheet("s", predicted, called, truth, true_rows, 0.5)
    assert sheet["called_intact"] == 0 and pairs.empty
    summary = summarize_model(pd.DataFrame([sheet]), pairs, "intact-leaf SVM skipped: no flags")
    assert summary["mean_iou"] == pytest.approx(sheet["iou"]) and summary["intact_note"].endswith("no flags")
    assert all(np.isnan(summary[name]) for name in INTACT_METRICS)
    table = summary_table(pd.DataFrame([{"model": "seed0", **summary}, {"model": "seed1", **summary}]))
    assert table.loc[table["model"] == "seeds mean", "mean_iou"].item() == pytest.approx(sheet["iou"])
    assert table["intact_note"].iloc[0].endswith("no flags")
