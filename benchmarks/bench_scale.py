"""Scale from the ruler, and from the paper's extent: accuracy and speed on generated sheets whose true px/mm is known.

For each size: of the sheets with a ruler, the share whose detected px/mm is within 1 %
of the truth (target at least 97 %); of the sheets without one, the share that report
none (target at least 99 %); the number of confident values off by more than 2 %
(target 0); the share found per ruler style; seconds per sheet on one core (target at
most 0.5 s at scan size).

Run: .venv/bin/python benchmarks/bench_scale.py [n_small] [n_scan]
(defaults: 200 sheets at the demo's 512 x 352 px, where mm ticks are 1.2 px apart and only
5 mm and cm ticks can be read; 200 at 1024 x 704 px, the generator's default size; and 50
at 4000 x 2760 px)

The paper (scale.paper_long_side_mm 420, the generator's sheet): of the sheets inside a
scanner border, the share measured and the share within 1 %; values off by more than 2 %;
and the scale the pipeline would use (ruler, else paper, else the image's long side over
420 mm, as the demo's scale.px_per_mm) within 1 % of the truth, over all sheets.
"""

import sys
import time
from collections import Counter

import cv2
import numpy as np

from herbarium_leaves.scale import detect_paper_scale, detect_ruler_scale, resolve_scale
from herbarium_leaves.synthetic import PAPER_HEIGHT_MM, generate_sheet

from record import recorded


def measure(n_sheets: int, height: int, width: int, first_index: int) -> dict:
    """Detection figures over `n_sheets` generated sheets of one size."""
    with_ruler = within = no_ruler = said_none = wrong = 0
    seconds, per_style, found_style = [], Counter(), Counter()
    bordered = paper_measured = paper_within = paper_wrong = used_within = 0
    paper_seconds = []
    for index in range(first_index, first_index + n_sheets):
        sheet = generate_sheet(7, index, height, width)
        began = time.perf_counter()
        found = detect_ruler_scale(sheet.image)
        seconds.append(time.perf_counter() - began)
        error = abs(found.px_per_mm / sheet.px_per_mm - 1) if found.px_per_mm else None
        if error is not None and error > 0.02:
            wrong += 1
        if sheet.ruler:
            with_ruler += 1
            per_style[sheet.ruler] += 1
            if error is not None and error <= 0.01:
                within += 1
                found_style[sheet.ruler] += 1
        else:
            no_ruler += 1
            said_none += found.px_per_mm is None
        began = time.perf_counter()
        paper = detect_paper_scale(sheet.image, PAPER_HEIGHT_MM)
        paper_seconds.append(time.perf_counter() - began)
        bordered += sheet.px_per_mm * PAPER_HEIGHT_MM < height - 0.5  # the paper is shorter than the image
        if paper.px_per_mm:
            paper_measured += 1
            paper_error = abs(paper.px_per_mm / sheet.px_per_mm - 1)
            paper_within += paper_error <= 0.01
            paper_wrong += paper_error > 0.02
        used = resolve_scale(None, found, height / PAPER_HEIGHT_MM, paper)["px_per_mm"]
        used_within += abs(used / sheet.px_per_mm - 1) <= 0.01
    return {
        "size": f"{height} x {width}",
        "with_ruler": with_ruler,
        "within_1pct": within / max(with_ruler, 1),
        "without_ruler": no_ruler,
        "said_none": said_none / max(no_ruler, 1),
        "wrong_over_2pct": wrong,
        "per_style": {style: f"{found_style[style]}/{count}" for style, count in sorted(per_style.items())},
        "seconds_per_sheet": float(np.mean(seconds)),
        "bordered": bordered,
        "paper_measured": paper_measured,
        "paper_within_1pct": paper_within,
        "paper_wrong_over_2pct": paper_wrong,
        "paper_seconds_per_sheet": float(np.mean(paper_seconds)),
        "used_within_1pct": used_within / n_sheets,
    }


def main():
    n_small = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    n_scan = int(sys.argv[2]) if len(sys.argv) > 2 else 50
    cv2.setNumThreads(1)  # one core
    for n_sheets, (height, width) in ((n_small, (512, 352)), (n_small, (1024, 704)), (n_scan, (4000, 2760))):
        result = measure(n_sheets, height, width, first_index=0)
        print(
            f"{result['size']} px, {n_sheets} sheets: with a ruler {result['with_ruler']}, within 1 % "
            f"{100 * result['within_1pct']:.1f} % (target >= 97 %); without {result['without_ruler']}, none reported "
            f"{100 * result['said_none']:.1f} % (target >= 99 %); confident values off by > 2 %: "
            f"{result['wrong_over_2pct']} (target 0); found per style {result['per_style']}; "
            f"{result['seconds_per_sheet']:.2f} s per sheet on one core"
        )
        print(
            f"  paper: of {result['bordered']} sheets inside a border, measured {result['paper_measured']}, "
            f"within 1 % {result['paper_within_1pct']}; off by > 2 %: {result['paper_wrong_over_2pct']}; "
            f"{result['paper_seconds_per_sheet']:.3f} s per sheet; the scale used (ruler, paper, image size) "
            f"within 1 % on {100 * result['used_within_1pct']:.1f} % of the sheets"
        )


if __name__ == "__main__":
    with recorded("bench_scale"):
        main()
