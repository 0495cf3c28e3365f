"""Predict a chunk of a user's unlabelled sheets with the seed ensemble; a bad sheet is recorded, not fatal."""

from pathlib import Path

import pandas as pd
import torch

from herbarium_leaves.inference import InferenceSpec, ensemble_probability
from herbarium_leaves.model import load_model
from herbarium_leaves.probability import mask_from_probability
from herbarium_leaves.resize import ResizeSpec
from herbarium_leaves.runner import run_logged
from herbarium_leaves.sheet_io import InputError, read_sheet_image, write_csv, write_png
from herbarium_leaves.training import resolve_device


def main(logger):
    params, folder = snakemake.params, Path(snakemake.output.chunk)
    torch.set_num_threads(snakemake.threads)
    device = resolve_device(params.device)
    models = [load_model(m, c).to(device) for m, c in zip(snakemake.input.models, snakemake.input.configs, strict=True)]
    spec, resize = InferenceSpec(**params.inference), ResizeSpec(**params.resize)
    rows = []
    for path in params.sheets:
        sample = Path(path).stem
        try:
            sheet, _, _ = read_sheet_image(path, params.max_image_pixels)
        except InputError as error:
            logger.error("%s", error)
            rows.append({"sample": sample, "source": path, "status": str(error)})
            continue
        probability = ensemble_probability(models, sheet, resize, spec, device)
        write_png(folder / "probability" / f"{sample}.png", probability)
        write_png(folder / "masks" / f"{sample}.png", mask_from_probability(probability, spec.threshold))
        rows.append(
            {"sample": sample, "source": path, "status": "ok", "height": sheet.shape[0], "width": sheet.shape[1]}
        )
        logger.info("%s: %d x %d px", sample, sheet.shape[1], sheet.shape[0])
    write_csv(folder / "sheets.csv", pd.DataFrame(rows, columns=["sample", "source", "status", "height", "width"]))


run_logged(snakemake, main)
