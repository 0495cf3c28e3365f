"""Sheets grouped into batches, so that a per-sheet stage runs one process (one model load) for many sheets."""

from __future__ import annotations

import hashlib
import re

_MASK64 = (1 << 64) - 1


def name_key(name: str) -> int:
    """A 64-bit key of a sheet name (the first 8 bytes of its sha256): the same on every machine and run."""
    return int.from_bytes(hashlib.sha256(name.encode("utf-8")).digest()[:8], "big")


def jump_hash(key: int, buckets: int) -> int:
    """Bucket (0 .. buckets-1) of a 64-bit key by jump consistent hashing (Lamping and Veach, 2014).

    Growing from n to n + 1 buckets moves only the keys that land in the new bucket
    (about 1 in n + 1); every other key keeps its bucket.
    """
    if buckets < 1:
        raise ValueError(f"buckets must be at least 1, got {buckets}")
    bucket, candidate = -1, 0
    while candidate < buckets:
        bucket = candidate
        key = (key * 2862933555777941757 + 1) & _MASK64
        candidate = int((bucket + 1) * ((1 << 31) / ((key >> 33) + 1)))
    return bucket


def batch_count(n_sheets: int, batch_size: int) -> int:
    """Number of batches for `n_sheets` at about `batch_size` sheets each (at least one)."""
    return max(1, -(-n_sheets // batch_size))


def assign_batches(samples: list[str], batch_size: int) -> dict[str, list[str]]:
    """Sheets in batches of about `batch_size` (the mean size), keyed by batch name ('b000', 'b001', ...).

    A sheet's batch depends only on its name and the number of batches, so adding
    sheets leaves every other sheet in its batch until the count of batches grows,
    and then only about 1 in (count + 1) sheets moves. Sheets keep their given order
    within a batch; batches that no sheet falls into are left out.
    """
    count = batch_count(len(samples), batch_size)
    width = len(str(count - 1))
    batches: dict[int, list[str]] = {}
    for sample in samples:
        batches.setdefault(jump_hash(name_key(sample), count), []).append(sample)
    return {f"b{index:0{max(width, 3)}d}": batches[index] for index in sorted(batches)}


def stage_of(rule: str) -> str:
    """The stage a rule belongs to: a batch rule's name without its split and batch (resize_test_b000 -> resize)."""
    return re.sub(r"(_train|_test)?_b\d+$", "", rule)


def planned_jobs_per_stage(dry_run_output: str) -> dict[str, int]:
    """Job counts per stage from the job table `snakemake --dry-run` prints (batch rules added up, `all` left out)."""
    counts: dict[str, int] = {}
    in_table = False
    for line in dry_run_output.splitlines():
        if line.startswith("job ") and "count" in line:
            in_table = True
        elif in_table and line.strip() and not line.startswith("-"):
            name, count = line.split()[:2]
            if name == "total":
                break
            counts[stage_of(name)] = counts.get(stage_of(name), 0) + int(count)
    counts.pop("all", None)
    return counts
