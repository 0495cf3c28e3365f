"""Training as the augment and train stages do it, on sheets held in memory, for the benchmarks that compare routes."""

from __future__ import annotations

import hashlib
import logging
import tempfile
import time

import numpy as np
import pandas as pd
import torch

from herbarium_leaves.augment import AugmentSpec, sheet_patches
from herbarium_leaves.instances import training_target
from herbarium_leaves.resize import ResizeSpec, resize_image, resize_labels
from herbarium_leaves.synthetic import generate_sheet
from herbarium_leaves.training import Checkpoint, Patches, TrainSpec, fit, resolve_device


def patches(sheets: list[tuple[str, np.ndarray, np.ndarray]], config: dict, seed: int) -> Patches:
    """The augment stage's patches of (name, image, labels) sheets at the working resolution."""
    spec, instances = AugmentSpec(**config["augment"]), config["instances"]
    window, stride = config["patch"]["size"], config["patch"]["stride"]
    rows, images, masks = [], [], []
    for name, image, labels in sheets:
        target = training_target(labels, instances["method"], instances["margin_px"])
        for row, patch, mask in sheet_patches(image, target, name, window, stride, spec, seed):
            rows.append(row)
            images.append(patch)
            masks.append(mask)
    return Patches(np.stack(images), np.stack(masks), pd.DataFrame(rows))


def train(model: torch.nn.Module, data: Patches, epochs: int, config: dict, seed: int, logger: logging.Logger) -> float:
    """Fit `model` on `data` for `epochs` with config's train settings on the CPU; returns the seconds it took."""
    spec = TrainSpec(**{**{k: v for k, v in config["train"].items() if k != "threads"}, "epochs": epochs})
    began = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        fit(model, data, spec, seed, resolve_device("cpu"), Checkpoint(folder, "bench", logger), logger)
    return time.perf_counter() - began


def at_working_size(name: str, image: np.ndarray, labels: np.ndarray, resize: ResizeSpec) -> tuple:
    """(name, image, labels) brought to the working resolution as the resize stage does."""
    shape = resize.target_shape(*image.shape[:2])
    return name, resize_image(image, shape), resize_labels(labels, shape)


def working_sheets(style: str, start: int, count: int, config: dict, with_full: bool = False) -> list:
    """Generated sheets of `style` from index `start`, resized as the resize stage does."""
    resize, size = ResizeSpec(**config["resize"]), config["pretrain"]
    out = []
    for index in range(start, start + count):
        sheet = generate_sheet(size["seed"], index, size["height_px"], size["width_px"], size["damage_rate"], style)
        entry = at_working_size(f"{style}_{index}", sheet.image, sheet.labels, resize)
        out.append((*entry, sheet) if with_full else entry)
    return out


def folds_of(stems: list[str], folds: int) -> dict[str, int]:
    """Sheet stem -> fold: stems in the order of their SHA-256, dealt round-robin."""
    ordered = sorted(stems, key=lambda stem: hashlib.sha256(stem.encode()).hexdigest())
    return {stem: rank % folds for rank, stem in enumerate(ordered)}
