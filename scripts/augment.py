"""Materialise one seed's training set: windows of every training sheet, plain and augmented, with a manifest."""

from pathlib import Path

import pandas as pd

from herbarium_leaves.augment import AugmentSpec, sheet_patches
from herbarium_leaves.instances import training_target
from herbarium_leaves.provenance import file_sha256
from herbarium_leaves.runner import run_logged
from herbarium_leaves.sheet_io import read_png, write_csv, write_png


def main(logger):
    params = snakemake.params
    spec = AugmentSpec(**params.augment)
    folder = Path(snakemake.output.patches)
    rows = []
    for image_path, labels_path in zip(snakemake.input.images, snakemake.input.labels, strict=True):
        sample = Path(image_path).stem
        target = training_target(read_png(labels_path), **params.target)
        patches = sheet_patches(read_png(image_path), target, sample, params.window, params.stride, spec, params.seed)
        for row, image, mask in patches:
            stem = f"{sample}__y{row['window_y']}_x{row['window_x']}_c{row['copy']}"
            image_file, mask_file = folder / f"{stem}.png", folder / f"{stem}.mask.png"
            write_png(image_file, image)
            write_png(mask_file, mask)
            rows.append(
                {
                    "image": f"{folder.name}/{image_file.name}",
                    "mask": f"{folder.name}/{mask_file.name}",
                    **row,
                    "image_sha256": file_sha256(image_file),
                    "mask_sha256": file_sha256(mask_file),
                }
            )
    write_csv(snakemake.output.manifest, pd.DataFrame(rows))
    logger.info("seed %s: %d patches from %d sheets", params.seed, len(rows), len(snakemake.input.images))


run_logged(snakemake, main)
