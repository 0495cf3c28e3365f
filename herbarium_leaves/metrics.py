"""Evaluation: sheet IoU, matching of predicted to true leaves, recall of intact leaves, measurement error."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment

# How a skipped intact-leaf SVM marks every leaf's intact_note (here, so that scoring needs no scikit-learn).
SVM_SKIPPED = "intact-leaf SVM skipped"
PAIR_COLUMNS = [
    "sample",
    "predicted_leaf",
    "true_leaf",
    "iou",
    "predicted_length_mm",
    "true_length_mm",
    "predicted_width_mm",
    "true_width_mm",
]


def mask_iou(predicted: np.ndarray, truth: np.ndarray) -> float:
    """IoU of two binary masks; 1.0 when both are empty (nothing to find, nothing found)."""
    predicted, truth = predicted.astype(bool), truth.astype(bool)
    union = np.count_nonzero(predicted | truth)
    return np.count_nonzero(predicted & truth) / union if union else 1.0


def instance_iou(predicted: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """IoU matrix (n_predicted, n_true) between leaf ids 1..n of two label images of the same shape."""
    n_pred, n_true = int(predicted.max(initial=0)), int(truth.max(initial=0))
    pairs = predicted.astype(np.int64) * (n_true + 1) + truth.astype(np.int64)
    intersection = np.bincount(pairs.ravel(), minlength=(n_pred + 1) * (n_true + 1)).reshape(n_pred + 1, n_true + 1)
    pred_area = intersection.sum(axis=1, keepdims=True)
    true_area = intersection.sum(axis=0, keepdims=True)
    union = pred_area + true_area - intersection
    with np.errstate(divide="ignore", invalid="ignore"):
        iou = np.where(union > 0, intersection / union, 0.0)
    return iou[1:, 1:]


def component_truth(
    components: np.ndarray, instances: np.ndarray, intact_ids: list[int], threshold: float
) -> pd.Series:
    """For each component of a true mask (ids 1..n): is it one intact leaf (IoU >= threshold with one)?

    Components are what a perfect segmentation would give: touching leaves merge,
    so a component is intact only when it is, by itself, an intact leaf.
    """
    iou = instance_iou(components, instances)
    intact_columns = [leaf - 1 for leaf in intact_ids if 0 < leaf <= iou.shape[1]]
    flags = (iou[:, intact_columns] >= threshold).any(axis=1) if intact_columns else np.zeros(len(iou), bool)
    return pd.Series(flags, index=np.arange(1, len(iou) + 1), name="intact")


def match_leaves(iou: np.ndarray, threshold: float) -> list[tuple[int, int, float]]:
    """One-to-one matches (predicted index, true index, IoU) with IoU >= threshold, maximising total IoU."""
    if iou.size == 0:
        return []
    rows, cols = linear_sum_assignment(-iou)
    return [(int(r), int(c), float(iou[r, c])) for r, c in zip(rows, cols, strict=True) if iou[r, c] >= threshold]


def intact_calls(classified: pd.DataFrame) -> pd.Series:
    """True for the leaves called intact; False for the rest, unjudged leaves (intact empty) included."""
    return classified["intact"].astype("boolean").fillna(False).astype(bool)


def evaluate_sheet(
    sample: str,
    predicted_labels: np.ndarray,
    called: pd.DataFrame,
    truth_labels: np.ndarray,
    truth: pd.DataFrame,
    threshold: float,
) -> tuple[dict, pd.DataFrame]:
    """Metrics of one sheet and one row per matched intact pair.

    `called`: predicted leaves (leaf_id, intact, length_mm/width_mm or px); `truth`:
    true leaves (leaf_id, intact, true length_mm/width_mm). A true intact leaf is
    found when a leaf called intact matches it one-to-one at IoU >= threshold.
    """
    intact_pred = called.loc[intact_calls(called), "leaf_id"].to_numpy(int)
    intact_true = truth.loc[truth["intact"].fillna(False).astype(bool), "leaf_id"].to_numpy(int)
    iou = instance_iou(predicted_labels, truth_labels)
    sub = iou[np.ix_(intact_pred - 1, intact_true - 1)] if len(intact_pred) and len(intact_true) else np.zeros((0, 0))
    matches = match_leaves(sub, threshold)
    pairs = []
    called_by_id, truth_by_id = called.set_index("leaf_id"), truth.set_index("leaf_id")
    for p, t, value in matches:
        pred_row, true_row = called_by_id.loc[intact_pred[p]], truth_by_id.loc[intact_true[t]]
        pairs.append(
            {
                "sample": sample,
                "predicted_leaf": int(intact_pred[p]),
                "true_leaf": int(intact_true[t]),
                "iou": value,
                "predicted_length_mm": pred_row.get("length_mm"),
                "true_length_mm": true_row.get("length_mm"),
                "predicted_width_mm": pred_row.get("width_mm"),
                "true_width_mm": true_row.get("width_mm"),
            }
        )
    sheet = {
        "sample": sample,
        "iou": mask_iou(predicted_labels > 0, truth_labels > 0),
        "true_leaves": len(truth),
        "predicted_leaves": len(called),
        "true_intact": len(intact_true),
        "called_intact": len(intact_pred),
        "matched_intact": len(matches),
        "found": bool(matches) if len(intact_true) else None,
    }
    return sheet, pd.DataFrame(pairs, columns=PAIR_COLUMNS)


INTACT_METRICS = (
    "sheet_recall",
    "intact_precision",
    "intact_recall",
    "intact_f1",
    "matched_intact_leaves",
    "length_error_pct",
    "width_error_pct",
)


BOOTSTRAP_METRICS = (
    "mean_iou",
    "sheet_recall",
    "intact_precision",
    "intact_recall",
    "intact_f1",
    "length_error_pct",
    "width_error_pct",
)


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denominator > 0, numerator / denominator, np.nan)


def _per_sheet_counts(sheets: pd.DataFrame, pairs: pd.DataFrame) -> dict[str, np.ndarray]:
    """Per sheet, in `sheets` order: its IoU, intact-leaf counts, and the summed relative errors of its pairs."""
    n, pairs = len(sheets), pairs.reindex(columns=PAIR_COLUMNS)  # a table without pairs may have no columns
    with_intact = sheets["true_intact"] > 0
    counts = {
        "sheets": np.ones(n),
        "iou": sheets["iou"].to_numpy(float),
        "with_intact": with_intact.to_numpy(float),
        "found": (with_intact & sheets["found"].astype(bool)).to_numpy(float),
        "tp": sheets["matched_intact"].to_numpy(float),
        "called": sheets["called_intact"].to_numpy(float),
        "true": sheets["true_intact"].to_numpy(float),
    }
    rows = pairs["sample"].map({sample: index for index, sample in enumerate(sheets["sample"])}).to_numpy()
    for trait in ("length", "width"):
        error = (pairs[f"predicted_{trait}_mm"] - pairs[f"true_{trait}_mm"]).abs() / pairs[f"true_{trait}_mm"]
        known = error.notna().to_numpy() & ~pd.isna(rows)
        counts[f"{trait}_sum"] = np.bincount(rows[known].astype(int), error[known], minlength=n)
        counts[f"{trait}_count"] = np.bincount(rows[known].astype(int), minlength=n).astype(float)
    return counts


def _headline(total: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The headline metrics from per-sheet counts summed over a set of sheets (one value per set)."""
    precision, recall = _ratio(total["tp"], total["called"]), _ratio(total["tp"], total["true"])
    with np.errstate(invalid="ignore"):
        f1 = np.where(precision + recall > 0, 2 * precision * recall / (precision + recall), np.nan)
    return {
        "mean_iou": _ratio(total["iou"], total["sheets"]),
        "sheet_recall": _ratio(total["found"], total["with_intact"]),
        "intact_precision": precision,
        "intact_recall": recall,
        "intact_f1": f1,
        "length_error_pct": 100 * _ratio(total["length_sum"], total["length_count"]),
        "width_error_pct": 100 * _ratio(total["width_sum"], total["width_count"]),
    }


