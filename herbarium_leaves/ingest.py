"""A user's sheets and leaf annotations (image + mask folders, or COCO) brought to the pipeline's form."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from herbarium_leaves.coco import coco_images, coco_labels
from herbarium_leaves.sheet_io import InputError, orient_labels, read_mask, read_sheet_image

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp")
SPLITS = ("train", "test")
LEAF_COLUMNS = ["sample", "leaf_id", "intact", "reason", "length_mm", "width_mm", "px_per_mm"]
_TRUE = {"true", "1", "yes", "y", "t"}
_FALSE = {"false", "0", "no", "n", "f"}
# Snakemake reads braces in any path as a wildcard; a backslash or a leading dot would let a name act as a path.
_WILDCARD_BRACES = "{}"
_UNSAFE_NAME_CHARACTERS = _WILDCARD_BRACES + "\\"


def images_by_stem(paths: Iterable[Path], source: str | Path) -> dict[str, Path]:
    """Image files among `paths` keyed by file stem, in path order; hidden files skipped, duplicate stems refused.

    `source` (the folder or glob the paths came from) is what an error names.
    """
    in_folder = Path(source).is_dir()
    found: dict[str, Path] = {}
    for path in sorted(paths):
        if path.name.startswith(".") or path.suffix.lower() not in IMAGE_SUFFIXES or not path.is_file():
            continue
        if path.stem in found:
            first, second = (found[path.stem].name, path.name) if in_folder else (found[path.stem], path)
            raise InputError(source, f"duplicate sample name '{path.stem}' ({first}, {second})")
        found[path.stem] = path
    return found


def not_images(paths: Iterable[Path]) -> list[Path]:
    """Files among `paths` that are not taken as images (not hidden, but of another type), sorted."""
    return sorted(
        path
        for path in paths
        if not path.name.startswith(".") and path.suffix.lower() not in IMAGE_SUFFIXES and path.is_file()
    )


def files_by_stem(folder: str | Path) -> dict[str, Path]:
    """Image files of a folder keyed by file stem; hidden files are skipped, duplicate stems refused."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(folder, "folder not found")
    return images_by_stem(folder.iterdir(), folder)


def check_sample_names(samples: list[str], source: str | Path) -> None:
    """Refuse sample names that cannot be file names under results/ (braces, backslash, leading dot)."""
    for sample in samples:
        unsafe = sorted(set(sample) & set(_UNSAFE_NAME_CHARACTERS))
        if unsafe or sample.startswith("."):
            what = f"contains {' '.join(unsafe)}" if unsafe else "starts with a dot"
            raise InputError(source, f"sample name '{sample}' {what}, which the workflow cannot use; rename it")


def check_input_path(path: str | Path) -> None:
    """Refuse a path with braces: Snakemake reads them as a wildcard in any input file's path."""
    if set(str(path)) & set(_WILDCARD_BRACES):
        raise InputError(path, "has { or } in its path, which the workflow cannot use; rename or move it")


def folder_samples(images_dir: str | Path, masks_dir: str | Path) -> pd.DataFrame:
    """Table of sample, image and mask paths (mask None where none has the image's stem)."""
    images = files_by_stem(images_dir)
    if not images:
        raise InputError(images_dir, f"no images ({', '.join(IMAGE_SUFFIXES)}) in folder")
    check_sample_names(list(images), images_dir)
    masks = files_by_stem(masks_dir)
    rows = [{"sample": s, "image": str(p), "mask": str(masks[s]) if s in masks else None} for s, p in images.items()]
    return pd.DataFrame(rows, columns=["sample", "image", "mask"])


def assign_splits(samples: list[str], test_fraction: float, seed: int) -> dict[str, str]:
    """Split sheets into train and test by a seeded hash of each name.

    The round(n * test_fraction) sheets with the smallest hashes go to test (at least
    one of each split when there are two or more sheets). The result does not depend
    on listing order, and adding sheets moves few existing ones.
    """
    ranked = sorted(samples, key=lambda s: hashlib.sha256(f"{seed}\0{s}".encode()).hexdigest())
    n_test = round(len(samples) * test_fraction)
    if len(samples) >= 2:
        n_test = min(max(n_test, 1), len(samples) - 1)
    test = set(ranked[:n_test])
    return {sample: "test" if sample in test else "train" for sample in samples}


def _parse_bool(value: object, source: str | Path, where: str) -> object:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return pd.NA
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise InputError(source, f"{where}: intact value {value!r} is not true/false")


def read_leaves_csv(path: str | Path) -> pd.DataFrame:
    """Read a user's leaves CSV: sample and leaf_id required; intact, px_per_mm, lengths optional."""
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "file not found")
    try:
        table = pd.read_csv(path, dtype={"sample": str})
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        raise InputError(path, f"not a readable CSV ({error})") from None
    missing = {"sample", "leaf_id"} - set(table.columns)
    if missing:
        raise InputError(path, f"missing column(s) {', '.join(sorted(missing))}")
    for column in ("leaf_id", "px_per_mm", "length_mm", "width_mm"):
        if column in table and not pd.api.types.is_numeric_dtype(table[column]):
            raise InputError(path, f"column {column} has non-numeric values")
    check_scales(table, path)
    if "intact" in table:
        table["intact"] = [_parse_bool(v, path, f"row {i + 2}") for i, v in enumerate(table["intact"])]
    duplicated = table.duplicated(["sample", "leaf_id"])
    if duplicated.any():
        first = table[duplicated].iloc[0]
        raise InputError(path, f"leaf {first['leaf_id']} of sample {first['sample']} is listed twice")
    return table


