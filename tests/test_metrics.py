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


def test_component_truth_marks_only_components_that_are_one_intact_leaf():
    from herbarium_leaves.metrics import component_truth

    instances = np.zeros((20, 30), np.uint16)
    instances[2:8, 2:8] = 1  # intact, alone
    instances[10:18, 2:10] = 2  # intact, but touching leaf 3
    instances[10:18, 10:28] = 3  # not intact
    components = (instances > 0).astype(np.uint16)
    components[10:18, 2:28] = 2
    flags = component_truth(components, instances, intact_ids=[1, 2], threshold=0.5)
    assert flags.to_dict() == {1: True, 2: False}


def _scored(n_sheets: int, rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    true = rng.integers(0, 4, n_sheets)
    matched = np.minimum(true, rng.integers(0, 4, n_sheets))
    sheets = pd.DataFrame(
        {
            "sample": [f"s{i}" for i in range(n_sheets)],
            "iou": rng.uniform(0.6, 0.95, n_sheets),
            "true_intact": true,
            "called_intact": matched + rng.integers(0, 2, n_sheets),
            "matched_intact": matched,
            "found": [bool(m) if t else None for m, t in zip(matched, true, strict=True)],
        }
    )
    rows = [(f"s{i}", 10.0 * (1 + rng.normal(0, 0.05)), 10.0) for i in range(n_sheets) for _ in range(matched[i])]
    pairs = pd.DataFrame(rows, columns=["sample", "predicted_length_mm", "true_length_mm"])
    pairs["predicted_width_mm"], pairs["true_width_mm"] = pairs["predicted_length_mm"] / 2, 5.0
    return sheets, pairs


def test_bootstrap_intervals_hold_the_estimate_and_narrow_with_more_sheets():
    from herbarium_leaves.metrics import BOOTSTRAP_METRICS, bootstrap_intervals

    rng = np.random.default_rng(3)
    widths = []
    for n_sheets in (20, 320):
        sheets, pairs = _scored(n_sheets, rng)
        point = summarize_model(sheets, pairs)
        intervals = bootstrap_intervals(sheets, pairs, resamples=2000, seed=1)
        for metric in BOOTSTRAP_METRICS:
            assert intervals[f"{metric}_ci_low"] <= point[metric] <= intervals[f"{metric}_ci_high"], metric
        widths.append(intervals["mean_iou_ci_high"] - intervals["mean_iou_ci_low"])
    assert widths[1] < widths[0] / 2  # about 1/sqrt(16) as wide
    assert bootstrap_intervals(sheets, pairs, seed=1) == bootstrap_intervals(sheets, pairs, seed=1)


def test_bootstrap_of_identical_sheets_has_no_width_and_skipped_metrics_stay_empty():
    from herbarium_leaves.metrics import bootstrap_intervals

    sheets, pairs = _scored(1, np.random.default_rng(0))
    sheets = pd.concat([sheets] * 5, ignore_index=True).assign(sample=[f"s{i}" for i in range(5)])
    intervals = bootstrap_intervals(sheets, pairs.iloc[0:0], intact_skipped="no flags")
    assert intervals["mean_iou_ci_low"] == pytest.approx(intervals["mean_iou_ci_high"])
    assert np.isnan(intervals["intact_f1_ci_low"]) and np.isnan(intervals["length_error_pct_ci_high"])
    assert all(np.isnan(value) for value in bootstrap_intervals(sheets.iloc[0:0], pairs.iloc[0:0]).values())


def test_seed_spread_ranks_sheets_by_how_much_the_seeds_differ():
    from herbarium_leaves.metrics import seed_spread

    sheets = {
        "seed0": pd.DataFrame({"sample": ["a", "b"], "iou": [0.9, 0.5]}),
        "seed1": pd.DataFrame({"sample": ["a", "b"], "iou": [0.9, 0.9]}),
        "ensemble": pd.DataFrame({"sample": ["a", "b"], "iou": [0.91, 0.8]}),
    }
    spread = seed_spread(sheets)
    assert spread["sample"].tolist() == ["b", "a"]
    assert spread.loc[0, "iou_seed_range"] == pytest.approx(0.4) and spread.loc[1, "iou_seed_std"] == 0
    assert spread.loc[0, "iou_ensemble"] == 0.8 and spread.loc[0, "iou_seed_mean"] == pytest.approx(0.7)
