"""Bad input and faults through the real Snakefile: each case fails alone, in one line, leaving nothing partial.

The table in docs/guarantees.md names these tests.
"""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
import pytest
import torch
from PIL import Image
from test_ingest import png_claiming_size
from test_workflow import TINY, snakemake, snakemake_command

from herbarium_leaves.batches import assign_batches
from herbarium_leaves.ingest import assign_splits
from herbarium_leaves.sheet_io import read_png, read_sheet_image
from herbarium_leaves.synthetic import generate_sheet

pytestmark = pytest.mark.slow
MAX_IMAGE_PIXELS = 250_000_000  # the schema's default data.max_image_pixels


def _sheet(index: int):
    sheet = generate_sheet(0, index, 160, 112)
    return sheet.image, (sheet.labels > 0).astype(np.uint8) * 255


def _user_folders(root: Path) -> tuple[Path, Path]:
    """Empty images/ and masks/ folders of a user's dataset under `root`."""
    for folder in ("images", "masks"):
        (root / folder).mkdir(parents=True)
    return root / "images", root / "masks"


def _folder_config(root: Path, **data) -> dict:
    return {
        **TINY,
        "seeds": [0],
        # Without intact flags the SVM learns from generated sheets (svm.learn_from auto): a few small ones here.
        "svm": {"generated": {"sheets": 4, "height_px": 256, "width_px": 176}},
        # Two epochs on 8 tiny sheets call the whole sheet leaf: a rectangle, which the rectangle rule drops.
        "measure": {"max_rectangularity": 1.0},
        "data": {
            "source": "folder",
            "folder": {"images": str(root / "images"), "masks": str(root / "masks"), "mask_type": "binary"},
            **data,
        },
    }


def _zero_byte(images, masks, name):
    (images / f"{name}.png").write_bytes(b"")
    Image.fromarray(_sheet(0)[1]).save(masks / f"{name}.png")
    return images / f"{name}.png", "file is empty (0 bytes)"


