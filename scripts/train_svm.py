"""Train the intact-leaf SVM on the measured true leaves (components of the true masks) of the training sheets.

Without enough intact flags among them, the SVM is skipped: the bundle says why, and
the intact calls and intact metrics after it are left empty.
"""

import joblib
import pandas as pd

from herbarium_leaves.intact import ENABLE_SVM_HINT, SvmSpec, skipped_svm, svm_skip_reason, train_intact_svm
from herbarium_leaves.runner import run_logged
from herbarium_leaves.sheet_io import atomic_path, write_csv

SCORE_COLUMNS = ["C", "gamma", "mean_test_score", "std_test_score", "rank_test_score"]


def main(logger):
    params = snakemake.params.svm
    table = pd.concat([pd.read_csv(path, dtype={"sample": str}) for path in snakemake.input.traits], ignore_index=True)
    spec = SvmSpec(
        tuple(params["features"]),
        tuple(params["c_grid"]),
        tuple(params["gamma_grid"]),
        params["folds"],
        params["threshold"],
    )
    reason = svm_skip_reason(table["intact"])
    if reason:
        bundle, scores = skipped_svm(reason, spec), pd.DataFrame(columns=SCORE_COLUMNS)
        logger.warning(
            "intact-leaf SVM skipped: %s; intact calls and intact metrics stay empty; %s", reason, ENABLE_SVM_HINT
        )
    else:
        bundle, scores = train_intact_svm(table, table["intact"], spec, params["seed"])
        logger.info(
            "SVM on %s: best %s, balanced accuracy %.3f over %d leaves",
            bundle["columns"],
            bundle["best_params"],
            bundle["best_score"],
            bundle["n_leaves"],
        )
    with atomic_path(snakemake.output.model) as temporary:
        joblib.dump(bundle, temporary)
    write_csv(snakemake.output.scores, scores)
    write_csv(snakemake.output.training, table)


run_logged(snakemake, main)
