"""The seed ensemble for a batch of sheets: the mean of the seeds' probabilities (leaf, interior), as one model's."""

from herbarium_leaves.probability import mask_from_probability, mean_probability
from herbarium_leaves.runner import run_batch
from herbarium_leaves.sheet_io import read_png, write_png


def start(logger):
    params, inputs, output = snakemake.params, snakemake.input, snakemake.output

    def average(index):
        probability = mean_probability([read_png(getattr(inputs, f"seed{seed}")[index]) for seed in params.seeds])
        write_png(output.probabilities[index], probability)
        write_png(output.masks[index], mask_from_probability(probability, params.threshold))
        if hasattr(output, "interior"):
            interior = [read_png(getattr(inputs, f"seed{seed}_interior")[index]) for seed in params.seeds]
            write_png(output.interior[index], mean_probability(interior))
        logger.info("%s: mean of %d seeds", params.samples[index], len(params.seeds))

    return average


run_batch(snakemake, "ensemble", start)
