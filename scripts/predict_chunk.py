"""Predict a chunk of a user's unlabelled sheets with the seed ensemble and find each one's scale.

A bad sheet is recorded, not fatal. The scale: a given value (unlabelled.scales), else
the ruler on the sheet, else unlabelled.px_per_mm, else none.
"""

import time
from pathlib import Path

import pandas as pd

from herbarium_leaves.inference import InferenceSpec, ensemble_probability
from herbarium_leaves.model import load_model
from herbarium_leaves.probability import leaf_and_interior, mask_from_probability
from herbarium_leaves.reproducibility import configure_torch
from herbarium_leaves.resize import ResizeSpec
from herbarium_leaves.runner import run_logged
from herbarium_leaves.scale import detect_scales, resolve_scale
from herbarium_leaves.sheet_io import InputError, read_sheet_image, write_csv, write_json, write_png
from herbarium_leaves.training import resolve_device

SHEET_COLUMNS = ["sample", "source", "status", "height", "width", "px_per_mm", "px_per_mm_source"]


def main(logger):
    params, folder = snakemake.params, Path(snakemake.output.chunk)
    configure_torch(params.reproducibility, params.threads, snakemake.threads)
    device = resolve_device(params.device)
    models = [load_model(m, c).to(device) for m, c in zip(snakemake.input.models, snakemake.input.configs, strict=True)]
    spec, resize = InferenceSpec(**params.inference), ResizeSpec(**params.resize)
    rows = []
    for path in params.sheets:
        sample, began = Path(path).stem, time.perf_counter()
        try:
            sheet, _, _ = read_sheet_image(path, params.max_image_pixels)
        except InputError as error:
            logger.error("%s", error)
            rows.append({"sample": sample, "source": path, "status": str(error)})
            continue
        probability = ensemble_probability(models, sheet, resize, spec, device)
        probability, interior = leaf_and_interior(probability)
        if interior is not None:  # instances: learned
            write_png(folder / "interior" / f"{sample}.png", interior)
        write_png(folder / "probability" / f"{sample}.png", probability)
        write_png(folder / "masks" / f"{sample}.png", mask_from_probability(probability, spec.threshold))
        ruler, paper = detect_scales(sheet, params.detect_scale, params.paper_long_side_mm)
        scale = {"sample": sample, **resolve_scale(params.given_scales.get(sample), ruler, params.px_per_mm, paper)}
        write_json(folder / "scale" / f"{sample}.json", scale)
        rows.append(
            {
                "sample": sample,
                "source": path,
                "status": "ok",
                "height": sheet.shape[0],
                "width": sheet.shape[1],
                "px_per_mm": scale["px_per_mm"],
                "px_per_mm_source": scale["source"],
            }
        )
        logger.info(
            "%s: %d x %d px, scale %s (%s), predicted in %.2f s",
            sample,
            sheet.shape[1],
            sheet.shape[0],
            scale["px_per_mm"],
            scale["source"],
            time.perf_counter() - began,
        )
    write_csv(folder / "sheets.csv", pd.DataFrame(rows, columns=SHEET_COLUMNS))


run_logged(snakemake, main)
