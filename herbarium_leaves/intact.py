"""The intact-leaf classifier: an SVM on measured leaf traits (by default length and width)."""

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
from herbarium_leaves.metrics import instance_iou

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
}
TRAITS = tuple(_TRAIT_COLUMNS)


@dataclass(frozen=True)
class SvmSpec:
    """Features, grid of C and gamma, and the number of seeded stratified folds."""

    features: tuple[str, ...] = ("length", "width")
    c_grid: tuple[float, ...] = (0.1, 1.0, 10.0, 100.0)
    gamma_grid: tuple[float | str, ...] = ("scale", 0.01, 0.1, 1.0)
    folds: int = 5
    threshold: float = 0.5


def feature_columns(features: tuple[str, ...] | list[str], table: pd.DataFrame) -> list[str]:
    """The table columns for `features`: in mm where every row has a scale, else in px."""
    unknown = [name for name in features if name not in _TRAIT_COLUMNS]
    if unknown:
        raise ConfigError(f"config key 'svm.features': unknown trait {unknown[0]!r} (known: {', '.join(TRAITS)})")
    in_mm = len(table) > 0 and table["px_per_mm"].notna().all()
    return [
        _TRAIT_COLUMNS[name][1] if in_mm and _TRAIT_COLUMNS[name][1] else _TRAIT_COLUMNS[name][0] for name in features
    ]


def train_intact_svm(traits: pd.DataFrame, intact: pd.Series, spec: SvmSpec, seed: int) -> tuple[dict, pd.DataFrame]:
    """Fit StandardScaler + RBF SVC (balanced classes, calibrated probabilities) by a grid search over C and gamma.

    Returns the fitted bundle (pipeline, feature columns, spec) and the grid's
    cross-validation scores (balanced accuracy over seeded stratified folds).
    """
    columns = feature_columns(spec.features, traits)
    known = intact.notna().to_numpy()
    x = traits.loc[known, columns].to_numpy(float)
    y = intact[known].astype(bool).to_numpy()
    counts = np.bincount(y.astype(int), minlength=2)
    if counts.min() < 4:  # outer folds, each with two calibration folds
        raise ConfigError(
            f"the SVM needs at least 4 intact and 4 other training leaves; got {counts[1]} and {counts[0]}"
        )
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
        "columns": columns,
        "threshold": spec.threshold,
        "best_params": best,
        "best_score": float(search.best_score_),
        "n_leaves": len(y),
    }
    return bundle, scores


def classify_leaves(bundle: dict, traits: pd.DataFrame) -> pd.DataFrame:
    """`traits` with intact_probability and intact (probability >= the bundle's threshold) added.

    A leaf lacking one of the SVM's features (its sheet has no px_per_mm) gets probability NaN and intact False.
    """
    result = traits.copy()
    features = result.reindex(columns=bundle["columns"]).to_numpy(float)
    known = np.isfinite(features).all(axis=1)
    probability = np.full(len(result), np.nan)
    if known.any():
        probability[known] = bundle["pipeline"].predict_proba(features[known])[:, 1]
    result["intact_probability"] = probability
    result["intact"] = probability >= bundle["threshold"]
    return result


def unjudged_sheets(bundle: dict, classified: pd.DataFrame) -> list[str]:
    """Sheets with leaves the SVM could not judge; ConfigError when that is every leaf (no scale anywhere)."""
    unjudged = classified["intact_probability"].isna()
    if len(classified) and unjudged.all():
        columns = bundle["columns"]
        raise ConfigError(
            f"the SVM was trained on {columns}, but no leaf has them: their sheets have no px_per_mm "
            "(for unlabelled sheets set config key 'unlabelled.px_per_mm')"
        )
    return sorted(classified.loc[unjudged, "sample"].unique())


def component_truth(
    components: np.ndarray, instances: np.ndarray, intact_ids: list[int], threshold: float
) -> pd.Series:
    """For each component of a true mask (ids 1..n): is it one intact leaf (IoU >= threshold with one)?

    Components are what a perfect segmentation would give: touching leaves merge,
    so a component is intact only when it is, by itself, an intact leaf.
    """
    iou = instance_iou(components, instances)
    intact_columns = [leaf - 1 for leaf in intact_ids if 0 < leaf <= iou.shape[1]]
    flags = (iou[:, intact_columns] >= threshold).any(axis=1) if intact_columns else np.zeros(len(iou), bool)
    return pd.Series(flags, index=np.arange(1, len(iou) + 1), name="intact")
