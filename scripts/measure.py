"""Leaves of a batch of sheets' masks: labels image and traits table per sheet.

For a predicted mask, its leaves: split by the predicted leaf interiors (instances:
learned) or its connected components. For the true instance labels, the leaves a
perfect segmentation would give: the true leaves themselves (learned) or the true
mask's components (touching leaves merge), each marked intact when it is, by
itself, a true intact leaf.
"""

import json
from pathlib import Path

import pandas as pd

from herbarium_leaves.instances import seed_thresholds
from herbarium_leaves.measure import (
    MeasureSpec,
    measure_true_leaves,
    measured_leaves,
    with_scale_source,
)
from herbarium_leaves.resize import ResizeSpec
from herbarium_leaves.runner import run_batch
from herbarium_leaves.sheet_io import read_png, write_csv, write_png


def start(logger):
    params, inputs, output = snakemake.params, snakemake.input, snakemake.output
    spec = MeasureSpec(**params.measure)
    learned = params.instances["method"] == "learned"

    def measure(index):
        sample = params.samples[index]
        sheet_leaves = pd.read_csv(inputs.sheet_leaves[index])
        record = json.loads(Path(inputs.scales[index]).read_text(encoding="utf-8"))
        scale = record["px_per_mm"]
        mask, image = read_png(inputs.masks[index]), read_png(inputs.images[index])
        if params.truth:
            components, traits = measure_true_leaves(
                mask, image, scale, spec, learned, sheet_leaves, params.iou_threshold
            )
        else:
            interior, probability = (
                (read_png(inputs.interior[index]), read_png(inputs.probabilities[index])) if learned else (None, None)
            )
            working = ResizeSpec(**params.resize).target_shape(*mask.shape)
            seeds = seed_thresholds(params.instances)
            found = measured_leaves(mask > 0, image, working, spec, scale, interior, seeds, probability)
            components, traits = found.sheet_labels(), found.traits
        traits = with_scale_source(traits, record["source"])
        write_png(output.labels[index], components)
        traits.insert(0, "sample", sample)
        write_csv(output.traits[index], traits)
        logger.info("%s: %d leaves (%s)", sample, len(traits), "mm" if scale else "px")

    return measure


run_batch(snakemake, "measure_truth" if snakemake.params.truth else "measure", start)
