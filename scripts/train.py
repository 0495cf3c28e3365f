"""Train one DeepLabv3+ for one seed (from scratch, or from its pretrained weights): deterministic, resumable,
with history and provenance."""

import json
from dataclasses import asdict
from pathlib import Path

import torch

from herbarium_leaves.model import ModelSpec, save_model, state_dict_digest
from herbarium_leaves.provenance import code_version, file_sha256, package_versions, params_hash
from herbarium_leaves.reproducibility import configure_torch, numerics_record
from herbarium_leaves.runner import run_logged
from herbarium_leaves.sheet_io import write_csv, write_json
from herbarium_leaves.training import Checkpoint, TrainSpec, fit, load_patches, resolve_device, seeded_model


def main(logger):
    params = snakemake.params
    mode = params.reproducibility
    threads = configure_torch(mode, params.threads, snakemake.threads)
    model_spec, train_spec = ModelSpec(**params.model), TrainSpec(**params.train)
    device = resolve_device(train_spec.device)
    init = initial_weights(params.init, snakemake.input)
    model, determinism, fresh = seeded_model(model_spec, params.seed, device, init and init["path"])
    numerics = numerics_record(mode, str(device))
    manifest_sha256 = file_sha256(snakemake.input.manifest)
    settings = {
        "seed": params.seed,
        "model": asdict(model_spec),
        "train": asdict(train_spec),
        "manifest_sha256": manifest_sha256,
        "threads": threads,
        "reproducibility": mode,
        "init": init,
    }
    key = params_hash(settings)
    patches = load_patches(snakemake.input.manifest)
    checkpoint = Checkpoint(params.checkpoint_dir, key, logger)
    logger.info("seed %d on %s, %d threads, params hash %s", params.seed, device, threads, key[:12])
    logger.info("numerics %s: %s", mode, numerics["claim"])
    if params.instances_note:
        logger.warning("%s", params.instances_note)
    if init:
        logger.info(
            "starting from %s (%s, weights sha256 %s)", init["path"], init["source"], init["weights_sha256"][:12]
        )
    if fresh:
        logger.warning("%d segmentation-head tensors of another shape in %s start fresh", len(fresh), init["path"])
    history = fit(model, patches, train_spec, params.seed, device, checkpoint, logger)
    save_model(model, model_spec, snakemake.output.model, snakemake.output.config)
    write_csv(snakemake.output.history, history)
    write_json(
        snakemake.output.provenance,
        {
            "seed": params.seed,
            "params_sha256": key,
            "settings": settings,
            "state_dict_sha256": state_dict_digest(model),
            "kept": train_spec.keep,
            "best_val_iou": float(history["val_iou"].max()) if len(history) else None,
            "device": str(device) + (f" ({torch.cuda.get_device_name(device)})" if device.type == "cuda" else ""),
            "determinism": determinism,
            "numerics": numerics,
            "versions": package_versions(),
            "code": code_version(),
            "training_data": {
                "manifest": snakemake.input.manifest,
                "manifest_sha256": manifest_sha256,
                "patches": len(patches.table),
            },
        },
    )
    checkpoint.remove()
    logger.info("kept weights sha256 %s", state_dict_digest(model))


def initial_weights(init: dict, inputs) -> dict | None:
    """Where the weights start (None: the seeded fresh initialisation), with what provenance needs to trace it."""
    if init["source"] is None:
        return None
    path = inputs.init
    record = {"source": init["source"], "path": path, "weights_sha256": file_sha256(path)}
    if init["source"] == "pretrain":
        pretrained = json.loads(Path(inputs.init_provenance).read_text(encoding="utf-8"))
        record.update(
            {
                "provenance": inputs.init_provenance,
                "pretrain_params_sha256": pretrained["params_sha256"],
                "pretrain_state_dict_sha256": pretrained["state_dict_sha256"],
                "pretrain_data": pretrained["training_data"],
            }
        )
    return record


run_logged(snakemake, main)
