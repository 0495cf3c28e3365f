"""COCO export and import of leaf instance annotations (category leaf, intact attribute)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pandas as pd
import scipy.ndimage
from pycocotools import mask as mask_utils

from herbarium_leaves.sheet_io import InputError

LEAF_CATEGORY = {"id": 1, "name": "leaf", "supercategory": "plant"}
_ATTRIBUTE_COLUMNS = (
    "intact",
    "intact_probability",
    "intact_note",
    "most_intact_on_sheet",
    "reason",
    "length_mm",
    "width_mm",
    "area_mm2",
    "length_px",
    "width_px",
    "px_per_mm",
)


def _plain(value: object) -> object:
    """A JSON-friendly copy of a table cell (None for missing values)."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return None
    return value.item() if isinstance(value, np.generic) else value


def _polygons(blade: np.ndarray, offset: tuple[int, int] = (0, 0)) -> list[list[float]]:
    """Outer contours of a blade as COCO polygons [x0, y0, x1, y1, ...] (at least 3 points each), shifted by the
    (x, y) `offset` of its crop."""
    contours, _ = cv2.findContours(blade, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE, offset=offset)
    return [c.reshape(-1).astype(float).tolist() for c in contours if len(c) >= 3]


def labels_to_coco(sheets: list[tuple[str, np.ndarray, pd.DataFrame]], polygons: bool = False) -> dict:
    """Return a COCO dict for sheets given as (file_name, uint16 labels, leaf rows with leaf_id).

    Each leaf becomes one annotation with its bbox and area in px and its rows' values
    as attributes; the segmentation is a compressed RLE (exact, holes included) or,
    with `polygons`, outer-contour polygons that annotation tools edit. Each leaf is
    traced in its own box, so a large scan costs what its leaves cover.
    """
    images, annotations = [], []
    for image_id, (file_name, labels, leaves) in enumerate(sheets, start=1):
        height, width = labels.shape
        images.append({"id": image_id, "file_name": file_name, "height": int(height), "width": int(width)})
        boxes = scipy.ndimage.find_objects(labels)
        for row in leaves.to_dict("records"):
            leaf_id = int(row["leaf_id"])
            box = (boxes[leaf_id - 1] if 0 < leaf_id <= len(boxes) else None) or (slice(0, 0), slice(0, 0))
            blade = np.asfortranarray((labels[box] == leaf_id).astype(np.uint8))
            y0, x0 = box[0].start, box[1].start
            area = int(np.count_nonzero(blade))
            attributes = {key: _plain(row[key]) for key in _ATTRIBUTE_COLUMNS if key in row}
            attributes["leaf_id"] = leaf_id
            if polygons:
                segmentation = _polygons(blade, (x0, y0)) if area else []
            else:
                whole = mask_utils.encode(np.asfortranarray((labels == leaf_id).astype(np.uint8)))
                segmentation = {"size": [int(height), int(width)], "counts": whole["counts"].decode("ascii")}
            annotations.append(
                {
                    "id": len(annotations) + 1,
                    "image_id": image_id,
                    "category_id": LEAF_CATEGORY["id"],
                    "segmentation": segmentation,
                    "area": float(area),
                    "bbox": [float(x0), float(y0), float(blade.shape[1]), float(blade.shape[0])] if area else [0.0] * 4,
                    "iscrowd": 0,
                    "attributes": attributes,
                }
            )
    return {
        "info": {"description": "Herbarium leaf instances"},
        "images": images,
        "annotations": annotations,
        "categories": [LEAF_CATEGORY],
    }


def merge_coco(parts: list[dict]) -> dict:
    """One COCO dict of several made by labels_to_coco, image and annotation ids renumbered in order."""
    images, annotations = [], []
    for part in parts:
        new_ids = {image["id"]: len(images) + number for number, image in enumerate(part["images"], start=1)}
        images += [{**image, "id": new_ids[image["id"]]} for image in part["images"]]
        annotations += [
            {**annotation, "id": len(annotations) + number, "image_id": new_ids[annotation["image_id"]]}
            for number, annotation in enumerate(part["annotations"], start=1)
        ]
    return {
        "info": {"description": "Herbarium leaf instances"},
        "images": images,
        "annotations": annotations,
        "categories": [LEAF_CATEGORY],
    }


def coco_images(coco: dict, source: str | Path) -> pd.DataFrame:
    """Table of a COCO file's images: image_id, file_name, sample (file stem), height, width and extra keys."""
    if not isinstance(coco, dict) or not isinstance(coco.get("images"), list):
        raise InputError(source, "not a COCO file: no list of images")
    rows = []
    for entry in coco["images"]:
        if not {"id", "file_name", "height", "width"} <= set(entry):
            raise InputError(source, f"image entry {entry.get('id', '?')} lacks id, file_name, height or width")
        rows.append({**entry, "image_id": entry["id"], "sample": Path(str(entry["file_name"])).stem})
    return pd.DataFrame(rows)


def leaf_category_id(coco: dict, source: str | Path) -> int:
    """The id of the category named leaf."""
    for category in coco.get("categories", []):
        if str(category.get("name", "")).lower() == "leaf":
            return int(category["id"])
    raise InputError(source, "no category named 'leaf' in the COCO categories")


def coco_labels(
    coco: dict, image_id: int, height: int, width: int, source: str | Path
) -> tuple[np.ndarray, pd.DataFrame]:
    """Rasterize one image's leaf annotations (polygons or RLE) into uint16 labels.

    Leaf ids follow annotation order (1, 2, ...); where annotations overlap, the later
    one wins. Returns the labels and one row per leaf: leaf_id, annotation_id, intact.
    """
    category = leaf_category_id(coco, source)
    labels = np.zeros((height, width), np.uint16)
    rows = []
    for annotation in coco.get("annotations", []):
        if annotation.get("image_id") != image_id or annotation.get("category_id") != category:
            continue
        segmentation = annotation.get("segmentation")
        try:
            if isinstance(segmentation, dict) and isinstance(segmentation.get("counts"), str):
                encoded = {"size": segmentation["size"], "counts": segmentation["counts"].encode("ascii")}
            else:
                encoded = mask_utils.frPyObjects(segmentation, height, width)
            if isinstance(encoded, list):
                encoded = mask_utils.merge(encoded)
            blade = mask_utils.decode(encoded).astype(bool)
        except (TypeError, ValueError, KeyError, IndexError) as error:
            raise InputError(
                source, f"annotation {annotation.get('id')} has an unreadable segmentation ({error})"
            ) from None
        if blade.shape != (height, width):
            raise InputError(
                source,
                f"annotation {annotation.get('id')} segmentation size {blade.shape} "
                f"differs from its image's {height} x {width}",
            )
        leaf_id = len(rows) + 1
        labels[blade] = leaf_id
        attributes = annotation.get("attributes") or {}
        intact = attributes.get("intact", annotation.get("intact"))
        rows.append(
            {
                "leaf_id": leaf_id,
                "annotation_id": annotation.get("id"),
                "intact": None if intact is None else bool(intact),
            }
        )
    return labels, pd.DataFrame(rows, columns=["leaf_id", "annotation_id", "intact"])
