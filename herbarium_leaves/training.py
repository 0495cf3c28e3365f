"""Seeded, deterministic, resumable training of one segmentation model."""

from __future__ import annotations

import logging
import math
import os
import random
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
import segmentation_models_pytorch as smp
import torch
from torch.utils.data import DataLoader, TensorDataset

from herbarium_leaves.ingest import assign_splits
from herbarium_leaves.instances import LEAF_EDGE, LEAF_INTERIOR
from herbarium_leaves.model import ModelSpec, build_model, load_initial_weights, normalize, state_dict_digest
from herbarium_leaves.sheet_io import atomic_path, read_png


@dataclass(frozen=True)
class TrainSpec:
    """Optimisation settings: Adam, loss, batches, validation by sheet, device and precision."""

    epochs: int = 12
    batch_size: int = 4
    learning_rate: float = 3e-4
    loss: str = "bce"
    val_fraction: float = 0.2
    keep: str = "best"
    device: str = "auto"
    bf16: bool = False
    channels_last: bool = False
    num_workers: int = 0


@dataclass
class Patches:
    """Training patches held in memory: uint8 images (N, H, W, 3), uint8 0/1 masks (N, H, W), manifest rows."""

    images: np.ndarray
    masks: np.ndarray
    table: pd.DataFrame


def load_patches(manifest_path: str | Path) -> Patches:
    """Read every patch a manifest lists (paths relative to the manifest's folder)."""
    manifest_path = Path(manifest_path)
    table = pd.read_csv(manifest_path, dtype={"source": str})
    root = manifest_path.parent
    images = np.stack([read_png(root / name) for name in table["image"]])
    masks = np.stack([read_png(root / name) for name in table["mask"]])
    return Patches(images, masks, table)


