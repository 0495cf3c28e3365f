"""Real sheets: the workflow's `predict` target on a folder of real scans, scored against their truth.

Run: .venv/bin/python benchmarks/bench_real.py SHEETS_DIR TRUTH_DIR [--run DIR] [--configfile F ...]
     [--overlays DIR] [--intact-from-truth] [--upscale F] [--cross-validate K [--seeds N ...]] [--keep DIR]

SHEETS_DIR holds the scans; TRUTH_DIR one of two layouts (see ../shared/real/README.md):
- leaf instances (lm2-dev): masks/<stem>.png (uint16, one id per leaf), leaves.csv (sample,
  leaf_id, px_per_mm, blade_length_px, width_px, intact) and scale.csv (sample, px_per_mm);
- whole-plant masks (kymillev-sample): plant_masks/<stem>.png (0 / 255).

The models are those of a finished run of this workflow: `--run DIR` is its working
directory (default: this repository, after `snakemake --cores all`), and `--configfile` the
config files that run used beyond config.yaml. Its `results/` is copied to a temporary folder
and `snakemake predict` runs there on the scans, so the run itself is left as it was; the
benchmark refuses to go on if the copy would retrain anything.

With --intact-from-truth (instance layout), the intact calls are also scored as the study's
route would make them: the SVM (the config's features) learns from the hand-flagged true
leaves of the other sheets, leave one sheet out, and judges the held-out sheet's leaves.

Every run also reports what each stage costs per scan, start-up excluded: the seconds the
predict_chunk and measure_chunk jobs log for each sheet (reading, the networks or the
measuring, writing). With --upscale F the scans are first enlarged F times (cubic, saved as
JPEG at quality 95, as a finer scan of the same sheet would be) and their truth with them
(masks nearest, px lengths, areas and scales scaled), so the same figures and costs are
measured at scan size: lm2-dev's 1400 x 2100 px sheets at F = 3 are 26 MP.

With --cross-validate K (instance layout), the models are trained here instead: the sheets are
dealt into K folds (hash order, as bench_real_finetune deals them) and, per fold, the whole
workflow runs on the other folds' sheets (their masks, and their intact flags for the SVM;
`--configfile` gives the route, e.g. presets/few_sheets.yaml) with the fold's sheets as its
test split (`--seeds`: the seeds it trains, default the config's), then `predict` runs on the
fold's sheets alone. The figures pool the K folds.

`--keep DIR` (a new folder) keeps the run there (every fold's, with --cross-validate): its predictions,
the probability and interior maps included, for looking into them afterwards.

Prints the figures of the layout and writes them, with every sheet's and every true leaf's
row, as the benchmark record (docs/benchmarks/bench_real/). With --overlays, one PNG per sheet:
each leaf found in its own colour, the truth outlined green, leaves called intact yellow.
"""

from __future__ import annotations

import argparse
import contextlib
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
import yaml
from training_run import folds_of

from herbarium_leaves.ingest import images_by_stem
from herbarium_leaves.intact import SvmSpec, classify_leaves, svm_skip_reason, train_intact_svm
from herbarium_leaves.measure import MeasureSpec, measure_true_leaves
from herbarium_leaves.metrics import intact_calls
from herbarium_leaves.real_sheets import instance_summary, plant_summary, score_instance_sheet, score_plant_sheet
from herbarium_leaves.report import overlay, thumbnail
from herbarium_leaves.sheet_io import read_png, read_sheet_image, write_png

