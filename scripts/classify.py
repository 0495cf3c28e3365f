"""Apply the intact-leaf SVM to every predicted leaf of one model and split; write what users take away."""

from pathlib import Path

import joblib
import pandas as pd

from herbarium_leaves.coco import labels_to_coco
from herbarium_leaves.intact import classify_leaves, unjudged_sheets
from herbarium_leaves.metrics import intact_calls
from herbarium_leaves.runner import run_logged
from herbarium_leaves.sheet_io import read_png, write_csv, write_json


def main(logger):
    bundle = joblib.load(snakemake.input.svm)  # only ever the pipeline's own results/svm/model.joblib
    tables = [pd.read_csv(path, dtype={"sample": str}) for path in snakemake.input.traits]
    classified = [classify_leaves(bundle, table) for table in tables]
    folder = Path(snakemake.output.sheets)
    for path, table in zip(snakemake.input.traits, classified, strict=True):
        write_csv(folder / Path(path).name, table)
    traits = pd.concat(classified, ignore_index=True)
    if bundle["skipped"]:
        logger.warning("no leaf judged intact (intact empty): intact-leaf SVM skipped: %s", bundle["skipped"])
    unjudged = unjudged_sheets(traits)
    if unjudged:
        logger.warning("no px_per_mm, so leaves not judged intact (intact empty) on: %s", ", ".join(unjudged))
    called = intact_calls(traits)
    write_csv(snakemake.output.traits, traits)
    write_csv(snakemake.output.intact, traits[called])
    sheets = [
        (f"{Path(path).stem}.png", read_png(path), table)
        for path, table in zip(snakemake.input.labels, classified, strict=True)
    ]
    write_json(snakemake.output.coco, labels_to_coco(sheets, polygons=True))
    logger.info(
        "%s/%s: %d leaves, %d called intact",
        snakemake.wildcards.model,
        snakemake.wildcards.split,
        len(traits),
        int(called.sum()),
    )


run_logged(snakemake, main)
