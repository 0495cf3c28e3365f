import numpy as np
import pandas as pd
import pytest

from herbarium_leaves.config import ConfigError
from herbarium_leaves.intact import (
    NO_SCALE_NOTE,
    SvmSpec,
    classify_leaves,
    feature_columns,
    skipped_svm,
    svm_skip_reason,
    svm_training_leaves,
    train_intact_svm,
    training_sheets,
    unjudged_sheets,
)
from herbarium_leaves.metrics import intact_calls


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
    with pytest.raises(ConfigError, match="1 intact and 9 other; the SVM needs at least 4 of each"):
        train_intact_svm(traits, pd.Series([True] + [False] * 9), SvmSpec(), seed=0)


def test_why_the_svm_is_skipped():
    assert svm_skip_reason(pd.Series([np.nan] * 6)) == (
        "no training leaf has an intact flag (binary masks, or no intact column or attribute)"
    )
    assert "3 intact and 5 other" in svm_skip_reason(pd.Series([True] * 3 + [False] * 5 + [np.nan] * 9))
    assert svm_skip_reason(pd.Series([True] * 4 + [False] * 4 + [np.nan] * 9, dtype=object)) is None


def test_only_sheets_with_intact_flags_train_the_svm():
    traits, intact = _leaves()
    unlabelled = pd.Series(np.arange(len(intact)) % 3 == 0)  # a third of the leaves come from unflagged sheets
    flags = intact.astype(object).where(~unlabelled, np.nan)
    bundle, _ = train_intact_svm(traits, flags, SvmSpec(), seed=0)
    assert bundle["n_leaves"] == int((~unlabelled).sum()) and bundle["skipped"] is None


def test_a_skipped_svm_leaves_intact_empty_with_the_reason():
    traits, _ = _leaves()
    called = classify_leaves(skipped_svm("no training leaf has an intact flag", SvmSpec()), traits)
    assert called["intact"].isna().all() and called["intact_probability"].isna().all()
    assert (called["intact_note"] == "intact-leaf SVM skipped: no training leaf has an intact flag").all()
    assert not intact_calls(called).any()


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
    assert called.loc[unscaled, "intact_probability"].isna().all() and called.loc[unscaled, "intact"].isna().all()
    assert (called.loc[unscaled, "intact_note"] == NO_SCALE_NOTE).all()
    assert called.loc[~unscaled, "intact_probability"].between(0, 1).all()
    assert called.loc[~unscaled, "intact"].notna().all() and called.loc[~unscaled, "intact_note"].isna().all()
    assert unjudged_sheets(called) == ["no scale"]
    assert unjudged_sheets(called[unscaled]) == ["no scale"]  # every leaf unscaled: named, not an error
    assert not called.loc[unscaled, "most_intact_on_sheet"].any()  # none judged: none chosen


def test_each_sheet_names_its_most_likely_intact_leaf_whatever_the_threshold():
    traits, intact = _leaves()
    bundle, _ = train_intact_svm(traits, intact, SvmSpec(), seed=0)
    test = traits.assign(sample=[f"sheet{index % 4}" for index in range(len(traits))])
    called = classify_leaves({**bundle, "threshold": 1.1}, test)  # a threshold no leaf reaches
    assert not called["intact"].any()
    best = called[called["most_intact_on_sheet"]]
    assert sorted(best["sample"]) == ["sheet0", "sheet1", "sheet2", "sheet3"]
    top = called.groupby("sample")["intact_probability"].max()
    assert best.set_index("sample")["intact_probability"].sort_index().equals(top)


def _sheet_leaves(sheets: int, prefix: str, flagged: bool) -> pd.DataFrame:
    traits, intact = _leaves(10 * sheets, seed=sheets)
    samples = [f"{prefix}_{index // 10}" for index in range(len(traits))]
    return traits.assign(sample=samples, intact=intact if flagged else pd.NA)


@pytest.mark.parametrize("flagged", [True, False])
def test_auto_learns_from_the_annotations_when_flagged_else_from_generated_sheets(flagged):
    annotated, generated = _sheet_leaves(3, "train", flagged), _sheet_leaves(8, "svm", True)
    table, note = svm_training_leaves(annotated, generated, "auto")
    if flagged:
        assert note is None and set(table["source"]) == {"annotations"} and len(table) == len(annotated)
    else:
        assert (
            note == "no training leaf has an intact flag (binary masks, or no intact column or attribute): "
            "it learns from the generated sheets' true leaves instead"
        )
        assert set(table["source"]) == {"generated"} and table["intact"].notna().all()
        assert svm_skip_reason(table["intact"]) is None  # it can be trained


def test_both_pools_the_annotated_and_generated_leaves_and_annotations_alone_may_be_skipped():
    annotated, generated = _sheet_leaves(3, "train", False), _sheet_leaves(8, "svm", True)
    table, note = svm_training_leaves(annotated, generated, "both")
    assert note is None and table["source"].value_counts().to_dict() == {"generated": 80, "annotations": 30}
    assert training_sheets({"annotations": 3, "generated": 8}) == "3 annotated training sheets and 8 generated sheets"
    alone, _ = svm_training_leaves(annotated, generated.iloc[:0], "annotations")
    assert svm_skip_reason(alone["intact"]).startswith("no training leaf has an intact flag")
    only, _ = svm_training_leaves(annotated.iloc[:0], generated, "generated")
    assert set(only["source"]) == {"generated"} and len(only) == 80
