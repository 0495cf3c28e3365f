"""One model's leaf probability and mask (and leaf interior) for a batch of labelled sheets, at full size."""

from herbarium_leaves.inference import InferenceSpec, predict_sheet
from herbarium_leaves.model import load_model
from herbarium_leaves.probability import leaf_and_interior, mask_from_probability
from herbarium_leaves.reproducibility import configure_torch
from herbarium_leaves.resize import ResizeSpec
from herbarium_leaves.runner import run_batch
from herbarium_leaves.sheet_io import read_png, write_png
from herbarium_leaves.training import resolve_device


def start(logger):
    params, inputs, output = snakemake.params, snakemake.input, snakemake.output
    configure_torch(params.reproducibility, params.threads, snakemake.threads)
    device = resolve_device(params.device)
    model = load_model(inputs.model, inputs.config).to(device)
    spec, resize = InferenceSpec(**params.inference), ResizeSpec(**params.resize)

    def predict(index):
        probability = predict_sheet(model, read_png(inputs.images[index]), resize, spec, device)
        probability, interior = leaf_and_interior(probability)
        if interior is not None:  # instances: learned
            write_png(output.interior[index], interior)
        mask = mask_from_probability(probability, spec.threshold)
        write_png(output.probabilities[index], probability)
        write_png(output.masks[index], mask)
        logger.info(
            "%s: %d x %d px, leaf fraction %.3f",
            params.samples[index],
            probability.shape[1],
            probability.shape[0],
            float((mask > 0).mean()),
        )

    return predict


run_batch(snakemake, "predict_sheet", start)
