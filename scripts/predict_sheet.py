"""One model's leaf probability and mask for one labelled sheet, at the sheet's original resolution."""

import torch

from herbarium_leaves.inference import InferenceSpec, mask_from_probability, predict_sheet
from herbarium_leaves.model import load_model
from herbarium_leaves.resize import ResizeSpec
from herbarium_leaves.runner import run_logged
from herbarium_leaves.sheet_io import read_png, write_png
from herbarium_leaves.training import resolve_device


def main(logger):
    params = snakemake.params
    torch.set_num_threads(snakemake.threads)
    device = resolve_device(params.device)
    model = load_model(snakemake.input.model, snakemake.input.config).to(device)
    spec = InferenceSpec(**params.inference)
    probability = predict_sheet(model, read_png(snakemake.input.image), ResizeSpec(**params.resize), spec, device)
    mask = mask_from_probability(probability, spec.threshold)
    write_png(snakemake.output.probability, probability)
    write_png(snakemake.output.mask, mask)
    logger.info(
        "%s: %d x %d px, leaf fraction %.3f",
        snakemake.wildcards.sample,
        probability.shape[1],
        probability.shape[0],
        float((mask > 0).mean()),
    )


run_logged(snakemake, main)
