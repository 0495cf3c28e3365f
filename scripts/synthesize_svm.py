"""Generate a batch of sheets for the intact-leaf SVM and measure their true leaves, as measure_truth does."""

from herbarium_leaves.measure import MeasureSpec, measure_true_leaves
from herbarium_leaves.runner import run_batch
from herbarium_leaves.sheet_io import write_csv
from herbarium_leaves.synthetic import generate_sheet


def start(logger):
    params, output = snakemake.params, snakemake.output
    generator, spec = params.generator, MeasureSpec(**params.measure)
    learned = params.instances["method"] == "learned"

    def synthesize(index):
        sample = params.samples[index]
        sheet = generate_sheet(index=params.indices[index], **generator)  # the generator block names its arguments
        _, traits = measure_true_leaves(
            sheet.labels, sheet.image, sheet.px_per_mm, spec, learned, sheet.leaves, params.iou_threshold
        )
        traits.insert(0, "sample", sample)
        write_csv(output.traits[index], traits)
        logger.info(
            "%s: %s, %d leaves, %d intact, %s style",
            sample,
            sheet.plant,
            len(traits),
            int(traits["intact"].sum()),
            generator["style"],
        )

    return synthesize


run_batch(snakemake, "synthesize_svm", start)
