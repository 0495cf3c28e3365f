"""The real Snakefile on tiny configs, in temporary folders."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
import yaml
from PIL import Image

from herbarium_leaves.batches import planned_jobs_per_stage
from herbarium_leaves.darwin_core import MOF_COLUMNS, MOF_TRAITS
from herbarium_leaves.sheet_io import read_png
from herbarium_leaves.synthetic import generate_sheet

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
TINY = {
    "seeds": [0, 1],
    # Sheets this small (0.6 px/mm) show no readable ruler: their true scale is given.
    "data": {"synthetic": {"n_train": 5, "n_test": 1, "height_px": 256, "width_px": 176, "given_scale": True}},
    "resize": {"mode": "fixed", "height": 128, "width": 96},
    "patch": {"size": 64, "stride": 64},
    "augment": {"copies": 1},
    "model": {"encoder": "resnet18", "decoder_channels": 16},
    "train": {"epochs": 2, "batch_size": 4, "threads": 1, "device": "cpu"},
}

pytestmark = pytest.mark.slow


def snakemake_command(workdir: Path, config: dict, *args: str) -> list[str]:
    """The command that runs the real Snakefile in `workdir` with `config` (written there as tiny.yaml)."""
    (workdir / "tiny.yaml").write_text(yaml.safe_dump(config))
    return [
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


def snakemake(workdir: Path, config: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(snakemake_command(workdir, config, *args), capture_output=True, text=True, timeout=600)


class BackgroundRun:
    """The real Snakefile started in `workdir` without waiting, its output kept in `workdir`.log."""

    def __init__(self, workdir: Path, config: dict, *args: str):
        self.log = workdir.with_suffix(".log")
        with self.log.open("w") as output:
            command = snakemake_command(workdir, config, *args)
            self.process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)

    def assert_succeeds(self) -> None:
        assert self.process.wait(timeout=600) == 0, self.log.read_text()[-3000:]


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("demo")
    result = snakemake(workdir, TINY)
    assert result.returncode == 0, result.stderr[-3000:]
    return workdir


def test_demo_produces_data_and_resized_sheets(demo_run):
    results = demo_run / "results"
    train = [f"train_{index:04d}" for index in range(5)]
    for split, samples in (("train", train), ("test", ["test_0000"])):
        leaves = pd.read_csv(results / "data" / split / "leaves.csv")
        assert sorted(path.stem for path in (results / "data" / split / "images").glob("*.png")) == samples
        assert set(leaves["sample"]) <= set(samples)  # a sheet may hold no leaf (one whose leaves met its labels)
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
    for rule in ("synthesize_demo", "resize", "collect_annotations", "augment", "train", "predict_sheet", "ensemble"):
        assert any((results / "logs" / rule).rglob("*.log")), rule


def test_every_job_leaves_a_provenance_record(demo_run):
    records = demo_run / "results" / "provenance"
    train = json.loads((records / "train" / "0.json").read_text())
    assert train["rule"] == "train" and train["wildcards"] == {"seed": "0"}
    assert train["params"]["train"]["epochs"] == 2 and train["params"]["seed"] == 0
    assert any(item["path"].endswith("manifest.csv") and len(item["sha256"]) == 64 for item in train["inputs"])
    assert {"torch", "python"} <= set(train["versions"]) and train["code"]["package_sha256"]
    for rule in (
        "synthesize_demo",
        "resize",
        "augment",
        "predict_sheet",
        "ensemble",
        "measure",
        "train_svm",
        "classify",
        "evaluate",
        "summarize",
        "report",
    ):
        assert any((records / rule).glob("*.json")), rule


def test_each_seed_gets_its_own_model_with_provenance(demo_run):
    models = demo_run / "results" / "models"
    digests = []
    for seed in (0, 1):
        provenance = json.loads((models / f"seed{seed}" / "provenance.json").read_text())
        assert provenance["seed"] == seed and provenance["determinism"]["deterministic_algorithms"] == "strict"
        assert {"torch", "segmentation-models-pytorch", "albumentations", "numpy", "python"} <= set(
            provenance["versions"]
        )
        assert provenance["training_data"]["manifest_sha256"]
        history = pd.read_csv(models / f"seed{seed}" / "history.csv")
        assert history["epoch"].tolist() == [1, 2]
        manifest = pd.read_csv(demo_run / "results" / "augmented" / f"seed{seed}" / "manifest.csv")
        assert {"source", "copy", "rotation_deg", "hflip", "vflip", "brightness"} <= set(manifest.columns)
        digests.append(provenance["state_dict_sha256"])
    assert digests[0] != digests[1]
    assert not list((demo_run / "results" / "checkpoints").rglob("*.pt"))  # removed once a model is saved


def test_training_records_its_numerics_and_verify_says_whether_a_replay_matches(demo_run):
    provenance = json.loads((demo_run / "results" / "models" / "seed0" / "provenance.json").read_text())
    numerics = provenance["numerics"]
    assert provenance["settings"]["reproducibility"] == numerics["mode"] == "portable"
    assert (
        numerics["claim"].startswith("portable: the same bits on other x86-64 CPUs")
        and numerics["mkldnn_enabled"] is True
    )
    assert {"cpu_model", "cpu_flags", "aten_cpu_capability", "environment", "torch_threads"} <= set(numerics)
    reports = demo_run / "results" / "verify"
    # Replayed in machine mode (training not redone: mtime triggers only), the weights differ and verify says why.
    other = {**TINY, "reproducibility": "machine"}
    result = snakemake(demo_run, other, "verify", "--forcerun", "verify", "--rerun-triggers", "mtime")
    assert result.returncode == 0, result.stderr[-3000:]
    (report_path,) = reports.glob("*.json")
    report = json.loads(report_path.read_text())
    assert report["identical"] is False and report["recorded_sha256"] != report["replayed_sha256"]
    assert "mode: recorded 'portable', here 'machine'" in report["differences"]
    assert "NOT identical" in result.stderr and "MKL_CBWR: recorded 'COMPATIBLE', here None" in result.stderr
    # Replayed as recorded: identical after the first epoch.
    result = snakemake(demo_run, TINY, "verify", "--forcerun", "verify")
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(report_path.read_text())
    assert report["identical"] is True and report["epochs"] == 1 and report["differences"] == []
    history = pd.read_csv(demo_run / "results" / "models" / "seed0" / "history.csv")
    assert report["replayed_sha256"] == history["state_dict_sha256"].iloc[0]


def test_every_model_predicts_the_test_sheets_at_full_resolution(demo_run):
    predictions = demo_run / "results" / "predictions"
    maps = {}
    for model in ("seed0", "seed1", "ensemble"):
        probability = read_png(predictions / model / "test" / "test_0000.png")
        mask = read_png(predictions / model / "test" / "masks" / "test_0000.png")
        assert probability.shape == mask.shape == (256, 176) and probability.dtype == np.uint8
        assert set(np.unique(mask)) <= {0, 255}
        assert np.array_equal(mask == 255, probability >= 128)
        maps[model] = probability.astype(float)
    mean = (maps["seed0"] + maps["seed1"]) / 2
    assert np.abs(maps["ensemble"] - mean).max() <= 0.5


def test_unlabelled_sheets_are_predicted_in_chunks_and_a_bad_one_is_named(demo_run, tmp_path):
    sheets = tmp_path / "scans"
    sheets.mkdir()
    rng = np.random.default_rng(0)
    for name in ("a", "b", "c"):
        Image.fromarray(rng.integers(0, 255, (90, 70, 3), dtype=np.uint8)).save(sheets / f"{name}.jpg")
    (sheets / "d.jpg").write_bytes(b"not a jpeg")
    (sheets / "notes.pdf").write_bytes(b"%PDF-1.4")
    config = {**TINY, "unlabelled": {"sheets": str(sheets), "chunk_size": 2, "px_per_mm": 0.6}}
    result = snakemake(demo_run, config, "predict")  # uses the demo run's trained models
    assert result.returncode == 0, result.stderr[-3000:]
    assert "rule train" not in result.stdout
    output = result.stdout + result.stderr
    assert f"{sheets / 'd.jpg'}: not a readable image" in output
    assert f"{sheets / 'notes.pdf'}: not taken: not an image file" in output
    assert "2 of 5 files in unlabelled.sheets were not measured" in output
    unlabelled = demo_run / "results" / "unlabelled"
    assert sorted(p.name for p in (unlabelled / "chunks").iterdir()) == ["chunk0", "chunk1"]
    for name, chunk in (("a", "chunk0"), ("b", "chunk0"), ("c", "chunk1")):
        assert read_png(unlabelled / "chunks" / chunk / "probability" / f"{name}.png").shape == (90, 70)
        assert read_png(unlabelled / "overlays" / chunk / f"{name}.png").shape == (90, 70, 3)
    status = pd.read_csv(unlabelled / "sheets.csv").set_index("sample")["status"]
    assert sorted(status.index) == ["a", "b", "c", "d", "notes"]
    assert (status[["a", "b", "c"]] == "ok").all() and "not a readable image" in status["d"]
    traits = pd.read_csv(unlabelled / "traits.csv")
    assert {"sample", "length_mm", "intact_probability", "intact"} <= set(traits.columns)
    coco = json.loads((unlabelled / "leaves.coco.json").read_text())
    assert [image["file_name"] for image in coco["images"]] == ["a.jpg", "b.jpg", "c.jpg"]
    assert len(coco["annotations"]) == len(traits)
    assert sorted({a["id"] for a in coco["annotations"]}) == list(range(1, len(traits) + 1))


def test_the_run_ends_in_metrics_and_a_report(demo_run):
    results = demo_run / "results"
    summary = pd.read_csv(results / "metrics" / "summary.csv")
    models = summary["model"].tolist()
    assert models[:3] == ["seed0", "seed1", "ensemble"] and "seeds mean" in models and "seeds std" in models
    assert any(m.startswith("study") for m in models)
    ensemble = summary[summary["model"] == "ensemble"].iloc[0]
    assert 0 <= ensemble["mean_iou"] <= 1 and ensemble["sheets"] == 1
    traits = pd.read_csv(results / "leaves" / "ensemble" / "test" / "traits.csv")
    assert {"length_mm", "width_mm", "area_mm2", "solidity", "intact_probability", "intact"} <= set(traits.columns)
    assert (results / "leaves" / "ensemble" / "test" / "traits" / "test_0000.csv").exists()
    intact = pd.read_csv(results / "leaves" / "ensemble" / "test" / "intact_leaves.csv")
    assert intact["intact"].all() if len(intact) else True
    coco = json.loads((results / "leaves" / "ensemble" / "test" / "predicted_leaves.coco.json").read_text())
    assert len(coco["annotations"]) == len(traits)
    assert all(isinstance(a["segmentation"], list) for a in coco["annotations"])
    page = (results / "report" / "report.html").read_text()
    for heading in (
        "Headline",
        "Provenance",
        "Training",
        "IoU per sheet",
        "Every test sheet",
        "Intact-leaf SVM",
        "Measurements",
    ):
        assert f"<h2>{heading}</h2>" in page
    assert page.count("data:image/png;base64,") >= 6
    assert 'src="http' not in page and "<link" not in page  # self-contained: nothing fetched
    # learned instances (the default): each test sheet's figure pairs them with the same mask's components
    assert page.count('<figure class="pair">') == 1 and "right: the same mask as connected components" in page


def test_the_demo_takes_each_sheets_scale_from_its_ruler_paper_or_the_default(tmp_path):
    """The shipped demo's settings (512 x 352 px, given_scale false): a readable ruler gives the scale, scored by
    the truth; else the paper's long side inside a scanner border; else the config default, and its record says
    why neither gave one."""
    demo = yaml.safe_load((ROOT / "config.yaml").read_text())
    config = {"seeds": [0], "data": {"synthetic": {**demo["data"]["synthetic"], "n_train": 1, "n_test": 5}}}
    config["scale"] = demo["scale"]
    assert config["data"]["synthetic"]["given_scale"] is False
    targets = [f"results/scale/test/test_{i:04d}.json" for i in range(5)]
    result = snakemake(tmp_path, config, *targets)
    assert result.returncode == 0, result.stderr[-3000:]
    sources = set()
    for i, target in enumerate(targets):
        record = json.loads((tmp_path / target).read_text())
        truth = generate_sheet(0, 1_000_000 + i, 512, 352)
        assert record["true_px_per_mm"] == pytest.approx(truth.px_per_mm)
        sources.add(record["source"])
        if record["source"] == "ruler":
            assert truth.ruler is not None and record["ruler"]["fine_mm"] == 5 and record["ruler"]["coarse_mm"] == 10
            assert record["px_per_mm"] == pytest.approx(truth.px_per_mm, rel=0.01)
        elif record["source"] == "paper":
            assert record["paper"]["long_side_px"] < 512 and "5 mm and cm ticks" in record["ruler"]["reason"]
            assert record["px_per_mm"] == pytest.approx(truth.px_per_mm, rel=0.005)
        else:
            assert record["source"] == "config" and record["px_per_mm"] == demo["scale"]["px_per_mm"]
            assert "5 mm and cm ticks" in record["ruler"]["reason"]
            assert record["paper"]["reason"] == "the paper reaches the image's edge along its long side"
    assert sources == {"ruler", "paper", "config"}


def test_unlabelled_scans_without_scale_get_px_traits_and_are_named(demo_run, tmp_path):
    """Unscaled scans get px traits and a warning naming them; the default SVM (unitless traits) judges them."""
    scans = tmp_path / "scans"
    scans.mkdir()
    for index in range(2):
        Image.fromarray(generate_sheet(0, 30 + index, 256, 176).image).save(scans / f"scan{index}.png")
    config = {**TINY, "unlabelled": {"sheets": str(scans), "chunk_size": 5}}
    result = snakemake(demo_run, config, "predict")
    assert result.returncode == 0, result.stderr[-3000:]
    traits = pd.read_csv(demo_run / "results" / "unlabelled" / "traits.csv")
    assert len(traits) and traits["length_px"].gt(0).all() and traits["length_mm"].isna().all()
    assert traits["intact_probability"].notna().all() and traits["intact_note"].isna().all()
    log = (demo_run / "results" / "logs" / "measure_chunk" / "chunk0.log").read_text()
    assert "no px_per_mm, so traits in px only on: scan0, scan1" in log


def test_darwin_core_export_of_every_leaf_traces_to_the_ensemble_traits(demo_run, tmp_path):
    target = "results/dwc/test/measurementorfact.csv"
    assert (demo_run / target).exists()  # part of the default run (intact leaves)
    result = snakemake(demo_run, {**TINY, "dwc": {"leaves": "all"}}, target)
    assert result.returncode == 0, result.stderr[-3000:]
    table = pd.read_csv(demo_run / target, keep_default_na=False)
    traits = pd.read_csv(demo_run / "results" / "leaves" / "ensemble" / "test" / "traits.csv")
    assert list(table.columns) == MOF_COLUMNS and len(table) >= len(traits)
    columns = {measurement_type: column for column, (measurement_type, *_) in MOF_TRAITS.items()}
    for record in table.to_dict("records"):
        sheet, leaf = record["measurementRemarks"].split("; ")[:2]
        row = traits[(traits["sample"] == sheet.removeprefix("sheet ")) & (traits["leaf_id"] == int(leaf[5:]))]
        assert float(record["measurementValue"]) == pytest.approx(row[columns[record["measurementType"]]].item())
    method = table["measurementMethod"].iloc[0]
    assert "leaves split at the network's leaf interiors" in method and "outlines refined" in method
    assert "intact calls by an RBF SVM on hole_fraction" in method
    assert "learned from 5 annotated training sheets" in method
    ids = tmp_path / "ids.csv"
    ids.write_text("sample,occurrenceID\nsomething_else,urn:1\n")
    failed = snakemake(demo_run, {**TINY, "dwc": {"occurrence_ids": str(ids)}}, target)
    assert failed.returncode != 0
    assert f"{ids}: sheet 'test_0000' has no occurrenceID (1 sheets missing)" in failed.stderr
    assert not (demo_run / target).exists()  # the failed job's output is removed
    assert snakemake(demo_run, TINY, target).returncode == 0  # back to the demo's export for the tests after


def planned_jobs(workdir: Path, config: dict, *targets: str) -> dict[str, int]:
    """The dry run's job counts per stage for `targets` (default: all; batch rules added up; without `all`)."""
    result = snakemake(workdir, config, *targets, "--dry-run")
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    return planned_jobs_per_stage(result.stdout)