from demo_run import layered_config
from record import recorded

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def predict(sheets: Path, run: Path, configfiles: list[Path], workdir: Path) -> Path:
    """Copy the run's results to `workdir`, predict the scans there; return workdir/results/unlabelled."""
    shutil.copytree(run / "results", workdir / "results", ignore=shutil.ignore_patterns("unlabelled", "dwc"))
    extra = workdir / "real.yaml"
    extra.write_text(yaml.safe_dump({"unlabelled": {"sheets": str(sheets.resolve())}}))
    command = [
        str(BIN / "snakemake"),
        "--snakefile",
        str(ROOT / "Snakefile"),
        "--directory",
        str(workdir),
        "predict",
        "--cores",
        "2",
        # The copy has no run records: only file times say what is out of date, not the scripts' own times.
        "--rerun-triggers",
        "mtime",
        "--configfile",
        str(ROOT / "config.yaml"),
        *map(str, configfiles),
        str(extra),
    ]
    plan = subprocess.run([*command, "--dry-run", "--quiet", "rules"], capture_output=True, text=True)
    if plan.returncode != 0:
        sys.exit(f"snakemake predict --dry-run failed:\n{(plan.stdout + plan.stderr)[-3000:]}")
    planned = {line.split()[0] for line in (plan.stdout + plan.stderr).splitlines() if re.fullmatch(r"\w+\s+\d+", line)}
    if planned & {"train", "augment", "pretrain"}:
        sys.exit(f"{run}: its models do not match this config (the plan retrains); give the run's --configfile")
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"snakemake predict failed:\n{(done.stdout + done.stderr)[-3000:]}")
    return workdir / "results" / "unlabelled"


def stage_seconds(workdir: Path) -> pd.DataFrame:
    """Per scan, the seconds its predict_chunk and measure_chunk jobs logged for it (start-up excluded)."""
    pattern = re.compile(r" INFO (.+?): (?:\d+ x \d+ px, .*, predicted|\d+ leaves, measured) in ([0-9.]+) s$")
    seconds: dict[str, dict] = {}
    for stage in ("predict_chunk", "measure_chunk"):
        for log in sorted((workdir / "results" / "logs" / stage).glob("*.log")):
            for line in log.read_text(encoding="utf-8").splitlines():
                found = pattern.search(line)
                if found:
                    seconds.setdefault(found[1], {"sample": found[1]})[f"{stage.split('_')[0]}_s"] = float(found[2])
    return pd.DataFrame(list(seconds.values()), columns=["sample", "predict_s", "measure_s"])


def upscaled(sheets: Path, truth: Path, factor: int, workdir: Path) -> tuple[Path, Path]:
    """The scans `factor` times larger (cubic, JPEG quality 95) and their truth with them: masks nearest, lengths
    and scales x factor, areas x factor²; the new folders of scans and truth."""
    scans, scaled = workdir / "upscaled_scans", workdir / "upscaled_truth"
    scans.mkdir()
    for stem, path in images_by_stem(sheets.iterdir(), sheets).items():
        image, _, _ = read_sheet_image(path, 250_000_000)
        large = cv2.resize(image, None, fx=factor, fy=factor, interpolation=cv2.INTER_CUBIC)
        cv2.imwrite(str(scans / f"{stem}.jpg"), large[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, 95])
    for folder in ("masks", "plant_masks"):
        for mask in sorted((truth / folder).glob("*.png")) if (truth / folder).is_dir() else []:
            array = read_png(mask)
            large = cv2.resize(array, None, fx=factor, fy=factor, interpolation=cv2.INTER_NEAREST)
            write_png(scaled / folder / mask.name, large)
    for table in ("leaves.csv", "scale.csv"):
        if (truth / table).exists():
            rows = pd.read_csv(truth / table, dtype={"sample": str})
            for column in rows.columns:
                if column == "area_px":
                    rows[column] *= factor**2
                elif column.endswith("_px") or column.endswith("px_per_mm"):
                    rows[column] *= factor
            rows.to_csv(scaled / table, index=False)
    return scans, scaled


def cost_figures(seconds: pd.DataFrame) -> dict:
    """Median seconds per scan of each stage and of their ratio."""
    return {
        "predict stage, s per scan (median)": float(seconds["predict_s"].median()),
        "measure stage, s per scan (median)": float(seconds["measure_s"].median()),
        "measure / predict per scan (median)": float((seconds["measure_s"] / seconds["predict_s"]).median()),
    }


