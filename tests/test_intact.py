import numpy as np
import pandas as pd
import pytest

from herbarium_leaves.config import ConfigError
from herbarium_leaves.intact import SvmSpec, classify_leaves, feature_columns, train_intact_svm, unjudged_sheets


def _leaves(n=80, seed=0):
    rng = np.random.default_rng(seed)
    intact = rng.random(n) < 0.4
    length = np.where(intact, rng.normal(80, 8, n), rng.normal(45, 12, n))
    width = np.where(intact, rng.normal(35, 4, n), rng.normal(20, 8, n))
    return pd.DataFrame(
        {"length_mm": length, "width_mm": width, "length_px": length * 2, "width_px": width * 2, "px_per_mm": 2.0}
    ), pd.Series(intact)


def test_svm_learns_separable_traits_and_is_seeded():
    traits, intact = _leaves()
    bundle, scores = train_intact_svm(traits, intact, SvmSpec(), seed=0)
    assert bundle["columns"] == ["length_mm", "width_mm"] and bundle["best_score"] > 0.85
    assert len(scores) == 16 and {"C", "gamma", "mean_test_score"} <= set(scores.columns)
    test, truth = _leaves(seed=1)
    called = classify_leaves(bundle, test)
    assert (called["intact"] == truth).mean() > 0.85
    assert called["intact_probability"].between(0, 1).all()
    again, _ = train_intact_svm(traits, intact, SvmSpec(), seed=0)
    assert np.array_equal(classify_leaves(again, test)["intact_probability"], called["intact_probability"])


def test_features_fall_back_to_px_without_a_scale():
    traits, _ = _leaves()
    assert feature_columns(["length", "solidity"], traits) == ["length_mm", "solidity"]
    traits["px_per_mm"] = np.nan
    assert feature_columns(["length", "width"], traits) == ["length_px", "width_px"]
    with pytest.raises(ConfigError, match="unknown trait 'colour'"):
        feature_columns(["colour"], traits)


def test_too_few_examples_of_a_class():
    traits, _ = _leaves(10)
    with pytest.raises(ConfigError, match="at least 4 intact and 4 other"):
        train_intact_svm(traits, pd.Series([True] + [False] * 9), SvmSpec(), seed=0)


def test_classify_an_empty_sheet():
    traits, intact = _leaves()
    bundle, _ = train_intact_svm(traits, intact, SvmSpec(), seed=0)
    called = classify_leaves(bundle, traits.iloc[:0])
    assert called.empty and {"intact", "intact_probability"} <= set(called.columns)


def test_leaves_of_a_sheet_without_scale_are_not_judged():
    traits, intact = _leaves()
    bundle, _ = train_intact_svm(traits, intact, SvmSpec(), seed=0)
    test = traits.assign(sample=np.where(np.arange(len(traits)) < 5, "no scale", "scaled"))
    test.loc[test["sample"] == "no scale", ["length_mm", "width_mm"]] = np.nan
    called = classify_leaves(bundle, test)
    unscaled = called["sample"] == "no scale"
    assert called.loc[unscaled, "intact_probability"].isna().all() and not called.loc[unscaled, "intact"].any()
    assert called.loc[~unscaled, "intact_probability"].between(0, 1).all()
    assert unjudged_sheets(bundle, called) == ["no scale"]
    with pytest.raises(ConfigError, match=r"no leaf has them: their sheets have no px_per_mm"):
        unjudged_sheets(bundle, called[unscaled])


def test_component_truth_marks_only_components_that_are_one_intact_leaf():
    from herbarium_leaves.intact import component_truth

    instances = np.zeros((20, 30), np.uint16)
    instances[2:8, 2:8] = 1  # intact, alone
    instances[10:18, 2:10] = 2  # intact, but touching leaf 3
    instances[10:18, 10:28] = 3  # not intact
    components = (instances > 0).astype(np.uint16)
    components[10:18, 2:28] = 2
    flags = component_truth(components, instances, intact_ids=[1, 2], threshold=0.5)
    assert flags.to_dict() == {1: True, 2: False}
