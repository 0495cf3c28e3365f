"""The predict target at herbarium scale: a dry run over 100,000 unlabelled sheets.

Lists 100,000 empty placeholder sheets, points unlabelled.sheets at them and times
`snakemake --dry-run predict` (DAG built from parse to job list); prints wall time,
the number of jobs and Snakemake's peak RSS. Target: under a minute.

Run: .venv/bin/python benchmarks/bench_dag.py [n_sheets] [chunk_size]
"""

import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from record import recorded

ROOT = Path(__file__).resolve().parents[1]


def main():
    n_sheets = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    chunk_size = int(sys.argv[2]) if len(sys.argv) > 2 else 500
    with tempfile.TemporaryDirectory() as folder:
        sheets = Path(folder) / "sheets"
        sheets.mkdir()
        for index in range(n_sheets):
            (sheets / f"sheet_{index:06d}.jpg").touch()
        config = Path(folder) / "config.yaml"
        config.write_text(yaml.safe_dump({"unlabelled": {"sheets": str(sheets), "chunk_size": chunk_size}}))
        command = [
            str(Path(sys.executable).parent / "snakemake"),
            "predict",
            "--snakefile",
            str(ROOT / "Snakefile"),
            "--directory",
            folder,
            "--configfile",
            str(config),
            "--cores",
            "2",
            "--dry-run",
            "--quiet",
            "rules",
        ]
        began = time.perf_counter()
        result = subprocess.run(command, capture_output=True, text=True)
        seconds = time.perf_counter() - began
        if result.returncode:
            sys.exit(result.stdout[-2000:] + result.stderr[-2000:])
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 2**20
        chunks = next((line for line in result.stdout.splitlines() if line.startswith("predict_chunk")), "?")
        print(
            f"{n_sheets} sheets, chunk_size {chunk_size}: dry run of `predict` in {seconds:.1f} s "
            f"(target < 60 s), peak RSS {peak:.2f} GiB; jobs: {chunks.split()}"
        )


if __name__ == "__main__":
    with recorded("bench_dag"):
        main()
