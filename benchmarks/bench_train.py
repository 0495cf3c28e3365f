"""Training throughput: the train stage's real loop (DataLoader included) against a bare loop.

The bare loop runs the same model, optimizer and loss over the same batches, already
normalized and held in memory as tensors; the ratio (real / bare patches per second)
is what the pipeline's loop costs on top of the arithmetic. Target: at least 0.9.
Also prints seconds per epoch for the demo config and seconds per step for the paper
preset's model (ResNet-101 DeepLabv3+, 512 x 512, batch 3).

Run: .venv/bin/python benchmarks/bench_train.py [repeats]
"""

import logging
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
import yaml

from herbarium_leaves.augment import AugmentSpec, sheet_patches
from herbarium_leaves.instances import training_target
from herbarium_leaves.model import ModelSpec, build_model, normalize
from herbarium_leaves.resize import ResizeSpec, resize_image, resize_labels
from herbarium_leaves.synthetic import demo_sheets, generate_sheet
from herbarium_leaves.training import (
    Patches,
    TrainSpec,
    make_loader,
    make_loss,
    make_optimizer,
    split_by_sheet,
    train_epoch,
)

from record import recorded

ROOT = Path(__file__).resolve().parents[1]


def demo_patches(config: dict) -> Patches:
    synthetic, resize = config["data"]["synthetic"], ResizeSpec(**config["resize"])
    rows, images, masks = [], [], []
    sheets = demo_sheets(synthetic["n_train"], 0)
    for sample, index in zip(sheets["sample"], sheets["index"], strict=True):
        sheet = generate_sheet(synthetic["seed"], int(index), synthetic["height_px"], synthetic["width_px"])
        shape = resize.target_shape(*sheet.labels.shape)
        patches = sheet_patches(
            resize_image(sheet.image, shape),
            training_target(
                resize_labels(sheet.labels, shape), config["instances"]["method"], config["instances"]["margin_px"]
            ),
            sample,
            config["patch"]["size"],
            config["patch"]["stride"],
            AugmentSpec(**config["augment"]),
            seed=0,
        )
        for row, image, mask in patches:
            rows.append(row)
            images.append(image)
            masks.append(mask)
    return Patches(np.stack(images), np.stack(masks), pd.DataFrame(rows))


def bare_epoch(model, batches, optimizer, loss_fn) -> None:
    model.train()
    for x, target in batches:
        loss = loss_fn(model(x), target)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()


def main() -> None:
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    torch.set_num_threads(1)
    config = yaml.safe_load((ROOT / "config.yaml").read_text())
    patches = demo_patches(config)
    spec = TrainSpec(**{key: value for key, value in config["train"].items() if key != "threads"})
    train_index, _ = split_by_sheet(patches.table, spec.val_fraction, 0)
    torch.manual_seed(0)
    model = build_model(ModelSpec(**config["model"]))
    optimizer = make_optimizer(model, spec.learning_rate)
    loss_fn = make_loss(spec.loss)
    device = torch.device("cpu")
    loader = make_loader(patches, train_index, spec, seed=0, shuffle=True)
    batches = [(normalize(images), masks.unsqueeze(1).float()) for images, masks in loader]
    n_patches = sum(len(x) for x, _ in batches)
    real, bare = [], []
    train_epoch(model, loader, optimizer, loss_fn, device, spec)  # warm-up
    for _ in range(repeats):
        start = time.perf_counter()
        train_epoch(model, loader, optimizer, loss_fn, device, spec, logging.getLogger("silent"))
        real.append(time.perf_counter() - start)
        start = time.perf_counter()
        bare_epoch(model, batches, optimizer, loss_fn)
        bare.append(time.perf_counter() - start)
    real_s, bare_s = statistics.median(real), statistics.median(bare)
    print(
        f"demo: {n_patches} patches/epoch of {patches.images.shape[1]} x {patches.images.shape[2]} px, "
        f"batch {spec.batch_size}, {config['model']['encoder']}, 1 thread"
    )
    print(f"  real loop  {real_s:.2f} s/epoch ({n_patches / real_s:.2f} patches/s)")
    print(f"  bare loop  {bare_s:.2f} s/epoch ({n_patches / bare_s:.2f} patches/s)")
    print(f"  ratio real/bare throughput: {bare_s / real_s:.3f} (target >= 0.9)")

    paper = build_model(ModelSpec("resnet101", None, 256))
    paper_optimizer = make_optimizer(paper, 1e-4)
    x, target = torch.randn(3, 3, 512, 512), (torch.rand(3, 1, 512, 512) > 0.5).float()
    bare_epoch(paper, [(x, target)], paper_optimizer, torch.nn.BCEWithLogitsLoss())  # warm-up
    steps = 2
    start = time.perf_counter()
    bare_epoch(paper, [(x, target)] * steps, paper_optimizer, torch.nn.BCEWithLogitsLoss())
    per_step = (time.perf_counter() - start) / steps
    threads = torch.get_num_threads()
    print(
        f"paper preset model (resnet101, 512 x 512, batch 3), {threads} thread(s): {per_step:.2f} s/step on CPU; "
        f"an epoch of 100 sheets x 3 copies = {100 * 3 / 3 * per_step / 60:.1f} min"
    )


if __name__ == "__main__":
    with recorded("bench_train"):
        main()