def _truncated_jpeg(images, masks, name):
    image, mask = _sheet(1)
    Image.fromarray(image).save(images / f"{name}.jpg", quality=95)
    data = (images / f"{name}.jpg").read_bytes()
    (images / f"{name}.jpg").write_bytes(data[: len(data) // 2])
    Image.fromarray(mask).save(masks / f"{name}.png")
    return images / f"{name}.jpg", "truncated or corrupt image data"


def _text_named_png(images, masks, name):
    (images / f"{name}.png").write_text("collector's notes, not an image")
    Image.fromarray(_sheet(2)[1]).save(masks / f"{name}.png")
    return images / f"{name}.png", "not a readable image (UnidentifiedImageError)"


def _mask_of_another_size(images, masks, name):
    image, mask = _sheet(3)
    Image.fromarray(image).save(images / f"{name}.png")
    Image.fromarray(mask[::2, ::2]).save(masks / f"{name}.png")
    return masks / f"{name}.png", f"mask is 56 x 80 px but its image {images / name}.png is 112 x 160 px"


def _mask_with_unexpected_values(images, masks, name):
    image, mask = _sheet(4)
    Image.fromarray(image).save(images / f"{name}.png")
    mask[:4] = 7
    Image.fromarray(mask).save(masks / f"{name}.png")
    return masks / f"{name}.png", "binary mask has values [7]; only 0 and one of 1 or 255 are allowed"


def _header_of_60000_px(images, masks, name):
    png_claiming_size(images / f"{name}.png", 60_000, 60_000)
    Image.fromarray(_sheet(5)[1]).save(masks / f"{name}.png")
    problem = f"image is 60000 x 60000 px, over the limit of {MAX_IMAGE_PIXELS} px (data.max_image_pixels)"
    return images / f"{name}.png", f"{problem}: too large to decode safely"


def _no_mask(images, masks, name):
    Image.fromarray(_sheet(6)[0]).save(images / f"{name}.png")
    return images / f"{name}.png", "no mask with this image's file stem"


BAD_SHEETS = {
    "zero byte": _zero_byte,
    "truncated scan": _truncated_jpeg,
    "notes": _text_named_png,
    "mask of another size": _mask_of_another_size,
    "mask with 7s": _mask_with_unexpected_values,
    "huge header": _header_of_60000_px,
    "no mask": _no_mask,
}


def _rgba(image):
    return np.dstack([image, np.full(image.shape[:2], 255, np.uint8)]), {}


def _grayscale(image):
    return cv2.cvtColor(image, cv2.COLOR_RGB2GRAY), {}


def _exif_rotated(image):
    exif = Image.Exif()
    exif[0x0112] = 6  # stored pixels must be turned 90 degrees clockwise to stand upright
    return np.rot90(image, 1).copy(), {"exif": exif, "quality": 100}


GOOD_SHEETS = {  # name: (file suffix, how the upright RGB image is stored)
    "plain 1": (".png", lambda image: (image, {})),
    "Fagus sylvática №2": (".png", lambda image: (image, {})),
    "rgba": (".png", _rgba),
    "grayscale": (".png", _grayscale),
    "exif rotated": (".jpg", _exif_rotated),
    "deep png": (".png", None),
    "deep tiff": (".tif", None),
}


def _write_good_sheet(images, masks, index, name):
    suffix, store = GOOD_SHEETS[name]
    image, mask = _sheet(10 + index)
    if store is None:  # 16 bits per channel, written by OpenCV (BGR order)
        cv2.imwrite(str(images / f"{name}{suffix}"), cv2.cvtColor(image, cv2.COLOR_RGB2BGR).astype(np.uint16) * 257)
    else:
        pixels, options = store(image)
        Image.fromarray(pixels).save(images / f"{name}{suffix}", **options)
    stored_mask = np.rot90(mask, 1) if name == "exif rotated" else mask  # masks follow the stored pixel order
    Image.fromarray(np.ascontiguousarray(stored_mask)).save(masks / f"{name}.png")
    return image, mask


MATRIX_BATCH = 1  # sheets per ingest and resize job (a mean: some batches hold two or three sheets)


@pytest.fixture(scope="module")
def matrix_run(tmp_path_factory):
    """Every bad sheet beside good ones in one folder, run with --keep-going."""
    workdir = tmp_path_factory.mktemp("matrix")
    images, masks = _user_folders(workdir / "user")
    bad = {name: make(images, masks, name) for name, make in BAD_SHEETS.items()}
    good = {name: _write_good_sheet(images, masks, i, name) for i, name in enumerate(GOOD_SHEETS)}
    config = {**_folder_config(workdir / "user"), "batch": {"data": MATRIX_BATCH, "resize": MATRIX_BATCH}}
    result = snakemake(workdir, config, "--keep-going")
    return workdir, result, bad, good


def ingest_batch(sample: str) -> tuple[str, str, list[str]]:
    """Split, batch name and sheets of the matrix run's ingest job that holds `sample`."""
    names = sorted([*BAD_SHEETS, *GOOD_SHEETS])
    splits = assign_splits(names, 0.25, 0)  # the schema's default split
    members = [name for name in names if splits[name] == splits[sample]]
    for batch, batch_members in assign_batches(members, MATRIX_BATCH).items():
        if sample in batch_members:
            return splits[sample], batch, batch_members
    raise AssertionError(sample)


def test_the_matrix_has_good_sheets_with_and_without_a_bad_batch_mate():
    shares = [bool(set(ingest_batch(sample)[2]) & set(BAD_SHEETS)) for sample in GOOD_SHEETS]
    assert any(shares) and not all(shares)


def _files_named(results: Path, sample: str) -> list[Path]:
    """Files under results/ for a sample (its logs aside), including hidden temporary ones."""
    return [
        path
        for path in results.rglob("*")
        if path.is_file() and "logs" not in path.parts and path.name.lstrip(".").startswith(f"{sample}.")
    ]


def test_a_run_with_bad_sheets_exits_non_zero(matrix_run):
    _, result, _, _ = matrix_run
    assert result.returncode != 0
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("sample", BAD_SHEETS)
def test_a_bad_sheet_fails_its_job_with_one_line_and_leaves_nothing(matrix_run, sample):
    workdir, result, bad, _ = matrix_run
    path, problem = bad[sample]
    expected = f"ERROR {path}: {problem}"
    assert expected in result.stderr, result.stderr[-3000:]
    split, batch, members = ingest_batch(sample)
    assert f"Error in rule ingest_{split}_{batch}" in result.stderr
    errors = [
        line
        for line in (workdir / "results" / "logs" / "ingest" / split / f"{batch}.log").read_text().splitlines()
        if " ERROR " in line
    ]
    bad_mates = [name for name in members if name in BAD_SHEETS]
    assert sum(expected in line for line in errors) == 1  # one line for this sheet
    assert len(errors) == len(bad_mates) + 1  # one per bad sheet of the batch, and the batch's verdict
    assert f"batch {batch}: {len(bad_mates)} of {len(members)} sheets failed" in errors[-1]
    for name in members:  # the failed batch keeps nothing, its good sheets included
        assert _files_named(workdir / "results", name) == []


@pytest.mark.parametrize("sample", GOOD_SHEETS)
def test_with_keep_going_every_good_sheet_is_processed(matrix_run, sample):
    """Every good sheet whose batch holds no bad sheet; one that shares a bad sheet's batch waits for the fix."""
    workdir, _, _, _ = matrix_run
    split, _, members = ingest_batch(sample)
    made = {
        kind: list((workdir / "results" / stage / split / kind).glob(f"{sample}.*"))
        for stage, kinds in (("data", ("images", "labels", "leaves")), ("resized", ("images", "labels", "sizes")))
        for kind in kinds
    }
    expected = 0 if set(members) & set(BAD_SHEETS) else 1
    assert {kind: len(paths) for kind, paths in made.items()} == dict.fromkeys(made, expected)


@pytest.fixture(scope="module")
def formats_run(tmp_path_factory):
    """The good sheets alone, ingested and resized."""
    workdir = tmp_path_factory.mktemp("formats")
    images, masks = _user_folders(workdir / "user")
    good = {name: _write_good_sheet(images, masks, i, name) for i, name in enumerate(GOOD_SHEETS)}
    splits = assign_splits(sorted(GOOD_SHEETS), 0.25, 0)
    targets = [f"results/resized/{splits[name]}/sizes/{name}.json" for name in GOOD_SHEETS]
    result = snakemake(workdir, _folder_config(workdir / "user"), *targets)
    assert result.returncode == 0, result.stderr[-3000:]
    return workdir, good, splits


@pytest.mark.parametrize("sample", GOOD_SHEETS)
def test_every_image_format_is_read_upright_as_8_bit_rgb(formats_run, sample):
    workdir, good, splits = formats_run
    image, mask = good[sample]
    split = splits[sample]
    read = read_png(workdir / "results" / "data" / split / "images" / f"{sample}.png")
    labels = read_png(workdir / "results" / "data" / split / "labels" / f"{sample}.png")
    assert read.dtype == np.uint8 and read.shape == image.shape
    assert np.array_equal(labels > 0, mask > 0)  # EXIF orientation applied to the mask as to the image
    expected = np.repeat(_grayscale(image)[0][..., None], 3, axis=2) if sample == "grayscale" else image
    if sample == "exif rotated":  # JPEG: close, not equal
        assert np.abs(read.astype(int) - expected).mean() < 4
    else:
        assert np.array_equal(read, expected)


@pytest.mark.parametrize(
    ("case", "setup", "message"),
    [
        ("duplicate names", "duplicate", "{images}: duplicate sample name 'sheet' (sheet.jpg, sheet.png)"),
        ("braces in a name", "braces", "{images}: sample name 'leaf {{1}}' contains {{ }}, which the workflow cannot"),
        ("braces in a folder", "folder", "{braced}: has {{ or }} in its path, which the workflow cannot use"),
        ("braces in an unlabelled folder", "unlabelled", "{braced}: has {{ or }} in its path, which the workflow"),
        ("no unlabelled sheets", "no unlabelled", "{braced.parent}: no images (.png, .jpg"),
        ("backslash in a name", "backslash", "{images}: sample name 'a\\b' contains \\, which the workflow cannot use"),
        ("COCO name escaping the folder", "coco", "{coco}: image file_name '../../etc/passwd.png' points outside"),
        ("empty dataset", "empty", "{images}: no images (.png, .jpg"),
        ("missing weights file", "weights", "config key 'model.encoder_weights': {weights}: weights file not found"),
        ("missing occurrenceID mapping", "ids", "config key 'dwc.occurrence_ids': {ids}: file not found"),
        ("config typo", "typo", "config key 'resize.hieght' is not a known setting"),
        ("wrong type", "type", "config key 'train.epochs': 'ten' is not of type 'integer'"),
        ("out of range", "range", "config key 'predict.overlap': 0.95 is greater than the maximum of 0.9"),
    ],
)
def test_a_bad_dataset_or_config_stops_the_run_before_any_job(tmp_path, case, setup, message):
    user = tmp_path / "user"
    images, masks = _user_folders(user)
    config = _folder_config(user)
    image, mask = _sheet(0)
    names = {"duplicate": ["sheet.png", "sheet.jpg"], "braces": ["leaf {1}.png"], "backslash": ["a\\b.png"]}
    for name in names.get(setup, [] if setup == "empty" else ["plain.png"]):
        Image.fromarray(image).save(images / name)
        Image.fromarray(mask).save(masks / f"{Path(name).stem}.png")
    coco, weights, braced = user / "annotations.json", user / "resnet18.pth", user / "scans {2024}" / "plain.png"
    if setup == "folder":
        masks.rename(braced.parent)
        config["data"]["folder"]["masks"] = str(braced.parent)
    if setup in ("unlabelled", "no unlabelled"):
        braced.parent.mkdir()
        if setup == "unlabelled":
            Image.fromarray(image).save(braced)
        config["unlabelled"] = {"sheets": str(braced.parent), "px_per_mm": 0.6}
    if setup == "coco":
        coco.write_text(
            json.dumps({"images": [{"id": 1, "file_name": "../../etc/passwd.png", "height": 4, "width": 4}]})
        )
        config["data"] = {"source": "coco", "coco": {"images": str(images), "annotations": str(coco)}}
    overrides = {
        "weights": ("model", {**config["model"], "encoder_weights": str(weights)}),
        "ids": ("dwc", {"occurrence_ids": str(user / "occurrence_ids.csv")}),
        "typo": ("resize", {"hieght": 5}),
        "type": ("train", {**config["train"], "epochs": "ten"}),
        "range": ("predict", {"overlap": 0.95}),
    }
    if setup in overrides:
        key, value = overrides[setup]
        config[key] = value
    result = snakemake(tmp_path, config, *(["predict"] if "unlabelled" in setup else []))
    assert result.returncode != 0
    expected = message.format(images=images, coco=coco, weights=weights, braced=braced, ids=user / "occurrence_ids.csv")
    lines = [line for line in (result.stdout + result.stderr).splitlines() if expected in line]
    assert len(lines) == 1, (case, result.stdout + result.stderr)
    assert not (tmp_path / "results").exists(), case


@pytest.fixture(scope="module")
def trained_once(tmp_path_factory):
    """The tiny config's seed-0 model, trained once."""
    workdir = tmp_path_factory.mktemp("trained")
    config = {**TINY, "seeds": [0]}
    result = snakemake(workdir, config, "results/models/seed0/provenance.json")
    assert result.returncode == 0, result.stderr[-3000:]
    return workdir, config


def test_corrupt_and_foreign_checkpoints_are_ignored_with_a_log_line(trained_once):
    workdir, config = trained_once
    provenance = workdir / "results" / "models" / "seed0" / "provenance.json"
    trained = json.loads(provenance.read_text())
    checkpoints = workdir / "results" / "checkpoints" / "seed0"
    checkpoints.mkdir(parents=True, exist_ok=True)
    corrupt, foreign = checkpoints / f"{trained['params_sha256']}.pt", checkpoints / f"{'f' * 64}.pt"
    corrupt.write_bytes(b"\x80\x02 half a checkpoint")
    torch.save({"key": "f" * 64, "epoch": 1}, foreign)
    result = snakemake(workdir, config, str(provenance.relative_to(workdir)), "--forcerun", "train")
    assert result.returncode == 0, result.stderr[-3000:]
    log = (workdir / "results" / "logs" / "train" / "seed0.log").read_text()
    assert f"ignoring unreadable checkpoint {corrupt.relative_to(workdir)}" in log and "starting afresh" in log
    assert f"ignoring checkpoint {foreign.relative_to(workdir)}: it was trained with other params" in log
    assert json.loads(provenance.read_text())["state_dict_sha256"] == trained["state_dict_sha256"]


def test_a_corrupt_weights_file_fails_training_naming_the_file(trained_once, tmp_path):
    workdir, config = trained_once
    weights = tmp_path / "resnet18.pth"
    weights.write_bytes(b"\x80\x02 not a torch file")
    config = {**config, "model": {**config["model"], "encoder_weights": str(weights)}}
    target = "results/models/seed0/model.pt"
    result = snakemake(workdir, config, target)
    assert result.returncode != 0
    assert f"ERROR {weights}: not a readable weights file" in result.stderr, result.stderr[-3000:]
    assert "Error in rule train" in result.stderr and "Traceback" not in result.stderr
    assert not (workdir / target).exists()


KILL_AT_RENAME = '''
    """Test hook: a prediction PNG is cut to half its bytes and the whole job group killed before the rename."""
    import os
    import signal

    _replace = os.replace

    def _killing_replace(source, target, *args, **kwargs):
        if "predictions" in str(target) and str(target).endswith(".png"):
            os.truncate(source, os.path.getsize(source) // 2)
            os.killpg(0, signal.SIGKILL)
        return _replace(source, target, *args, **kwargs)

    os.replace = _killing_replace
'''


def test_an_inference_job_killed_mid_write_leaves_nothing_a_rerun_would_trust(trained_once, tmp_path):
    workdir, config = trained_once
    predictions = workdir / "results" / "predictions" / "seed0" / "test"
    target = "results/predictions/seed0/test/test_0000.png"
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(textwrap.dedent(KILL_AT_RENAME))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(hook), *sys.path])}
    killed = subprocess.run(
        snakemake_command(workdir, config, target), capture_output=True, text=True, env=env, start_new_session=True
    )
    assert killed.returncode < 0  # SIGKILL: nothing had a chance to clean up
    assert list(predictions.rglob("test_0000.png")) == []
    assert [path.name for path in predictions.rglob(".test_0000.png.*.tmp")] != []  # the half-written file
    assert snakemake(workdir, config, "--unlock").returncode == 0
    rerun = snakemake(workdir, config, target)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert list(predictions.rglob(".*.tmp")) == []
    probability = read_png(workdir / target)
    assert probability.shape == (256, 176) and probability.dtype == np.uint8
    again = snakemake(workdir, config, target, "--force")
    assert again.returncode == 0 and np.array_equal(read_png(workdir / target), probability)


