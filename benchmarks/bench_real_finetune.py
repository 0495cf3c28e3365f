"""Which training route learns a collection's plants from a dozen annotated real sheets.

k-fold cross-validation over a folder of real sheets with whole-plant masks (kymillev-sample's
layout: images/ and plant_masks/, one binary mask per image stem). Sheets are ordered by a hash
of their name and dealt round-robin into the folds, so a sheet's fold depends on neither the
machine nor the folder's order. A route is a config overlay on config.yaml, as a user would
write it: initialisation (scratch, pretrain on generated sheets as `model.init: pretrain` does,
imagenet weights, or imagenet then pretrain), working size (fixed 256 or 512 px as in the paper,
or tiled: long side 1024 px, the sheets' own size, cut into 512-px windows) and learning rate.
Each fold trains on the other folds' sheets as the augment and train stages do (binary masks:
`instances.method components`, one output) and predicts its held-out sheets at their full size
as predict_sheet does. `--preset FILE ...` adds a route: the files layered as --configfile layers them.

Printed per route: plant IoU (per sheet, averaged per fold) and plant precision (the share of
predicted pixels inside the plant, i.e. leaf-in-plant precision of a plant model; sheets with
predictions) as mean +- std over folds and seeds, plant recall, and the seconds training took
per fold on this machine (pretraining, shared by the folds, printed once). Targets (issue 32):
the best route's plant IoU at least 0.80 and its precision at least 0.95.
Run: .venv/bin/python benchmarks/bench_real_finetune.py ../shared/real/kymillev-sample
[--folds 3] [--seeds 0] [--inits scratch,imagenet] [--sizes 256,512] [--rates 1e-3]
[--epochs 8] [--encoder timm-tf_efficientnet_lite0] [--preset presets/few_sheets.yaml ...]
[--cache DIR] (--cache keeps pretrained models between runs; --inits '' --preset F runs the preset alone)
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from snakemake.utils import update_config
from training_run import at_working_size, folds_of, patches, train, working_sheets

from herbarium_leaves.inference import predict_sheet
from herbarium_leaves.ingest import images_by_stem
from herbarium_leaves.metrics import mask_iou
from herbarium_leaves.model import ModelSpec, save_model
from herbarium_leaves.probability import leaf_and_interior
from herbarium_leaves.reproducibility import configure_torch
from herbarium_leaves.resize import ResizeSpec
from herbarium_leaves.sheet_io import read_mask, read_sheet_image
from herbarium_leaves.synthetic import PRETRAIN_INDEX_OFFSET
from herbarium_leaves.training import resolve_device, seeded_model

from demo_run import inference_spec, layered_config
from record import recorded

SIZES = {
    "256": {"resize": {"mode": "fixed", "height": 256, "width": 256}, "patch": {"size": 256, "stride": 256}},
    "512": {"resize": {"mode": "fixed", "height": 512, "width": 512}, "patch": {"size": 512, "stride": 512}},
    "tiled": {"resize": {"mode": "long_side", "long_side": 1024}, "patch": {"size": 512, "stride": 384}},
}
INITS = {
    "scratch": {"encoder_weights": None},
    "pretrain": {"encoder_weights": None, "init": "pretrain"},
    "imagenet": {"encoder_weights": "imagenet"},
    "imagenet+pretrain": {"encoder_weights": "imagenet", "init": "pretrain"},
}
TARGET_IOU, TARGET_PRECISION = 0.80, 0.95


def read_sheets(folder: Path, masks: str, max_pixels: int) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """Every image of folder/images with its binary mask from folder/masks, as (stem, RGB, labels)."""
    sheets = []
    for path in images_by_stem((folder / "images").iterdir(), folder / "images").values():
        mask_path = folder / masks / f"{path.stem}.png"
        image, orientation, stored = read_sheet_image(path, max_pixels)
        sheets.append((path.stem, image, read_mask(mask_path, stored, path, "binary", orientation, max_pixels)))
    return sheets


def routes(args: argparse.Namespace) -> dict[str, dict]:
    """Route name -> config overlay, for the grid asked for and the preset."""
    out = {}
    for init in filter(None, args.inits.split(",")):
        for size in args.sizes.split(","):
            for rate in args.rates.split(","):
                model = {"encoder": args.encoder, **INITS[init]}
                train_block = {"learning_rate": float(rate), "epochs": args.epochs}
                out[f"{init} {size} lr{rate}"] = {**SIZES[size], "model": model, "train": train_block}
    if args.preset:
        layered: dict = {}
        for path in args.preset:
            update_config(layered, yaml.safe_load(path.read_text()))
        out[" + ".join(path.name for path in args.preset)] = layered
    return out


def pretrained(config: dict, spec: ModelSpec, seed: int, cache: Path, logger: logging.Logger) -> Path:
    """The seed's model pretrained on generated sheets under `config` (cached by its settings)."""
    settings = {key: config[key] for key in ("resize", "patch", "augment", "pretrain", "instances")}
    settings |= {"model": {k: v for k, v in config["model"].items() if k != "init"}, "seed": seed}
    settings |= {"train": {k: v for k, v in config["train"].items() if k != "epochs"}}
    key = hashlib.sha256(yaml.safe_dump(settings, sort_keys=True).encode()).hexdigest()[:16]
    path = cache / key / "model.pt"
    if path.is_file():
        return path
    size = config["pretrain"]
    data = patches(working_sheets(size["style"], PRETRAIN_INDEX_OFFSET, size["sheets"], config), config, seed)
    model, _, _ = seeded_model(spec, seed, resolve_device("cpu"))
    seconds = train(model, data, size["epochs"], config, seed, logger)
    print(f"  pretrained seed {seed} in {seconds:.0f} s ({len(data.table)} patches, {size['epochs']} epochs)")
    path.parent.mkdir(parents=True, exist_ok=True)
    save_model(model, spec, path, path.parent / "config.json")
    return path


