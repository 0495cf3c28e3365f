"""Measuring a large sheet against predicting it: seconds of each, in one process, start-up excluded.

Target (issue 31): at 26 MP, measuring a sheet costs at most what predicting it costs, both on 2 cores.
Predicting is the seed ensemble's probability at the sheet's resolution, as predict_sheet and ensemble
make it; measuring is what measure does with it: leaves split and outlines refined at the sheet's
resolution (measure.predicted_leaves), then every trait with petioles and damage cues
(measure.measure_leaves). Needs a finished demo run (its models).

Run: .venv/bin/python benchmarks/bench_measure.py [run_dir] [height_px width_px]
(defaults: this repository; 6240 x 4160 px, 26 MP, a generated sheet at about 14.9 px/mm)
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import torch

from herbarium_leaves.inference import ensemble_probability
from herbarium_leaves.instances import seed_thresholds
from herbarium_leaves.measure import MeasureSpec, measure_leaves, predicted_leaves
from herbarium_leaves.resize import ResizeSpec
from herbarium_leaves.synthetic import TEST_INDEX_OFFSET, generate_sheet

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

    began = time.perf_counter()
    working = resize.target_shape(height, width)
    labels = predicted_leaves(
        leaf, sheet.image, working, measure, sheet.px_per_mm, interior, *seed_thresholds(config["instances"])
    )
    splitting = time.perf_counter() - began
    began = time.perf_counter()
    traits = measure_leaves(labels, sheet.px_per_mm, sheet.image)
    tracing = time.perf_counter() - began
    measuring = splitting + tracing
    print(f"predicting ({len(models)} seeds' ensemble): {predicting:.1f} s")
    print(f"measuring: {measuring:.1f} s ({splitting:.1f} s leaves and outlines, {tracing:.1f} s traits)")
    print(f"{len(traits)} leaves, {int(np.isfinite(traits['petiole_length_px']).sum())} with a petiole")
    verdict = "met" if measuring <= predicting else "NOT met"
    print(f"measuring / predicting: {measuring / predicting:.2f} (target <= 1: {verdict})")


if __name__ == "__main__":
    with recorded("bench_measure"):
        main()
