"""Synthetic sheet generator speed: sheets per second of each style at the demo size (and a scan-like size).

Target (issue 14): at least 4 sheets per second at the demo size on one core, for every style.
Run: .venv/bin/python benchmarks/bench_generator.py [n_sheets]
"""

import sys
import time
from pathlib import Path

import yaml

from herbarium_leaves.sheet_styles import STYLES
from herbarium_leaves.synthetic import generate_sheet

from record import recorded

ROOT = Path(__file__).resolve().parents[1]


def sheets_per_second(height: int, width: int, count: int, style: str) -> float:
    start = time.perf_counter()
    for index in range(count):
        generate_sheet(0, index, height, width, style=style)
    return count / (time.perf_counter() - start)


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 40
    demo = yaml.safe_load((ROOT / "config.yaml").read_text())["data"]["synthetic"]
    for style in STYLES:
        for label, height, width, n in (
            ("demo", demo["height_px"], demo["width_px"], count),
            ("scan-like", 4000, 2760, max(2, count // 20)),
        ):
            rate = sheets_per_second(height, width, n, style)
            verdict = f" (target >= 4: {'met' if rate >= 4 else 'NOT met'})" if label == "demo" else ""
            print(f"{style:8s} {label:9s} {height} x {width} px: {rate:.2f} sheets/s{verdict}, {n} sheets")


if __name__ == "__main__":
    with recorded("bench_generator"):
        main()
