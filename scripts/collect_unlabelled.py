"""Gather the chunks' sheets and traits; fail, naming each sheet that could not be read, once all good ones are done."""

from pathlib import Path

import pandas as pd

from herbarium_leaves.metrics import intact_calls
from herbarium_leaves.runner import run_logged
from herbarium_leaves.sheet_io import InputError, write_csv


def main(logger):
    table = pd.concat(
        [pd.read_csv(Path(chunk) / "sheets.csv", dtype={"sample": str}) for chunk in snakemake.input.chunks],
        ignore_index=True,
    )
    failed = table[table["status"] != "ok"]
    for status in failed["status"]:
        logger.error("%s", status)
    if len(failed):
        raise InputError(
            snakemake.output.sheets,
            f"{len(failed)} of {len(table)} sheets could not be read (listed "
            "above); every other sheet's prediction is in results/unlabelled/chunks",
        )
    traits = pd.concat([pd.read_csv(path, dtype={"sample": str}) for path in snakemake.input.traits], ignore_index=True)
    write_csv(snakemake.output.sheets, table)
    write_csv(snakemake.output.traits, traits)
    called = intact_calls(traits)
    write_csv(snakemake.output.intact, traits[called])
    logger.info("%d sheets predicted, %d leaves, %d called intact", len(table), len(traits), int(called.sum()))


run_logged(snakemake, main)
