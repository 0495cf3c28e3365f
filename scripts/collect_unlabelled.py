"""Gather the chunks' sheets, traits and leaf outlines; name each scan not read and each file not taken."""

import json
from pathlib import Path

import pandas as pd

from herbarium_leaves.coco import merge_coco
from herbarium_leaves.ingest import IMAGE_SUFFIXES
from herbarium_leaves.metrics import intact_calls
from herbarium_leaves.runner import run_logged
from herbarium_leaves.sheet_io import write_csv, write_json


def not_taken(paths: list[str]) -> pd.DataFrame:
    """Rows of sheets.csv for files of the scans folder that are not images."""
    kinds = ", ".join(IMAGE_SUFFIXES)
    return pd.DataFrame(
        {
            "sample": [Path(path).stem for path in paths],
            "source": paths,
            "status": [f"{path}: not taken: not an image file ({kinds})" for path in paths],
        }
    )


def main(logger):
    chunks = [pd.read_csv(Path(chunk) / "sheets.csv", dtype={"sample": str}) for chunk in snakemake.input.chunks]
    table = pd.concat([*chunks, not_taken(snakemake.params.not_images)], ignore_index=True)
    traits = pd.concat([pd.read_csv(path, dtype={"sample": str}) for path in snakemake.input.traits], ignore_index=True)
    write_csv(snakemake.output.sheets, table)
    write_csv(snakemake.output.traits, traits)
    called = intact_calls(traits)
    write_csv(snakemake.output.intact, traits[called])
    write_json(snakemake.output.coco, merge_coco([json.loads(Path(p).read_text()) for p in snakemake.input.coco]))
    read = int((table["status"] == "ok").sum())
    logger.info("%d sheets predicted, %d leaves, %d called intact", read, len(traits), int(called.sum()))
    failed = table.loc[table["status"] != "ok", "status"]
    for status in failed:
        logger.error("%s", status)
    if len(failed):
        logger.error(
            "%d of %d files in unlabelled.sheets were not measured (listed above; their status is in %s)",
            len(failed),
            len(table),
            snakemake.output.sheets,
        )


run_logged(snakemake, main)
