"""A tiny fixed training and prediction run; prints its hashes and numerics as JSON, one line per thread count.

Run in a fresh process (the numerics are pinned before torch is imported):
    python tests/reproducibility_probe.py portable|machine [threads ...; default 1]
Each thread count runs from the same seeds, as a process of its own would. Inputs
come from NumPy's PCG64 and integer arithmetic only, so they are the same bits on
every machine; the hashes then show what the CPU numerics did.
"""

import hashlib
import json
import sys

from herbarium_leaves.reproducibility import configure_torch, numerics_record, pin_cpu_numerics

MODE = sys.argv[1] if len(sys.argv) > 1 else "portable"
THREAD_COUNTS = [int(count) for count in sys.argv[2:]] or [1]
pin_cpu_numerics(MODE)

import logging  # noqa: E402
import tempfile  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import torch  # noqa: E402

from herbarium_leaves.inference import InferenceSpec, predict_sheet  # noqa: E402
from herbarium_leaves.model import ModelSpec, build_model, state_dict_digest  # noqa: E402
from herbarium_leaves.resize import ResizeSpec  # noqa: E402
from herbarium_leaves.training import Checkpoint, Patches, TrainSpec, fit, make_deterministic  # noqa: E402

SIZE = 64


def leaf_sheet(rng: np.random.Generator, height: int, width: int) -> tuple[np.ndarray, np.ndarray]:
    """A cream sheet with green ellipses (integer arithmetic only) and its 0/1 mask."""
    image = np.full((height, width, 3), (236, 228, 205), np.uint8)
    mask = np.zeros((height, width), np.uint8)
    rows, cols = np.mgrid[:height, :width]
    for _ in range(3):
        cy, cx = rng.integers(8, height - 8), rng.integers(8, width - 8)
        ry, rx = rng.integers(4, height // 3), rng.integers(3, width // 4)
        inside = (rows - cy) ** 2 * rx**2 + (cols - cx) ** 2 * ry**2 <= (rx * ry) ** 2
        mask[inside] = 1
        image[inside] = (40 + rng.integers(0, 40), 110 + rng.integers(0, 60), 40)
    noise = rng.integers(-12, 13, size=image.shape)
    return np.clip(image.astype(np.int16) + noise, 0, 255).astype(np.uint8), mask


def probe(threads: int) -> dict:
    """Train and predict on `threads` threads; the hashes of the weights and the prediction, and the numerics."""
    configure_torch(MODE, threads, threads)
    rng = np.random.default_rng(20261201)
    sheets = [leaf_sheet(rng, SIZE, SIZE) for _ in range(6)]
    table = pd.DataFrame({"source": [f"s{i // 2}" for i in range(6)], "copy": [i % 2 for i in range(6)]})
    patches = Patches(np.stack([s[0] for s in sheets]), np.stack([s[1] for s in sheets]), table)
    make_deterministic(0, torch.device("cpu"))
    model = build_model(ModelSpec("resnet18", None, 16))
    spec = TrainSpec(epochs=2, batch_size=2, learning_rate=1e-3, val_fraction=0.34)
    logger = logging.getLogger("probe")
    with tempfile.TemporaryDirectory() as folder:
        fit(model, patches, spec, 0, torch.device("cpu"), Checkpoint(folder, "probe", logger), logger)
    sheet, _ = leaf_sheet(rng, 96, 80)
    probability = predict_sheet(
        model.eval(), sheet, ResizeSpec("fixed", SIZE, SIZE), InferenceSpec(window=SIZE), torch.device("cpu")
    )
    return {
        "state_dict_sha256": state_dict_digest(model),
        "prediction_sha256": hashlib.sha256(probability.tobytes()).hexdigest(),
        "prediction_shape": list(probability.shape),
        "numerics": numerics_record(MODE, "cpu"),
    }


if __name__ == "__main__":
    for count in THREAD_COUNTS:
        print(json.dumps(probe(count)), flush=True)
