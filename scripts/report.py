"""Assemble results/report/report.html from the metrics, histories, provenance and predictions."""

import html
import json
from pathlib import Path

import joblib
import pandas as pd
import yaml

from herbarium_leaves import report
from herbarium_leaves.intact import ENABLE_SVM_HINT
from herbarium_leaves.metrics import intact_calls
from herbarium_leaves.resize import resize_image
from herbarium_leaves.runner import run_logged
from herbarium_leaves.sheet_io import atomic_path, read_png


def _model_of(path: str) -> str:
    return Path(path).parent.name


def scale_table(paths: list[str]) -> pd.DataFrame:
    """Per test sheet: the px/mm used and its source, and what the ruler gave (or why it gave none)."""
    rows = []
    for path in paths:
        record = json.loads(Path(path).read_text(encoding="utf-8"))
        ruler = record["ruler"] or {}
        rows.append(
            {
                "sheet": record["sample"],
                "px per mm used": record["px_per_mm"],
                "source": record["source"],
                "px per mm from the ruler": ruler.get("px_per_mm"),
                "ruler": ruler.get("reason") or ruler.get("orientation") or "not read (scale.detect off)",
                "true px per mm": record.get("true_px_per_mm"),
            }
        )
    table = pd.DataFrame(rows)
    if table["true px per mm"].notna().any():
        used, true = (pd.to_numeric(table[column]) for column in ("px per mm used", "true px per mm"))
        table["scale error (%)"] = 100 * (used / true - 1)
    else:
        table = table.drop(columns="true px per mm")
    return table


def main(logger):
    inputs, params = snakemake.input, snakemake.params
    summary = pd.read_csv(inputs.summary)
    sheets = {_model_of(p): pd.read_csv(p, dtype={"sample": str}) for p in inputs.sheets}
    pairs = pd.read_csv(inputs.ensemble_pairs)
    histories = {_model_of(p): pd.read_csv(p) for p in inputs.histories}
    records = [json.loads(Path(p).read_text(encoding="utf-8")) for p in inputs.provenance]
    provenance = records[0]
    seeds_table = pd.DataFrame(
        [
            {
                "seed": record["seed"],
                "best validation IoU": record["best_val_iou"],
                "weights sha256": record["state_dict_sha256"][:16],
            }
            for record in records
        ]
    )
    ensemble = sheets["ensemble"].sort_values("iou")
    traits = pd.read_csv(inputs.ensemble_traits, dtype={"sample": str})
    overlays = []
    for label, sample in (("worst", ensemble["sample"].iloc[0]), ("best", ensemble["sample"].iloc[-1])):
        index = [Path(p).stem for p in inputs.images].index(sample)
        picture = report.overlay(
            read_png(inputs.images[index]),
            read_png(inputs.truth_labels[index]),
            read_png(inputs.predicted_labels[index]),
            traits.loc[(traits["sample"] == sample) & intact_calls(traits), "leaf_id"].tolist(),
        )
        scale = min(1.0, 900 / max(picture.shape[:2]))
        picture = resize_image(picture, (round(picture.shape[0] * scale), round(picture.shape[1] * scale)))
        iou = ensemble.loc[ensemble["sample"] == sample, "iou"].iloc[0]
        overlays.append(
            report.figure_html(
                report.image_uri(picture),
                f"{label} sheet {sample} (ensemble IoU "
                f"{iou:.3f}): truth green, prediction red, leaves called intact thick yellow",
            )
        )
    svm = joblib.load(snakemake.input.svm)  # the pipeline's own results only
    training = pd.read_csv(inputs.svm_training)
    links = (
        '<li><a href="../provenance/">results/provenance/</a>: one record per job (params, checksums, versions)</li>'
    )
    links += "".join(
        f'<li><a href="../{html.escape(str(Path(p).relative_to("results")))}">{html.escape(p)}</a></li>'
        for p in [*inputs.provenance, inputs.svm_scores]
    )
    notes = [note for note in summary.get("intact_note", pd.Series(dtype=str)).dropna().unique() if note]
    intact_note = (
        f"<p><b>Intact metrics are empty</b>: {html.escape('; '.join(notes))}. IoU and the traits of every leaf "
        f"are complete. {html.escape(ENABLE_SVM_HINT[0].upper() + ENABLE_SVM_HINT[1:])}.</p>"
        if notes
        else ""
    )
    if svm["skipped"]:
        svm_section = f"<p>Skipped: {html.escape(svm['skipped'])}; {html.escape(ENABLE_SVM_HINT)}.</p>"
    else:
        svm_section = report.figure_html(
            report.image_uri(report.svm_space(training, svm)),
            f"Training leaves and the decision boundary; best {svm['best_params']},"
            f" cross-validated balanced accuracy {svm['best_score']:.3f}",
        )
    measurements = report.figure_html(
        report.image_uri(report.measured_against_true(pairs)),
        "Ensemble: measured against true size of matched intact leaves"
        + ("" if len(pairs) else " (none matched: no predicted leaf called intact matched a true intact leaf)"),
    )
    sections = [
        (
            "Headline",
            intact_note
            + report.table_html(summary)
            + "<p>mean_iou: mean over test sheets of the leaf/background IoU at "
            "each sheet's original resolution. sheet_recall: share of test sheets with a true intact leaf on which a "
            f"leaf called intact matches one at IoU >= {params.iou_threshold}. intact_precision/recall/f1: leaf-level "
            "intact calls. length/width_error_pct: mean relative error over matched intact leaves. Rows 'seeds "
            "mean/std/min/max' aggregate the per-seed models; 'ensemble' averages their probabilities.</p>",
        ),
        (
            "Provenance",
            report.table_html(seeds_table) + f"<p>Code {html.escape(provenance['code']['git'])}, package sha256 "
            f"{provenance['code']['package_sha256'][:16]}; versions: "
            + html.escape(", ".join(f"{k} {v}" for k, v in provenance["versions"].items()))
            + f"; determinism: {html.escape(json.dumps(provenance['determinism']))}; device {provenance['device']}.</p>"
            + f"<ul>{links}</ul><pre>{html.escape(yaml.safe_dump(params.config, sort_keys=False))}</pre>",
        ),
        (
            "Training",
            report.figure_html(
                report.image_uri(report.training_curves(histories)), "Loss and validation IoU per epoch, per seed"
            ),
        ),
        (
            "IoU per sheet",
            report.figure_html(
                report.image_uri(report.iou_per_sheet(sheets)), "Per-sheet IoU of every model; bars are means"
            ),
        ),
        ("Best and worst sheets", "".join(overlays)),
        ("Scale per test sheet", report.table_html(scale_table(inputs.scales))),
        ("Intact-leaf SVM", svm_section),
        ("Measurements", measurements),
    ]
    with atomic_path(snakemake.output.html) as temporary:
        temporary.write_text(report.render("Herbarium leaf pipeline report", sections), encoding="utf-8")
    logger.info("report with %d models", len(sheets))


run_logged(snakemake, main)