@pytest.mark.parametrize(
    "setting, generated",
    [({"c_grid": [0.5, 5.0]}, 0), ({"learn_from": "both", "generated": {"sheets": 3, "height_px": 256}}, 3)],
)
def test_changing_an_svm_setting_reruns_only_the_svm_and_what_follows(demo_run, setting, generated):
    jobs = planned_jobs(demo_run, {**TINY, "svm": setting})
    assert jobs.pop("synthesize_svm", 0) == (1 if generated else 0)  # generated sheets come in batches
    assert set(jobs) == {"train_svm", "classify", "evaluate", "summarize", "darwin_core", "report"}


def test_adding_a_seed_trains_and_predicts_only_that_seed(demo_run):
    jobs = planned_jobs(demo_run, {**TINY, "seeds": [0, 1, 2]})
    assert jobs["augment"] == 1 and jobs["train"] == 1 and jobs["predict_sheet"] == 1  # seed 2 on the test sheet
    assert jobs["ensemble"] == 1 and jobs["evaluate"] == 2  # seed 2 and the ensemble
    assert {"synthesize_demo", "resize", "train_svm"}.isdisjoint(jobs)


def test_changing_the_overlap_reruns_inference_not_training(demo_run):
    jobs = planned_jobs(demo_run, {**TINY, "predict": {"overlap": 0.5}})
    assert jobs["predict_sheet"] == 2 and jobs["ensemble"] == 1
    assert {"train", "augment", "train_svm", "measure_truth"}.isdisjoint(jobs)