NASTY_NAMES = ["Quercus robur 1", "Fagus sylvática №2", "Betula 'pendula'", "sheet (copy) & $HOME", "日本 葉", "a;b`c`"]
BLANK = "no leaves ¿"


@pytest.fixture(scope="module")
def awkward_run(tmp_path_factory):
    """Names with spaces, unicode and shell characters, mixed formats and a sheet with no leaves, end to end."""
    workdir = tmp_path_factory.mktemp("awkward")
    images, masks = _user_folders(workdir / "user")
    rows = []
    for index, name in enumerate(NASTY_NAMES):
        sheet = generate_sheet(0, index, 256, 176)
        pixels, options = [(sheet.image, {}), _rgba(sheet.image), _exif_rotated(sheet.image)][index % 3]
        Image.fromarray(pixels).save(images / f"{name}{'.jpg' if options.get('exif') else '.png'}", **options)
        stored = np.rot90(sheet.labels, 1) if options.get("exif") else sheet.labels
        Image.fromarray(np.ascontiguousarray(stored).astype(np.uint8)).save(masks / f"{name}.png")
        rows.append(sheet.leaves.assign(sample=name))
    paper = np.random.default_rng(0).normal((228, 218, 190), 4, (256, 176, 3)).clip(0, 255).astype(np.uint8)
    Image.fromarray(paper).save(images / f"{BLANK}.png")
    Image.fromarray(np.zeros((256, 176), np.uint8)).save(masks / f"{BLANK}.png")
    pd.concat(rows).to_csv(workdir / "user" / "leaves.csv", index=False)
    config = _folder_config(workdir / "user", split={"test_fraction": 0.3})
    config["data"]["folder"].update(mask_type="instance", leaves_csv=str(workdir / "user" / "leaves.csv"))
    result = snakemake(workdir, config)
    assert result.returncode == 0, result.stderr[-3000:]
    return workdir, assign_splits([*NASTY_NAMES, BLANK], 0.3, 0)


