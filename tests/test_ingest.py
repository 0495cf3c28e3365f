import hashlib
import re
import struct
import zlib
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
import pytest
from PIL import Image

from herbarium_leaves.coco import coco_labels, labels_to_coco, merge_coco
from herbarium_leaves.ingest import (
    assign_splits,
    check_input_path,
    coco_samples,
    folder_samples,
    images_by_stem,
    leaf_rows,
    load_coco_sheet,
    load_folder_sheet,
    not_images,
    read_leaves_csv,
    splits_from_column,
)
from herbarium_leaves.sheet_io import InputError, atomic_path, read_png, write_png

LIMIT = 50_000_000


def _sheet(height=60, width=40):
    rng = np.random.default_rng(0)
    image = rng.integers(0, 255, (height, width, 3), dtype=np.uint8)
    labels = np.zeros((height, width), np.uint16)
    labels[5:20, 5:15] = 1
    labels[30:50, 20:35] = 2
    return image, labels


def _save(path, array, **kwargs):
    Image.fromarray(array).save(path, **kwargs)
    return path


@pytest.fixture
def pair(tmp_path):
    image, labels = _sheet()
    return _save(tmp_path / "a.png", image), _save(tmp_path / "a_mask.png", labels.astype(np.uint8)), image, labels


def png_claiming_size(path, width, height):
    """A valid small PNG whose header claims another size."""
    _save(path, np.zeros((4, 4), np.uint8))
    data = bytearray(path.read_bytes())
    data[16:24] = struct.pack(">II", width, height)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    path.write_bytes(bytes(data))
    return path


def test_reads_image_and_instance_mask(pair):
    image_path, mask_path, image, labels = pair
    read_image, read_labels = load_folder_sheet(image_path, mask_path, "instance", LIMIT)
    assert np.array_equal(read_image, image)
    assert np.array_equal(read_labels, labels) and read_labels.dtype == np.uint16


def test_binary_mask_becomes_components(tmp_path, pair):
    image_path, _, _, labels = pair
    mask = _save(tmp_path / "b.png", np.where(labels > 0, 255, 0).astype(np.uint8))
    _, read_labels = load_folder_sheet(image_path, mask, "binary", LIMIT)
    assert len(np.unique(read_labels)) == 3
    assert np.array_equal(read_labels > 0, labels > 0)


def test_inputs_are_never_modified(pair):
    image_path, mask_path, _, _ = pair
    before = [hashlib.sha256(Path(p).read_bytes()).hexdigest() for p in (image_path, mask_path)]
    load_folder_sheet(image_path, mask_path, "instance", LIMIT)
    assert before == [hashlib.sha256(Path(p).read_bytes()).hexdigest() for p in (image_path, mask_path)]


def test_zero_byte_image(tmp_path, pair):
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    with pytest.raises(InputError, match=r"empty\.png: file is empty \(0 bytes\)"):
        load_folder_sheet(empty, pair[1], "instance", LIMIT)


def test_text_file_named_png(tmp_path, pair):
    fake = tmp_path / "notes.png"
    fake.write_text("collector's notes, not an image")
    with pytest.raises(InputError, match=r"notes\.png: not a readable image"):
        load_folder_sheet(fake, pair[1], "instance", LIMIT)


