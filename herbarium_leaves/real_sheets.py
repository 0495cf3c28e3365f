"""Scores of the pipeline's leaves against real sheets' truth.

Two kinds of truth: leaf instance masks with hand-measured leaves and hand-read scales
(one leaf one id, `leaves.csv` with blade length, width and intact flags), or whole-plant
masks (leaves, stems, flowers and roots together), where a leaf pixel outside the plant
is certainly wrong.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from herbarium_leaves.metrics import instance_iou, intact_calls, match_leaves

# A predicted leaf with less than this share of its pixels on true leaves lies on no true leaf.
ON_LEAF_SHARE = 0.5


def score_instance_sheet(
    predicted: np.ndarray,
    truth: np.ndarray,
    traits: pd.DataFrame,
    true_leaves: pd.DataFrame,
    iou_threshold: float = 0.5,
) -> tuple[dict, pd.DataFrame]:
    """One sheet's counts and one row per true leaf, from label images of the same shape.

    `traits` holds the predicted leaves (leaf_id, length_px, width_px, length_mm, width_mm,
    intact, optionally petiole_length_px); `true_leaves` the true ones (leaf_id,
    blade_length_px, width_px, px_per_mm, intact, optionally feret_length_px: the leaf with
    its petiole). Each true leaf's row says which predicted leaf matched it one to one (mask IoU
    at or above `iou_threshold`), with both measurements in px and mm (the prediction's mm
    from the scale the pipeline read, the truth's from the hand-read scale), how many
    predicted leaves overlap it by more than half of theirs, and whether its match is
    called intact; the counts say whether the sheet's most_intact_on_sheet leaf (where traits
    have that column) is matched to a true intact leaf.
    """
    predicted_ids = traits["leaf_id"].to_numpy(dtype=int)
    true_ids = true_leaves["leaf_id"].to_numpy(dtype=int)
    mine, theirs = _relabelled(predicted, predicted_ids), _relabelled(truth, true_ids)
    iou = np.zeros((len(predicted_ids), len(true_ids)))
    found = instance_iou(mine, theirs)
    iou[: found.shape[0], : found.shape[1]] = found  # ids without pixels stay at IoU 0
    matches = {true: pred for pred, true, _ in match_leaves(iou, iou_threshold)}
    called = intact_calls(traits).to_numpy()
    # Each predicted leaf's pixels on each true leaf (column 0: on none), as shares of the predicted leaf.
    joint = np.bincount(
        (mine.astype(np.int64) * (len(true_ids) + 1) + theirs).ravel(),
        minlength=(len(predicted_ids) + 1) * (len(true_ids) + 1),
    ).reshape(len(predicted_ids) + 1, len(true_ids) + 1)[1:]
    shares = joint / np.maximum(joint.sum(axis=1, keepdims=True), 1)
    on_true = shares[:, 1:]
    on_leaf = on_true.sum(axis=1) >= ON_LEAF_SHARE
    owner = np.full(len(predicted_ids), -1)  # the true leaf holding more than half of each predicted leaf
    if on_true.size:
        held = on_true.max(axis=1) > 0.5
        owner[held] = on_true.argmax(axis=1)[held]
    rows = []
    for index, leaf in enumerate(true_leaves.to_dict("records")):
        match = matches.get(index)
        row = {
            "leaf_id": leaf["leaf_id"],
            "true_intact": bool(leaf["intact"]),
            "true_length_px": leaf["blade_length_px"],
            "true_width_px": leaf["width_px"],
            "true_length_mm": leaf["blade_length_px"] / leaf["px_per_mm"],
            "true_width_mm": leaf["width_px"] / leaf["px_per_mm"],
            "true_feret_length_px": leaf.get("feret_length_px", np.nan),
            "pieces": int(np.sum(owner == index)),
            "matched_leaf": np.nan,
            "iou": np.nan,
            "called_intact": False,
            **dict.fromkeys(("length_px", "width_px", "length_mm", "width_mm", "petiole_length_px"), np.nan),
        }
        if match is not None:
            found = traits.iloc[match]
            row.update(
                matched_leaf=int(found["leaf_id"]),
                iou=float(iou[match, index]),
                called_intact=bool(called[match]),
                length_px=found["length_px"],
                width_px=found["width_px"],
                length_mm=found.get("length_mm", np.nan),
                width_mm=found.get("width_mm", np.nan),
                petiole_length_px=found.get("petiole_length_px", np.nan),
            )
        rows.append(row)
    leaves = pd.DataFrame(rows)
    true_pixels, found_pixels = truth > 0, predicted > 0
    counts = {
        "true_leaves": len(true_ids),
        "true_intact": int(true_leaves["intact"].astype(bool).sum()),
        "reported": len(predicted_ids),
        "matched": len(matches),
        "false_leaves": int(np.sum(~on_leaf)),
        "called_intact": int(called.sum()),
        "called_intact_on_true_intact": int(leaves["called_intact"][leaves["true_intact"]].sum()),
        "pixels_true": int(true_pixels.sum()),
        "pixels_found": int(found_pixels.sum()),
        "pixels_both": int((true_pixels & found_pixels).sum()),
    }
    if "most_intact_on_sheet" in traits:
        best, true_intact = traits["most_intact_on_sheet"].to_numpy(bool), true_leaves["intact"].astype(bool).to_numpy()
        counts["most_intact_is_true_intact"] = int(
            any(best[pred] and true_intact[true] for true, pred in matches.items())
        )
    return counts, leaves


def score_plant_sheet(leaves: np.ndarray, plant: np.ndarray) -> dict:
    """Leaf pixels against a whole-plant mask: how many, how many inside the plant, and the plant's size."""
    found, inside = leaves > 0, plant > 0
    return {
        "pixels_found": int(found.sum()),
        "pixels_in_plant": int((found & inside).sum()),
        "plant": int(inside.sum()),
    }


