"""Sliding-window inference: throughput against the raw forward pass, the overlap's cost, peak memory, sheet times.

1. Throughput (megapixels of working-resolution image per second) of
   sliding_window_probability against the raw model forward pass over the same number
   of windows in the same batch size, as a ratio (target at least 0.9), at overlap 0
   (the cost of tiling and blending alone) and at the configured overlap (which adds
   windows: reported separately as the overlap's cost).
2. Peak RSS of predicting a 10,000 x 14,000 px sheet (read, resize, windows, back to
   full size, PNG written), in a fresh process. Target below 3 GB.
3. Seconds per sheet: the demo model on a demo sheet, and the paper and tiled
   presets' ResNet-101 on a 6000 x 4000 sheet.

Run: .venv/bin/python benchmarks/bench_inference.py
"""

import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
import yaml

from herbarium_leaves.inference import InferenceSpec, predict_sheet, sliding_window_probability
from herbarium_leaves.model import ModelSpec, build_model, normalize
from herbarium_leaves.resize import ResizeSpec, resize_image
from herbarium_leaves.sheet_io import write_png
from herbarium_leaves.synthetic import generate_sheet
from herbarium_leaves.windows import sheet_windows

from record import recorded

ROOT = Path(__file__).resolve().parents[1]
CPU = torch.device("cpu")

_BIG_SHEET = """
import resource, sys, time, torch
from herbarium_leaves.inference import InferenceSpec, predict_sheet
from herbarium_leaves.probability import mask_from_probability
from herbarium_leaves.model import ModelSpec, build_model
from herbarium_leaves.resize import ResizeSpec
from herbarium_leaves.sheet_io import read_sheet_image, write_png
torch.set_num_threads(2)
path, out = sys.argv[1], sys.argv[2]
start = time.perf_counter()
sheet, _, _ = read_sheet_image(path, 250_000_000)
model = build_model(ModelSpec("resnet18", None, 64)).eval()
spec = InferenceSpec(window=256, overlap=0.25, batch_size=8)
probability = predict_sheet(model, sheet, ResizeSpec("long_side", long_side=4096), spec, torch.device("cpu"))
write_png(out + "/probability.png", probability)
write_png(out + "/mask.png", mask_from_probability(probability, 0.5))
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
print(f"{time.perf_counter() - start:.1f} s, peak RSS {peak:.2f} GiB")
"""


def throughput(model, image, spec, repeats=3):
    """(sliding s, raw s, window count) as medians over repeats."""
    starts = sheet_windows(image.shape[0], image.shape[1], spec.window, spec.stride)
    batches = [
        normalize(torch.from_numpy(np.stack([image[y : y + spec.window, x : x + spec.window] for y, x in chunk])))
        for chunk in (starts[i : i + spec.batch_size] for i in range(0, len(starts), spec.batch_size))
    ]
    sliding, raw = [], []
    with torch.no_grad():
        for _ in range(repeats):
            began = time.perf_counter()
            sliding_window_probability(model, image, spec, CPU)
            sliding.append(time.perf_counter() - began)
            began = time.perf_counter()
            for batch in batches:
                torch.sigmoid(model(batch))
            raw.append(time.perf_counter() - began)
    return float(np.median(sliding)), float(np.median(raw)), len(starts)


def sheet_seconds(model, sheet, resize, spec):
    predict_sheet(model, sheet[:64, :64], ResizeSpec("scale", scale=1.0), InferenceSpec(window=64), CPU)  # warm-up
    began = time.perf_counter()
    predict_sheet(model, sheet, resize, spec, CPU)
    return time.perf_counter() - began


def main():
    torch.set_num_threads(2)
    config = yaml.safe_load((ROOT / "config.yaml").read_text())
    torch.manual_seed(0)
    demo_model = build_model(ModelSpec(**config["model"])).eval()
    window = config["patch"]["size"]
    sheet = generate_sheet(0, 0, 2048, 1408)
    image = resize_image(sheet.image, (1024, 704))
    megapixels = image.shape[0] * image.shape[1] / 1e6
    print(
        f"1. throughput on a {image.shape[1]} x {image.shape[0]} px working image, window {window}, batch 8, 2 threads"
    )
    results = {}
    for overlap in (0.0, config.get("predict", {}).get("overlap", 0.25)):
        spec = InferenceSpec(window=window, overlap=overlap, batch_size=8)
        slide, raw, windows = throughput(demo_model, image, spec)
        results[overlap] = slide
        print(
            f"   overlap {overlap:.2f}: {windows} windows, sliding {megapixels / slide:.2f} MP/s, "
            f"raw forward {megapixels / raw:.2f} MP/s, ratio {raw / slide:.3f} (target >= 0.9)"
        )
    overlaps = sorted(results)
    print(f"   overlap cost: {results[overlaps[-1]] / results[overlaps[0]]:.2f}x the time of no overlap")

    with tempfile.TemporaryDirectory() as folder:
        big = resize_image(generate_sheet(0, 1, 1400, 1000).image, (14000, 10000))
        write_png(Path(folder) / "big.png", big)
        del big
        result = subprocess.run(
            [sys.executable, "-c", _BIG_SHEET, str(Path(folder) / "big.png"), folder],
            capture_output=True,
            text=True,
            check=True,
        )
        print(
            f"2. 10,000 x 14,000 px sheet (long side 4096 working, window 256): {result.stdout.strip()} "
            "(target < 3 GiB)"
        )

    demo = generate_sheet(0, 0, config["data"]["synthetic"]["height_px"], config["data"]["synthetic"]["width_px"]).image
    demo_spec = InferenceSpec(window=window, overlap=0.25)
    print(
        f"3. demo sheet {demo.shape[1]} x {demo.shape[0]} px, demo model: "
        f"{sheet_seconds(demo_model, demo, ResizeSpec(**config['resize']), demo_spec):.2f} s"
    )
    paper_model = build_model(ModelSpec("resnet101", None, 256)).eval()
    scan = resize_image(generate_sheet(0, 2, 1500, 1000).image, (6000, 4000))
    for name in ("paper", "tiled"):
        preset = yaml.safe_load((ROOT / "presets" / f"{name}.yaml").read_text())
        spec = InferenceSpec(window=preset["patch"]["size"], overlap=0.25)
        seconds = sheet_seconds(paper_model, scan, ResizeSpec(**preset["resize"]), spec)
        print(f"   {name} preset, ResNet-101, 6000 x 4000 px sheet on 2 CPU threads: {seconds:.1f} s")
    print(f"(this process's peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20:.2f} GiB)")


if __name__ == "__main__":
    with recorded("bench_inference"):
        main()