def score(model, sheets: list, config: dict) -> pd.DataFrame:
    """Per held-out sheet at its full size: plant IoU, precision and recall of the predicted mask."""
    resize, spec, device = ResizeSpec(**config["resize"]), inference_spec(config), resolve_device("cpu")
    model.eval()
    rows = []
    for stem, image, labels in sheets:
        probability, _ = leaf_and_interior(predict_sheet(model, image, resize, spec, device))
        predicted, plant = probability >= 255 * spec.threshold, labels > 0
        inside = int((predicted & plant).sum())
        rows.append(
            {
                "sheet": stem,
                "iou": mask_iou(predicted, plant),
                "precision": inside / predicted.sum() if predicted.any() else np.nan,
                "recall": inside / max(int(plant.sum()), 1),
            }
        )
    return pd.DataFrame(rows)


def run_route(name: str, config: dict, sheets: list, fold_of: dict, seeds: list[int], cache: Path, logger) -> list:
    """Train and score one route on every fold and seed; per-sheet rows."""
    spec = ModelSpec(**{k: v for k, v in config["model"].items() if k != "init"}, classes=1)
    resize = ResizeSpec(**config["resize"])
    held, rows = [at_working_size(*sheet, resize) for sheet in sheets], []
    for seed in seeds:
        init = pretrained(config, spec, seed, cache, logger) if config["model"].get("init") == "pretrain" else None
        for fold in sorted(set(fold_of.values())):
            training = [sheet for sheet in held if fold_of[sheet[0]] != fold]
            model, _, _ = seeded_model(spec, seed, resolve_device("cpu"), init)
            data = patches(training, config, seed)
            seconds = train(model, data, config["train"]["epochs"], config, seed, logger)
            scored = score(model, [sheet for sheet in sheets if fold_of[sheet[0]] == fold], config)
            scored = scored.assign(route=name, seed=seed, fold=fold, train_s=seconds, patches=len(data.table))
            print(
                f"  {name}: seed {seed} fold {fold}: IoU {scored['iou'].mean():.3f}, "
                f"precision {scored['precision'].mean():.3f}, trained in {seconds:.0f} s ({len(data.table)} patches)",
                flush=True,
            )
            rows.append(scored)
    return rows


