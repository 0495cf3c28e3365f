"""Train the intact-leaf SVM on measured true leaves: the training sheets' and/or generated sheets' (svm.learn_from).

Without enough intact flags among them, the SVM is skipped: the bundle says why, and
the intact calls and intact metrics after it are left empty.
"""

import joblib
import pandas as pd

from herbarium_leaves.intact import (
    ENABLE_SVM_HINT,
    SvmSpec,
    skipped_svm,
    svm_skip_reason,
    svm_training_leaves,
    train_intact_svm,
    training_sheets,
)
from herbarium_leaves.runner import run_logged
from herbarium_leaves.sheet_io import atomic_path, write_csv

SCORE_COLUMNS = ["C", "gamma", "mean_test_score", "std_test_score", "rank_test_score"]


def read_traits(paths) -> pd.DataFrame:
    """The measured leaves of these sheets in one table (no sheets: an empty one)."""
    tables = [pd.read_csv(path, dtype={"sample": str}) for path in paths]
    return pd.concat(tables, ignore_index=True) if tables else pd.DataFrame({"sample": [], "intact": []})


def main(logger):
    params, inputs = snakemake.params, snakemake.input
    spec = SvmSpec.from_config(params.svm)
    sheets = {"annotations": inputs.get("traits", []), "generated": inputs.generated}
    table, note = svm_training_leaves(
        read_traits(sheets["annotations"]), read_traits(sheets["generated"]), params.learn_from
    )
    if note:
        logger.warning("intact-leaf SVM: %s", note)
    reason = svm_skip_reason(table["intact"])
    if reason:
        bundle, scores = skipped_svm(reason, spec), pd.DataFrame(columns=SCORE_COLUMNS)
        logger.warning(
            "intact-leaf SVM skipped: %s; intact calls and intact metrics stay empty; %s", reason, ENABLE_SVM_HINT
        )
    else:
        bundle, scores = train_intact_svm(table, table["intact"], spec, params.svm["seed"])
        logger.info(
            "SVM on %s: best %s, balanced accuracy %.3f over %d leaves",
            bundle["columns"],
            bundle["best_params"],
            bundle["best_score"],
            bundle["n_leaves"],
        )
    bundle["learned_from"] = training_sheets({source: len(sheets[source]) for source in table["source"].unique()})
    bundle["note"] = note
    with atomic_path(snakemake.output.model) as temporary:
        joblib.dump(bundle, temporary)
    write_csv(snakemake.output.scores, scores)
    write_csv(snakemake.output.training, table)


run_logged(snakemake, main)
