"""A user's data without what the demo has (intact flags, a scale) runs to the end and says what it skipped."""

import json
import shutil

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from test_bad_input import _folder_config, _sheet, _user_folders
from test_workflow import snakemake

from herbarium_leaves.synthetic import generate_sheet

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def binary_run(tmp_path_factory):
    """Binary whole-plant masks, no leaves CSV: no intact flags and no scale anywhere."""
    workdir = tmp_path_factory.mktemp("binary")
    images, masks = _user_folders(workdir / "user")
    for index in range(8):
        image, mask = _sheet(index)
        Image.fromarray(image).save(images / f"sheet{index}.jpg", quality=95)
        Image.fromarray(mask).save(masks / f"sheet{index}.png")
    result = snakemake(workdir, _folder_config(workdir / "user"))
    assert result.returncode == 0, result.stderr[-3000:]
    return workdir, result


def test_binary_masks_reach_the_report_with_iou_traits_and_intact_calls(binary_run):
    workdir, _ = binary_run
    results = workdir / "results"
    summary = pd.read_csv(results / "metrics" / "summary.csv")
    ensemble = summary[summary["model"] == "ensemble"].iloc[0]
    assert 0 <= ensemble["mean_iou"] <= 1
    assert np.isnan(ensemble["intact_recall"]) and np.isnan(ensemble["sheet_recall"])
    assert ensemble["intact_note"] == "no test leaf has a true intact flag"
    traits = pd.read_csv(results / "leaves" / "ensemble" / "test" / "traits.csv")
    assert len(traits) and traits["length_px"].gt(0).all() and traits["length_mm"].isna().all()
    # Called by the SVM of the generated sheets' leaves; unitless features, so no scale is needed.
    assert traits["intact"].notna().all() and traits["intact_note"].isna().all()
    page = (results / "report" / "report.html").read_text()
    assert "Intact metrics are empty" in page and "Each leaf is still called intact or not" in page
    assert "training leaves of 4 generated sheets" in page and "it learns from the generated sheets" in page
    assert 'class="pair"' not in page  # components already: nothing to set beside them


def test_without_intact_flags_the_svm_learns_from_generated_sheets_and_says_so(binary_run):
    workdir, _ = binary_run
    log = (workdir / "results" / "logs" / "train_svm" / "train_svm.log").read_text().splitlines()
    (line,) = [line for line in log if "WARNING" in line]
    assert "intact-leaf SVM: no training leaf has an intact flag" in line
    assert line.endswith("it learns from the generated sheets' true leaves instead")
    training = pd.read_csv(workdir / "results" / "svm" / "training_leaves.csv")
    assert set(training["source"]) == {"generated"} and training["intact"].notna().all()
    assert len(list((workdir / "results" / "svm" / "generated").glob("svm_*.csv"))) == 4
    sheets = pd.read_csv(workdir / "results" / "metrics" / "ensemble" / "sheets.csv")
    assert len(sheets) == len(list((workdir / "results" / "data" / "test" / "images").glob("*.png")))
    summary = json.loads((workdir / "results" / "metrics" / "seed0" / "summary.json").read_text())
    assert summary["intact_note"] == "no test leaf has a true intact flag"


def test_learning_from_annotations_only_skips_the_svm_and_says_why(binary_run, tmp_path):
    workdir = tmp_path / "annotations_only"
    shutil.copytree(binary_run[0], workdir, symlinks=True)  # the shared run stays as it is for the other tests
    base = _folder_config(binary_run[0] / "user")
    config = {**base, "svm": {**base["svm"], "learn_from": "annotations"}}
    result = snakemake(workdir, config)
    assert result.returncode == 0, result.stderr[-3000:]
    log = (workdir / "results" / "logs" / "train_svm" / "train_svm.log").read_text().splitlines()
    (line,) = [line for line in log if "WARNING" in line]
    assert "intact-leaf SVM skipped: no training leaf has an intact flag" in line
    assert "'intact' column in data.folder.leaves_csv" in line and "svm.learn_from: auto or generated" in line
    traits = pd.read_csv(workdir / "results" / "leaves" / "ensemble" / "test" / "traits.csv")
    assert traits["intact"].isna().all() and traits["intact_note"].str.startswith("intact-leaf SVM skipped").all()
    page = (workdir / "results" / "report" / "report.html").read_text()
    assert "Intact metrics are empty" in page and "give training sheets an intact flag per leaf" in page