def summary(per_sheet: pd.DataFrame) -> pd.DataFrame:
    """Per route: mean and std over folds and seeds of the per-fold means, and training seconds per fold."""
    per_fold = per_sheet.groupby(["route", "seed", "fold"], sort=False).agg(
        iou=("iou", "mean"), precision=("precision", "mean"), recall=("recall", "mean"), train_s=("train_s", "first")
    )
    grouped = per_fold.groupby("route", sort=False)
    table = grouped.agg(["mean", "std"])
    table.columns = [f"{metric}_{stat}" for metric, stat in table.columns]
    table["units"] = grouped.size()
    return table.reset_index()


def report(table: pd.DataFrame) -> None:
    print(f"\n{'route':34s} {'plant IoU':>15s} {'precision':>15s} {'recall':>15s} {'train s/fold':>12s}")
    for row in table.itertuples():
        cells = [f"{getattr(row, m + '_mean'):.3f} +- {getattr(row, m + '_std'):.3f}" for m in ("iou", "precision")]
        cells.append(f"{row.recall_mean:.3f} +- {row.recall_std:.3f}")
        print(f"{row.route:34s} {cells[0]:>15s} {cells[1]:>15s} {cells[2]:>15s} {row.train_s_mean:12.0f}")
    best = table.loc[table["iou_mean"].idxmax()]
    met = best["iou_mean"] >= TARGET_IOU and best["precision_mean"] >= TARGET_PRECISION
    print(
        f"best route: {best['route']} (plant IoU {best['iou_mean']:.3f}, precision {best['precision_mean']:.3f}; "
        f"targets >= {TARGET_IOU} and >= {TARGET_PRECISION}: {'met' if met else 'NOT met'})"
    )


def main(tables: dict) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sheets", type=Path, help="folder with images/ and the plant masks")
    parser.add_argument("--masks", default="plant_masks", help="the masks' subfolder")
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--seeds", default="0")
    parser.add_argument("--inits", default=",".join(INITS))
    parser.add_argument("--sizes", default=",".join(SIZES))
    parser.add_argument("--rates", default="1e-3,1e-4")
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--encoder", default="timm-tf_efficientnet_lite0")
    parser.add_argument("--preset", type=Path, nargs="+", help="config files layered into one more route")
    parser.add_argument("--cache", type=Path)
    args = parser.parse_args()
    components = {"instances": {"method": "components"}}  # binary masks: no instances to learn
    base = layered_config(components)
    configure_torch("machine", base["train"]["threads"], base["train"]["threads"])
    logging.basicConfig(level=logging.WARNING)
    logger = logging.getLogger("bench_real_finetune")
    sheets = read_sheets(args.sheets, args.masks, base["data"]["max_image_pixels"])
    fold_of = folds_of([stem for stem, _, _ in sheets], args.folds)
    seeds = [int(seed) for seed in args.seeds.split(",")]
    print(f"{len(sheets)} sheets of {args.sheets}, {args.folds} folds (hash order), seeds {seeds}")
    with tempfile.TemporaryDirectory() as scratch:
        cache = args.cache or Path(scratch)
        rows = []
        for name, overlay in routes(args).items():
            began = time.perf_counter()
            rows += run_route(name, layered_config(components, overlay), sheets, fold_of, seeds, cache, logger)
            print(f"  {name}: {time.perf_counter() - began:.0f} s in all", flush=True)
    per_sheet = pd.concat(rows, ignore_index=True)
    table = summary(per_sheet)
    report(table)
    tables["routes"], tables["sheets"] = table, per_sheet


if __name__ == "__main__":
    with recorded("bench_real_finetune") as tables:
        main(tables)
