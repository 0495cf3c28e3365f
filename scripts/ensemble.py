"""The seed ensemble for one sheet: the mean of the seeds' probabilities, written like one model's."""

from herbarium_leaves.inference import mask_from_probability, mean_probability
from herbarium_leaves.runner import run_logged
from herbarium_leaves.sheet_io import read_png, write_png


def main(logger):
    probability = mean_probability([read_png(path) for path in snakemake.input.probabilities])
    write_png(snakemake.output.probability, probability)
    write_png(snakemake.output.mask, mask_from_probability(probability, snakemake.params.threshold))
    logger.info("%s: mean of %d seeds", snakemake.wildcards.sample, len(snakemake.input.probabilities))


run_logged(snakemake, main)
