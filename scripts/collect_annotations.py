"""Gather a split's leaf rows into one leaves.csv and export its labels as COCO JSON."""

from pathlib import Path

import pandas as pd

from herbarium_leaves.coco import labels_to_coco
from herbarium_leaves.runner import run_logged
from herbarium_leaves.sheet_io import read_png, write_csv, write_json


def main(logger):
    tables = [pd.read_csv(path, dtype={"sample": str}) for path in snakemake.input.leaves]
    leaves = pd.concat(tables, ignore_index=True)
    sheets = [
        (f"images/{Path(path).name}", read_png(path), table)
        for path, table in zip(snakemake.input.labels, tables, strict=True)
    ]
    write_csv(snakemake.output.leaves, leaves)
    write_json(snakemake.output.coco, labels_to_coco(sheets))
    logger.info("split %s: %d sheets, %d leaves", snakemake.wildcards.split, len(sheets), len(leaves))


run_logged(snakemake, main)
