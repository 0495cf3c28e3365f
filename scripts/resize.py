"""Bring a batch of sheets and their labels to the working resolution, recording each original size."""

from herbarium_leaves.resize import ResizeSpec, resize_image, resize_labels
from herbarium_leaves.runner import run_batch
from herbarium_leaves.sheet_io import read_png, write_json, write_png


def start(logger):
    params, inputs, output = snakemake.params, snakemake.input, snakemake.output
    spec = ResizeSpec(**params.resize)

    def resize(index):
        image = read_png(inputs.images[index])
        labels = read_png(inputs.labels[index])
        shape = spec.target_shape(*image.shape[:2])
        write_png(output.images[index], resize_image(image, shape))
        write_png(output.labels[index], resize_labels(labels, shape))
        write_json(
            output.sizes[index],
            {
                "original_height": int(image.shape[0]),
                "original_width": int(image.shape[1]),
                "height": shape[0],
                "width": shape[1],
                "resize": params.resize,
            },
        )
        logger.info(
            "%s: %d x %d -> %d x %d px", params.samples[index], image.shape[1], image.shape[0], shape[1], shape[0]
        )

    return resize


run_batch(snakemake, "resize", start)
