"""Leaf traits of some sheets as a Darwin Core MeasurementOrFact table."""

import datetime
import json

import joblib
import pandas as pd

from herbarium_leaves.darwin_core import MofContext, measurement_or_fact, occurrence_of, read_occurrence_ids
from herbarium_leaves.intact import intact_filter
from herbarium_leaves.provenance import code_version
from herbarium_leaves.runner import run_logged
from herbarium_leaves.sheet_io import write_csv


def main(logger):
    params, inputs = snakemake.params, snakemake.input
    traits = pd.concat([pd.read_csv(path, dtype={"sample": str}) for path in inputs.traits], ignore_index=True)
    source = params.dwc["occurrence_ids"]
    mapping = read_occurrence_ids(source) if source else None
    samples = list(params.samples)
    context = MofContext(
        segmentation=params.segmentation,
        intact_filter=intact_filter(joblib.load(snakemake.input.svm)),  # the pipeline's own results only
        code_version=code_version()["git"],
        weights_sha256=tuple(
            json.loads(open(path, encoding="utf-8").read())["state_dict_sha256"] for path in inputs.provenance
        ),
        determined_by=params.dwc["determined_by"],
        determined_date=datetime.date.today().isoformat(),
    )
    table = measurement_or_fact(
        traits, occurrence_of(samples, mapping, source), context, intact_only=params.dwc["leaves"] == "intact"
    )
    unscaled = sorted(traits.loc[traits["px_per_mm"].isna(), "sample"].unique())  # no mm rows for them
    if unscaled:
        logger.warning("no scale, so no trait in mm (unitless traits only) for: %s", ", ".join(unscaled))
    write_csv(snakemake.output.table, table)
    logger.info(
        "%d MeasurementOrFact records for %d sheets (%s leaves)", len(table), len(samples), params.dwc["leaves"]
    )


run_logged(snakemake, main)
