"""Leaves of one sheet's mask: labels image and traits table.

For a predicted mask, its connected components; for the true instance labels, the
components of the true mask (what a perfect segmentation would give), each marked
intact when it is, by itself, a true intact leaf.
"""

import pandas as pd

from herbarium_leaves.intact import component_truth
from herbarium_leaves.measure import MeasureSpec, label_leaves, measure_leaves, sheet_scale
from herbarium_leaves.runner import run_logged
from herbarium_leaves.sheet_io import read_png, write_csv, write_png


def main(logger):
    params, sample = snakemake.params, snakemake.wildcards.sample
    sheet_leaves = pd.read_csv(snakemake.input.sheet_leaves)
    scale = sheet_scale(sheet_leaves)
    mask = read_png(snakemake.input.mask)
    components = label_leaves(mask > 0, MeasureSpec(**params.measure), scale)
    traits = measure_leaves(components, scale)
    if params.truth:
        if sheet_leaves["intact"].notna().any():
            intact_ids = sheet_leaves.loc[sheet_leaves["intact"].fillna(False).astype(bool), "leaf_id"].tolist()
            flags = component_truth(components, mask, intact_ids, params.iou_threshold)
            traits["intact"] = traits["leaf_id"].map(flags).astype(bool)
        else:
            traits["intact"] = pd.NA
    write_png(snakemake.output.labels, components)
    traits.insert(0, "sample", sample)
    write_csv(snakemake.output.traits, traits)
    logger.info("%s: %d leaves (%s)", sample, len(traits), "mm" if scale else "px")


run_logged(snakemake, main)
