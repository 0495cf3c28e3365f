"""Score one model on the test sheets: IoU per sheet, intact-leaf recall, measurement error, bootstrap intervals."""

import json
from pathlib import Path

import pandas as pd

from herbarium_leaves.measure import measure_leaves
from herbarium_leaves.metrics import SVM_SKIPPED, bootstrap_intervals, evaluate_sheet, summarize_model
from herbarium_leaves.runner import run_logged
from herbarium_leaves.sheet_io import read_png, write_csv, write_json


def intact_skipped(traits: pd.DataFrame, truth: pd.DataFrame) -> str | None:
    """Why the intact metrics cannot be computed (no true intact flags, or the SVM skipped); None when they can."""
    if truth["intact"].isna().all():
        return "no test leaf has a true intact flag"
    skipped = traits["intact_note"].dropna().unique()
    return next((note for note in skipped if note.startswith(SVM_SKIPPED)), None)


def main(logger):
    traits = pd.read_csv(snakemake.input.traits, dtype={"sample": str})
    truth = pd.read_csv(snakemake.input.truth, dtype={"sample": str})
    measure_truth = truth["length_mm"].isna().all()  # no true sizes given: the true instances' measurements stand in
    sheets, pairs = [], []
    inputs = zip(snakemake.input.predicted, snakemake.input.truth_labels, snakemake.input.scales, strict=True)
    for predicted_path, truth_path, scale_path in inputs:
        sample = Path(predicted_path).stem
        truth_labels, sheet_truth = read_png(truth_path), truth[truth["sample"] == sample]
        if measure_truth:  # in the scale the predicted leaves were measured with (given, ruler or config)
            scale = json.loads(Path(scale_path).read_text(encoding="utf-8"))["px_per_mm"]
            sizes = measure_leaves(truth_labels, scale)[["leaf_id", "length_mm", "width_mm"]]
            sheet_truth = sheet_truth.drop(columns=["length_mm", "width_mm"]).merge(sizes, on="leaf_id", how="left")
        sheet, matched = evaluate_sheet(
            sample,
            read_png(predicted_path),
            traits[traits["sample"] == sample],
            truth_labels,
            sheet_truth,
            snakemake.params.iou_threshold,
        )
        sheets.append(sheet)
        pairs.append(matched)
    sheets, pairs = pd.DataFrame(sheets), pd.concat(pairs, ignore_index=True)
    skipped = intact_skipped(traits, truth)
    summary = {
        "model": snakemake.wildcards.model,
        **summarize_model(sheets, pairs, skipped),
        **bootstrap_intervals(sheets, pairs, skipped, **snakemake.params.bootstrap),
    }
    write_csv(snakemake.output.sheets, sheets)
    write_csv(snakemake.output.pairs, pairs)
    write_json(snakemake.output.summary, summary)
    if summary["intact_note"]:
        logger.warning("intact metrics left empty: %s", summary["intact_note"])
    logger.info("%s", json.dumps(summary, default=str))


run_logged(snakemake, main)
