"""Bring one sheet and its labels to the working resolution, recording the original size."""

from herbarium_leaves.resize import ResizeSpec, resize_image, resize_labels
from herbarium_leaves.runner import run_logged
from herbarium_leaves.sheet_io import read_png, write_json, write_png


def main(logger):
    spec = ResizeSpec(**snakemake.params.resize)
    image = read_png(snakemake.input.image)
    labels = read_png(snakemake.input.labels)
    shape = spec.target_shape(*image.shape[:2])
    write_png(snakemake.output.image, resize_image(image, shape))
    write_png(snakemake.output.labels, resize_labels(labels, shape))
    write_json(
        snakemake.output.size,
        {
            "original_height": int(image.shape[0]),
            "original_width": int(image.shape[1]),
            "height": shape[0],
            "width": shape[1],
            "resize": snakemake.params.resize,
        },
    )
    logger.info(
        "%s: %d x %d -> %d x %d px", snakemake.wildcards.sample, image.shape[1], image.shape[0], shape[1], shape[0]
    )


run_logged(snakemake, main)
