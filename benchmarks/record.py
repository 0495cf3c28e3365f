"""Benchmark records: what a benchmark printed, with when, where and with what it ran.

Every `benchmarks/bench_*.py` runs its `main()` inside `recorded(name)`: its output still
goes to the terminal, and is also kept in `docs/benchmarks/<name>/<date>_<commit>.md`,
headed by the date, the command, the commit, the CPU model, the thread count and the
package versions. Tables a benchmark returns as DataFrames go beside it as CSV. One file
per run is kept; the docs link to these files instead of copying figures.
"""

from __future__ import annotations

import contextlib
import datetime
import io
import os
import shlex
import sys
from collections.abc import Iterator
from pathlib import Path

from herbarium_leaves.provenance import code_version, package_versions
from herbarium_leaves.reproducibility import cpu_model

RECORDS = Path(__file__).resolve().parents[1] / "docs" / "benchmarks"


class _Tee(io.TextIOBase):
    """A text stream that writes to the terminal and keeps a copy."""

    def __init__(self, terminal: io.TextIOBase) -> None:
        self.terminal = terminal
        self.kept = io.StringIO()

    def write(self, text: str) -> int:
        self.terminal.write(text)
        self.kept.write(text)
        return len(text)

    def flush(self) -> None:
        self.terminal.flush()


def record_header(name: str, argv: list[str], now: datetime.datetime, commit: str) -> str:
    """The Markdown head of a record: benchmark, date, command, commit, CPU, threads, versions."""
    versions = ", ".join(f"{package} {version}" for package, version in package_versions().items())
    lines = [
        f"# {name}, {now:%Y-%m-%d %H:%M} UTC",
        "",
        f"- command: `{shlex.join(['python', *argv])}`",
        f"- commit: `{commit}`",
        f"- CPU: {cpu_model()}, {os.cpu_count()} logical cores, "
        f"torch threads {os.environ.get('OMP_NUM_THREADS', 'default')}",
        f"- versions: {versions}",
        "",
    ]
    return "\n".join(lines)


def record_path(name: str, now: datetime.datetime, commit: str, root: Path = RECORDS) -> Path:
    """Where this run's record goes: one file per run, named by date and commit."""
    return root / name / f"{now:%Y-%m-%dT%H%M}_{commit.split()[0]}.md"


@contextlib.contextmanager
def recorded(name: str, root: Path = RECORDS) -> Iterator[dict]:
    """Run a benchmark's body with its printed output kept as a record under `root/name/`.

    Yields a dict; a DataFrame put in it under a key is written beside the record as
    `<record stem>.<key>.csv`. The record is written only if the body finishes.
    """
    now = datetime.datetime.now(datetime.UTC)
    tables: dict = {}
    tee = _Tee(sys.stdout)
    with contextlib.redirect_stdout(tee):
        yield tables
    commit = code_version()["git"]
    path = record_path(name, now, commit, root)
    path.parent.mkdir(parents=True, exist_ok=True)
    body = tee.kept.getvalue().rstrip("\n")
    text = record_header(name, sys.argv, now, commit) + "\n```text\n" + body + "\n```\n"
    links = []
    for key, table in tables.items():
        csv_path = path.with_suffix(f".{key}.csv")
        table.to_csv(csv_path, index=False)
        links.append(f"- table `{key}`: [{csv_path.name}]({csv_path.name})")
    if links:
        text += "\n" + "\n".join(links) + "\n"
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text)
    temporary.replace(path)
    print(f"record: {path}", file=sys.stderr)
