"""Every model's metrics in one table: per seed, mean/std/min/max over seeds, the ensemble, the studies."""

import json

import pandas as pd

from herbarium_leaves.metrics import summary_table
from herbarium_leaves.runner import run_logged
from herbarium_leaves.sheet_io import write_csv


def main(logger):
    per_model = pd.DataFrame([json.loads(open(path, encoding="utf-8").read()) for path in snakemake.input.summaries])
    table = summary_table(per_model)
    write_csv(snakemake.output.table, table)
    logger.info("\n%s", table.to_string(index=False))


run_logged(snakemake, main)