def train_fold(
    sheets: Path, truth: Path, held_out: list[str], configfiles: list[Path], seeds: list[int], workdir: Path
) -> Path:
    """Run the whole workflow in `workdir` on the annotated sheets, `held_out` as its test split; its config file."""
    leaves = pd.read_csv(truth / "leaves.csv", dtype={"sample": str})
    leaves["split"] = np.where(leaves["sample"].isin(held_out), "test", "train")
    leaves[["sample", "leaf_id", "intact", "px_per_mm", "split"]].to_csv(workdir / "leaves.csv", index=False)
    folder = {"images": str(sheets.resolve()), "masks": str((truth / "masks").resolve()), "mask_type": "instance"}
    data = {
        "source": "folder",
        "folder": {**folder, "leaves_csv": str(workdir / "leaves.csv")},
        "split": {"column": "split"},
    }
    fold = workdir / "fold.yaml"
    fold.write_text(yaml.safe_dump({"data": data, **({"seeds": seeds} if seeds else {})}))
    command = [str(BIN / "snakemake"), "--snakefile", str(ROOT / "Snakefile"), "--directory", str(workdir)]
    configs = [str(ROOT / "config.yaml"), *map(str, configfiles), str(fold)]
    done = subprocess.run([*command, "--cores", "2", "--configfile", *configs], capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(
            f"snakemake (fold with test sheets {', '.join(held_out)}) failed:\n{(done.stdout + done.stderr)[-3000:]}"
        )
    return fold


def cross_validated(args: argparse.Namespace, workdir: Path) -> tuple[dict, pd.DataFrame, pd.DataFrame]:
    """Instance figures pooled over folds, each fold's sheets predicted by models trained on the others."""
    scans = images_by_stem(args.sheets.iterdir(), args.sheets)
    fold_of = folds_of(sorted(scans), args.cross_validate)
    per_sheet, per_leaf = [], []
    for fold in range(args.cross_validate):
        held_out = sorted(stem for stem, number in fold_of.items() if number == fold)
        run, scans_dir = workdir / f"fold{fold}", workdir / f"fold{fold}_scans"
        run.mkdir()
        scans_dir.mkdir()
        for stem in held_out:
            (scans_dir / scans[stem].name).symlink_to(scans[stem].resolve())
        fold_config = train_fold(args.sheets, args.truth, held_out, args.configfile, args.seeds, run)
        unlabelled = predict(scans_dir, run, [*args.configfile, fold_config], workdir / f"fold{fold}_predict")
        sheets = pd.read_csv(unlabelled / "sheets.csv", dtype={"sample": str})
        traits = pd.read_csv(unlabelled / "traits.csv", dtype={"sample": str})
        _, counts, leaves = score_instances(args.truth, unlabelled, sheets, traits, args.overlays)
        print(f"fold {fold} ({', '.join(held_out)}): {int(counts['matched'].sum())} of {len(leaves)} matched")
        per_sheet.append(counts.assign(fold=fold))
        per_leaf.append(leaves.assign(fold=fold))
    per_sheet, per_leaf = pd.concat(per_sheet, ignore_index=True), pd.concat(per_leaf, ignore_index=True)
    return instance_summary(per_sheet, per_leaf, per_sheet), per_sheet, per_leaf


def predicted_leaves(unlabelled: Path, sample: str) -> np.ndarray:
    """The leaf labels the workflow wrote for one scan."""
    (path,) = unlabelled.glob(f"leaves/chunk*/{sample}.png")
    return read_png(path)


def score_instances(truth: Path, unlabelled: Path, sheets: pd.DataFrame, traits: pd.DataFrame, overlays: Path | None):
    """Figures against leaf instance masks, the per-sheet counts and the per-leaf rows."""
    true_leaves = pd.read_csv(truth / "leaves.csv", dtype={"sample": str})
    hand_scales = pd.read_csv(truth / "scale.csv", dtype={"sample": str}).set_index("sample")["px_per_mm"]
    counts, leaves = [], []
    for sheet in sheets.to_dict("records"):
        sample = sheet["sample"]
        found = predicted_leaves(unlabelled, sample)
        labels = read_png(truth / "masks" / f"{sample}.png")
        mine = traits[traits["sample"] == sample].reset_index(drop=True)
        theirs = true_leaves[true_leaves["sample"] == sample].reset_index(drop=True)
        count, rows = score_instance_sheet(found, labels, mine, theirs)
        counts.append({"sample": sample, **count})
        leaves.append(rows.assign(sample=sample))
        if overlays:
            draw_overlay(overlays / f"{sample}.png", sheet["source"], labels, found, mine)
    counts, leaves = pd.DataFrame(counts), pd.concat(leaves, ignore_index=True)
    scales = sheets[["sample", "px_per_mm", "px_per_mm_source"]].rename(columns={"px_per_mm_source": "source"})
    scales = scales.assign(true_px_per_mm=scales["sample"].map(hand_scales))
    return instance_summary(counts, leaves, scales), counts.merge(scales, on="sample"), leaves


def intact_from_truth(truth: Path, sheets: pd.DataFrame, traits: pd.DataFrame, config: dict) -> pd.DataFrame:
    """`traits` with intact calls of an SVM learned, leave one sheet out, from the other sheets' flagged true leaves."""
    true_leaves = pd.read_csv(truth / "leaves.csv", dtype={"sample": str})
    spec, iou_threshold = MeasureSpec(**config["measure"]), config["evaluate"]["iou_threshold"]
    measured = []
    for sheet in sheets.to_dict("records"):
        sample = sheet["sample"]
        labels = read_png(truth / "masks" / f"{sample}.png")
        image, _, _ = read_sheet_image(sheet["source"], config["data"]["max_image_pixels"])
        own = true_leaves[true_leaves["sample"] == sample]
        _, leaves = measure_true_leaves(labels, image, own["px_per_mm"].iloc[0], spec, True, own, iou_threshold)
        measured.append(leaves.assign(sample=sample))
    measured = pd.concat(measured, ignore_index=True)
    svm = SvmSpec.from_config(config["svm"])
    judged = []
    for sample in sheets["sample"]:
        training = measured[measured["sample"] != sample]
        reason = svm_skip_reason(training["intact"])
        if reason:
            sys.exit(f"leave {sample} out: {reason}")
        bundle, _ = train_intact_svm(training, training["intact"], svm, seed=0)
        judged.append(classify_leaves(bundle, traits[traits["sample"] == sample]))
    return pd.concat(judged, ignore_index=True)


def score_plants(truth: Path, unlabelled: Path, sheets: pd.DataFrame, traits: pd.DataFrame, overlays: Path | None):
    """Figures against whole-plant masks and the per-sheet counts."""
    counts = []
    for sheet in sheets.to_dict("records"):
        sample = sheet["sample"]
        found = predicted_leaves(unlabelled, sample)
        plant = read_png(truth / "plant_masks" / f"{sample}.png")
        plant = plant[..., 0] if plant.ndim == 3 else plant
        counts.append({"sample": sample, **score_plant_sheet(found, plant), "source": sheet["px_per_mm_source"]})
        if overlays:
            draw_overlay(overlays / f"{sample}.png", sheet["source"], plant, found, traits[traits["sample"] == sample])
    counts = pd.DataFrame(counts)
    return plant_summary(counts, counts["source"]), counts, None


def draw_overlay(path: Path, source: str, truth: np.ndarray, found: np.ndarray, traits: pd.DataFrame) -> None:
    """The sheet as the report's gallery draws it: `found` leaves coloured, `truth` outlined, those called intact."""
    image, _, _ = read_sheet_image(source, 250_000_000)
    intact_ids = traits.loc[intact_calls(traits), "leaf_id"].tolist()
    write_png(path, thumbnail(overlay(image, truth, found, intact_ids), longest=1400))


def main(tables: dict) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sheets", type=Path, help="folder of real scans")
    parser.add_argument("truth", type=Path, help="folder with masks/ + leaves.csv + scale.csv, or plant_masks/")
    parser.add_argument("--run", type=Path, default=ROOT, help="working directory of a finished run (its models)")
    parser.add_argument("--configfile", type=Path, nargs="*", default=[], help="config files that run used")
    parser.add_argument("--overlays", type=Path, help="folder for one overlay PNG per sheet")
    parser.add_argument(
        "--intact-from-truth", action="store_true", help="also: an SVM learned from the other sheets' flags"
    )
    parser.add_argument("--upscale", type=int, default=1, metavar="F", help="enlarge scans and truth F times first")
    parser.add_argument("--cross-validate", type=int, metavar="K", help="train here, K folds (instance layout)")
    parser.add_argument("--seeds", type=int, nargs="*", default=[], help="with --cross-validate: the seeds trained")
    parser.add_argument("--keep", type=Path, help="a new folder that keeps the run (every fold's) and its maps")
    args = parser.parse_args()
    layout = "instances" if (args.truth / "leaves.csv").exists() else "plants"
    if layout == "plants" and not (args.truth / "plant_masks").is_dir():
        sys.exit(f"{args.truth}: neither leaves.csv with masks/ nor plant_masks/")
    if args.overlays:
        args.overlays.mkdir(parents=True, exist_ok=True)
    if args.cross_validate:
        if layout != "instances" or args.intact_from_truth or args.upscale > 1:
            sys.exit(
                "--cross-validate needs the instance layout, learns intact calls from the folds' flags already "
                "and trains at the scans' own size (no --upscale)"
            )
        with working_folder(args.keep, "bench_real_cv_") as workdir:
            figures, tables["sheets"], tables["leaves"] = cross_validated(args, workdir)
        print(f"{args.sheets} against {args.truth}; {args.cross_validate} folds trained with {args.configfile}")
        report(figures, tables)
        return
    with working_folder(args.keep, "bench_real_") as workdir:
        scans, truth = args.sheets, args.truth
        if args.upscale > 1:
            scans, truth = upscaled(args.sheets, args.truth, args.upscale, workdir)
        unlabelled = predict(scans, args.run, args.configfile, workdir)
        seconds = stage_seconds(workdir)
        sheets = pd.read_csv(unlabelled / "sheets.csv", dtype={"sample": str})
        traits = pd.read_csv(unlabelled / "traits.csv", dtype={"sample": str})
        bad = sheets[sheets["status"] != "ok"]
        if len(bad):
            print(f"not predicted: {', '.join(bad['sample'])}")
        sheets = sheets[sheets["status"] == "ok"]
        score = score_instances if layout == "instances" else score_plants
        figures, per_sheet, per_leaf = score(truth, unlabelled, sheets, traits, args.overlays)
        if args.intact_from_truth and layout == "instances":
            relearned = intact_from_truth(
                truth,
                sheets,
                traits,
                layered_config(*(yaml.safe_load(path.read_text()) for path in args.configfile)),
            )
            own, _, _ = score_instances(truth, unlabelled, sheets, relearned, None)
            intact = [name for name in own if "intact" in name]
            figures.update({f"{name}, SVM from the other sheets' flags": own[name] for name in intact})
        figures.update(cost_figures(seconds))
    enlarged = f", enlarged {args.upscale} times" if args.upscale > 1 else ""
    print(f"{args.sheets} against {args.truth} ({layout}{enlarged}); models of {args.run.resolve()}")
    tables["sheets"] = per_sheet.merge(seconds, on="sample", how="left")
    if per_leaf is not None:
        tables["leaves"] = per_leaf
    report(figures, tables)


@contextlib.contextmanager
def working_folder(keep: Path | None, prefix: str) -> Iterator[Path]:
    """`keep`, made new and left in place, or a temporary folder removed afterwards."""
    if keep:
        keep.mkdir(parents=True)
        yield keep
        return
    with tempfile.TemporaryDirectory(prefix=prefix) as workdir:
        yield Path(workdir)


def report(figures: dict, tables: dict) -> None:
    """Print the figures and keep them with the record."""
    for name, value in figures.items():
        print(f"  {name:66s} {value:.3f}" if isinstance(value, float) else f"  {name:66s} {value}")
    tables["figures"] = pd.DataFrame([figures])


if __name__ == "__main__":
    with recorded("bench_real") as tables:
        main(tables)
