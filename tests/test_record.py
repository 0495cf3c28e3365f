"""Benchmark records: what a benchmark printed, kept with its date, commit, CPU and versions."""

import sys
from pathlib import Path

import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

from record import recorded  # noqa: E402


def test_a_benchmark_run_leaves_one_record_with_its_context_and_tables(tmp_path, capsys):
    with recorded("bench_probe", root=tmp_path) as tables:
        print("ratio 0.93")
        tables["figures"] = pd.DataFrame({"ratio": [0.93]})
    assert "ratio 0.93" in capsys.readouterr().out  # still printed
    (record,) = (tmp_path / "bench_probe").glob("*.md")
    text = record.read_text()
    for heading in ("# bench_probe, ", "- command: ", "- commit: ", "- CPU: ", "- versions: ", "torch", "ratio 0.93"):
        assert heading in text
    table = record.with_suffix(".figures.csv")
    assert pd.read_csv(table)["ratio"].tolist() == [0.93]
    assert table.name in text


def test_a_benchmark_that_fails_leaves_no_record(tmp_path):
    with pytest.raises(RuntimeError), recorded("bench_probe", root=tmp_path):
        print("half")
        raise RuntimeError("stopped")
    assert not (tmp_path / "bench_probe").exists()
