"""Synthetic pretraining, then fine-tuning on the user's sheets: the real Snakefile on a tiny config."""

import hashlib
import json
from pathlib import Path

import pytest
from test_workflow import TINY, planned_jobs, snakemake

PRETRAINED = {
    **TINY,
    "seeds": [0],
    "model": {**TINY["model"], "init": "pretrain"},
    "pretrain": {"sheets": 4, "epochs": 1, "height_px": 256, "width_px": 176},
}
TARGET = "results/models/seed0/provenance.json"

pytestmark = pytest.mark.slow


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def fine_tuned(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("pretrained")
    result = snakemake(workdir, PRETRAINED, TARGET)
    assert result.returncode == 0, result.stderr[-3000:]
    return workdir


def test_fine_tuning_starts_from_the_seeds_pretrained_weights_and_records_the_chain(fine_tuned):
    pretrained = fine_tuned / "results/pretrain/models/seed0"
    record = json.loads((pretrained / "provenance.json").read_text())
    assert record["training_data"]["patches"] > 0 and record["settings"]["train"]["epochs"] == 1
    init = json.loads((fine_tuned / TARGET).read_text())["settings"]["init"]
    assert init["source"] == "pretrain" and init["weights_sha256"] == sha256(pretrained / "model.pt")
    assert init["pretrain_params_sha256"] == record["params_sha256"]
    assert init["pretrain_state_dict_sha256"] == record["state_dict_sha256"]
    log = (fine_tuned / "results/logs/train/seed0.log").read_text()
    assert "starting from results/pretrain/models/seed0/model.pt (pretrain" in log
    # The pretraining sheets are the generator's varied style, at the working resolution.
    assert len(list((fine_tuned / "results/pretrain/resized/images").glob("pretrain_*.png"))) == 4


def test_changing_the_users_data_does_not_redo_pretraining(fine_tuned):
    jobs = planned_jobs(fine_tuned, {**PRETRAINED, "data": {"synthetic": {**TINY["data"]["synthetic"], "n_train": 6}}})
    assert jobs["train"] == 1 and jobs["augment"] == 1
    assert {"synthesize_pretrain", "augment_pretrain", "pretrain"}.isdisjoint(jobs)


def test_changing_the_pretraining_redoes_it_and_the_fine_tuning_only(fine_tuned):
    config = {**PRETRAINED, "pretrain": {**PRETRAINED["pretrain"], "epochs": 2}}
    assert planned_jobs(fine_tuned, config, TARGET) == {"pretrain": 1, "train": 1}


def test_a_replay_of_a_fine_tuned_seed_starts_from_the_same_weights(fine_tuned):
    result = snakemake(fine_tuned, PRETRAINED, "verify", "--forcerun", "verify")
    assert result.returncode == 0, result.stderr[-3000:]
    (report,) = (fine_tuned / "results/verify").glob("*.json")
    assert json.loads(report.read_text())["identical"] is True


def test_a_missing_model_file_stops_the_run_before_any_job(tmp_path):
    config = {**PRETRAINED, "model": {**TINY["model"], "init": str(tmp_path / "nowhere.pt")}}
    result = snakemake(tmp_path, config, "--dry-run")
    assert result.returncode != 0
    assert (
        f"config key 'model.init': {tmp_path / 'nowhere.pt'}: weights file not found" in result.stdout + result.stderr
    )


def test_training_can_start_from_any_model_file_of_this_pipeline(fine_tuned, tmp_path):
    # Last in this module: it retrains the fixture's seed from a copied file.
    weights = tmp_path / "weights.pt"
    weights.write_bytes((fine_tuned / "results/pretrain/models/seed0/model.pt").read_bytes())
    config = {**PRETRAINED, "model": {**TINY["model"], "init": str(weights)}}
    assert planned_jobs(fine_tuned, config, TARGET) == {"train": 1}  # the user's patches stay; no pretraining
    result = snakemake(fine_tuned, config, TARGET)
    assert result.returncode == 0, result.stderr[-3000:]
    init = json.loads((fine_tuned / TARGET).read_text())["settings"]["init"]
    assert init == {"source": "file", "path": str(weights), "weights_sha256": sha256(weights)}
