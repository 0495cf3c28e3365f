"""Which traits the intact-leaf SVM should see: test precision, recall and F1 per feature set.

The leaves are what a perfect segmentation would give on generated sheets at the
demo size, as measure_truth makes them for the config's instances.method (the true
leaves for learned, the true mask's components for components), so the figures are
the classifier's alone. The SVM is trained on the first n training sheets (the
demo's count, and more) and scored on 60 sheets the demo never uses (generator
indices from 2,000,000: neither its training nor its test sheets), at the
probability thresholds listed (svm.threshold).

Then svm.learn_from: with the default features, the SVM of the generated sheets (as
the workflow draws them: svm.generated, in the look of config pretrain) against that
of the first n annotated sheets of the test's own style and size, and both pooled, on
held-out sheets of the demo (classic style and size), of the shifted style (a look the
generated sheets never show: a collection unlike the generator), and of classic sheets
at 2048 x 1408 px (larger scans).

Run: .venv/bin/python benchmarks/bench_intact.py [n_train ...]
"""

import sys
import warnings
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from herbarium_leaves.config import load_schema, validate_config
from herbarium_leaves.intact import SvmSpec, classify_leaves, train_intact_svm
from herbarium_leaves.measure import MeasureSpec, measure_true_leaves
from herbarium_leaves.synthetic import SVM_INDEX_OFFSET, TEST_INDEX_OFFSET, generate_sheet

from record import recorded

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT / "schemas" / "config.schema.yaml"
FORM = ["solidity", "eccentricity", "aspect_ratio", "circularity"]  # unitless: what a leaf looks like at any size
SHAPE = ["length", "width", "area", "perimeter", *FORM]
DAMAGE = ["hole_fraction", "touches_edge", "touches_leaf", "mirror_symmetry", "pale_fraction"]  # none is a shape
HELD_OUT = 2 * TEST_INDEX_OFFSET
THRESHOLDS = (0.5, 0.6, 0.7, 0.8)
FEATURE_SETS = {
    "study: length, width": ["length", "width"],
    "shape (svm_extended)": SHAPE,
    "shape + damage cues (before)": [*SHAPE, "hole_fraction", "touches_edge", "pale_fraction"],
    "form + damage cues (before)": [*FORM, "hole_fraction", "touches_edge", "pale_fraction"],
    "form + all damage cues": [*FORM, *DAMAGE],
    "damage cues only": DAMAGE,
}


@cache  # the demo-size classic sheets serve both comparisons; nothing mutates the tables
def true_leaves(indices: range, method: str, height: int, width: int, damage_rate: float, style: str, seed: int = 0):
    """Traits and intact flags of the true leaves (learned) or true components of generated sheets."""
    learned = method == "learned"
    tables = []
    for index in indices:
        sheet = generate_sheet(seed, index, height, width, damage_rate, style)
        _, traits = measure_true_leaves(
            sheet.labels, sheet.image, sheet.px_per_mm, MeasureSpec(), learned, sheet.leaves, 0.5
        )
        tables.append(traits)
    return pd.concat(tables, ignore_index=True)


def fitted(train: pd.DataFrame, features) -> dict:
    """The SVM bundle of `features` trained on `train`'s true leaves (seed 0)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        bundle, _ = train_intact_svm(train, train["intact"], SvmSpec(features=tuple(features)), seed=0)
    return bundle


def scores(bundle: dict, test: pd.DataFrame) -> str:
    """CV balanced accuracy, then precision, recall and F1 on `test` at each threshold."""
    probability = classify_leaves(bundle, test)["intact_probability"].to_numpy()
    truth = test["intact"].to_numpy()
    cells = []
    for threshold in THRESHOLDS:
        called = probability >= threshold
        hits = int(np.count_nonzero(called & truth))
        precision, recall = hits / max(called.sum(), 1), hits / max(truth.sum(), 1)
        f1 = 2 * precision * recall / (precision + recall) if hits else 0.0
        cells.append(f"{threshold}: P {precision:.2f} R {recall:.2f} F1 {f1:.2f}")
    return f"CV balanced accuracy {bundle['best_score']:.3f}   " + "   ".join(cells)


def main() -> None:
    config = validate_config(yaml.safe_load((ROOT / "config.yaml").read_text()), load_schema(SCHEMA))
    demo = config["data"]["synthetic"]
    size = (config["instances"]["method"], demo["height_px"], demo["width_px"], demo["damage_rate"])
    counts = [int(n) for n in sys.argv[1:]] or [demo["n_train"], 2 * demo["n_train"]]
    test = true_leaves(range(HELD_OUT, HELD_OUT + 60), *size, demo["style"])
    print(f"instances: {size[0]}; test: 60 sheets, {len(test)} leaves, {int(test['intact'].sum())} intact")
    for n_train in counts:
        train = true_leaves(range(n_train), *size, demo["style"])
        print(f"train: {n_train} sheets, {len(train)} leaves, {int(train['intact'].sum())} intact")
        for name, features in FEATURE_SETS.items():
            print(f"  {name:30s} {scores(fitted(train, features), test)}")

    # svm.learn_from: the generated sheets (as the workflow draws them) against annotated sheets of the test's own
    # style and size, with the default features, on held-out sheets.
    look, features, drawn = config["pretrain"], config["svm"]["features"], config["svm"]["generated"]
    generated = true_leaves(
        range(SVM_INDEX_OFFSET, SVM_INDEX_OFFSET + drawn["sheets"]),
        size[0],
        drawn["height_px"],
        drawn["width_px"],
        look["damage_rate"],
        look["style"],
        seed=look["seed"],
    )
    intact = int(generated["intact"].sum())
    shape = f"{drawn['height_px']} x {drawn['width_px']} px"
    print(f"generated: {drawn['sheets']} {look['style']} sheets at {shape}, {len(generated)} leaves, {intact} intact")
    for style, height, width, n_test in (
        (demo["style"], *size[1:3], 60),
        ("shifted", *size[1:3], 60),
        ("classic", 2048, 1408, 30),
    ):
        sheets = (size[0], height, width, size[3], style)
        test, annotated = (
            true_leaves(range(HELD_OUT, HELD_OUT + n_test), *sheets),
            true_leaves(range(counts[0]), *sheets),
        )
        print(f"test: {n_test} held-out {style} sheets at {height} x {width} px; annotated: {counts[0]} such sheets")
        sources = {"annotations": annotated, "generated": generated, "both": pd.concat([annotated, generated])}
        for name, train in sources.items():
            print(f"  learn_from {name:12s} {scores(fitted(train, features), test)}")


if __name__ == "__main__":
    with recorded("bench_intact"):
        main()