def summarize_model(sheets: pd.DataFrame, pairs: pd.DataFrame, intact_skipped: str | None = None) -> dict:
    """One model's headline metrics over all its sheets.

    mean_iou: mean of per-sheet IoU; sheet_recall: share of sheets with a true intact
    leaf on which one was found; precision/recall/f1 of intact calls at leaf level;
    length/width error: mean relative error (%) over matched intact leaves. With
    `intact_skipped` (why no leaf could be called intact, or no true leaf has an intact
    flag) every intact metric is NaN and intact_note holds the reason.
    """
    counts = _per_sheet_counts(sheets, pairs)
    values = {
        metric: float(value[0])
        for metric, value in _headline({k: v.sum(keepdims=True) for k, v in counts.items()}).items()
    }
    summary = {
        "sheets": len(sheets),
        **{metric: values[metric] for metric in BOOTSTRAP_METRICS[:5]},
        "matched_intact_leaves": int(counts["tp"].sum()),
        **{metric: values[metric] for metric in BOOTSTRAP_METRICS[5:]},
    }
    if intact_skipped:
        summary.update(dict.fromkeys(INTACT_METRICS, np.nan))
    summary["intact_note"] = intact_skipped or ""
    return summary


def bootstrap_intervals(
    sheets: pd.DataFrame,
    pairs: pd.DataFrame,
    intact_skipped: str | None = None,
    resamples: int = 1000,
    level: float = 0.95,
    seed: int = 0,
) -> dict[str, float]:
    """Percentile bootstrap interval over sheets of each headline metric: {metric}_ci_low and {metric}_ci_high.

    Sheets are drawn with replacement (seeded), each with its own leaves, and every
    metric is computed on the draw as summarize_model computes it on all sheets; NaN
    where a metric is undefined (no sheets, no true intact leaf, intact metrics skipped).
    """
    intervals = {f"{metric}_ci_{end}": np.nan for metric in BOOTSTRAP_METRICS for end in ("low", "high")}
    if not len(sheets):
        return intervals
    counts = _per_sheet_counts(sheets, pairs)
    draws = np.random.default_rng(seed).integers(0, len(sheets), size=(resamples, len(sheets)))
    values = _headline({key: per_sheet[draws].sum(axis=1) for key, per_sheet in counts.items()})
    tail = 100 * (1 - level) / 2
    for metric, draw in values.items():
        if intact_skipped and metric in INTACT_METRICS or not np.isfinite(draw).any():
            continue
        low, high = np.nanpercentile(draw, [tail, 100 - tail])
        intervals[f"{metric}_ci_low"], intervals[f"{metric}_ci_high"] = float(low), float(high)
    return intervals


