"""Leaf traits and intact calls for a chunk of unlabelled sheets, from their ensemble masks."""

from pathlib import Path

import joblib
import pandas as pd

from herbarium_leaves.intact import classify_leaves, unjudged_sheets
from herbarium_leaves.measure import TRAIT_COLUMNS, MeasureSpec, label_leaves, measure_leaves, with_scale_source
from herbarium_leaves.metrics import intact_calls
from herbarium_leaves.runner import run_logged
from herbarium_leaves.sheet_io import read_png, write_csv


def main(logger):
    params, chunk = snakemake.params, Path(snakemake.input.chunk)
    bundle = joblib.load(snakemake.input.svm)  # the pipeline's own results only
    sheets = pd.read_csv(chunk / "sheets.csv", dtype={"sample": str})
    tables = []
    for sample in sheets.loc[sheets["status"] == "ok", "sample"]:
        labels = label_leaves(
            read_png(chunk / "masks" / f"{sample}.png") > 0, MeasureSpec(**params.measure), params.px_per_mm
        )
        tables.append(measure_leaves(labels, params.px_per_mm).assign(sample=sample))
    traits = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame(columns=[*TRAIT_COLUMNS, "sample"])
    source = "config" if params.px_per_mm else "none"
    traits = classify_leaves(bundle, with_scale_source(traits[["sample", *TRAIT_COLUMNS]], source))
    if bundle["skipped"]:
        logger.warning("no leaf judged intact (intact empty): intact-leaf SVM skipped: %s", bundle["skipped"])
    unjudged = unjudged_sheets(traits)
    if unjudged:
        logger.warning(
            "no px_per_mm, so traits in px only and leaves not judged intact (intact empty) on: %s",
            ", ".join(unjudged),
        )
    write_csv(snakemake.output.traits, traits)
    logger.info(
        "chunk %s: %d sheets, %d leaves, %d called intact",
        snakemake.wildcards.chunk,
        len(tables),
        len(traits),
        int(intact_calls(traits).sum()),
    )


run_logged(snakemake, main)