def check_scales(table: pd.DataFrame, path: str | Path) -> None:
    """Refuse a px_per_mm column with a value that is zero, negative or not finite (empty cells are allowed)."""
    if "px_per_mm" not in table:
        return
    given = table["px_per_mm"].dropna()
    bad = given[~(np.isfinite(given) & (given > 0))]
    if len(bad):
        raise InputError(path, f"row {bad.index[0] + 2}: px_per_mm is {bad.iloc[0]}; a scale must be a positive number")


def read_scale_table(path: str | Path) -> dict[str, float]:
    """sheet name -> px_per_mm from a CSV with columns sample and px_per_mm (the given scales of unlabelled scans)."""
    path = Path(path)
    try:
        table = pd.read_csv(path, dtype={"sample": str})
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        raise InputError(path, f"not a readable CSV ({type(error).__name__})") from None
    missing = {"sample", "px_per_mm"} - set(table.columns)
    if missing:
        raise InputError(path, f"missing column(s) {', '.join(sorted(missing))}")
    if not pd.api.types.is_numeric_dtype(table["px_per_mm"]):
        raise InputError(path, "column px_per_mm has non-numeric values")
    check_scales(table, path)
    repeated = table.loc[table["sample"].duplicated(), "sample"]
    if len(repeated):
        raise InputError(path, f"sheet '{repeated.iloc[0]}' is listed twice")
    given = table.dropna(subset=["px_per_mm"])
    return dict(zip(given["sample"], given["px_per_mm"].astype(float), strict=True))


def splits_from_column(values: pd.DataFrame, column: str, source: str | Path) -> dict[str, str]:
    """Sample -> split from a column of a table with a sample column; one split per sample."""
    if column not in values:
        raise InputError(source, f"split column '{column}' not found")
    splits: dict[str, str] = {}
    for sample, group in values.groupby("sample", sort=True):
        found = set(group[column].dropna().astype(str).str.strip().str.lower())
        if len(found) != 1 or not found <= set(SPLITS):
            raise InputError(
                source,
                f"sample {sample}: split column '{column}' holds {sorted(found)}; "
                "expected exactly one of train or test",
            )
        splits[str(sample)] = found.pop()
    return splits


def leaf_rows(sample: str, labels: np.ndarray, annotated: pd.DataFrame | None, source: str | Path) -> pd.DataFrame:
    """One row per leaf id in `labels`, with the user's values (intact, px_per_mm, ...) where given."""
    ids = [int(i) for i in np.unique(labels) if i != 0]
    rows = pd.DataFrame({"sample": sample, "leaf_id": ids})
    if annotated is not None and len(annotated):
        unknown = sorted(set(annotated["leaf_id"].astype(int)) - set(ids))
        if unknown:
            raise InputError(source, f"sample {sample}: leaf_id {unknown[0]} is not in its mask")
        values = annotated.drop(columns=["sample"], errors="ignore").copy()
        values["leaf_id"] = values["leaf_id"].astype(int)
        rows = rows.merge(values, on="leaf_id", how="left")
        if "px_per_mm" in annotated and annotated["px_per_mm"].notna().any():
            rows["px_per_mm"] = float(annotated["px_per_mm"].dropna().iloc[0])
    for column in LEAF_COLUMNS:
        if column not in rows:
            rows[column] = pd.NA
    return rows[LEAF_COLUMNS]


def load_folder_sheet(
    image_path: str | Path, mask_path: str | Path | None, mask_type: str, max_pixels: int
) -> tuple[np.ndarray, np.ndarray]:
    """Read an image and its mask: upright 8-bit RGB and uint16 instance labels of the same size."""
    image, orientation, stored = read_sheet_image(image_path, max_pixels)
    if mask_path is None:
        raise InputError(image_path, "no mask with this image's file stem")
    labels = read_mask(mask_path, stored, image_path, mask_type, orientation, max_pixels)
    return image, labels


def read_coco(path: str | Path) -> dict:
    """Read a COCO JSON file."""
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "file not found")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise InputError(path, f"not valid JSON ({error})") from None


def coco_samples(coco: dict, images_dir: str | Path, source: str | Path) -> pd.DataFrame:
    """Table of a COCO file's images with their resolved paths; names that leave the folder or repeat are refused."""
    table = coco_images(coco, source)
    if table.empty:
        raise InputError(source, "no images in the COCO file")
    root = Path(images_dir).resolve()
    paths = []
    for file_name in table["file_name"]:
        path = (root / str(file_name)).resolve()
        if not path.is_relative_to(root):
            raise InputError(source, f"image file_name '{file_name}' points outside {images_dir}")
        paths.append(str(path))
    table["image"] = paths
    repeated = table["sample"][table["sample"].duplicated()]
    if len(repeated):
        raise InputError(source, f"duplicate sample name '{repeated.iloc[0]}' among the COCO images")
    check_sample_names(list(table["sample"]), source)
    return table


def load_coco_sheet(
    coco: dict, entry: dict, source: str | Path, max_pixels: int
) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
    """Read one COCO image and rasterize its leaves, oriented like the image.

    The COCO height and width must equal the image file's stored size; annotations
    are taken in stored pixel order, as for masks.
    """
    image, orientation, stored = read_sheet_image(entry["image"], max_pixels)
    if stored != (int(entry["height"]), int(entry["width"])):
        raise InputError(
            entry["image"],
            f"image is {stored[1]} x {stored[0]} px but {source} says {entry['width']} x {entry['height']}",
        )
    labels, leaves = coco_labels(coco, entry["image_id"], stored[0], stored[1], source)
    labels = orient_labels(labels, orientation)
    return image, labels, leaves
