"""The demo end to end: its headline figures and how long it took, as a benchmark record.

Run: .venv/bin/python benchmarks/bench_demo.py [--run DIR | --keep DIR] [--overlay PNG]

Without --run, `snakemake --cores all` runs the demo in a fresh folder and is timed: a
temporary one, or DIR with --keep (new or empty; kept, so other benchmarks can score its
models with --run DIR); with --run, the figures of a finished run in DIR are recorded
instead (no time).
Prints the ensemble's and the seeds' headline metrics from results/metrics/summary.csv,
training seconds per seed and the models' weights sha256. With --overlay, the test sheet of
median IoU as the report's gallery draws it (the ensemble's leaves, true leaves outlined green,
leaves called intact yellow), for the README.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from herbarium_leaves.metrics import BOOTSTRAP_METRICS, intact_calls
from herbarium_leaves.report import overlay
from herbarium_leaves.sheet_io import read_png, write_png

from record import recorded

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def run_demo(workdir: Path) -> float:
    """Run the demo in `workdir`; return its wall time in seconds."""
    began = time.perf_counter()
    command = [str(BIN / "snakemake"), "--snakefile", str(ROOT / "Snakefile"), "--directory", str(workdir)]
    done = subprocess.run([*command, "--cores", "all", "--configfile", str(ROOT / "config.yaml")], text=True)
    if done.returncode != 0:
        sys.exit("the demo failed")
    return time.perf_counter() - began


def report(results: Path) -> pd.DataFrame:
    """Print the headline rows, training time and weights of a finished run; return the summary table."""
    summary = pd.read_csv(results / "metrics" / "summary.csv")
    columns = ["model", *[column for column in BOOTSTRAP_METRICS if column in summary.columns]]
    print(summary[columns].to_string(index=False, float_format=lambda value: f"{value:.3f}"))
    for model in sorted((results / "models").glob("seed*")):
        provenance = json.loads((model / "provenance.json").read_text())
        seconds = pd.read_csv(model / "history.csv")["seconds"].sum()
        print(f"{model.name}: trained in {seconds:.0f} s, weights sha256 {provenance['state_dict_sha256']}")
    return summary


def draw_median_sheet(results: Path, path: Path) -> None:
    """The ensemble's leaves on the test sheet of median IoU, drawn as the report's gallery does."""
    sheets = pd.read_csv(results / "metrics" / "ensemble" / "sheets.csv", dtype={"sample": str})
    sample = sheets.sort_values("iou")["sample"].iloc[len(sheets) // 2]
    traits = pd.read_csv(results / "leaves" / "ensemble" / "test" / "traits" / f"{sample}.csv")
    intact_ids = traits.loc[intact_calls(traits), "leaf_id"].tolist()
    image = read_png(results / "data" / "test" / "images" / f"{sample}.png")
    truth = read_png(results / "data" / "test" / "labels" / f"{sample}.png")
    found = read_png(results / "leaves" / "ensemble" / "test" / "labels" / f"{sample}.png")
    write_png(path, overlay(image, truth, found, intact_ids))
    print(f"overlay of {sample} (IoU {sheets.set_index('sample').loc[sample, 'iou']:.3f}): {path}")


def main(tables: dict) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path, help="working directory of a finished demo run")
    parser.add_argument("--keep", type=Path, help="run the fresh demo in this new or empty folder and keep it")
    parser.add_argument("--overlay", type=Path, help="PNG of the test sheet of median IoU")
    args = parser.parse_args()
    if args.run and args.keep:
        parser.error("--run scores a finished run, --keep makes one: give one of them")
    if args.keep and args.keep.exists() and any(args.keep.iterdir()):
        parser.error(f"--keep {args.keep}: not empty; a fresh demo needs a new or empty folder")
    with tempfile.TemporaryDirectory(prefix="bench_demo_") as scratch:
        if args.run:
            results = args.run / "results"
        else:
            workdir = args.keep or Path(scratch)
            seconds = run_demo(workdir)
            print(f"fresh demo: {seconds // 60:.0f} min {seconds % 60:.0f} s")
            results = workdir / "results"
        tables["summary"] = report(results)
        if args.overlay:
            draw_median_sheet(results, args.overlay)


if __name__ == "__main__":
    with recorded("bench_demo") as tables:
        main(tables)
