"""Train one DeepLabv3+ for one seed: deterministic, resumable, with history and provenance."""

from dataclasses import asdict

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
    model, determinism = seeded_model(model_spec, params.seed, device)
    numerics = numerics_record(mode, str(device))
    manifest_sha256 = file_sha256(snakemake.input.manifest)
    settings = {
        "seed": params.seed,
        "model": asdict(model_spec),
        "train": asdict(train_spec),
        "manifest_sha256": manifest_sha256,
        "threads": threads,
        "reproducibility": mode,
    }
    key = params_hash(settings)
    patches = load_patches(snakemake.input.manifest)
    checkpoint = Checkpoint(params.checkpoint_dir, key, logger)
    logger.info("seed %d on %s, %d threads, params hash %s", params.seed, device, threads, key[:12])
    logger.info("numerics %s: %s", mode, numerics["claim"])
    if params.instances_note:
        logger.warning("%s", params.instances_note)
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


run_logged(snakemake, main)
