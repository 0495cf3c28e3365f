"""The real Snakefile on tiny configs, in temporary folders."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from PIL import Image

from herbarium_leaves.sheet_io import read_png

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
TINY = {
    "data": {"synthetic": {"n_train": 2, "n_test": 1, "height_px": 256, "width_px": 176}},
    "resize": {"mode": "fixed", "height": 128, "width": 96},
}

pytestmark = pytest.mark.slow


def snakemake(workdir: Path, config: dict, *args: str) -> subprocess.CompletedProcess:
    (workdir / "tiny.yaml").write_text(yaml.safe_dump(config))
    command = [
        str(BIN / "snakemake"),
        "--snakefile",
        str(ROOT / "Snakefile"),
        "--directory",
        str(workdir),
        "--configfile",
        str(workdir / "tiny.yaml"),
        "--cores",
        "2",
        *args,
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("demo")
    result = snakemake(workdir, TINY)
    assert result.returncode == 0, result.stderr[-3000:]
    return workdir


def test_demo_produces_data_and_resized_sheets(demo_run):
    results = demo_run / "results"
    for split, samples in (("train", ["train_0000", "train_0001"]), ("test", ["test_0000"])):
        leaves = pd.read_csv(results / "data" / split / "leaves.csv")
        assert sorted(leaves["sample"].unique()) == samples
        coco = json.loads((results / "data" / split / "annotations.json").read_text())
        assert len(coco["images"]) == len(samples) and len(coco["annotations"]) == len(leaves)
        for sample in samples:
            image = read_png(results / "data" / split / "images" / f"{sample}.png")
            labels = read_png(results / "data" / split / "labels" / f"{sample}.png")
            assert image.shape == (256, 176, 3) and labels.dtype == np.uint16
            assert set(np.unique(labels)) - {0} == set(leaves.loc[leaves["sample"] == sample, "leaf_id"])
            assert read_png(results / "resized" / split / "images" / f"{sample}.png").shape == (128, 96, 3)
            assert read_png(results / "resized" / split / "labels" / f"{sample}.png").dtype == np.uint16
            size = json.loads((results / "resized" / split / "sizes" / f"{sample}.json").read_text())
            assert (size["original_height"], size["original_width"], size["height"]) == (256, 176, 128)
    for rule in ("synthesize_demo", "resize", "collect_annotations"):
        assert any((results / "logs" / rule).rglob("*.log")), rule


def test_nothing_to_do_after_a_complete_run(demo_run):
    result = snakemake(demo_run, TINY, "--dry-run")
    assert result.returncode == 0 and "Nothing to be done" in result.stdout + result.stderr


def test_demo_is_bitwise_repeatable(demo_run, tmp_path):
    again = snakemake(tmp_path, TINY, "results/data/train/images/train_0001.png")
    assert again.returncode == 0, again.stderr[-3000:]
    name = "results/data/train/images/train_0001.png"
    assert (tmp_path / name).read_bytes() == (demo_run / name).read_bytes()


def test_coco_export_feeds_the_coco_ingest(demo_run, tmp_path):
    exported = demo_run / "results" / "data" / "train"
    config = {
        "data": {
            "source": "coco",
            "coco": {"images": str(exported), "annotations": str(exported / "annotations.json")},
        },
        "resize": TINY["resize"],
    }
    result = snakemake(tmp_path, config)
    assert result.returncode == 0, result.stderr[-3000:]
    for sample in ("train_0000", "train_0001"):
        found = list((tmp_path / "results" / "data").glob(f"*/labels/{sample}.png"))
        assert len(found) == 1
        original = read_png(exported / "labels" / f"{sample}.png")
        assert np.array_equal(read_png(found[0]) > 0, original > 0)


def test_bad_sheet_fails_alone_with_one_clear_line(tmp_path):
    images, masks = tmp_path / "user" / "images", tmp_path / "user" / "masks"
    images.mkdir(parents=True)
    masks.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for name in ("good 1", "good_2", "good_3", "bad"):
        Image.fromarray(rng.integers(0, 255, (80, 60, 3), dtype=np.uint8)).save(images / f"{name}.png")
        mask = np.zeros((80, 60) if name != "bad" else (40, 30), np.uint8)
        mask[10:30, 10:30] = 1
        Image.fromarray(mask).save(masks / f"{name}.png")
    config = {
        "data": {
            "source": "folder",
            "folder": {"images": str(images), "masks": str(masks)},
            "split": {"test_fraction": 0.3},
        },
        "resize": TINY["resize"],
    }
    result = snakemake(tmp_path, config, "--keep-going")
    assert result.returncode != 0
    bad = images / "bad.png"
    assert f"{masks / 'bad.png'}: mask is 30 x 40 px but its image {bad} is 60 x 80 px" in result.stderr
    assert not list((tmp_path / "results").rglob("bad.png"))
    for name in ("good 1", "good_2", "good_3"):
        assert len(list((tmp_path / "results" / "resized").glob(f"*/images/{name}.png"))) == 1


def test_config_typo_stops_the_run_naming_the_key(tmp_path):
    result = snakemake(tmp_path, {"resize": {"hieght": 5}}, "--dry-run")
    assert result.returncode != 0
    assert "config key 'resize.hieght' is not a known setting" in result.stdout + result.stderr
    assert not (tmp_path / "results").exists()


def test_lint_and_format_are_clean():
    lint = subprocess.run([str(BIN / "snakemake"), "--lint"], cwd=ROOT, capture_output=True, text=True)
    assert lint.returncode == 0 and "Congratulations" in lint.stdout + lint.stderr, lint.stdout + lint.stderr
    fmt = subprocess.run([str(BIN / "snakefmt"), "--check", "."], cwd=ROOT, capture_output=True, text=True)
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr
