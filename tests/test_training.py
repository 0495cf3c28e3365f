import logging

import numpy as np
import pandas as pd
import pytest
import torch

from herbarium_leaves.augment import AugmentSpec, sheet_patches
from herbarium_leaves.instances import training_target
from herbarium_leaves.model import ModelSpec, build_model, state_dict_digest
from herbarium_leaves.provenance import params_hash
from herbarium_leaves.resize import resize_image, resize_labels
from herbarium_leaves.synthetic import generate_sheet
from herbarium_leaves.training import (
    Checkpoint,
    Patches,
    TrainSpec,
    fit,
    make_deterministic,
    split_by_sheet,
    targets,
)

LOGGER = logging.getLogger("test")
SPEC = TrainSpec(epochs=2, batch_size=4, learning_rate=1e-3, device="cpu")


@pytest.fixture(scope="module")
def patches():
    rows, images, masks = [], [], []
    for index in range(4):
        sheet = generate_sheet(0, index, 256, 176)
        image, labels = resize_image(sheet.image, (96, 64)), resize_labels(sheet.labels, (96, 64))
        for row, patch, mask in sheet_patches(
            image, training_target(labels, "components", 1), f"s{index}", 64, 32, AugmentSpec(copies=1), seed=0
        ):
            rows.append(row)
            images.append(patch)
            masks.append(mask)
    return Patches(np.stack(images), np.stack(masks), pd.DataFrame(rows))


def _train(patches, seed, directory, spec=SPEC):
    torch.set_num_threads(1)
    make_deterministic(seed, torch.device("cpu"))
    model = build_model(ModelSpec("resnet18", None, 16))
    checkpoint = Checkpoint(directory, params_hash({"seed": seed, "spec": str(spec)}), LOGGER)
    history = fit(model, patches, spec, seed, torch.device("cpu"), checkpoint, LOGGER)
    return state_dict_digest(model), history


def test_same_seed_same_weights_other_seed_other_weights(patches, tmp_path):
    first, history = _train(patches, 0, tmp_path / "a")
    second, _ = _train(patches, 0, tmp_path / "b")
    other, _ = _train(patches, 1, tmp_path / "c")
    assert first == second
    assert other != first
    assert list(history.columns) == [
        "epoch",
        "train_loss",
        "val_loss",
        "val_iou",
        "learning_rate",
        "seconds",
        "state_dict_sha256",
    ]
    assert history["state_dict_sha256"].iloc[-1] != history["state_dict_sha256"].iloc[0]
    assert history["epoch"].tolist() == [1, 2] and history["val_iou"].between(0, 1).all()


def test_validation_is_by_sheet_and_unaugmented(patches):
    train, val = split_by_sheet(patches.table, 0.25, seed=0)
    train_sheets = set(patches.table.loc[train, "source"])
    val_rows = patches.table.loc[val]
    assert len(val_rows) and not train_sheets & set(val_rows["source"])
    assert (val_rows["copy"] == 0).all()


def test_finished_checkpoint_resumes_to_the_same_weights(patches, tmp_path):
    """A run that stops after its last epoch's checkpoint and starts again ends where it would have."""
    digest, _ = _train(patches, 2, tmp_path)
    assert list(tmp_path.glob("*.pt"))  # fit leaves the checkpoint; the train script removes it
    resumed, history = _train(patches, 2, tmp_path)
    assert resumed == digest and len(history) == 2


def test_foreign_and_corrupt_checkpoints_are_ignored_with_a_log_line(patches, tmp_path, caplog):
    (tmp_path / "0123abcd.pt").write_bytes(b"left by other params")
    key = params_hash({"seed": 3, "spec": str(SPEC)})
    (tmp_path / f"{key}.pt").write_bytes(b"truncated by a crash")
    with caplog.at_level(logging.INFO, logger="test"):
        digest, _ = _train(patches, 3, tmp_path)
    assert "ignoring checkpoint" in caplog.text and "0123abcd.pt" in caplog.text
    assert "ignoring unreadable checkpoint" in caplog.text
    assert digest == _train(patches, 3, tmp_path / "fresh")[0]


def test_targets_are_leaf_then_leaf_interior():
    masks = torch.tensor([[[0, 1, 2]]], dtype=torch.uint8)
    assert targets(masks, 1).tolist() == [[[[0.0, 1.0, 1.0]]]]
    assert targets(masks, 2).tolist() == [[[[0.0, 1.0, 1.0]], [[0.0, 0.0, 1.0]]]]