def split_by_sheet(table: pd.DataFrame, val_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Row indices for training (all copies of training sheets) and validation (unaugmented copies of the rest).

    Sheets go to validation by the seeded hash split; with a single sheet there is no validation.
    """
    sheets = sorted(table["source"].unique())
    if len(sheets) < 2:
        return np.arange(len(table)), np.arange(0)
    role = table["source"].map(assign_splits(sheets, val_fraction, seed))
    train = np.flatnonzero(role == "train")
    val = np.flatnonzero((role == "test") & (table["copy"] == 0))
    return train, val


def resolve_device(name: str) -> torch.device:
    """cpu, cuda, or auto (CUDA when present)."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def make_deterministic(seed: int, device: torch.device) -> dict:
    """Seed python, numpy and torch; turn on deterministic algorithms. Returns the settings for provenance."""
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    # Some CUDA kernels (bilinear upsampling backward) have no deterministic version: warn there, never on CPU.
    warn_only = device.type == "cuda"
    torch.use_deterministic_algorithms(True, warn_only=warn_only)
    torch.backends.cudnn.benchmark = False
    torch.backends.cudnn.deterministic = True
    return {
        "seed": seed,
        "deterministic_algorithms": "warn_only" if warn_only else "strict",
        "cudnn_benchmark": False,
        "cublas_workspace_config": os.environ["CUBLAS_WORKSPACE_CONFIG"],
        "torch_threads": torch.get_num_threads(),
    }


def seeded_model(
    spec: ModelSpec, seed: int, device: torch.device, init: str | Path | None = None
) -> tuple[torch.nn.Module, dict, list[str]]:
    """A seed's untrained model, after seeding every RNG and turning on deterministic algorithms.

    With `init` (a whole-model state dict, e.g. the seed's pretrained model.pt) the
    model starts from those weights; the seeded fresh initialisation is drawn first
    either way, so the RNG state that follows is the same. Training and its replay
    (the verify target) both start here, so a replay starts from the same weights and
    RNG state. Returns the model, the determinism settings and the tensors `init` did
    not provide (see load_initial_weights).
    """
    determinism = make_deterministic(seed, device)
    if init is None:
        return build_model(spec), determinism, []
    model = build_model(replace(spec, encoder_weights=None))  # the file provides the encoder too
    return model, determinism, load_initial_weights(model, init)


def _seed_worker(worker_id: int) -> None:
    worker_seed = torch.initial_seed() % 2**32
    np.random.seed(worker_seed)
    random.seed(worker_seed)


def make_loader(patches: Patches, index: np.ndarray, spec: TrainSpec, seed: int, shuffle: bool) -> DataLoader:
    """A DataLoader over in-memory patches with a seeded generator and seeded workers."""
    dataset = TensorDataset(torch.from_numpy(patches.images[index]), torch.from_numpy(patches.masks[index]))
    return DataLoader(
        dataset,
        batch_size=spec.batch_size,
        shuffle=shuffle,
        drop_last=shuffle and len(index) > spec.batch_size,  # BatchNorm cannot train on a batch of one
        generator=torch.Generator().manual_seed(seed),
        num_workers=spec.num_workers,
        worker_init_fn=_seed_worker,
    )


def make_optimizer(model: torch.nn.Module, learning_rate: float) -> torch.optim.Optimizer:
    """Adam, fused: its square root is the CPU's own sqrt instruction (IEEE-exact, the same bits on every x86 CPU).

    The unfused Adam takes torch.sqrt, which on CPU goes through MKL's vector math,
    whose results differ between CPUs even in MKL's compatible mode
    (docs/reproducibility.md).
    """
    return torch.optim.Adam(model.parameters(), lr=learning_rate, fused=True)


def make_loss(name: str):
    """bce (binary cross-entropy on logits), dice, or bce_dice (their sum)."""
    bce = torch.nn.BCEWithLogitsLoss()
    dice = smp.losses.DiceLoss("binary", from_logits=True)
    if name == "bce":
        return bce
    if name == "dice":
        return dice
    return lambda logits, target: bce(logits, target) + dice(logits, target)


def targets(masks: torch.Tensor, channels: int) -> torch.Tensor:
    """Float targets (N, channels, H, W) from uint8 masks: leaf (mask >= 1), then leaf interior (mask == 2)."""
    leaf = (masks >= LEAF_EDGE).unsqueeze(1)
    if channels == 1:
        return leaf.float()
    return torch.cat([leaf, (masks == LEAF_INTERIOR).unsqueeze(1)], dim=1).float()


def _inputs(images: torch.Tensor, device: torch.device, channels_last: bool) -> torch.Tensor:
    x = normalize(images.to(device, non_blocking=True))
    return x.contiguous(memory_format=torch.channels_last) if channels_last else x


def train_epoch(
    model, loader, optimizer, loss_fn, device, spec: TrainSpec, logger: logging.Logger | None = None
) -> float:
    """One pass over the training loader; returns the mean loss per patch."""
    model.train()
    total, count = 0.0, 0
    report_every = max(1, len(loader) // 5)
    for step, (images, masks) in enumerate(loader, start=1):
        x = _inputs(images, device, spec.channels_last)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=spec.bf16):
            logits = model(x)
        loss = loss_fn(logits.float(), targets(masks.to(device), logits.shape[1]))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        total += loss.item() * len(images)
        count += len(images)
        if logger and step % report_every == 0:
            logger.info("  step %d/%d loss %.4f", step, len(loader), total / count)
    return total / max(count, 1)


@torch.no_grad()
def evaluate(model, loader, loss_fn, device, spec: TrainSpec) -> tuple[float, float]:
    """Mean loss and pixel IoU of leaf (probability >= 0.5, the first output) over a loader."""
    model.eval()
    total, count, intersection, union = 0.0, 0, 0, 0
    for images, masks in loader:
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=spec.bf16):
            logits = model(_inputs(images, device, spec.channels_last))
        logits = logits.float()
        target = targets(masks.to(device), logits.shape[1])
        total += loss_fn(logits, target).item() * len(images)
        count += len(images)
        predicted, truth = logits[:, :1] >= 0, target[:, :1] > 0.5
        intersection += int((predicted & truth).sum())
        union += int((predicted | truth).sum())
    return total / max(count, 1), intersection / union if union else float("nan")


