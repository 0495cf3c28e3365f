"""Re-train one seed for its first epochs and compare the weights with the hashes its training recorded."""

import json
import tempfile
from pathlib import Path

import pandas as pd

from herbarium_leaves.model import ModelSpec
from herbarium_leaves.provenance import file_sha256
from herbarium_leaves.reproducibility import configure_torch, differences, numerics_record
from herbarium_leaves.runner import run_logged
from herbarium_leaves.sheet_io import InputError, write_json
from herbarium_leaves.training import Checkpoint, TrainSpec, fit, load_patches, resolve_device, seeded_model


def main(logger):
    params, inputs = snakemake.params, snakemake.input
    recorded = json.loads(Path(inputs.provenance).read_text(encoding="utf-8"))
    history = pd.read_csv(inputs.history)
    if "state_dict_sha256" not in history:
        raise InputError(inputs.history, "has no per-epoch weight hashes (trained by an older version); retrain")
    epochs = min(params.epochs, len(history))
    threads = configure_torch(params.reproducibility, params.threads, snakemake.threads)
    spec = TrainSpec(**{**params.train, "epochs": epochs})
    device = resolve_device(spec.device)
    init = recorded.get("settings", {}).get("init")
    model, _, _ = seeded_model(ModelSpec(**params.model), params.seed, device, inputs.get("init"))
    if init and inputs.get("init") and file_sha256(inputs.init) != init["weights_sha256"]:
        logger.warning("%s differs from the initial weights the training recorded", inputs.init)
    numerics = numerics_record(params.reproducibility, str(device))
    patches = load_patches(inputs.manifest)
    logger.info(
        "seed %d: replaying %d of %d epochs on %s (%d threads)", params.seed, epochs, len(history), device, threads
    )
    with tempfile.TemporaryDirectory() as folder:
        replay = fit(model, patches, spec, params.seed, device, Checkpoint(folder, "verify", logger), logger)
    expected, found = history["state_dict_sha256"].iloc[epochs - 1], replay["state_dict_sha256"].iloc[-1]
    changed = differences(recorded.get("numerics", {}), numerics)
    result = {
        "seed": params.seed,
        "epochs": epochs,
        "identical": bool(expected == found),
        "recorded_sha256": expected,
        "replayed_sha256": found,
        "recorded_numerics": recorded.get("numerics"),
        "numerics": numerics,
        "differences": changed,
    }
    write_json(snakemake.output.report, result)
    if result["identical"]:
        logger.info("seed %d after epoch %d: identical (%s)", params.seed, epochs, found)
    else:
        logger.warning(
            "seed %d after epoch %d: NOT identical: recorded %s, here %s; recorded settings that differ here: %s",
            params.seed,
            epochs,
            expected,
            found,
            "; ".join(changed) or "none",
        )


run_logged(snakemake, main)