def test_truncated_jpeg(tmp_path, pair):
    image, _ = _sheet(300, 200)
    full = _save(tmp_path / "full.jpg", image, quality=95)
    cut = tmp_path / "cut.jpg"
    cut.write_bytes(full.read_bytes()[: len(full.read_bytes()) // 2])
    with pytest.raises(InputError, match=r"cut\.jpg: truncated or corrupt image data"):
        load_folder_sheet(cut, pair[1], "instance", LIMIT)


def test_image_too_large_is_refused_from_its_header(tmp_path, pair):
    huge = png_claiming_size(tmp_path / "huge.png", 60_000, 60_000)
    with pytest.raises(InputError, match=r"huge\.png: image is 60000 x 60000 px, over the limit of 50000000 px"):
        load_folder_sheet(huge, pair[1], "instance", LIMIT)


def test_image_over_configured_limit(pair):
    with pytest.raises(InputError, match=r"a\.png: image is 40 x 60 px, over the limit of 1000 px"):
        load_folder_sheet(pair[0], pair[1], "instance", 1000)


def test_missing_mask(pair):
    with pytest.raises(InputError, match=r"a\.png: no mask with this image's file stem"):
        load_folder_sheet(pair[0], None, "instance", LIMIT)


def test_mask_of_another_size(tmp_path, pair):
    small = _save(tmp_path / "small.png", np.zeros((30, 20), np.uint8))
    with pytest.raises(InputError, match=r"small\.png: mask is 20 x 30 px but its image .*a\.png is 40 x 60 px"):
        load_folder_sheet(pair[0], small, "instance", LIMIT)


def test_binary_mask_with_other_values(tmp_path, pair):
    values = np.zeros((60, 40), np.uint8)
    values[:5] = 7
    values[10:] = 255
    mask = _save(tmp_path / "odd.png", values)
    with pytest.raises(InputError, match=r"odd\.png: binary mask has values \[7\]"):
        load_folder_sheet(pair[0], mask, "binary", LIMIT)


def test_colour_instance_mask(tmp_path, pair):
    colour = np.zeros((60, 40, 3), np.uint8)
    colour[..., 0] = 5
    mask = _save(tmp_path / "colour.png", colour)
    with pytest.raises(InputError, match=r"colour\.png: mask has colour values"):
        load_folder_sheet(pair[0], mask, "instance", LIMIT)


@pytest.mark.parametrize(
    ("name", "pixels", "expected"),
    [
        ("gray.png", np.full((60, 40), 90, np.uint8), 90),
        ("deep.png", np.full((60, 40), 40000, np.uint16), 40000 >> 8),
        ("deep.tif", np.full((60, 40), 40000, np.uint16), 40000 >> 8),
    ],
)
def test_grayscale_and_16_bit_become_8_bit_rgb(tmp_path, pair, name, pixels, expected):
    path = _save(tmp_path / name, pixels)
    image, _ = load_folder_sheet(path, pair[1], "instance", LIMIT)
    assert image.dtype == np.uint8 and image.shape == (60, 40, 3)
    assert (image == expected).all()


def test_16_bit_rgb_becomes_8_bit(tmp_path, pair):
    path = tmp_path / "deep_rgb.png"
    cv2.imwrite(str(path), np.full((60, 40, 3), 51400, np.uint16))
    image, _ = load_folder_sheet(path, pair[1], "instance", LIMIT)
    assert image.dtype == np.uint8 and (image == 51400 >> 8).all()


def test_rgba_is_composited_on_white(tmp_path, pair):
    rgba = np.zeros((60, 40, 4), np.uint8)
    rgba[..., :3] = 100
    rgba[:30, :, 3] = 255  # top half opaque, bottom half transparent
    image, _ = load_folder_sheet(_save(tmp_path / "rgba.png", rgba), pair[1], "instance", LIMIT)
    assert (image[:30] == 100).all() and (image[30:] == 255).all()


def test_exif_orientation_applies_to_image_and_mask_alike(tmp_path):
    image, labels = _sheet(60, 40)
    exif = Image.Exif()
    exif[0x0112] = 6  # stored pixels must be turned 90 degrees clockwise to stand upright
    path = _save(tmp_path / "rotated.jpg", image, exif=exif, quality=100)
    mask = _save(tmp_path / "rotated.png", labels.astype(np.uint8))
    read_image, read_labels = load_folder_sheet(path, mask, "instance", LIMIT)
    assert read_image.shape == (40, 60, 3) and read_labels.shape == (40, 60)
    assert np.array_equal(read_labels, np.rot90(labels, -1))
    stored = np.asarray(Image.open(path).convert("RGB"))
    assert np.array_equal(read_image, np.rot90(stored, -1))


def test_folder_listing_pairs_masks_by_stem(tmp_path):
    (tmp_path / "images").mkdir()
    (tmp_path / "masks").mkdir()
    for stem in ("b", "a", "c"):
        _save(tmp_path / "images" / f"{stem}.png", np.zeros((4, 4), np.uint8))
    for stem in ("a", "b"):
        _save(tmp_path / "masks" / f"{stem}.png", np.zeros((4, 4), np.uint8))
    (tmp_path / "images" / ".hidden.png").write_bytes(b"")
    (tmp_path / "images" / "readme.txt").write_text("")
    table = folder_samples(tmp_path / "images", tmp_path / "masks")
    assert list(table["sample"]) == ["a", "b", "c"]
    assert table["mask"].isna().tolist() == [False, False, True]


def test_duplicate_sample_names(tmp_path):
    for name in ("sheet.png", "sheet.jpg"):
        _save(tmp_path / name, np.zeros((4, 4, 3), np.uint8))
    with pytest.raises(InputError, match=r"duplicate sample name 'sheet' \(sheet\.jpg, sheet\.png\)"):
        folder_samples(tmp_path, tmp_path)


def test_duplicate_names_across_folders_are_named_by_path(tmp_path):
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        _save(tmp_path / folder / "sheet.png", np.zeros((4, 4, 3), np.uint8))
    (tmp_path / "a" / ".hidden.png").write_bytes(b"")
    paths = list(tmp_path.glob("*/*.png"))
    with pytest.raises(
        InputError, match=r"\*/\*\.png: duplicate sample name 'sheet' \(.*a/sheet\.png, .*b/sheet\.png\)"
    ):
        images_by_stem(paths, tmp_path / "*/*.png")
    assert list(images_by_stem(paths[:1] + [tmp_path / "a" / ".hidden.png"], "x")) == ["sheet"]


@pytest.mark.parametrize(("name", "problem"), [("leaf {1}", "contains { }"), ("a\\b", "contains \\")])
def test_names_the_workflow_cannot_use_are_refused(tmp_path, name, problem):
    _save(tmp_path / f"{name}.png", np.zeros((4, 4, 3), np.uint8))
    with pytest.raises(InputError, match=rf"sample name '{re.escape(name)}' {re.escape(problem)}, which"):
        folder_samples(tmp_path, tmp_path)


def test_a_path_with_braces_is_refused():
    check_input_path("scans/2024/a b.png")
    with pytest.raises(InputError, match=r"scans \{2024\}/a\.png: has \{ or \} in its path"):
        check_input_path("scans {2024}/a.png")


def test_coco_name_starting_with_a_dot_is_refused(tmp_path):
    coco = {"images": [{"id": 1, "file_name": "sub/.hidden.png", "height": 5, "width": 5}]}
    with pytest.raises(InputError, match=r"c\.json: sample name '\.hidden' starts with a dot"):
        coco_samples(coco, tmp_path, "c.json")


def test_split_is_seeded_stable_and_by_sheet():
    samples = [f"s{i}" for i in range(40)]
    splits = assign_splits(samples, 0.25, seed=1)
    assert sum(v == "test" for v in splits.values()) == 10
    assert assign_splits(list(reversed(samples)), 0.25, seed=1) == splits
    assert assign_splits(samples, 0.25, seed=2) != splits
    grown = assign_splits([*samples, "s40", "s41", "s42", "s43"], 0.25, seed=1)
    assert sum(grown[s] != splits[s] for s in samples) <= 1


def test_split_keeps_one_of_each_for_two_sheets():
    assert sorted(assign_splits(["a", "b"], 0.01, 0).values()) == ["test", "train"]


def test_split_from_column(tmp_path):
    table = pd.DataFrame({"sample": ["a", "a", "b"], "leaf_id": [1, 2, 1], "set": ["train", "train", "Test"]})
    assert splits_from_column(table, "set", "x.csv") == {"a": "train", "b": "test"}
    table.loc[1, "set"] = "test"
    with pytest.raises(InputError, match=r"x\.csv: sample a: split column 'set' holds \['test', 'train'\]"):
        splits_from_column(table, "set", "x.csv")


def test_leaves_csv_values_join_the_mask_ids(tmp_path, pair):
    csv = tmp_path / "leaves.csv"
    csv.write_text("sample,leaf_id,intact,px_per_mm\na,2,yes,3.5\nother,1,no,2\n")
    table = read_leaves_csv(csv)
    rows = leaf_rows("a", pair[3], table[table["sample"] == "a"], csv)
    assert rows["leaf_id"].tolist() == [1, 2]
    assert rows["intact"].isna().tolist() == [True, False] and rows["intact"].iloc[1] == True  # noqa: E712
    assert rows["px_per_mm"].tolist() == [3.5, 3.5]


def test_leaves_csv_naming_a_leaf_absent_from_the_mask(tmp_path, pair):
    csv = tmp_path / "leaves.csv"
    csv.write_text("sample,leaf_id,intact\na,9,true\n")
    with pytest.raises(InputError, match=r"leaves\.csv: sample a: leaf_id 9 is not in its mask"):
        leaf_rows("a", pair[3], read_leaves_csv(csv), csv)


def test_leaves_csv_with_bad_intact_value(tmp_path):
    csv = tmp_path / "leaves.csv"
    csv.write_text("sample,leaf_id,intact\na,1,maybe\n")
    with pytest.raises(InputError, match=r"leaves\.csv: row 2: intact value 'maybe' is not true/false"):
        read_leaves_csv(csv)


def _coco_file(tmp_path, labels, image):
    (tmp_path / "images").mkdir(exist_ok=True)
    _save(tmp_path / "images" / "a.png", image)
    leaves = pd.DataFrame({"leaf_id": [1, 2], "intact": [True, False]})
    coco = labels_to_coco([("a.png", labels, leaves)])
    return coco


def test_coco_export_round_trips_through_import(tmp_path):
    image, labels = _sheet()
    labels[10:12, 8:10] = 0  # a hole that polygons could not hold
    coco = _coco_file(tmp_path, labels, image)
    table = coco_samples(coco, tmp_path / "images", "c.json")
    entry = table.iloc[0].to_dict()
    read_image, read_labels, leaves = load_coco_sheet(coco, entry, "c.json", LIMIT)
    assert np.array_equal(read_labels, labels) and np.array_equal(read_image, image)
    assert leaves["intact"].tolist() == [True, False]


def test_coco_polygons_are_rasterized():
    coco = {
        "images": [{"id": 7, "file_name": "x.png", "height": 50, "width": 50}],
        "categories": [{"id": 3, "name": "Leaf"}, {"id": 4, "name": "label"}],
        "annotations": [
            {
                "id": 1,
                "image_id": 7,
                "category_id": 3,
                "segmentation": [[10, 10, 30, 10, 30, 20, 10, 20]],
                "attributes": {"intact": True},
            },
            {"id": 2, "image_id": 7, "category_id": 4, "segmentation": [[0, 0, 5, 0, 5, 5]]},
        ],
    }
    labels, leaves = coco_labels(coco, 7, 50, 50, "c.json")
    assert leaves["intact"].tolist() == [True]
    assert set(np.unique(labels)) == {0, 1}
    assert 180 <= (labels == 1).sum() <= 231  # the 20 x 10 px rectangle, edges included or not


def test_coco_file_name_outside_the_images_folder(tmp_path):
    coco = {"images": [{"id": 1, "file_name": "../../etc/passwd.png", "height": 5, "width": 5}]}
    with pytest.raises(InputError, match=r"c\.json: image file_name '\.\./\.\./etc/passwd\.png' points outside"):
        coco_samples(coco, tmp_path, "c.json")


def test_coco_size_disagreeing_with_the_image(tmp_path):
    image, labels = _sheet()
    coco = _coco_file(tmp_path, labels, image)
    coco["images"][0]["width"] = 41
    entry = coco_samples(coco, tmp_path / "images", "c.json").iloc[0].to_dict()
    with pytest.raises(InputError, match=r"a\.png: image is 40 x 60 px but c\.json says 41 x 60"):
        load_coco_sheet(coco, entry, "c.json", LIMIT)


def test_coco_without_leaf_category():
    with pytest.raises(InputError, match=r"c\.json: no category named 'leaf'"):
        coco_labels({"images": [], "categories": [{"id": 1, "name": "stem"}]}, 1, 5, 5, "c.json")


def test_png_round_trip_and_atomic_failure(tmp_path):
    image, labels = _sheet()
    write_png(tmp_path / "i.png", image)
    write_png(tmp_path / "l.png", labels * 1000)
    assert np.array_equal(read_png(tmp_path / "i.png"), image)
    assert np.array_equal(read_png(tmp_path / "l.png"), labels * 1000)
    with pytest.raises(RuntimeError), atomic_path(tmp_path / "never.csv") as temporary:
        temporary.write_text("half")
        raise RuntimeError("killed")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["i.png", "l.png"]


def test_a_write_clears_what_a_killed_write_of_the_same_file_left(tmp_path):
    left = [tmp_path / ".i.png.k1ll3d.tmp", tmp_path / ".other.png.k1ll3d.tmp"]
    for path in left:
        path.write_bytes(b"half a png")
    write_png(tmp_path / "i.png", _sheet()[0])
    assert sorted(p.name for p in tmp_path.iterdir()) == [".other.png.k1ll3d.tmp", "i.png"]


def test_written_files_are_readable_by_others(tmp_path):
    write_png(tmp_path / "i.png", np.zeros((2, 2), np.uint8))
    assert (tmp_path / "i.png").stat().st_mode & 0o044 == 0o044


def test_coco_polygons_export_for_annotation_tools():
    _, labels = _sheet()
    leaves = pd.DataFrame({"leaf_id": [1, 2], "intact": [True, False], "intact_probability": [0.9, 0.2]})
    coco = labels_to_coco([("a.png", labels, leaves)], polygons=True)
    first = coco["annotations"][0]
    assert isinstance(first["segmentation"], list) and len(first["segmentation"][0]) >= 6
    assert first["attributes"]["intact"] is True and first["attributes"]["intact_probability"] == 0.9
    redrawn, _ = coco_labels(coco, 1, 60, 40, "c.json")
    assert ((redrawn > 0) == (labels > 0)).mean() > 0.97


def test_files_that_are_not_images_are_named_and_hidden_ones_ignored(tmp_path):
    for name in ("a.jpg", "b.TIF", "notes.pdf", "README", ".DS_Store"):
        (tmp_path / name).write_bytes(b"x")
    (tmp_path / "folder.pdf").mkdir()
    assert not_images(tmp_path.iterdir()) == [tmp_path / "README", tmp_path / "notes.pdf"]


def test_merged_coco_files_renumber_images_and_annotations():
    labels = np.zeros((20, 20), np.uint16)
    labels[2:8, 2:8], labels[10:18, 10:18] = 1, 2
    leaves = pd.DataFrame({"leaf_id": [1, 2]})
    first = labels_to_coco([("a.jpg", labels, leaves)], polygons=True)
    second = labels_to_coco([("b.jpg", labels, leaves.iloc[:1]), ("c.jpg", labels, leaves)], polygons=True)
    merged = merge_coco([first, second])
    assert [(image["id"], image["file_name"]) for image in merged["images"]] == [
        (1, "a.jpg"),
        (2, "b.jpg"),
        (3, "c.jpg"),
    ]
    assert [a["id"] for a in merged["annotations"]] == [1, 2, 3, 4, 5]
    assert [a["image_id"] for a in merged["annotations"]] == [1, 1, 2, 3, 3]
    assert [a["attributes"]["leaf_id"] for a in merged["annotations"]] == [1, 2, 1, 1, 2]