def test_binary_masks_fall_back_to_components_and_the_train_log_says_so(binary_run):
    workdir, _ = binary_run
    log = (workdir / "results" / "logs" / "train" / "seed0.log").read_text()
    assert "instances.method learned needs one id per leaf, but data.folder.mask_type is binary" in log
    architecture = json.loads((workdir / "results" / "models" / "seed0" / "config.json").read_text())
    assert architecture["classes"] == 1  # leaf only: no interior to learn
    assert not (workdir / "results" / "predictions" / "seed0" / "test" / "interior").exists()


def test_unlabelled_scans_without_scale_get_traits_in_px_and_intact_calls(binary_run, tmp_path):
    workdir, _ = binary_run
    scans = tmp_path / "scans"
    scans.mkdir()
    for index in range(3):
        Image.fromarray(_sheet(20 + index)[0]).save(scans / f"scan{index}.jpg", quality=90)
    config = {**_folder_config(workdir / "user"), "unlabelled": {"sheets": str(scans), "chunk_size": 2}}
    result = snakemake(workdir, config, "predict")
    assert result.returncode == 0, result.stderr[-3000:]
    traits = pd.read_csv(workdir / "results" / "unlabelled" / "traits.csv")
    assert set(traits["sample"]) <= {"scan0", "scan1", "scan2"} and len(traits)
    assert traits["length_px"].gt(0).all() and traits["length_mm"].isna().all()
    assert traits["intact"].notna().all() and traits["intact_note"].isna().all()  # unitless features: judged
    intact = pd.read_csv(workdir / "results" / "unlabelled" / "intact_leaves.csv")
    assert len(intact) == traits["intact"].sum()


def test_unlabelled_scans_take_their_scale_from_a_given_value_or_their_ruler(binary_run, tmp_path):
    workdir, _ = binary_run
    scans = tmp_path / "scans"
    scans.mkdir()
    truth = {}
    for index in (0, 2, 3):  # a mm/cm ruler, a white-on-black one, none
        sheet = generate_sheet(11, index, 2000, 1380)
        Image.fromarray(sheet.image).save(scans / f"scan{index}.png")
        truth[f"scan{index}"] = sheet.px_per_mm
    given = tmp_path / "scales.csv"
    given.write_text("sample,px_per_mm\nscan3,4.5\n")
    config = {**_folder_config(workdir / "user"), "unlabelled": {"sheets": str(scans), "scales": str(given)}}
    result = snakemake(workdir, config, "predict")
    assert result.returncode == 0, result.stderr[-3000:]
    sheets = pd.read_csv(workdir / "results" / "unlabelled" / "sheets.csv").set_index("sample")
    assert sheets["px_per_mm_source"].to_dict() == {"scan0": "ruler", "scan2": "ruler", "scan3": "given"}
    for sample in ("scan0", "scan2"):
        assert sheets.loc[sample, "px_per_mm"] == pytest.approx(truth[sample], rel=0.01)
    assert sheets.loc["scan3", "px_per_mm"] == 4.5
    traits = pd.read_csv(workdir / "results" / "unlabelled" / "traits.csv")
    assert traits["length_mm"].notna().all() and set(traits["px_per_mm_source"]) <= {"ruler", "given"}
    record = json.loads((workdir / "results" / "unlabelled" / "chunks" / "chunk0" / "scale" / "scan0.json").read_text())
    assert record["ruler"]["orientation"] in ("horizontal", "vertical") and record["ruler"]["coarse_mm"] in (5, 10)


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ("sample,px_per_mm\nscan0,0\n", "row 2: px_per_mm is 0; a scale must be a positive number"),
        ("sample,px_per_mm\nscan0,about 4\n", "column px_per_mm has non-numeric values"),
    ],
)
def test_a_bad_scale_table_stops_the_run_in_one_line(binary_run, tmp_path, table, message):
    workdir, _ = binary_run
    scans = tmp_path / "scans"
    scans.mkdir()
    Image.fromarray(_sheet(0)[0]).save(scans / "scan0.png")
    given = tmp_path / "scales.csv"
    given.write_text(table)
    config = {**_folder_config(workdir / "user"), "unlabelled": {"sheets": str(scans), "scales": str(given)}}
    result = snakemake(workdir, config, "predict", "--dry-run")
    assert result.returncode != 0
    expected = f"config key 'unlabelled.scales': {given}: {message}"
    assert len([line for line in (result.stdout + result.stderr).splitlines() if expected in line]) == 1
