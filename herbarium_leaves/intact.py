"""The intact-leaf classifier: an SVM on measured leaf traits (svm.features)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.calibration import CalibratedClassifierCV
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC
from sklearn.utils.class_weight import compute_sample_weight

from herbarium_leaves.config import ConfigError
from herbarium_leaves.metrics import SVM_SKIPPED

# Trait name -> column in px and in mm (None where the trait has no unit).
_TRAIT_COLUMNS = {
    "length": ("length_px", "length_mm"),
    "width": ("width_px", "width_mm"),
    "area": ("area_px", "area_mm2"),
    "perimeter": ("perimeter_px", "perimeter_mm"),
    "convex_area": ("convex_area_px", "convex_area_mm2"),
    "solidity": ("solidity", None),
    "eccentricity": ("eccentricity", None),
    "aspect_ratio": ("aspect_ratio", None),
    "circularity": ("circularity", None),
    "hole_fraction": ("hole_fraction", None),
    "touches_edge": ("touches_edge", None),
    "touches_leaf": ("touches_leaf", None),
    "mirror_symmetry": ("mirror_symmetry", None),
    "pale_fraction": ("pale_fraction", None),
}
TRAITS = tuple(_TRAIT_COLUMNS)
MIN_LEAVES_PER_CLASS = 4  # outer folds, each with two calibration folds
ENABLE_SVM_HINT = (
    "to enable them, give training sheets an intact flag per leaf (an 'intact' column in "
    "data.folder.leaves_csv, or an 'intact' attribute on COCO annotations), with at least "
    f"{MIN_LEAVES_PER_CLASS} intact and {MIN_LEAVES_PER_CLASS} other leaves, or let it learn from generated "
    "sheets (svm.learn_from: auto or generated)"
)
NO_SCALE_NOTE = "no px_per_mm for this sheet, and the SVM uses traits in mm"


@dataclass(frozen=True)
class SvmSpec:
    """Features, grid of C and gamma, and the number of seeded stratified folds.

    The features default to the study's length and width; the workflow's default
    (the schema's svm.features) is the damage cues alone.
    """

    features: tuple[str, ...] = ("length", "width")
    c_grid: tuple[float, ...] = (0.1, 1.0, 10.0, 100.0)
    gamma_grid: tuple[float | str, ...] = ("scale", 0.01, 0.1, 1.0)
    folds: int = 5
    threshold: float = 0.5

    @classmethod
    def from_config(cls, svm: dict) -> SvmSpec:
        """The spec of a config's `svm` block."""
        return cls(
            tuple(svm["features"]), tuple(svm["c_grid"]), tuple(svm["gamma_grid"]), svm["folds"], svm["threshold"]
        )


def feature_columns(features: tuple[str, ...] | list[str], table: pd.DataFrame) -> list[str]:
    """The table columns for `features`: in mm where every row has a scale, else in px."""
    unknown = [name for name in features if name not in _TRAIT_COLUMNS]
    if unknown:
        raise ConfigError(f"config key 'svm.features': unknown trait {unknown[0]!r} (known: {', '.join(TRAITS)})")
    in_mm = len(table) > 0 and table["px_per_mm"].notna().all()
    return [
        _TRAIT_COLUMNS[name][1] if in_mm and _TRAIT_COLUMNS[name][1] else _TRAIT_COLUMNS[name][0] for name in features
    ]


def svm_skip_reason(intact: pd.Series) -> str | None:
    """Why the SVM cannot be trained from these intact flags (NA = unlabelled leaf); None when it can."""
    known = intact.dropna().astype(bool)
    if known.empty:
        return "no training leaf has an intact flag (binary masks, or no intact column or attribute)"
    counts = np.bincount(known.to_numpy(int), minlength=2)
    if counts.min() < MIN_LEAVES_PER_CLASS:
        return (
            f"the training leaves with an intact flag are {counts[1]} intact and {counts[0]} other; "
            f"the SVM needs at least {MIN_LEAVES_PER_CLASS} of each"
        )
    return None


def svm_training_leaves(
    annotated: pd.DataFrame, generated: pd.DataFrame, learn_from: str
) -> tuple[pd.DataFrame, str | None]:
    """The true leaves the SVM learns from (svm.learn_from), with a `source` column, and why auto chose generated.

    annotated: the training sheets' measured true leaves (intact NA where unflagged);
    generated: those of the generator's sheets, every leaf flagged. auto takes the
    annotated leaves when they can train the SVM (svm_skip_reason), else the generated.
    """
    note = None
    if learn_from == "auto":
        reason = svm_skip_reason(annotated["intact"])
        learn_from = "generated" if reason else "annotations"
        if reason:
            note = f"{reason}: it learns from the generated sheets' true leaves instead"
    tables = {"annotations": annotated, "generated": generated}
    chosen = ["annotations", "generated"] if learn_from == "both" else [learn_from]
    return pd.concat([tables[name].assign(source=name) for name in chosen], ignore_index=True), note


def training_sheets(sheets: dict[str, int]) -> str:
    """Sheet counts by source in words: {"annotations": 24, "generated": 96} -> '24 annotated training sheets
    and 96 generated sheets'."""
    names = {"annotations": "annotated training sheets", "generated": "generated sheets"}
    return " and ".join(f"{count} {names[source]}" for source, count in sheets.items())


def intact_filter(bundle: dict) -> str:
    """How leaves were called intact, in words (Darwin Core measurementMethod): the SVM's features and teachers."""
    if bundle["skipped"]:
        return f"none (the intact-leaf SVM was skipped: {bundle['skipped']})"
    return (
        f"an RBF SVM on {', '.join(bundle['columns'])} (intact at probability >= {bundle['threshold']}), "
        f"learned from {bundle['learned_from']}"
    )


def skipped_svm(reason: str, spec: SvmSpec) -> dict:
    """The SVM bundle when it was not trained: it calls no leaf, and says why."""
    return {"pipeline": None, "skipped": reason, "columns": [], "threshold": spec.threshold, "n_leaves": 0}


def train_intact_svm(traits: pd.DataFrame, intact: pd.Series, spec: SvmSpec, seed: int) -> tuple[dict, pd.DataFrame]:
    """Fit StandardScaler + RBF SVC (balanced classes, calibrated probabilities) by a grid search over C and gamma.

    Returns the fitted bundle (pipeline, feature columns, spec) and the grid's
    cross-validation scores (balanced accuracy over seeded stratified folds).
    """
    columns = feature_columns(spec.features, traits)
    known = intact.notna().to_numpy()
    x = traits.loc[known, columns].to_numpy(float)
    y = intact[known].astype(bool).to_numpy()
    reason = svm_skip_reason(intact)
    if reason:
        raise ConfigError(f"the intact-leaf SVM cannot be trained: {reason}")
    counts = np.bincount(y.astype(int), minlength=2)
    # Probabilities by Platt scaling on out-of-fold decision values (scikit-learn's successor of SVC(probability=True)).
    calibrated = CalibratedClassifierCV(
        SVC(kernel="rbf", class_weight="balanced"),
        method="sigmoid",
        ensemble=False,
        cv=StratifiedKFold(n_splits=2, shuffle=True, random_state=seed),
    )
    pipeline = Pipeline([("scale", StandardScaler()), ("svc", calibrated)])
    folds = StratifiedKFold(n_splits=min(spec.folds, int(counts.min())), shuffle=True, random_state=seed)
    search = GridSearchCV(
        pipeline,
        {"svc__estimator__C": list(spec.c_grid), "svc__estimator__gamma": list(spec.gamma_grid)},
        cv=folds,
        scoring="balanced_accuracy",
        refit=True,
    )
    search.fit(x, y, svc__sample_weight=compute_sample_weight("balanced", y))
    scores = pd.DataFrame(search.cv_results_)[
        [
            "param_svc__estimator__C",
            "param_svc__estimator__gamma",
            "mean_test_score",
            "std_test_score",
            "rank_test_score",
        ]
    ].rename(columns={"param_svc__estimator__C": "C", "param_svc__estimator__gamma": "gamma"})
    best = {key.rsplit("__", 1)[1]: value for key, value in search.best_params_.items()}
    bundle = {
        "pipeline": search.best_estimator_,
        "skipped": None,
        "columns": columns,
        "threshold": spec.threshold,
        "best_params": best,
        "best_score": float(search.best_score_),
        "n_leaves": len(y),
    }
    return bundle, scores


def classify_leaves(bundle: dict, traits: pd.DataFrame) -> pd.DataFrame:
    """`traits` with intact_probability, intact (probability >= the bundle's threshold), intact_note and
    most_intact_on_sheet (most_intact_on_sheet) added.

    Where a leaf cannot be judged, intact_probability is NaN, intact is empty (NA) and
    intact_note says why: the SVM was skipped, or the leaf's sheet has no px_per_mm
    while the SVM uses traits in mm.
    """
    result = traits.copy()
    probability = np.full(len(result), np.nan)
    note = pd.Series(pd.NA, index=result.index, dtype="string")
    if bundle["skipped"]:
        note[:] = f"{SVM_SKIPPED}: {bundle['skipped']}"
    else:
        features = result.reindex(columns=bundle["columns"]).to_numpy(float)
        known = np.isfinite(features).all(axis=1)
        if known.any():
            probability[known] = bundle["pipeline"].predict_proba(features[known])[:, 1]
        note[~known] = NO_SCALE_NOTE
    intact = pd.array(probability >= bundle["threshold"], dtype="boolean")
    intact[np.isnan(probability)] = pd.NA
    result["intact_probability"] = probability
    result["intact"] = intact
    result["intact_note"] = note
    result["most_intact_on_sheet"] = most_intact_on_sheet(result)
    return result


def most_intact_on_sheet(classified: pd.DataFrame) -> pd.Series:
    """Whether each leaf is the one of its sheet (`sample`; one sheet without it) with the highest
    intact_probability, the first of ties: one leaf per specimen, whatever the threshold. False where
    no leaf of the sheet was judged."""
    sheets = classified["sample"] if "sample" in classified else pd.Series(0, index=classified.index)
    judged = pd.DataFrame({"sheet": sheets, "probability": classified["intact_probability"]}).dropna()
    best = judged.sort_values("probability", ascending=False, kind="stable").drop_duplicates("sheet").index
    return pd.Series(classified.index.isin(best), index=classified.index)


def unjudged_sheets(classified: pd.DataFrame) -> list[str]:
    """Sheets with leaves that have no scale for the SVM to judge them (the SVM ran; see intact_note)."""
    return sorted(classified.loc[classified["intact_note"] == NO_SCALE_NOTE, "sample"].unique())
