"""Which traits the intact-leaf SVM should see: test precision, recall and F1 per feature set.

The leaves are the true components of generated sheets at the demo size (what a
perfect segmentation would give, as measure_truth makes them), so the figures are
the classifier's alone. The SVM is trained on the first n training sheets (the
demo's count, and more) and scored on 60 test sheets the demo never trains on.

Run: .venv/bin/python benchmarks/bench_intact.py [n_train ...]
"""

import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from herbarium_leaves.intact import SvmSpec, classify_leaves, train_intact_svm
from herbarium_leaves.measure import MeasureSpec, label_leaves, measure_leaves
from herbarium_leaves.metrics import component_truth
from herbarium_leaves.synthetic import TEST_INDEX_OFFSET, generate_sheet

ROOT = Path(__file__).resolve().parents[1]
SHAPE = ["length", "width", "area", "perimeter", "solidity", "eccentricity", "aspect_ratio", "circularity"]
FEATURE_SETS = {
    "study: length, width": ["length", "width"],
    "shape (svm_extended)": SHAPE,
    "shape + damage cues (default)": [*SHAPE, "hole_fraction", "touches_edge", "pale_fraction"],
}


def true_leaves(indices, height: int, width: int, damage_rate: float) -> pd.DataFrame:
    """Traits and intact flags of the true components of generated sheets."""
    tables = []
    for index in indices:
        sheet = generate_sheet(0, index, height, width, damage_rate)
        components = label_leaves(sheet.labels > 0, MeasureSpec(), sheet.px_per_mm)
        traits = measure_leaves(components, sheet.px_per_mm, sheet.image)
        intact_ids = sheet.leaves.loc[sheet.leaves["intact"], "leaf_id"].tolist()
        flags = component_truth(components, sheet.labels, intact_ids, 0.5)
        tables.append(traits.assign(intact=traits["leaf_id"].map(flags).astype(bool)))
    return pd.concat(tables, ignore_index=True)


def main() -> None:
    demo = yaml.safe_load((ROOT / "config.yaml").read_text())["data"]["synthetic"]
    size = (demo["height_px"], demo["width_px"], demo["damage_rate"])
    counts = [int(n) for n in sys.argv[1:]] or [demo["n_train"], 2 * demo["n_train"]]
    test = true_leaves(range(TEST_INDEX_OFFSET, TEST_INDEX_OFFSET + 60), *size)
    print(f"test: 60 sheets, {len(test)} leaves, {int(test['intact'].sum())} intact")
    for n_train in counts:
        train = true_leaves(range(n_train), *size)
        print(f"train: {n_train} sheets, {len(train)} leaves, {int(train['intact'].sum())} intact")
        for name, features in FEATURE_SETS.items():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                bundle, _ = train_intact_svm(train, train["intact"], SvmSpec(features=tuple(features)), seed=0)
            called = classify_leaves(bundle, test)["intact"].astype(bool).to_numpy()
            truth = test["intact"].to_numpy()
            hits = int(np.count_nonzero(called & truth))
            precision, recall = hits / max(called.sum(), 1), hits / max(truth.sum(), 1)
            f1 = 2 * precision * recall / (precision + recall) if hits else 0.0
            print(
                f"  {name:30s} CV balanced accuracy {bundle['best_score']:.3f}   "
                f"test precision {precision:.2f} recall {recall:.2f} F1 {f1:.2f}"
            )


if __name__ == "__main__":
    main()
