"""Measuring a large sheet against predicting it: seconds of each, in one process, start-up excluded.

Target (issue 31): at 26 MP, measuring a sheet costs at most what predicting it costs, both on 2 cores.
Predicting is the seed ensemble's probability at the sheet's resolution, as predict_sheet and ensemble
make it; measuring is what measure does with it (measure.measured_leaves): leaves split, outlines
refined and every trait with petioles and damage cues, at the config's analysis size
(measure.max_megapixels), and again at the sheet's own size for comparison, with how far the two
matched leaves' length errors against the generated truth. Needs a finished demo run (its models).

Run: .venv/bin/python benchmarks/bench_measure.py [run_dir] [height_px width_px]
(defaults: this repository; 6240 x 4160 px, 26 MP, a generated sheet at about 14.9 px/mm)
"""

from __future__ import annotations

import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

from herbarium_leaves.inference import ensemble_probability
from herbarium_leaves.instances import seed_thresholds
from herbarium_leaves.measure import MeasureSpec, SheetLeaves, measured_leaves
from herbarium_leaves.metrics import instance_iou, match_leaves
from herbarium_leaves.resize import ResizeSpec
from herbarium_leaves.synthetic import TEST_INDEX_OFFSET, SyntheticSheet, generate_sheet

from demo_run import demo_models, inference_spec, layered_config
from record import recorded

ROOT = Path(__file__).resolve().parents[1]
HELD_OUT = 2 * TEST_INDEX_OFFSET


def main() -> None:
    run = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT
    height, width = (int(sys.argv[2]), int(sys.argv[3])) if len(sys.argv) > 3 else (6240, 4160)
    config = layered_config()
    torch.set_num_threads(2)
    models, spec = demo_models(config, run), inference_spec(config)
    resize, measure = ResizeSpec(**config["resize"]), MeasureSpec(**config["measure"])
    sheet = generate_sheet(config["data"]["synthetic"]["seed"], HELD_OUT, height, width)
    print(f"sheet {height} x {width} px ({height * width / 1e6:.1f} MP), {sheet.px_per_mm:.2f} px/mm, 2 threads")

    began = time.perf_counter()
    probability = ensemble_probability(models, sheet.image, resize, spec, torch.device("cpu"))
    predicting = time.perf_counter() - began
    leaf, interior = probability[..., 0] >= 255 * spec.threshold, probability[..., 1]

    working, seeds = resize.target_shape(height, width), seed_thresholds(config["instances"])
    runs = {}
    for name, limit in (("analysed", measure.max_megapixels), ("own size", None)):
        began = time.perf_counter()
        limited = replace(measure, max_megapixels=limit)
        found = measured_leaves(
            leaf, sheet.image, working, limited, sheet.px_per_mm, interior, seeds, probability[..., 0]
        )
        runs[name] = (time.perf_counter() - began, found)
    (measuring, found), (at_own_size, own) = runs["analysed"], runs["own size"]
    traits = found.traits
    print(f"predicting ({len(models)} seeds' ensemble): {predicting:.1f} s")
    print(
        f"measuring: {measuring:.1f} s at {found.labels.shape[0]} x {found.labels.shape[1]} px "
        f"(measure.max_megapixels {measure.max_megapixels}); {at_own_size:.1f} s at the sheet's own size"
    )
    petioles = int(np.isfinite(traits["petiole_length_px"]).sum())
    print(f"{len(traits)} leaves ({len(own.traits)} at its own size), {petioles} with a petiole")
    for name, leaves in (("analysed", found), ("at its own size", own)):
        matched, error = length_error(leaves, sheet)
        print(f"{name}: {matched} of {len(sheet.leaves)} true leaves matched, length error median abs {error:.2f} %")
    verdict = "met" if measuring <= predicting else "NOT met"
    print(f"measuring / predicting: {measuring / predicting:.2f} (target <= 1: {verdict})")
    print(f"measuring at the sheet's own size / predicting: {at_own_size / predicting:.2f}")


def length_error(found: SheetLeaves, sheet: SyntheticSheet) -> tuple[int, float]:
    """Leaves matched one to one with the generated truth (mask IoU >= 0.5), and the median abs % error of their
    lengths against the true blade lengths."""
    matches = match_leaves(instance_iou(found.sheet_labels(), sheet.labels), 0.5)
    measured = found.traits.set_index("leaf_id")["length_mm"]
    true = sheet.leaves.set_index("leaf_id")["length_mm"]
    errors = [abs(measured[pred + 1] / true[truth + 1] - 1) * 100 for pred, truth, _ in matches]
    return len(matches), float(np.median(errors)) if errors else float("nan")


if __name__ == "__main__":
    with recorded("bench_measure"):
        main()