@pytest.mark.parametrize("setting", [{"seed_threshold": 0.6}, {"weak_seed_threshold": 0.8}, {"merge_leaf_ratio": 0.5}])
def test_changing_the_seed_thresholds_remeasures_without_inference_or_training(demo_run, setting):
    jobs = planned_jobs(demo_run, {**TINY, "instances": setting})
    assert jobs["measure"] == 3  # each model's leaves; the truth and the SVM stay
    assert {"train", "augment", "predict_sheet", "ensemble", "measure_truth", "train_svm"}.isdisjoint(jobs)


@pytest.mark.parametrize("setting", [{"refine_px": 2}, {"refine_tip_reach": 1}])
def test_changing_the_outline_refinement_remeasures_only_the_predicted_leaves(demo_run, setting):
    jobs = planned_jobs(demo_run, {**TINY, "measure": setting})
    assert jobs["measure"] == 3  # the true leaves are not refined: measure_truth and the SVM stay
    assert {"train", "predict_sheet", "ensemble", "measure_truth", "train_svm"}.isdisjoint(jobs)


def test_changing_the_instance_method_retrains(demo_run):
    jobs = planned_jobs(demo_run, {**TINY, "instances": {"method": "components"}})
    assert jobs["augment"] == 2 and jobs["train"] == 2 and jobs["predict_sheet"] == 2


