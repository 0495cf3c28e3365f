"""The demo's config and trained models, as the benchmarks that score a finished demo run load them."""

from __future__ import annotations

from pathlib import Path

import torch
import yaml
from snakemake.utils import update_config

from herbarium_leaves.config import load_schema, validate_config
from herbarium_leaves.inference import InferenceSpec
from herbarium_leaves.model import load_model

ROOT = Path(__file__).resolve().parents[1]


def layered_config(*overlays: dict) -> dict:
    """config.yaml with `overlays` layered on it as Snakemake layers --configfile, completed by the schema."""
    config = yaml.safe_load((ROOT / "config.yaml").read_text())
    for overlay in overlays:
        update_config(config, overlay)
    return validate_config(config, load_schema(ROOT / "schemas/config.schema.yaml"))


def demo_models(config: dict, run: Path = ROOT) -> list[torch.nn.Module]:
    """Every seed's trained model of the finished run in `run`."""
    folders = [run / "results" / "models" / f"seed{seed}" for seed in config["seeds"]]
    return [load_model(folder / "model.pt", folder / "config.json") for folder in folders]


def inference_spec(config: dict) -> InferenceSpec:
    """Sliding-window inference as predict_sheet runs it under `config`."""
    predict = config["predict"]
    return InferenceSpec(
        window=config["patch"]["size"],
        **{key: predict[key] for key in ("overlap", "batch_size", "blend", "pad", "threshold", "bf16")},
    )
