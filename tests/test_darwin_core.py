import numpy as np
import pandas as pd
import pytest

from herbarium_leaves.darwin_core import (
    MOF_COLUMNS,
    MOF_TRAITS,
    MofContext,
    measurement_or_fact,
    occurrence_of,
    read_occurrence_ids,
)
from herbarium_leaves.sheet_io import InputError

# The terms of Darwin Core's MeasurementOrFact class, and occurrenceID, which links a record to its specimen.
DWC_TERMS = {
    "occurrenceID",
    "measurementID",
    "parentMeasurementID",
    "measurementType",
    "measurementValue",
    "measurementAccuracy",
    "measurementUnit",
    "measurementDeterminedBy",
    "measurementDeterminedDate",
    "measurementMethod",
    "measurementRemarks",
}
CONTEXT = MofContext(
    "DeepLabv3+ (resnet18)", "an RBF SVM on solidity", "abc123", ("f" * 64, "e" * 64), "a curator", "2026-11-30"
)


def _traits() -> pd.DataFrame:
    rows = []
    for sample, scale in (("K1", 4.0), ("K2", np.nan)):
        for leaf in (1, 2, 3):
            length_px, width_px = 40.0 * leaf, 15.0 * leaf
            rows.append(
                {
                    "sample": sample,
                    "leaf_id": leaf,
                    "length_mm": length_px / scale,
                    "width_mm": width_px / scale,
                    "petiole_length_mm": 8.0 * leaf / scale,
                    "area_mm2": 300.0 * leaf / scale**2,
                    "perimeter_mm": 100.0 * leaf / scale,
                    "aspect_ratio": length_px / width_px,
                    "solidity": 0.9,
                    "circularity": 0.5 + leaf / 10,
                    "px_per_mm": scale,
                    "px_per_mm_source": "given" if scale == scale else "none",
                    "intact_probability": [0.9, 0.2, 0.7][leaf - 1] if scale == scale else np.nan,
                    "intact": [True, False, True][leaf - 1] if scale == scale else pd.NA,
                    "intact_note": pd.NA if scale == scale else "no px_per_mm for this sheet",
                }
            )
    return pd.DataFrame(rows)


def test_columns_are_darwin_core_terms():
    table = measurement_or_fact(_traits(), {"K1": "urn:K1", "K2": "urn:K2"}, CONTEXT, intact_only=True)
    assert list(table.columns) == MOF_COLUMNS and set(MOF_COLUMNS) <= DWC_TERMS
    assert table["measurementID"].is_unique


def test_every_value_traces_to_its_traits_row():
    traits = _traits()
    table = measurement_or_fact(traits, {"K1": "K1", "K2": "K2"}, CONTEXT, intact_only=False)
    by_type = {measurement_type: column for column, (measurement_type, *_) in MOF_TRAITS.items()}
    for record in table.to_dict("records"):
        sample, leaf = record["measurementRemarks"].split("; ")[:2]
        row = traits[(traits["sample"] == sample.removeprefix("sheet ")) & (traits["leaf_id"] == int(leaf[5:]))]
        assert record["measurementValue"] == row[by_type[record["measurementType"]]].item()
        assert record["occurrenceID"] == row["sample"].item()
    assert len(table) == 3 * len(MOF_TRAITS) + 3 * 3  # K1 every trait; K2 (no scale) the unitless ones only


def test_intact_leaves_only_by_default_and_no_mm_without_scale():
    table = measurement_or_fact(_traits(), {"K1": "K1", "K2": "K2"}, CONTEXT, intact_only=True)
    assert set(table["measurementRemarks"].str.split("; ").str[1]) == {"leaf 1", "leaf 3"}
    assert set(table["occurrenceID"]) == {"K1"}  # K2's leaves are not judged intact
    everything = measurement_or_fact(_traits(), {"K1": "K1", "K2": "K2"}, CONTEXT, intact_only=False)
    k2 = everything[everything["occurrenceID"] == "K2"]
    assert set(k2["measurementUnit"]) == {""} and "scale none" in k2["measurementRemarks"].iloc[0]
    k1_length = everything[(everything["occurrenceID"] == "K1") & (everything["measurementType"] == "leaf length")]
    assert (k1_length["measurementUnit"] == "mm").all() and (k1_length["measurementAccuracy"] == "0.25").all()
    method = k1_length["measurementMethod"].iloc[0]
    assert "abc123" in method and "ffffffffffffffff" in method and "intact calls by an RBF SVM on solidity" in method
    assert (everything["measurementDeterminedBy"] == "a curator").all()


def test_measurement_ids_are_stable_and_follow_the_occurrence():
    first = measurement_or_fact(_traits(), {"K1": "urn:a", "K2": "urn:b"}, CONTEXT, intact_only=False)
    again = measurement_or_fact(_traits(), {"K1": "urn:a", "K2": "urn:b"}, CONTEXT, intact_only=False)
    other = measurement_or_fact(_traits(), {"K1": "urn:c", "K2": "urn:b"}, CONTEXT, intact_only=False)
    assert first["measurementID"].tolist() == again["measurementID"].tolist()
    assert set(first["measurementID"]) != set(other["measurementID"])


def test_occurrence_id_mapping_is_checked(tmp_path):
    good = tmp_path / "ids.csv"
    good.write_text("sample,occurrenceID\nK1,urn:1\nK2,urn:2\n")
    assert occurrence_of(["K1"], read_occurrence_ids(good), good) == {"K1": "urn:1"}
    assert occurrence_of(["K1"], None, None) == {"K1": "K1"}
    with pytest.raises(InputError, match=r"ids.csv: sheet 'K3' has no occurrenceID \(1 sheets missing\)"):
        occurrence_of(["K1", "K3"], read_occurrence_ids(good), good)
    cases = {
        "sample,occurrenceID\nK1,urn:1\nK2,urn:1\n": "duplicate occurrenceID 'urn:1'",
        "sample,occurrenceID\nK1,urn:1\nK1,urn:2\n": "duplicate sample 'K1'",
        "sample,catalogNumber\nK1,1\n": "needs columns sample and occurrenceID; occurrenceID is missing",
        "sample,occurrenceID\nK1,\n": "row 2 has an empty occurrenceID",
    }
    for text, message in cases.items():
        bad = tmp_path / "bad.csv"
        bad.write_text(text)
        with pytest.raises(InputError, match=message):
            read_occurrence_ids(bad)
    with pytest.raises(InputError, match="not a readable CSV"):
        read_occurrence_ids(tmp_path / "missing.csv")