def test_snakemake_report_builds_with_captions(demo_run):
    result = snakemake(demo_run, TINY, "--report", str(demo_run / "report.zip"))
    assert result.returncode == 0, result.stderr[-2000:]
    assert (demo_run / "report.zip").stat().st_size > 10_000


def test_nothing_to_do_after_a_complete_run(demo_run):
    result = snakemake(demo_run, TINY, "--dry-run")
    assert result.returncode == 0 and "Nothing to be done" in result.stdout + result.stderr


def test_demo_is_bitwise_repeatable(demo_run, tmp_path):
    again = snakemake(tmp_path, TINY, "results/models/seed1/provenance.json")
    assert again.returncode == 0, again.stderr[-3000:]
    for name in ("results/data/train/images/train_0001.png", "results/augmented/seed1/manifest.csv"):
        assert (tmp_path / name).read_bytes() == (demo_run / name).read_bytes()
    hashes = [json.loads((run / "results/models/seed1/provenance.json").read_text()) for run in (tmp_path, demo_run)]
    assert hashes[0]["state_dict_sha256"] == hashes[1]["state_dict_sha256"]


def test_training_killed_mid_run_resumes_to_identical_weights(tmp_path):
    config = {**TINY, "seeds": [0], "train": {**TINY["train"], "epochs": 8}}  # killed after epoch 2
    target = "results/models/seed0/provenance.json"
    reference, killed = tmp_path / "reference", tmp_path / "killed"
    reference.mkdir()
    killed.mkdir()
    # The uninterrupted reference runs beside the run that is killed: one core each.
    uninterrupted = BackgroundRun(reference, config, target, "--cores", "1")
    job = subprocess.Popen(
        snakemake_command(killed, config, target, "--cores", "1"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    checkpoints = killed / "results" / "checkpoints" / "seed0"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and job.poll() is None:
        found = list(checkpoints.glob("[!.]*.pt"))
        if found and torch.load(found[0], weights_only=True)["epoch"] >= 2:
            break
        time.sleep(0.2)
    assert job.poll() is None, "training ended before it could be killed"
    os.killpg(job.pid, signal.SIGKILL)
    job.wait()
    assert not (killed / target).exists()
    assert snakemake(killed, config, "--unlock").returncode == 0
    resumed = snakemake(killed, config, target, "--rerun-incomplete")
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    uninterrupted.assert_succeeds()
    assert "resuming from checkpoint" in (killed / "results" / "logs" / "train" / "seed0.log").read_text()
    digest = json.loads((killed / target).read_text())["state_dict_sha256"]
    assert digest == json.loads((reference / target).read_text())["state_dict_sha256"]


def test_coco_export_feeds_the_coco_ingest(demo_run, tmp_path):
    exported = demo_run / "results" / "data" / "train"
    config = {
        "data": {
            "source": "coco",
            "coco": {"images": str(exported), "annotations": str(exported / "annotations.json")},
        },
        "resize": TINY["resize"],
    }
    result = snakemake(tmp_path, config, "results/data/train/leaves.csv", "results/data/test/leaves.csv")
    assert result.returncode == 0, result.stderr[-3000:]
    for sample in ("train_0000", "train_0001"):
        found = list((tmp_path / "results" / "data").glob(f"*/labels/{sample}.png"))
        assert len(found) == 1
        original = read_png(exported / "labels" / f"{sample}.png")
        assert np.array_equal(read_png(found[0]) > 0, original > 0)


def test_a_second_run_on_the_same_results_is_refused_by_the_lock(tmp_path):
    command = snakemake_command(tmp_path, TINY)
    first = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while not list((tmp_path / ".snakemake" / "locks").glob("*")) and time.monotonic() < deadline:
            time.sleep(0.2)
        second = subprocess.run(command, capture_output=True, text=True, timeout=120)
        assert second.returncode != 0
        assert "LockException" in second.stdout + second.stderr
    finally:
        os.killpg(first.pid, signal.SIGKILL)
        first.wait()


def test_lint_and_format_are_clean():
    lint = subprocess.run([str(BIN / "snakemake"), "--lint"], cwd=ROOT, capture_output=True, text=True)
    assert lint.returncode == 0 and "Congratulations" in lint.stdout + lint.stderr, lint.stdout + lint.stderr
    fmt = subprocess.run([str(BIN / "snakefmt"), "--check", "."], cwd=ROOT, capture_output=True, text=True)
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr
