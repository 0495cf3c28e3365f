"""How learned leaf instances split touching leaves, per seed threshold, on sheets the demo never uses.

Needs a finished demo run (its models under results/models/seed*/, instances
learned). The seed ensemble predicts held-out generated sheets (generator indices
from 2,000,000: neither the demo's training nor its test sheets) exactly as
predict_sheet does; each sheet's leaf mask is then split at several thresholds of
the interior probability given leaf (instances.seed_threshold) alone, at the configured seed
threshold with weak seeds at several lower thresholds (instances.weak_seed_threshold),
with neighbours joined across the interior at several thresholds (instances.merge_threshold;
1 joins none) without and with the leaf-dip check at several ratios (instances.merge_leaf_ratio;
0 checks none), and by connected components for comparison. Printed: true leaves and true
intact leaves matched one-to-one at IoU >= 0.5, and the mean relative length error of the
matched intact leaves.

Run: .venv/bin/python benchmarks/bench_instances.py [n_sheets] [run_dir]
(run_dir: the working directory of the finished demo run; default this repository)
"""

import sys
from pathlib import Path

import numpy as np
import torch

from herbarium_leaves.inference import ensemble_probability
from herbarium_leaves.instances import seed_thresholds
from herbarium_leaves.measure import MeasureSpec, label_leaves, measure_leaves
from herbarium_leaves.metrics import instance_iou, match_leaves
from herbarium_leaves.resize import ResizeSpec
from herbarium_leaves.synthetic import TEST_INDEX_OFFSET, generate_sheet

from demo_run import demo_models, inference_spec, layered_config
from record import recorded

ROOT = Path(__file__).resolve().parents[1]
MERGE_THRESHOLDS = (0.3, 0.4, 0.5, 0.6)
MERGE_LEAF_RATIOS = (0.8, 0.9, 0.95)
HELD_OUT = 2 * TEST_INDEX_OFFSET
SEED_THRESHOLDS = (0.5, 0.6, 0.7, 0.8, 0.9)
WEAK_SEED_THRESHOLDS = (0.4, 0.5, 0.6, 0.7)


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 24
    config = layered_config()
    device = torch.device("cpu")
    models = demo_models(config, Path(sys.argv[2]) if len(sys.argv) > 2 else ROOT)
    spec = inference_spec(config)
    resize, measure, synthetic = (
        ResizeSpec(**config["resize"]),
        MeasureSpec(**config["measure"]),
        config["data"]["synthetic"],
    )
    sure, weak, merge, _ = seed_thresholds(config["instances"])
    # name -> (seed threshold, weak seed threshold, merge threshold, merge leaf ratio); None: connected components
    methods = {
        "components": None,
        **{f"seeds >= {t}": (t, t, 1.0, 0.0) for t in SEED_THRESHOLDS},
        **{f"seeds >= {sure}, weak >= {w}": (sure, w, 1.0, 0.0) for w in WEAK_SEED_THRESHOLDS if w < sure},
        **{f"seeds >= {sure}, weak >= {weak}, join >= {m}": (sure, weak, m, 0.0) for m in MERGE_THRESHOLDS},
        **{f"  join >= {merge}, leaf >= {r} of the leaves'": (sure, weak, merge, r) for r in MERGE_LEAF_RATIOS},
    }
    totals = {method: {"leaves": 0, "intact": 0, "errors": []} for method in methods}
    n_leaves = n_intact = 0
    for index in range(HELD_OUT, HELD_OUT + count):
        sheet = generate_sheet(synthetic["seed"], index, synthetic["height_px"], synthetic["width_px"])
        probability = ensemble_probability(models, sheet.image, resize, spec, device)
        if probability.ndim != 3:
            raise SystemExit("the demo's models have no interior output: run the demo with instances.method learned")
        leaf, interior = probability[..., 0] >= 255 * spec.threshold, probability[..., 1]
        truth = sheet.leaves.set_index("leaf_id")
        intact_ids = set(truth.index[truth["intact"]])
        n_leaves, n_intact = n_leaves + len(truth), n_intact + len(intact_ids)
        for method, seeds in methods.items():
            if seeds is None:
                labels = label_leaves(leaf, measure, sheet.px_per_mm)
            else:
                labels = label_leaves(leaf, measure, sheet.px_per_mm, interior, *seeds, probability[..., 0])
            matches = match_leaves(instance_iou(labels, sheet.labels), 0.5)
            traits = measure_leaves(labels, sheet.px_per_mm).set_index("leaf_id")
            total = totals[method]
            total["leaves"] += len(matches)
            for predicted, true, _ in matches:
                if true + 1 in intact_ids:
                    total["intact"] += 1
                    measured = traits.loc[predicted + 1, "length_mm"]
                    total["errors"].append(abs(measured / truth.loc[true + 1, "length_mm"] - 1))
    print(f"{count} held-out sheets: {n_leaves} true leaves, {n_intact} intact")
    for method, total in totals.items():
        error = 100 * np.mean(total["errors"])
        print(
            f"  {method:44s} leaves matched {total['leaves']:4d} ({total['leaves'] / n_leaves:.2f})   intact matched "
            f"{total['intact']:3d} ({total['intact'] / n_intact:.2f})   length error {error:.1f} %"
        )


if __name__ == "__main__":
    with recorded("bench_instances"):
        main()
