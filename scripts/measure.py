"""Leaves of one sheet's mask (predicted, or true instance labels): labels image and traits table."""

import pandas as pd

from herbarium_leaves.measure import MeasureSpec, label_leaves, measure_leaves, sheet_scale
from herbarium_leaves.runner import run_logged
from herbarium_leaves.sheet_io import read_png, write_csv, write_png


def main(logger):
    scale = sheet_scale(pd.read_csv(snakemake.input.sheet_leaves))
    if snakemake.params.truth:
        labels = read_png(snakemake.input.mask)  # true instance labels are measured as they are
    else:
        labels = label_leaves(read_png(snakemake.input.mask) > 0, MeasureSpec(**snakemake.params.measure), scale)
        write_png(snakemake.output.labels, labels)
    traits = measure_leaves(labels, scale).assign(sample=snakemake.wildcards.sample)
    write_csv(snakemake.output.traits, traits[["sample", *traits.columns[:-1]]])
    logger.info("%s: %d leaves (%s)", snakemake.wildcards.sample, len(traits), "mm" if scale else "px")


run_logged(snakemake.log[0], main, snakemake.threads)
