"""Which traits the intact-leaf SVM should see: test precision, recall and F1 per feature set.

The leaves are what a perfect segmentation would give on generated sheets at the
demo size, as measure_truth makes them for the config's instances.method (the true
leaves for learned, the true mask's components for components), so the figures are
the classifier's alone. The SVM is trained on the first n training sheets (the
demo's count, and more) and scored on 60 sheets the demo never uses (generator
indices from 2,000,000: neither its training nor its test sheets), at the
probability thresholds listed (svm.threshold).

Run: .venv/bin/python benchmarks/bench_intact.py [n_train ...]
"""

import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from herbarium_leaves.intact import SvmSpec, classify_leaves, train_intact_svm
from herbarium_leaves.measure import MeasureSpec, drop_small, label_leaves, measure_leaves, minimum_area
from herbarium_leaves.metrics import component_truth
from herbarium_leaves.synthetic import TEST_INDEX_OFFSET, generate_sheet

ROOT = Path(__file__).resolve().parents[1]
FORM = ["solidity", "eccentricity", "aspect_ratio", "circularity"]  # unitless: what a leaf looks like at any size
SHAPE = ["length", "width", "area", "perimeter", *FORM]
HELD_OUT = 2 * TEST_INDEX_OFFSET
THRESHOLDS = (0.5, 0.6, 0.7, 0.8)
FEATURE_SETS = {
    "study: length, width": ["length", "width"],
    "shape (svm_extended)": SHAPE,
    "shape + damage cues (default)": [*SHAPE, "hole_fraction", "touches_edge", "pale_fraction"],
    "form + damage cues, no size": [*FORM, "hole_fraction", "touches_edge", "pale_fraction"],
}


def true_leaves(indices, method: str, height: int, width: int, damage_rate: float) -> pd.DataFrame:
    """Traits and intact flags of the true leaves (learned) or true components of generated sheets."""
    tables = []
    for index in indices:
        sheet = generate_sheet(0, index, height, width, damage_rate)
        if method == "learned":
            components = drop_small(sheet.labels, minimum_area(MeasureSpec(), sheet.px_per_mm))
        else:
            components = label_leaves(sheet.labels > 0, MeasureSpec(), sheet.px_per_mm)
        traits = measure_leaves(components, sheet.px_per_mm, sheet.image)
        intact_ids = sheet.leaves.loc[sheet.leaves["intact"], "leaf_id"].tolist()
        flags = component_truth(components, sheet.labels, intact_ids, 0.5)
        tables.append(traits.assign(intact=traits["leaf_id"].map(flags).astype(bool)))
    return pd.concat(tables, ignore_index=True)


def main() -> None:
    config = yaml.safe_load((ROOT / "config.yaml").read_text())
    demo = config["data"]["synthetic"]
    size = (config["instances"]["method"], demo["height_px"], demo["width_px"], demo["damage_rate"])
    counts = [int(n) for n in sys.argv[1:]] or [demo["n_train"], 2 * demo["n_train"]]
    test = true_leaves(range(HELD_OUT, HELD_OUT + 60), *size)
    print(f"instances: {size[0]}; test: 60 sheets, {len(test)} leaves, {int(test['intact'].sum())} intact")
    for n_train in counts:
        train = true_leaves(range(n_train), *size)
        print(f"train: {n_train} sheets, {len(train)} leaves, {int(train['intact'].sum())} intact")
        for name, features in FEATURE_SETS.items():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                bundle, _ = train_intact_svm(train, train["intact"], SvmSpec(features=tuple(features)), seed=0)
            probability = classify_leaves(bundle, test)["intact_probability"].to_numpy()
            truth = test["intact"].to_numpy()
            cells = []
            for threshold in THRESHOLDS:
                called = probability >= threshold
                hits = int(np.count_nonzero(called & truth))
                precision, recall = hits / max(called.sum(), 1), hits / max(truth.sum(), 1)
                f1 = 2 * precision * recall / (precision + recall) if hits else 0.0
                cells.append(f"{threshold}: P {precision:.2f} R {recall:.2f} F1 {f1:.2f}")
            print(f"  {name:30s} CV balanced accuracy {bundle['best_score']:.3f}   " + "   ".join(cells))


if __name__ == "__main__":
    main()
