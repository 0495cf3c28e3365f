"""The edge between a Snakemake script and the package: logging and one-line failures."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable

import cv2

from herbarium_leaves.config import ConfigError
from herbarium_leaves.sheet_io import InputError


def run_logged(log_path: str, job: Callable[[logging.Logger], None], threads: int = 1) -> None:
    """Run `job` with a logger writing to `log_path` and stderr.

    A bad input (InputError) or bad setting (ConfigError) ends the job with exit
    status 1 and one line naming the file and the problem; anything else is a bug
    and keeps its traceback.
    """
    cv2.setNumThreads(threads)
    logger = logging.getLogger("herbarium_leaves")
    logger.setLevel(logging.INFO)
    formatter = logging.Formatter("%(asctime)s %(levelname)s %(message)s")
    for handler in (logging.FileHandler(log_path, mode="w", encoding="utf-8"), logging.StreamHandler(sys.stderr)):
        handler.setFormatter(formatter)
        logger.addHandler(handler)
    try:
        job(logger)
    except (InputError, ConfigError) as error:
        logger.error("%s", error)
        raise SystemExit(1) from None