def test_awkward_names_pass_through_every_stage(awkward_run):
    workdir, splits = awkward_run
    results = workdir / "results"
    assert splits[BLANK] == "test" and "train" in splits.values()
    for name, split in splits.items():
        for folder in ("data/{split}/images", "data/{split}/labels", "resized/{split}/images"):
            assert list((results / folder.format(split=split)).rglob(f"{name}.*")) != [], (name, folder)
        if split == "train":
            assert list((results / "leaves" / "truth" / "train").rglob(f"{name}.*")) != [], name
            assert name in set(pd.read_csv(results / "augmented" / "seed0" / "manifest.csv")["source"])
        else:
            for model in ("seed0", "ensemble"):
                for folder in ("predictions/{model}/test", "leaves/{model}/test/traits"):
                    assert list((results / folder.format(model=model)).rglob(f"{name}.*")) != [], (name, folder)
    test_sheets = {name for name, split in splits.items() if split == "test"}
    assert set(pd.read_csv(results / "metrics" / "seed0" / "sheets.csv")["sample"]) == test_sheets
    assert (results / "report" / "report.html").stat().st_size > 0


def test_flagged_annotations_train_the_svm_under_auto(awkward_run):
    workdir, _ = awkward_run
    training = pd.read_csv(workdir / "results" / "svm" / "training_leaves.csv")
    assert set(training["source"]) == {"annotations"} and training["intact"].notna().all()
    log = (workdir / "results" / "logs" / "train_svm" / "train_svm.log").read_text()
    assert "WARNING" not in log and "SVM on " in log
    # Whether the flags suffice is known only in train_svm, so auto drew the generated sheets anyway.
    assert len(list((workdir / "results" / "svm" / "generated").glob("svm_*.csv"))) == 4
    page = (workdir / "results" / "report" / "report.html").read_text()
    assert "training leaves of " in page and " annotated training sheets (" in page


