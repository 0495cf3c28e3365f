"""Train the intact-leaf SVM on the measured true leaves (components of the true masks) of the training sheets."""

import joblib
import pandas as pd

from herbarium_leaves.intact import SvmSpec, train_intact_svm
from herbarium_leaves.runner import run_logged
from herbarium_leaves.sheet_io import atomic_path, write_csv


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
    bundle, scores = train_intact_svm(table, table["intact"], spec, params["seed"])
    with atomic_path(snakemake.output.model) as temporary:
        joblib.dump(bundle, temporary)
    write_csv(snakemake.output.scores, scores)
    write_csv(snakemake.output.training, table)
    logger.info(
        "SVM on %s: best %s, balanced accuracy %.3f over %d leaves",
        bundle["columns"],
        bundle["best_params"],
        bundle["best_score"],
        bundle["n_leaves"],
    )


run_logged(snakemake, main)
