"""The tiny config through the SLURM profile on a real single-node SLURM cluster.

The cluster is started by tests/slurm/start_cluster.sh (which installs Debian's
slurm-wlm and munge when missing); where it cannot start, the test is skipped with
the reason, never passed.
"""

import json
import os
import subprocess
from pathlib import Path

import pytest
import yaml
from conftest import FAST_SCONTROL_DIR
from test_workflow import BIN, ROOT, TINY, BackgroundRun, snakemake

pytestmark = pytest.mark.slow
TARGETS = ["results/models/seed0/provenance.json", "results/predictions/seed0/test/test_0000.png"]
# Deterministic stages whose files must be identical, byte for byte, between a local and a SLURM run.
SAME_BYTES = [
    "results/data/train/images/train_0001.png",
    "results/data/train/labels/train_0001.png",
    "results/resized/train/images/train_0002.png",
    "results/augmented/seed0/manifest.csv",
    "results/predictions/seed0/test/test_0000.png",
]
SLURM_OVERRIDES = [
    "--slurm-status-command",
    "squeue",  # no accounting database here
    "--slurm-keep-successful-logs",
    "--slurm-init-seconds-before-status-checks",
    "1",
    "--seconds-between-status-checks",
    "2",
    "--jobs",
    "2",
    "--latency-wait",
    "5",
    "--default-resources",
    "mem_mb=1000",
    "runtime=30",
    "cpus_per_task=1",
    "--set-threads",
    "train=1",
    "predict_chunk=1",
    "--set-resources",
    "train:gpu=0",
    "predict_chunk:gpu=0",
]


@pytest.fixture(scope="module")
def cluster():
    with pytest.MonkeyPatch.context() as patch:
        real_path = [folder for folder in os.environ["PATH"].split(os.pathsep) if FAST_SCONTROL_DIR not in folder]
        patch.setenv("PATH", os.pathsep.join(real_path))
        yield _start_cluster()


def _start_cluster() -> str:
    try:
        started = subprocess.run(
            ["bash", str(ROOT / "tests" / "slurm" / "start_cluster.sh")], capture_output=True, text=True, timeout=900
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        pytest.skip(f"SLURM could not start: {error}")
    if started.returncode != 0:
        pytest.skip(f"SLURM could not start: {(started.stderr or started.stdout).strip()[-500:]}")
    return started.stdout.strip()


def _job_ids(workdir: Path) -> set[str]:
    logs = workdir / ".snakemake" / "slurm_logs"
    return {path.stem for path in logs.rglob("*.log")}


def test_tiny_config_runs_as_slurm_jobs_and_matches_a_local_run(cluster, tmp_path):
    config = {**TINY, "seeds": [0], "predict": {"device": "cpu", "threads": 1}}  # no GPU in this cluster
    local, remote = tmp_path / "local", tmp_path / "slurm"
    local.mkdir()
    remote.mkdir()
    # The local run goes beside the SLURM run, whose jobs spend much of their time queued.
    local_run = BackgroundRun(local, config, *TARGETS)
    result = snakemake(remote, config, *TARGETS, "--profile", str(ROOT / "profiles" / "slurm"), *SLURM_OVERRIDES)
    local_run.assert_succeeds()
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    job_ids = _job_ids(remote)
    assert job_ids, "no SLURM job logs were written"
    listed = subprocess.run(["squeue", "-h", "-t", "all", "-o", "%i %T"], capture_output=True, text=True).stdout
    states = dict(line.split() for line in listed.splitlines())
    assert {states.get(job) for job in job_ids} == {"COMPLETED"}, (job_ids, states)
    for name in SAME_BYTES:
        assert (remote / name).read_bytes() == (local / name).read_bytes(), name
    digests = [json.loads((run / TARGETS[0]).read_text())["state_dict_sha256"] for run in (local, remote)]
    assert digests[0] == digests[1]
    print(f"SLURM job ids: {sorted(job_ids, key=int)}")  # shown with pytest -s


def test_profile_is_valid_yaml_for_the_slurm_executor():
    profile = yaml.safe_load((ROOT / "profiles" / "slurm" / "config.yaml").read_text())
    assert profile["executor"] == "slurm" and profile["rerun-incomplete"] and profile["restart-times"] >= 1
    assert profile["set-resources"]["train"]["gpu"] == 1 and "cpus_per_gpu" in profile["set-resources"]["train"]
    assert BIN.exists()
