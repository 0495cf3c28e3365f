"""Generate a batch of pretraining sheets and bring each straight to the working resolution."""

from herbarium_leaves.resize import ResizeSpec, resize_image, resize_labels
from herbarium_leaves.runner import run_batch
from herbarium_leaves.sheet_io import write_png
from herbarium_leaves.synthetic import generate_sheet


def start(logger):
    params, output = snakemake.params, snakemake.output
    generator, spec = params.generator, ResizeSpec(**params.resize)

    def synthesize(index):
        sheet = generate_sheet(index=params.indices[index], **generator)  # the generator block names its arguments
        shape = spec.target_shape(*sheet.image.shape[:2])
        write_png(output.images[index], resize_image(sheet.image, shape))
        write_png(output.labels[index], resize_labels(sheet.labels, shape))
        logger.info(
            "%s: %s, %d leaves, %s style", params.samples[index], sheet.plant, len(sheet.leaves), generator["style"]
        )

    return synthesize


run_batch(snakemake, "synthesize_pretrain", start)