def test_a_sheet_with_no_leaves_has_well_defined_metrics(awkward_run):
    workdir, _ = awkward_run
    results = workdir / "results"
    sheets = pd.read_csv(results / "metrics" / "seed0" / "sheets.csv").set_index("sample")
    assert 0.0 <= sheets.loc[BLANK, "iou"] <= 1.0
    traits = pd.read_csv(results / "leaves" / "seed0" / "test" / "traits" / f"{BLANK}.csv")
    assert "length_mm" in traits.columns
    summary = pd.read_csv(results / "metrics" / "summary.csv").set_index("model")
    assert np.isfinite(summary.loc["seed0", "mean_iou"])


@pytest.mark.parametrize("rotated", [False, True])
def test_a_jpeg_is_decoded_reduced_but_never_below_the_size_asked_for(tmp_path, rotated):
    upright = np.zeros((800, 600, 3), np.uint8)
    upright[100:500, 200:300] = (90, 120, 60)
    pixels, options = _exif_rotated(upright) if rotated else (upright, {"quality": 100})
    Image.fromarray(pixels).save(tmp_path / "sheet.jpg", **options)
    full, _, _ = read_sheet_image(tmp_path / "sheet.jpg", 10**8)
    reduced, _, _ = read_sheet_image(tmp_path / "sheet.jpg", 10**8, at_least=(390, 290))
    assert full.shape == (800, 600, 3) and reduced.shape == (400, 300, 3)  # by 2: by 4 would be smaller
    assert np.abs(reduced[50:250, 100:150].astype(int) - (90, 120, 60)).max() < 12  # the leaf, upright
    same, _, _ = read_sheet_image(tmp_path / "sheet.jpg", 10**8, at_least=(800, 600))
    assert np.array_equal(same, full)
