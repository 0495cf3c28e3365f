"""The edge between a Snakemake script and the package: logging, one-line failures, provenance records."""

from __future__ import annotations

import datetime
import logging
import sys
from collections.abc import Callable
from pathlib import Path

import cv2

from herbarium_leaves.config import ConfigError
from herbarium_leaves.provenance import code_version, file_sha256, package_versions
from herbarium_leaves.sheet_io import InputError, write_json

PROVENANCE_DIR = Path("results") / "provenance"


def _files(paths) -> list[dict]:
    records = []
    for path in map(Path, paths):
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.is_file())
            records.append({"path": str(path), "directory_files": len(files)})
        elif path.is_file():
            records.append({"path": str(path), "bytes": path.stat().st_size, "sha256": file_sha256(path)})
    return records


def provenance_record(smk) -> dict:
    """What produced a job's outputs: rule, wildcards, params, threads, checksums, versions, code."""
    return {
        "rule": smk.rule,
        "wildcards": dict(smk.wildcards.items()),
        "params": {key: value for key, value in smk.params.items()},
        "threads": smk.threads,
        "inputs": _files(smk.input),
        "outputs": _files(smk.output),
        "versions": package_versions(),
        "code": code_version(),
        "finished": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
    }


def provenance_path(smk) -> Path:
    """results/provenance/{rule}/{wildcard values}.json ({rule}.json for a rule without wildcards)."""
    values = [str(value) for _, value in smk.wildcards.items()]
    return PROVENANCE_DIR / smk.rule / (("__".join(values) or smk.rule) + ".json")


def run_logged(smk, job: Callable[[logging.Logger], None]) -> None:
    """Run `job` for the Snakemake job `smk` with a logger writing to its log and stderr.

    A bad input (InputError) or bad setting (ConfigError) ends the job with exit
    status 1 and one line naming the file and the problem; anything else is a bug
    and keeps its traceback. After success the job's provenance record is written.
    """
    cv2.setNumThreads(smk.threads)
    logger = logging.getLogger("herbarium_leaves")
    logger.setLevel(logging.INFO)
    formatter = logging.Formatter("%(asctime)s %(levelname)s %(message)s")
    for handler in (logging.FileHandler(smk.log[0], mode="w", encoding="utf-8"), logging.StreamHandler(sys.stderr)):
        handler.setFormatter(formatter)
        logger.addHandler(handler)
    try:
        job(logger)
    except (InputError, ConfigError) as error:
        logger.error("%s", error)
        raise SystemExit(1) from None
    write_json(provenance_path(smk), provenance_record(smk))