def _relabelled(labels: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Labels renumbered 1..n in the order of `ids` (other ids become background)."""
    lookup = np.zeros(int(max(labels.max(), ids.max(initial=0))) + 1, dtype=np.int32)
    lookup[ids] = np.arange(1, len(ids) + 1)
    return lookup[labels]


def instance_summary(counts: pd.DataFrame, leaves: pd.DataFrame, scales: pd.DataFrame) -> dict:
    """Headline figures over sheets scored by `score_instance_sheet`, with the scales read against the hand-read ones.

    `scales` has one row per sheet: px_per_mm (the pipeline's, empty where none), source,
    and true_px_per_mm.
    """
    total = counts.sum(numeric_only=True)
    matched = leaves.dropna(subset=["matched_leaf"])
    figures = {
        "sheets": len(counts),
        "true leaves": int(total["true_leaves"]),
        "true intact leaves": int(total["true_intact"]),
        "leaves reported": int(total["reported"]),
        "reported per true leaf": total["reported"] / max(total["true_leaves"], 1),
        "true leaves matched one to one": int(total["matched"]),
        "true leaves cut into 2+ pieces": int((leaves["pieces"] >= 2).sum()),
        "false leaves (on no true leaf)": int(total["false_leaves"]),
        "leaf pixel precision": total["pixels_both"] / max(total["pixels_found"], 1),
        "leaf pixel recall": total["pixels_both"] / max(total["pixels_true"], 1),
    }
    for trait in ("length", "width"):
        for unit in ("px", "mm"):
            error = (matched[f"{trait}_{unit}"] - matched[f"true_{trait}_{unit}"]) / matched[f"true_{trait}_{unit}"]
            error = error.dropna()
            figures[f"{trait} error mean abs ({unit}, %)"] = 100 * error.abs().mean() if len(error) else np.nan
            figures[f"{trait} error median ({unit}, %)"] = 100 * error.median() if len(error) else np.nan
    if "petiole_length_px" in matched:
        with_petiole = matched.dropna(subset=["petiole_length_px", "true_feret_length_px"])
        whole = with_petiole["length_px"] + with_petiole["petiole_length_px"]
        figures["matched leaves with a petiole found"] = len(with_petiole)
        figures["blade + petiole against Feret length, median (%)"] = (
            100 * (whole / with_petiole["true_feret_length_px"] - 1).median() if len(with_petiole) else np.nan
        )
    read = scales.dropna(subset=["px_per_mm"])
    scale_error = (read["px_per_mm"] / read["true_px_per_mm"] - 1).abs()
    figures["scales read from a ruler"] = int((scales["source"] == "ruler").sum())
    figures["scales within 1 %"] = int((scale_error <= 0.01).sum())
    figures["scale error max (%)"] = 100 * scale_error.max() if len(read) else np.nan
    called = total["called_intact"]
    figures["leaves called intact"] = int(called)
    figures["intact precision"] = total["called_intact_on_true_intact"] / called if called else np.nan
    figures["intact recall"] = total["called_intact_on_true_intact"] / max(total["true_intact"], 1)
    with_intact = leaves.groupby("sample")["true_intact"].any()
    found = leaves[leaves["true_intact"] & leaves["called_intact"]].groupby("sample").size()
    figures["sheets with a true intact leaf"] = int(with_intact.sum())
    figures["sheet recall (a true intact leaf called intact)"] = (
        found.reindex(with_intact[with_intact].index, fill_value=0).gt(0).mean() if with_intact.any() else np.nan
    )
    if "most_intact_is_true_intact" in counts:
        figures["sheets whose most likely intact leaf is a true intact leaf"] = int(total["most_intact_is_true_intact"])
    return figures


def plant_summary(counts: pd.DataFrame, sources: pd.Series) -> dict:
    """Headline figures over sheets scored by `score_plant_sheet`; `sources` is each sheet's scale source."""
    with_leaves = counts[counts["pixels_found"] > 0]
    return {
        "sheets": len(counts),
        "sheets with leaf pixels": len(with_leaves),
        "leaf pixels inside the plant (mean over sheets)": (
            (with_leaves["pixels_in_plant"] / with_leaves["pixels_found"]).mean() if len(with_leaves) else np.nan
        ),
        "leaf pixels inside the plant (pooled)": counts["pixels_in_plant"].sum() / max(counts["pixels_found"].sum(), 1),
        "plant recall (pooled)": counts["pixels_in_plant"].sum() / max(counts["plant"].sum(), 1),
        "rulers read": int((sources == "ruler").sum()),
        "scale from the paper": int((sources == "paper").sum()),
        "no scale": int((sources == "none").sum()),
    }