def seed_spread(sheets: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Per test sheet: each seed's IoU, their mean, std and range, and the ensemble's; most spread first."""
    seeds = sorted(name for name in sheets if name.startswith("seed"))
    table = pd.DataFrame({"sample": sheets[seeds[0]]["sample"]}) if seeds else pd.DataFrame(columns=["sample"])
    for name in seeds:
        table = table.merge(sheets[name][["sample", "iou"]].rename(columns={"iou": f"iou_{name}"}), on="sample")
    values = table[[f"iou_{name}" for name in seeds]]
    table["iou_seed_mean"], table["iou_seed_std"] = values.mean(axis=1), values.std(axis=1)
    table["iou_seed_range"] = values.max(axis=1) - values.min(axis=1)
    if "ensemble" in sheets:
        table = table.merge(sheets["ensemble"][["sample", "iou"]].rename(columns={"iou": "iou_ensemble"}), on="sample")
    return table.sort_values(["iou_seed_std", "sample"], ascending=[False, True], ignore_index=True)


# What the studies this pipeline is compared with reported (values in the same units as summarize_model).
REFERENCE_STUDIES = [
    {"model": "study: tiled DeepLabv3+ and SVM (74 test sheets)", "mean_iou": 0.552, "sheet_recall": 0.98},
    {"model": "study: leaf measurement", "length_error_pct": 4.6, "width_error_pct": 5.7},
]


def summary_table(per_model: pd.DataFrame) -> pd.DataFrame:
    """Every model's row (with its bootstrap intervals), then mean, std, min and max over seeds, then the studies'."""
    metrics = [c for c in per_model.columns if c not in ("model", "intact_note")]
    point_metrics = [c for c in metrics if not c.endswith(("_ci_low", "_ci_high"))]  # a mean of intervals means little
    seeds = per_model[per_model["model"].str.startswith("seed")]
    rows = [per_model]
    if len(seeds):
        stats = seeds[point_metrics].agg(["mean", "std", "min", "max"])
        stats.insert(0, "model", [f"seeds {name}" for name in stats.index])
        rows.append(stats.reset_index(drop=True))
    rows.append(pd.DataFrame(REFERENCE_STUDIES))
    columns = ["model", *metrics, *(["intact_note"] if "intact_note" in per_model else [])]
    return pd.concat(rows, ignore_index=True)[columns]