def _rng_state(loader: DataLoader) -> dict:
    name, keys, position, has_gauss, cached = np.random.get_state()
    state = {
        "torch": torch.get_rng_state(),
        "numpy": [name, torch.from_numpy(keys.astype(np.int64)), position, has_gauss, cached],
        "python": random.getstate(),
        "loader": loader.generator.get_state(),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def _restore_rng(state: dict, loader: DataLoader) -> None:
    torch.set_rng_state(state["torch"])
    name, keys, position, has_gauss, cached = state["numpy"]
    np.random.set_state((name, keys.numpy().astype(np.uint32), position, has_gauss, cached))
    random.setstate(state["python"])
    loader.generator.set_state(state["loader"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


class Checkpoint:
    """Per-epoch training state in `directory`, keyed by the hash of everything that shapes the result."""

    def __init__(self, directory: str | Path, key: str, logger: logging.Logger):
        self.directory, self.key, self.logger = Path(directory), key, logger
        self.path = self.directory / f"{key}.pt"

    def load(self) -> dict | None:
        """The saved state for this key, or None (other keys and unreadable files are ignored, with a log line)."""
        for other in sorted(self.directory.glob("*.pt")):
            if other != self.path:
                self.logger.info("ignoring checkpoint %s: it was trained with other params", other)
        if not self.path.exists():
            return None
        try:
            state = torch.load(self.path, map_location="cpu", weights_only=True)
        except Exception as error:  # a corrupt file must not stop training, only the resume
            self.logger.warning("ignoring unreadable checkpoint %s (%s); starting afresh", self.path, error)
            return None
        if not isinstance(state, dict) or state.get("key") != self.key:
            self.logger.info("ignoring checkpoint %s: its key does not match these params", self.path)
            return None
        return state

    def save(self, state: dict) -> None:
        with atomic_path(self.path) as temporary:
            torch.save({**state, "key": self.key}, temporary)

    def remove(self) -> None:
        self.path.unlink(missing_ok=True)


def fit(
    model: torch.nn.Module,
    patches: Patches,
    spec: TrainSpec,
    seed: int,
    device: torch.device,
    checkpoint: Checkpoint,
    logger: logging.Logger,
) -> pd.DataFrame:
    """Train `model` in place; leave it holding the kept weights (best validation IoU, or last). Returns history.

    Resumes from `checkpoint` when it holds this run's state; the result is then
    bitwise identical to an uninterrupted run.
    """
    model.to(device)
    if spec.channels_last:
        model.to(memory_format=torch.channels_last)
    train_index, val_index = split_by_sheet(patches.table, spec.val_fraction, seed)
    logger.info("%d training patches, %d validation patches", len(train_index), len(val_index))
    train_loader = make_loader(patches, train_index, spec, seed, shuffle=True)
    val_loader = make_loader(patches, val_index, spec, seed, shuffle=False) if len(val_index) else None
    optimizer = make_optimizer(model, spec.learning_rate)
    loss_fn = make_loss(spec.loss)
    history: list[dict] = []
    best_iou, best_state, start = -math.inf, None, 0
    state = checkpoint.load()
    if state is not None:
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        _restore_rng(state["rng"], train_loader)
        history, best_iou, best_state, start = state["history"], state["best_iou"], state["best_model"], state["epoch"]
        logger.info("resuming from checkpoint %s after epoch %d", checkpoint.path, start)
    for epoch in range(start, spec.epochs):
        began = time.perf_counter()
        train_loss = train_epoch(model, train_loader, optimizer, loss_fn, device, spec, logger)
        val_loss, val_iou = evaluate(model, val_loader, loss_fn, device, spec) if val_loader else (math.nan, math.nan)
        history.append(
            {
                "epoch": epoch + 1,
                "train_loss": train_loss,
                "val_loss": val_loss,
                "val_iou": val_iou,
                "learning_rate": optimizer.param_groups[0]["lr"],
                "seconds": round(time.perf_counter() - began, 3),
                "state_dict_sha256": state_dict_digest(model),
            }
        )
        logger.info(
            "epoch %d/%d train loss %.4f val loss %.4f val IoU %.4f (%.1f s)",
            epoch + 1,
            spec.epochs,
            train_loss,
            val_loss,
            val_iou,
            history[-1]["seconds"],
        )
        if spec.keep == "best" and not math.isnan(val_iou) and val_iou > best_iou:
            best_iou = val_iou
            best_state = {key: value.detach().cpu().clone() for key, value in model.state_dict().items()}
        checkpoint.save(
            {
                "epoch": epoch + 1,
                "model": model.state_dict(),
                "optimizer": optimizer.state_dict(),
                "rng": _rng_state(train_loader),
                "history": history,
                "best_iou": best_iou,
                "best_model": best_state,
            }
        )
    if spec.keep == "best" and best_state is not None:
        model.load_state_dict(best_state)
    return pd.DataFrame(history)
