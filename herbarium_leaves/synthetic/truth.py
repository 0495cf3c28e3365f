"""The generator's ground truth: each visible leaf's row, the sheet record, sheet indices, the demo's list."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

TEST_INDEX_OFFSET = 1_000_000
PRETRAIN_INDEX_OFFSET = 3_000_000  # pretraining sheets: apart from the demo's and the benchmarks' (2,000,000)
SVM_INDEX_OFFSET = 6_000_000  # the intact-leaf SVM's generated sheets: apart from the above and bench_pretrain's


@dataclass(frozen=True)
class SyntheticSheet:
    """A generated sheet: RGB image, uint16 leaf instance labels and one row per visible leaf."""

    image: np.ndarray
    labels: np.ndarray
    leaves: pd.DataFrame
    px_per_mm: float
    ruler: str | None = None  # the style of the ruler drawn (RULER_STYLES), None when the sheet has none
    plant: str = "broadleaf"  # the plant type drawn (sheet_styles.PLANT_TYPES)


def demo_sheets(n_train: int, n_test: int) -> pd.DataFrame:
    """The demo's sheets: sample name, split and generator index (test indices start at TEST_INDEX_OFFSET).

    Train and test indices never meet, so changing one split's size leaves the other's sheets as they were.
    """
    rows = [{"sample": f"train_{i:04d}", "split": "train", "index": i} for i in range(n_train)]
    rows += [{"sample": f"test_{i:04d}", "split": "test", "index": TEST_INDEX_OFFSET + i} for i in range(n_test)]
    return pd.DataFrame(rows)


TRUTH_COLUMNS = ["leaf_id", "shape", "intact", "reason", "length_mm", "width_mm", "px_per_mm", "visible_fraction"]


def leaf_truth(
    labels: np.ndarray, leaves_only: np.ndarray, cover: np.ndarray, layers: list, leaves: list, mm: float
) -> tuple[np.ndarray, pd.DataFrame]:
    """Leaf labels renumbered 1..n over the visible leaves, and one truth row per visible leaf.

    `labels` holds each leaf's drawing order + 1 where it is visible, `leaves_only` the same
    before sheet furniture covered any, `cover` the covered pixels; `layers` pairs each
    drawing order with its leaf's layer. A leaf is intact only with no damage, not cut by
    the edge, not overlapped by another leaf and not covered.
    """
    rows, new_ids = [], np.zeros(len(leaves) + 1, np.uint16)
    for z, layer in sorted(layers, key=lambda item: item[0]):
        y0, y1, x0, x1 = layer["box"]
        own = (layer["blade"] | layer["flap"]).astype(bool)
        visible = int(np.count_nonzero(labels[y0:y1, x0:x1] == z + 1))
        if visible == 0:
            continue
        reasons = list(leaves[z].damage)
        if layer["clipped"]:
            reasons.append("cut_by_edge")
        if np.any(own & (leaves_only[y0:y1, x0:x1] != z + 1)):
            reasons.append("overlapped")
        if np.any(own & cover[y0:y1, x0:x1]):
            reasons.append("covered")
        new_ids[z + 1] = len(rows) + 1
        rows.append(
            {
                "leaf_id": len(rows) + 1,
                "shape": leaves[z].shape,
                "intact": not reasons,
                "reason": ";".join(sorted(reasons)),
                "length_mm": round(leaves[z].feret_px[0] / mm, 3),
                "width_mm": round(leaves[z].feret_px[1] / mm, 3),
                "px_per_mm": round(mm, 6),
                "visible_fraction": round(visible / max(layer["full_area"], 1), 4),
            }
        )
    return new_ids[labels], pd.DataFrame(rows, columns=TRUTH_COLUMNS)
