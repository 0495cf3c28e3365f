"""Generate one synthetic demo sheet: image, instance labels and leaf rows."""

from herbarium_leaves.runner import run_logged
from herbarium_leaves.sheet_io import write_csv, write_png
from herbarium_leaves.synthetic import generate_sheet


def main(logger):
    params = snakemake.params
    sheet = generate_sheet(params.seed, params.index, params.height_px, params.width_px, params.damage_rate)
    leaves = sheet.leaves.assign(sample=snakemake.wildcards.sample)
    write_png(snakemake.output.image, sheet.image)
    write_png(snakemake.output.labels, sheet.labels)
    write_csv(snakemake.output.leaves, leaves[["sample", *sheet.leaves.columns]])
    logger.info(
        "sheet %s: %d leaves, %d intact, %.3f px/mm",
        snakemake.wildcards.sample,
        len(leaves),
        int(leaves["intact"].sum()),
        sheet.px_per_mm,
    )


run_logged(snakemake, main)
