"""Bring a batch of a user's sheets (folder or COCO form) to the pipeline's image, labels and leaf rows."""

from herbarium_leaves.ingest import leaf_rows, load_coco_sheet, load_folder_sheet, read_coco, read_leaves_csv
from herbarium_leaves.runner import run_batch
from herbarium_leaves.sheet_io import write_csv, write_png


def start(logger):
    params, inputs, output = snakemake.params, snakemake.input, snakemake.output
    table = read_leaves_csv(inputs.leaves_csv) if inputs.get("leaves_csv") else None
    coco = read_coco(inputs.annotations) if params.source == "coco" else None

    def ingest(index):
        sample, sheet = params.samples[index], params.sheets[index]
        if coco is None:
            image, labels = load_folder_sheet(
                inputs.images[index], sheet["mask"], params.mask_type, params.max_image_pixels
            )
            source = inputs.images[index] if table is None else inputs.leaves_csv
            annotated = None if table is None else table[table["sample"] == sample]
        else:
            source = inputs.annotations
            image, labels, annotated = load_coco_sheet(coco, sheet, source, params.max_image_pixels)
        leaves = leaf_rows(sample, labels, annotated, source)
        write_png(output.images[index], image)
        write_png(output.labels[index], labels)
        write_csv(output.leaves[index], leaves)
        logger.info("sheet %s: %d x %d px, %d leaves", sample, image.shape[1], image.shape[0], len(leaves))

    return ingest


run_batch(snakemake, "ingest", start)
