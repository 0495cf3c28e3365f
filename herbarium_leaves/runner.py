"""The edge between a Snakemake script and the package: logging, one-line failures, provenance records."""

from __future__ import annotations

import datetime
import functools
import logging
import sys
from collections.abc import Callable
from pathlib import Path

import cv2

from herbarium_leaves.config import ConfigError
from herbarium_leaves.provenance import code_version, file_sha256, package_versions
from herbarium_leaves.reproducibility import numerics_record
from herbarium_leaves.sheet_io import InputError, write_json

PROVENANCE_DIR = Path("results") / "provenance"


def _files(paths, digest: Callable[[Path], str] = file_sha256) -> list[dict]:
    records = []
    for path in map(Path, paths):
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.is_file())
            records.append({"path": str(path), "directory_files": len(files)})
        elif path.is_file():
            records.append({"path": str(path), "bytes": path.stat().st_size, "sha256": digest(path)})
    return records


def _run_facts(smk) -> dict:
    """What every record of a job shares: package versions, code version, when it finished, and for a job
    that ran torch, its CPU numerics and the reproducibility class it can claim."""
    facts = {
        "versions": package_versions(),
        "code": code_version(),
        "finished": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
    }
    mode = dict(smk.params.items()).get("reproducibility")
    if mode and "torch" in sys.modules:
        facts["numerics"] = numerics_record(mode)
    return facts


def provenance_record(smk) -> dict:
    """What produced a job's outputs: rule, wildcards, params, threads, checksums, versions, code."""
    return {
        "rule": smk.rule,
        "wildcards": dict(smk.wildcards.items()),
        "params": {key: value for key, value in smk.params.items()},
        "threads": smk.threads,
        "inputs": _files(smk.input),
        "outputs": _files(smk.output),
        **_run_facts(smk),
    }


def provenance_path(smk) -> Path:
    """results/provenance/{rule}/{wildcard values}.json ({rule}.json for a rule without wildcards)."""
    values = [str(value) for _, value in smk.wildcards.items()]
    return PROVENANCE_DIR / smk.rule / (("__".join(values) or smk.rule) + ".json")


def _job_logger(smk) -> logging.Logger:
    """The package's logger, writing to the job's log file and to stderr (OpenCV limited to the job's threads)."""
    cv2.setNumThreads(smk.threads)
    logger = logging.getLogger("herbarium_leaves")
    logger.setLevel(logging.INFO)
    formatter = logging.Formatter("%(asctime)s %(levelname)s %(message)s")
    for handler in (logging.FileHandler(smk.log[0], mode="w", encoding="utf-8"), logging.StreamHandler(sys.stderr)):
        handler.setFormatter(formatter)
        logger.addHandler(handler)
    return logger


def run_logged(smk, job: Callable[[logging.Logger], None]) -> None:
    """Run `job` for the Snakemake job `smk` with a logger writing to its log and stderr.

    A bad input (InputError) or bad setting (ConfigError) ends the job with exit
    status 1 and one line naming the file and the problem; anything else is a bug
    and keeps its traceback. After success the job's provenance record is written.
    """
    logger = _job_logger(smk)
    try:
        job(logger)
    except (InputError, ConfigError) as error:
        logger.error("%s", error)
        raise SystemExit(1) from None
    write_json(provenance_path(smk), provenance_record(smk))


def _sheet_files(files, index: int, n_sheets: int) -> list[str]:
    """A batch job's files that belong to sheet `index`: its element of every per-sheet list, and every shared file."""
    chosen = []
    for _, value in files.items():
        if isinstance(value, str):
            chosen.append(value)
        elif len(value) == n_sheets:
            chosen.append(value[index])
        else:
            chosen.extend(value)
    return chosen


def sheet_provenance(smk, stage: str, index: int, shared: dict, digest: Callable[[Path], str]) -> tuple[Path, dict]:
    """Path and record of one sheet of a batch job, as a per-sheet job of `stage` would have written them."""
    params = smk.params
    samples = list(params.samples)
    wildcards = {**dict(smk.wildcards.items()), "split": params.split, "sample": samples[index]}
    record = {
        "rule": stage,
        "batch_rule": smk.rule,
        "batch": params.batch,
        "wildcards": wildcards,
        "params": {key: value for key, value in params.items() if key != "samples"},
        "threads": smk.threads,
        "inputs": _files(_sheet_files(smk.input, index, len(samples)), digest),
        "outputs": _files(_sheet_files(smk.output, index, len(samples)), digest),
        **shared,
    }
    return PROVENANCE_DIR / stage / ("__".join(map(str, wildcards.values())) + ".json"), record


def run_batch(smk, stage: str, start: Callable[[logging.Logger], Callable[[int], None]]) -> None:
    """Run the sheets of a batch job: `start(logger)` loads what the batch shares and returns the per-sheet job.

    The per-sheet job gets the sheet's index in `params.samples` (and in every
    per-sheet input and output list). A bad sheet (InputError) is named in one line
    and the other sheets still run, so one run names every bad sheet of the batch;
    the job then ends with exit status 1 (and Snakemake removes the batch's outputs).
    A bad setting, or a bad file the whole batch shares, ends it at once in one line.
    After success, each sheet gets its provenance record under results/provenance/{stage}/.
    """
    logger = _job_logger(smk)
    samples = list(smk.params.samples)
    try:
        process_sheet = start(logger)
        bad = []
        for index, sample in enumerate(samples):
            try:
                process_sheet(index)
            except InputError as error:
                logger.error("%s", error)
                bad.append(sample)
    except (InputError, ConfigError) as error:
        logger.error("%s", error)
        raise SystemExit(1) from None
    if bad:
        logger.error(
            "batch %s: %d of %d sheets failed (named above); no output of this batch is kept",
            smk.params.batch,
            len(bad),
            len(samples),
        )
        raise SystemExit(1)
    shared = _run_facts(smk)
    digest = functools.cache(file_sha256)  # a model file shared by the batch is read once
    for index in range(len(samples)):
        write_json(*sheet_provenance(smk, stage, index, shared, digest))
