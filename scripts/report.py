"""Assemble results/report/report.html from the metrics, histories, provenance and predictions."""

import html
import json
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import yaml

from herbarium_leaves import report
from herbarium_leaves.intact import ENABLE_SVM_HINT
from herbarium_leaves.measure import MeasureSpec, predicted_leaves
from herbarium_leaves.metrics import BOOTSTRAP_METRICS, intact_calls, seed_spread
from herbarium_leaves.resize import ResizeSpec
from herbarium_leaves.runner import run_logged
from herbarium_leaves.sheet_io import atomic_path, read_png


def _model_of(path: str) -> str:
    return Path(path).parent.name


def scale_table(paths: list[str]) -> pd.DataFrame:
    """Per test sheet: the px/mm used and its source, and what the ruler and the paper's extent gave (or why not)."""
    rows = []
    for path in paths:
        record = _read_json(path)
        ruler, paper = record["ruler"] or {}, record.get("paper")
        rows.append(
            {
                "sheet": record["sample"],
                "px per mm used": record["px_per_mm"],
                "source": record["source"],
                "px per mm from the ruler": ruler.get("px_per_mm"),
                "ruler": ruler.get("reason") or ruler.get("orientation") or "not read (scale.detect off)",
                "px per mm from the paper": paper["px_per_mm"] if paper else None,
                "paper": (paper["reason"] or "measured") if paper else "not measured (scale.paper_long_side_mm null)",
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


def interval_table(summary: pd.DataFrame) -> pd.DataFrame:
    """Each model's headline metrics as 'value [low, high]' (bootstrap over sheets)."""
    models = summary[summary["model"].str.startswith(("seed", "ensemble")) & ~summary["model"].str.startswith("seeds")]
    rows = []
    for _, row in models.iterrows():
        cells = {"model": row["model"]}
        for metric in BOOTSTRAP_METRICS:
            low, high = row.get(f"{metric}_ci_low"), row.get(f"{metric}_ci_high")
            cells[metric] = "" if pd.isna(row[metric]) else f"{row[metric]:.3g} [{low:.3g}, {high:.3g}]"
        rows.append(cells)
    return pd.DataFrame(rows)


def sheet_gallery(inputs, params, ensemble: pd.DataFrame, traits: pd.DataFrame) -> list[str]:
    """A thumbnail per test sheet, worst ensemble IoU first: leaves in own colours, truth, intact calls, scale.

    With learned instances, beside it the same ensemble mask split into connected
    components (the study's way, outlines refined alike), so the two can be compared."""
    samples = [Path(p).stem for p in inputs.images]
    scales = {record["sample"]: record for record in map(_read_json, inputs.scales)}
    learned = params.instances["method"] == "learned"
    spec, resize = MeasureSpec(**params.measure), ResizeSpec(**params.resize)
    figures = []
    for row in ensemble.sort_values("iou").itertuples():
        index = samples.index(row.sample)
        sheet_traits = traits[traits["sample"] == row.sample]
        intact_ids = sheet_traits.loc[intact_calls(sheet_traits), "leaf_id"].tolist()
        image, truth = read_png(inputs.images[index]), read_png(inputs.truth_labels[index])
        predicted = read_png(inputs.predicted_labels[index])
        picture = report.thumbnail(report.overlay(image, truth, predicted, intact_ids), 320)
        scale = scales[row.sample]
        used = "none" if scale["px_per_mm"] is None else f"{scale['px_per_mm']:.3g} px/mm"
        caption = (
            f"{row.sample}: IoU {row.iou:.3f}, {len(sheet_traits)} leaves, {len(intact_ids)} called intact "
            f"({row.matched_intact} of {row.true_intact} true intact found); scale {used} ({scale['source']})"
        )
        if learned:
            mask = read_png(inputs.ensemble_masks[index]) > 0
            working = resize.target_shape(*mask.shape)
            components = predicted_leaves(mask, image, working, spec, scale["px_per_mm"])
            picture = report.side_by_side(picture, report.thumbnail(report.overlay(image, truth, components, []), 320))
            caption += (
                f". Left: learned instances; right: the same mask as connected components, "
                f"{int(components.max(initial=0))} leaves ({np.count_nonzero(np.unique(truth))} true)"
            )
        figures.append(report.figure_html(report.image_uri(picture), caption, "pair" if learned else None))
    return figures


def _read_json(path: str) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def randomness_section(inputs, params, summary, sheets, records) -> str:
    """Bootstrap intervals, the seeds' numerics and claims, per-sheet seed spread and maps of disagreement."""
    claims = pd.DataFrame(
        [
            {
                "seed": record["seed"],
                "weights sha256": record["state_dict_sha256"][:16],
                "numerics": record.get("numerics", {}).get("mode", "not recorded"),
                "CPU": record.get("numerics", {}).get("cpu_model", ""),
                "what the bits promise": record.get("numerics", {}).get("claim", "not recorded"),
            }
            for record in records
        ]
    )
    spread = seed_spread(sheets)
    samples = [Path(p).stem for p in inputs.images]
    maps = []
    for sample in spread["sample"].head(2):
        index = samples.index(sample)
        probabilities = [
            read_png(inputs.seed_probabilities[k * len(samples) + index]) for k in range(len(params.seeds))
        ]
        image = read_png(inputs.images[index])
        picture = np.concatenate([image, report.disagreement(probabilities)], axis=1)
        std = spread.loc[spread["sample"] == sample, "iou_seed_std"].iloc[0]
        maps.append(
            report.figure_html(
                report.image_uri(report.thumbnail(picture)),
                f"sheet {sample} (std of seed IoU {std:.3f}): the sheet, and where the seeds' probabilities disagree "
                "(per-pixel std over seeds: dark agree, bright 0.5)",
            )
        )
    return (
        f"<p>Each headline metric with its {100 * params.bootstrap_level:.0f} % bootstrap interval over test sheets "
        "(sheets drawn with replacement, seeded: config evaluate.bootstrap).</p>"
        + report.table_html(interval_table(summary))
        + "<p>What each seed's weights promise (docs/reproducibility.md); "
        "check on another machine with <code>snakemake verify</code>.</p>"
        + report.table_html(claims)
        + "<p>Test sheets on which the seeds differ most (IoU per seed, its std and range, the ensemble's).</p>"
        + report.table_html(spread.head(5))
        + "".join(maps)
    )


def started_from(init: dict | None) -> str:
    """Where a seed's weights started, in words: a fresh initialisation, its pretraining, or a file."""
    if not init:
        return "fresh initialisation"
    if init["source"] == "pretrain":
        data = init["pretrain_data"]
        return (
            f"pretrained weights {init['pretrain_state_dict_sha256'][:12]} ({data['patches']} synthetic patches, "
            f"params {init['pretrain_params_sha256'][:12]})"
        )
    return f"{init['path']} (sha256 {init['weights_sha256'][:12]})"


def main(logger):
    inputs, params = snakemake.input, snakemake.params
    summary = pd.read_csv(inputs.summary)
    sheets = {_model_of(p): pd.read_csv(p, dtype={"sample": str}) for p in inputs.sheets}
    pairs = pd.read_csv(inputs.ensemble_pairs)
    histories = {_model_of(p): pd.read_csv(p) for p in inputs.histories}
    records = [_read_json(p) for p in inputs.provenance]
    provenance = records[0]
    seeds_table = pd.DataFrame(
        [
            {
                "seed": record["seed"],
                "best validation IoU": record["best_val_iou"],
                "weights sha256": record["state_dict_sha256"][:16],
                "started from": started_from(record["settings"].get("init")),
            }
            for record in records
        ]
    )
    traits = pd.read_csv(inputs.ensemble_traits, dtype={"sample": str})
    gallery = report.gallery_html(sheet_gallery(inputs, params, sheets["ensemble"], traits))
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
    hint = (
        ENABLE_SVM_HINT[0].upper() + ENABLE_SVM_HINT[1:]
        if svm["skipped"]
        else "Each leaf is still called intact or not (results/leaves/<model>/test/intact_leaves.csv); scoring those "
        "calls needs test sheets with intact flags"
    )
    intact_note = (
        f"<p><b>Intact metrics are empty</b>: {html.escape('; '.join(notes))}. IoU and the traits of every leaf "
        f"are complete. {html.escape(hint)}.</p>"
        if notes
        else ""
    )
    svm_accuracy = (
        f"Intact-leaf SVM: cross-validated balanced accuracy {svm['best_score']:.3f} on {svm['n_leaves']} training "
        f"leaves of {svm['learned_from']} ({', '.join(svm['columns'])})."
        + (f" {svm['note'][0].upper()}{svm['note'][1:]}." if svm["note"] else "")
        if not svm["skipped"]
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
            + report.table_html(report.headline_table(summary))
            + f"<p>{report.BETTER} better than the study, {report.WORSE} worse (where it reported the figure). "
            "Leaf IoU: mean over test sheets of the leaf/background IoU at each sheet's original resolution. "
            "Sheets with an intact leaf found: share of test sheets with a true intact leaf on which a leaf called "
            f"intact matches one at IoU >= {params.iou_threshold}. Intact-leaf precision, recall and F1: leaf-level "
            "intact calls against true intact leaves. Length and width error: mean relative error over matched "
            "intact leaves. The ensemble averages the seeds' probabilities. Bootstrap intervals: under "
            f"Randomness. {html.escape(svm_accuracy)}</p>"
            + report.details_html(
                "Every figure, unrounded (results/metrics/summary.csv)",
                report.table_html(summary.drop(columns=[c for c in summary if c.endswith(("_ci_low", "_ci_high"))])),
            ),
        ),
        (
            "Provenance",
            report.table_html(seeds_table) + f"<p>Code {html.escape(provenance['code']['git'])}, package sha256 "
            f"{provenance['code']['package_sha256'][:16]}; versions: "
            + html.escape(", ".join(f"{k} {v}" for k, v in provenance["versions"].items()))
            + f"; determinism: {html.escape(json.dumps(provenance['determinism']))}; device {provenance['device']}.</p>"
            + f"<ul>{links}</ul>"
            + report.details_html(
                "The configuration of this run",
                f"<pre>{html.escape(yaml.safe_dump(params.config, sort_keys=False))}</pre>",
            ),
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
        (
            "Every test sheet",
            "<p>Worst ensemble IoU first. Each predicted leaf in its own colour, true leaves outlined green, leaves "
            "called intact outlined yellow; with learned instances, the same mask as connected components beside "
            "(not judged intact).</p>" + gallery,
        ),
        (
            "Randomness: intervals, seeds and their disagreement",
            randomness_section(inputs, params, summary, sheets, records),
        ),
        ("Scale per test sheet", report.table_html(scale_table(inputs.scales))),
        ("Intact-leaf SVM", svm_section),
        ("Measurements", measurements),
    ]
    with atomic_path(snakemake.output.html) as temporary:
        temporary.write_text(report.render("Herbarium leaf pipeline report", sections), encoding="utf-8")
    logger.info("report with %d models", len(sheets))


run_logged(snakemake, main)
