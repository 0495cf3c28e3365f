"""The study's size end to end: 326 training and 74 test sheets at demo size, 3 seeds, 1 epoch.

Runs the real Snakefile in a temporary folder in phases, timing each phase's wall
(one Snakemake run each, its start-up included):
  synthesis (not counted), prepare (resize, annotations, augmentation), training (not
  counted), svm (truth measurement of the training sheets, the SVM), test path (predict
  with each seed, ensemble, measure, classify, evaluate), summary and report.
Prints the dry run's job count per stage, each phase's wall, the job-seconds of every
stage (the benchmark files' `s` column, summed), and the figures the batching issue
sets: all counted phases together (target at most 180 s on 2 cores) and the test path's
wall per test sheet (target at most 0.5 s).

Run: .venv/bin/python benchmarks/bench_study_size.py [n_train] [n_test] [cores]
"""

import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import yaml

from herbarium_leaves.batches import planned_jobs_per_stage

from record import recorded

ROOT = Path(__file__).resolve().parents[1]


def study_config(n_train: int, n_test: int) -> dict:
    """The demo's settings at the study's size, training cut to one epoch."""
    config = yaml.safe_load((ROOT / "config.yaml").read_text())
    config["data"]["synthetic"].update(n_train=n_train, n_test=n_test)
    config["train"]["epochs"] = 1
    return config


def phases(n_train: int, n_test: int, seeds: list[int]) -> list[tuple[str, bool, list[str]]]:
    """(phase, counted, targets) in data-flow order."""
    sheets = [("train", f"train_{i:04d}") for i in range(n_train)] + [("test", f"test_{i:04d}") for i in range(n_test)]
    models = [f"seed{seed}" for seed in seeds] + ["ensemble"]
    return [
        ("synthesis", False, [f"results/data/{split}/leaves/{sample}.csv" for split, sample in sheets]),
        (
            "prepare",
            True,
            [f"results/resized/{split}/sizes/{sample}.json" for split, sample in sheets]
            + [f"results/data/{split}/annotations.json" for split in ("train", "test")]
            + [f"results/augmented/seed{seed}/manifest.csv" for seed in seeds],
        ),
        ("training", False, [f"results/models/seed{seed}/model.pt" for seed in seeds]),
        ("svm", True, ["results/svm/model.joblib"]),
        ("test path", True, [f"results/metrics/{model}/summary.json" for model in models]),
        ("summary and report", True, ["results/metrics/summary.csv", "results/report/report.html"]),
    ]


def planned_jobs(command: list[str]) -> dict[str, int]:
    """Jobs per stage in a dry run of the whole workflow (batch rules added up)."""
    result = subprocess.run([*command, "--dry-run"], capture_output=True, text=True, check=True)
    return planned_jobs_per_stage(result.stdout)


def job_seconds(results: Path) -> pd.Series:
    """Seconds of every job, summed per stage (from results/benchmarks/{stage}/...)."""
    totals = {}
    for path in (results / "benchmarks").rglob("*.tsv"):
        stage = path.relative_to(results / "benchmarks").parts[0]
        totals[stage] = totals.get(stage, 0.0) + float(pd.read_csv(path, sep="\t")["s"].sum())
    return pd.Series(totals).sort_values(ascending=False)


def main():
    n_train = int(sys.argv[1]) if len(sys.argv) > 1 else 326
    n_test = int(sys.argv[2]) if len(sys.argv) > 2 else 74
    cores = sys.argv[3] if len(sys.argv) > 3 else "2"
    config = study_config(n_train, n_test)
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "study.yaml").write_text(yaml.safe_dump(config))
        command = [
            str(Path(sys.executable).parent / "snakemake"),
            "--snakefile",
            str(ROOT / "Snakefile"),
            "--directory",
            folder,
            "--configfile",
            str(Path(folder) / "study.yaml"),
            "--cores",
            cores,
            "--quiet",
            "rules",
        ]
        planned = planned_jobs(command)
        per_sheet = ("synthesize_demo", "scale", "resize", "predict_sheet", "ensemble", "measure", "measure_truth")
        print(f"{n_train} training and {n_test} test sheets, {len(config['seeds'])} seeds, {cores} cores")
        print(
            f"dry run: {sum(planned.values())} jobs, {sum(planned.get(stage, 0) for stage in per_sheet)} of them in "
            "per-sheet stages: " + ", ".join(f"{stage} {planned.get(stage, 0)}" for stage in per_sheet)
        )
        walls = {}
        for phase, counted, targets in phases(n_train, n_test, config["seeds"]):
            began = time.perf_counter()
            result = subprocess.run([command[0], *targets, *command[1:]], capture_output=True, text=True)
            walls[phase] = (time.perf_counter() - began, counted)
            if result.returncode:
                sys.exit(f"phase {phase} failed:\n{result.stderr[-3000:]}")
            print(f"  {phase:<20} {walls[phase][0]:7.1f} s{'' if counted else '  (not counted)'}", flush=True)
        counted = sum(seconds for seconds, is_counted in walls.values() if is_counted)
        per_test_sheet = walls["test path"][0] / n_test
        print("job-seconds per stage (all jobs of the stage, summed):")
        for stage, seconds in job_seconds(Path(folder) / "results").items():
            print(f"  {stage:<20} {seconds:7.1f} s")
        print(f"all stages except synthesis and training: {counted:.1f} s (target at most 180 s on 2 cores)")
        print(f"test path per test sheet: {per_test_sheet:.2f} s (target at most 0.5 s)")


if __name__ == "__main__":
    with recorded("bench_study_size"):
        main()
