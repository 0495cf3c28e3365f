"""Bring one of a user's sheets (folder or COCO form) to the pipeline's image, labels and leaf rows."""

from herbarium_leaves.ingest import leaf_rows, load_coco_sheet, load_folder_sheet, read_coco, read_leaves_csv
from herbarium_leaves.runner import run_logged
from herbarium_leaves.sheet_io import write_csv, write_png


def main(logger):
    params, sample = snakemake.params, snakemake.wildcards.sample
    if params.source == "folder":
        image, labels = load_folder_sheet(
            snakemake.input.image, snakemake.input.get("mask"), params.mask_type, params.max_image_pixels
        )
        annotated, source = None, snakemake.input.image
        if snakemake.input.get("leaves_csv"):
            source = snakemake.input.leaves_csv
            table = read_leaves_csv(source)
            annotated = table[table["sample"] == sample]
    else:
        source = snakemake.input.annotations
        image, labels, annotated = load_coco_sheet(read_coco(source), params.entry, source, params.max_image_pixels)
    leaves = leaf_rows(sample, labels, annotated, source)
    write_png(snakemake.output.image, image)
    write_png(snakemake.output.labels, labels)
    write_csv(snakemake.output.leaves, leaves)
    logger.info("sheet %s: %d x %d px, %d leaves", sample, image.shape[1], image.shape[0], len(leaves))


run_logged(snakemake, main)
