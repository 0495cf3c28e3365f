"""Leaf traits as Darwin Core MeasurementOrFact records (one row per leaf and trait), as GBIF takes them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from herbarium_leaves.metrics import intact_calls
from herbarium_leaves.sheet_io import InputError

# The MeasurementOrFact extension's columns, named as the Darwin Core terms (http://rs.tdwg.org/dwc/terms/).
MOF_COLUMNS = [
    "occurrenceID",
    "measurementID",
    "measurementType",
    "measurementValue",
    "measurementUnit",
    "measurementAccuracy",
    "measurementMethod",
    "measurementDeterminedBy",
    "measurementDeterminedDate",
    "measurementRemarks",
]
# Traits CSV column -> (measurementType, measurementUnit, how it is measured, accuracy is one pixel in this unit).
MOF_TRAITS = {
    "length_mm": ("leaf length", "mm", "longest Feret diameter of the blade outline", True),
    "width_mm": ("leaf width", "mm", "widest extent of the blade perpendicular to its length", True),
    "petiole_length_mm": (
        "petiole length",
        "mm",
        "geodesic length of the stalk under 3 mm wide leaving the blade, to its end or a stem",
        True,
    ),
    "area_mm2": ("leaf area", "mm2", "blade area (pixels of the leaf mask)", False),
    "perimeter_mm": ("leaf perimeter", "mm", "blade outline length", True),
    "aspect_ratio": ("leaf length to width ratio", "", "length / width", False),
    "solidity": ("leaf solidity", "", "blade area / convex hull area", False),
    "circularity": ("leaf circularity", "", "4 pi area / perimeter squared", False),
}
_ID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://github.com/herbarium-leaves/measurementorfact")


@dataclass(frozen=True)
class MofContext:
    """What every record of a run shares: the method (segmentation, intact filter, code version, weights) and who
    determined it."""

    segmentation: str
    intact_filter: str
    code_version: str
    weights_sha256: tuple[str, ...]
    determined_by: str
    determined_date: str


def read_occurrence_ids(path: str | Path) -> dict[str, str]:
    """sheet name -> occurrenceID from a CSV with columns `sample` and `occurrenceID`; each sheet and ID once."""
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, ValueError, UnicodeDecodeError) as error:
        raise InputError(path, f"not a readable CSV ({type(error).__name__}: {error})") from None
    missing = [column for column in ("sample", "occurrenceID") if column not in table.columns]
    if missing:
        raise InputError(path, f"needs columns sample and occurrenceID; {missing[0]} is missing")
    for column in ("sample", "occurrenceID"):
        blank = table.index[table[column].str.strip() == ""]
        if len(blank):
            raise InputError(path, f"row {blank[0] + 2} has an empty {column}")
        repeated = table.loc[table[column].duplicated(), column]
        if len(repeated):
            raise InputError(path, f"duplicate {column} '{repeated.iloc[0]}'")
    return dict(zip(table["sample"], table["occurrenceID"], strict=True))


def occurrence_of(samples: list[str], mapping: dict[str, str] | None, source: str | Path | None) -> dict[str, str]:
    """occurrenceID per sheet: from `mapping` (every sheet must be in it), else the sheet name itself."""
    if mapping is None:
        return {sample: sample for sample in samples}
    absent = [sample for sample in samples if sample not in mapping]
    if absent:
        raise InputError(source, f"sheet '{absent[0]}' has no occurrenceID ({len(absent)} sheets missing)")
    return {sample: mapping[sample] for sample in samples}


def measurement_id(occurrence_id: str, sample: str, leaf_id: int, measurement_type: str) -> str:
    """A UUID that depends only on the occurrence, sheet, leaf and trait: the same on every rerun."""
    return str(uuid.uuid5(_ID_NAMESPACE, f"{occurrence_id}\x1f{sample}\x1f{leaf_id}\x1f{measurement_type}"))


def _remarks(row: dict) -> str:
    """Leaf id, intact probability (or why there is none) and the scale with its source."""
    probability, note, scale = row.get("intact_probability"), row.get("intact_note"), row.get("px_per_mm")
    called = f"intact probability {probability:.3f}" if pd.notna(probability) else "intact probability none"
    if pd.notna(note):
        called += f" ({note})"
    scale_text = f"{scale:.4g} px/mm ({row['px_per_mm_source']})" if pd.notna(scale) else "none"
    return f"sheet {row['sample']}; leaf {int(row['leaf_id'])}; {called}; scale {scale_text}"


def measurement_or_fact(
    traits: pd.DataFrame, occurrence_ids: dict[str, str], context: MofContext, intact_only: bool
) -> pd.DataFrame:
    """One MeasurementOrFact row per leaf and trait of `traits` (a traits CSV: sample, leaf_id, *_mm, ...).

    Intact leaves only (the default) or every leaf. A trait in mm is written only for
    sheets with a scale; the unitless ones for every sheet. Values keep the traits
    table's precision (no rounding), so each row traces to its traits row.
    """
    chosen = traits[intact_calls(traits)] if intact_only else traits
    weights = ", ".join(digest[:16] for digest in context.weights_sha256)
    methods = {
        column: f"{how}, on leaves segmented by {context.segmentation}; intact calls by {context.intact_filter}; "
        f"herbarium-leaves {context.code_version}; model weights sha256 {weights}"
        for column, (_, _, how, _) in MOF_TRAITS.items()
    }
    rows = []
    for row in chosen.to_dict("records"):
        occurrence = occurrence_ids[row["sample"]]
        pixel_mm = 1.0 / row["px_per_mm"] if pd.notna(row.get("px_per_mm")) else np.nan
        for column, (measurement_type, unit, _, pixel_accuracy) in MOF_TRAITS.items():
            value = row.get(column)
            if pd.isna(value):
                continue
            rows.append(
                {
                    "occurrenceID": occurrence,
                    "measurementID": measurement_id(occurrence, row["sample"], int(row["leaf_id"]), measurement_type),
                    "measurementType": measurement_type,
                    "measurementValue": value,
                    "measurementUnit": unit,
                    "measurementAccuracy": f"{pixel_mm:.3g}" if pixel_accuracy and np.isfinite(pixel_mm) else "",
                    "measurementMethod": methods[column],
                    "measurementDeterminedBy": context.determined_by,
                    "measurementDeterminedDate": context.determined_date,
                    "measurementRemarks": _remarks(row),
                }
            )
    return pd.DataFrame(rows, columns=MOF_COLUMNS)
