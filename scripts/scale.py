"""Each sheet's scale in a batch: a given px_per_mm, else the ruler, else the paper's extent, else the config's."""

import pandas as pd

from herbarium_leaves.measure import sheet_scale
from herbarium_leaves.runner import run_batch
from herbarium_leaves.scale import detect_scales, resolve_scale
from herbarium_leaves.sheet_io import read_png, write_json


def start(logger):
    params, inputs, output = snakemake.params, snakemake.input, snakemake.output

    def scale(index):
        sample = params.samples[index]
        image = read_png(inputs.images[index])
        ruler, paper = detect_scales(image, params.scale["detect"], params.scale["paper_long_side_mm"])
        leaves = pd.read_csv(inputs.sheet_leaves[index])
        record = {"sample": sample, **resolve_scale(sheet_scale(leaves), ruler, params.scale["px_per_mm"], paper)}
        if "true_px_per_mm" in leaves and leaves["true_px_per_mm"].notna().any():  # a generated sheet: scores the scale
            record["true_px_per_mm"] = float(leaves["true_px_per_mm"].dropna().iloc[0])
        write_json(output.scales[index], record)
        detected = f"ruler {ruler.px_per_mm:.4g} px/mm" if ruler and ruler.px_per_mm else "no ruler scale"
        if paper is not None:
            detected += f", paper {paper.px_per_mm:.4g} px/mm" if paper.px_per_mm else f", paper: {paper.reason}"
        if record["source"] == "none":
            logger.warning("%s: no scale (no given value, %s, no config default): traits in px only", sample, detected)
        else:
            logger.info("%s: %.4g px/mm (%s); %s", sample, record["px_per_mm"], record["source"], detected)

    return scale


run_batch(snakemake, "scale", start)
