"""Leaf traits and intact calls for a chunk of unlabelled sheets, from their ensemble masks."""

import time
from pathlib import Path

import joblib
import pandas as pd

from herbarium_leaves.coco import labels_to_coco, merge_coco
from herbarium_leaves.instances import seed_thresholds
from herbarium_leaves.intact import classify_leaves, unjudged_sheets
from herbarium_leaves.measure import (
    TRAIT_COLUMNS,
    MeasureSpec,
    analysis_shape,
    measured_leaves,
    with_scale_source,
)
from herbarium_leaves.metrics import intact_calls
from herbarium_leaves.probability import mask_from_probability
from herbarium_leaves.report import leaf_overlay
from herbarium_leaves.resize import ResizeSpec
from herbarium_leaves.runner import run_logged
from herbarium_leaves.sheet_io import read_png, read_sheet_image, write_csv, write_json, write_png


def scale_note(sheet: dict) -> str:
    """The sheet's scale and where it came from, as the overlay writes it."""
    if pd.isna(sheet["px_per_mm"]):
        return "no scale: traits in px"
    return f"{sheet['px_per_mm']:.3f} px/mm from the {sheet['px_per_mm_source']}"


def main(logger):
    params, chunk = snakemake.params, Path(snakemake.input.chunk)
    bundle = joblib.load(snakemake.input.svm)  # the pipeline's own results only
    sheets = pd.read_csv(chunk / "sheets.csv", dtype={"sample": str})
    tables, coco_parts = [], []
    leaves, overlays = Path(snakemake.output.labels), Path(snakemake.output.overlays)
    leaves.mkdir(parents=True, exist_ok=True)
    overlays.mkdir(parents=True, exist_ok=True)
    for sheet in sheets[sheets["status"] == "ok"].to_dict("records"):
        began = time.perf_counter()
        scale = sheet["px_per_mm"] if pd.notna(sheet["px_per_mm"]) else None
        interior_path = chunk / "interior" / f"{sheet['sample']}.png"  # written when instances are learned
        interior = read_png(interior_path) if interior_path.exists() else None
        probability = read_png(chunk / "probability" / f"{sheet['sample']}.png")
        mask = mask_from_probability(probability, params.threshold) > 0  # as the masks/ PNG, one scan-size read fewer
        working, spec = ResizeSpec(**params.resize).target_shape(*mask.shape), MeasureSpec(**params.measure)
        analysed = analysis_shape(mask.shape, working, spec.max_megapixels)
        image, _, _ = read_sheet_image(sheet["source"], params.max_image_pixels, at_least=analysed)
        seeds = seed_thresholds(params.instances)
        found = measured_leaves(mask, image, working, spec, scale, interior, seeds, probability)
        labels = found.sheet_labels()
        write_png(leaves / f"{sheet['sample']}.png", labels)
        traits = with_scale_source(found.traits, sheet["px_per_mm_source"])
        traits = classify_leaves(bundle, traits.assign(sample=sheet["sample"]))
        picture = leaf_overlay(found.image, found.labels, traits, scale_note(sheet))  # a picture: the analysed size
        write_png(overlays / f"{sheet['sample']}.png", picture)
        coco_parts.append(labels_to_coco([(Path(sheet["source"]).name, labels, traits)], polygons=True))
        tables.append(traits)
        logger.info("%s: %d leaves, measured in %.2f s", sheet["sample"], len(traits), time.perf_counter() - began)
    columns = ["sample", *with_scale_source(pd.DataFrame(columns=TRAIT_COLUMNS), "none").columns]
    empty = classify_leaves(bundle, pd.DataFrame(columns=columns))
    traits = pd.concat(tables, ignore_index=True)[empty.columns] if tables else empty
    if bundle["skipped"]:
        logger.warning("no leaf judged intact (intact empty): intact-leaf SVM skipped: %s", bundle["skipped"])
    unscaled = set(sheets.loc[(sheets["status"] == "ok") & sheets["px_per_mm"].isna(), "sample"])
    unjudged = unjudged_sheets(traits)
    px_only = sorted(unscaled - set(unjudged))  # judged all the same (unitless traits), or the SVM was skipped
    if px_only:
        logger.warning("no px_per_mm, so traits in px only on: %s", ", ".join(px_only))
    if unjudged:
        logger.warning(
            "no px_per_mm, so traits in px only and leaves not judged intact (intact empty) on: %s",
            ", ".join(unjudged),
        )
    write_csv(snakemake.output.traits, traits)
    write_json(snakemake.output.coco, merge_coco(coco_parts))
    logger.info(
        "chunk %s: %d sheets, %d leaves, %d called intact",
        snakemake.wildcards.chunk,
        len(tables),
        len(traits),
        int(intact_calls(traits).sum()),
    )


run_logged(snakemake, main)
