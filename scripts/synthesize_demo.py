"""Generate a batch of synthetic demo sheets: image, instance labels and leaf rows of each."""

from herbarium_leaves.runner import run_batch
from herbarium_leaves.sheet_io import write_csv, write_png
from herbarium_leaves.synthetic import generate_sheet


def start(logger):
    params, output = snakemake.params, snakemake.output

    def synthesize(index):
        sample = params.samples[index]
        sheet = generate_sheet(
            params.seed, params.indices[index], params.height_px, params.width_px, params.damage_rate, params.style
        )
        leaves = sheet.leaves.assign(sample=sample)
        if not params.given_scale:  # the truth only scores the scale read from the ruler
            leaves = leaves.rename(columns={"px_per_mm": "true_px_per_mm"})
        write_png(output.images[index], sheet.image)
        write_png(output.labels[index], sheet.labels)
        write_csv(output.leaves[index], leaves[["sample", *leaves.columns.drop("sample")]])
        logger.info(
            "sheet %s: %d leaves, %d intact, %.3f px/mm (%s)",
            sample,
            len(leaves),
            int(leaves["intact"].sum()),
            sheet.px_per_mm,
            f"ruler: {sheet.ruler}" if sheet.ruler else "no ruler",
        )

    return synthesize


run_batch(snakemake, "synthesize_demo", start)
