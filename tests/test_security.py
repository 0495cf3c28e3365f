"""Rules that keep the pipeline from running code it did not write."""

import re
from pathlib import Path

import pytest

from herbarium_leaves.ingest import check_sample_names
from herbarium_leaves.sheet_io import InputError

ROOT = Path(__file__).resolve().parents[1]
SOURCES = [*ROOT.glob("herbarium_leaves/**/*.py"), *ROOT.glob("scripts/*.py"), *ROOT.glob("benchmarks/*.py")]


def test_every_torch_load_is_weights_only():
    calls = [(path.name, call) for path in SOURCES for call in re.findall(r"torch\.load\([^)]*\)", path.read_text())]
    assert calls
    assert all("weights_only=True" in call for _, call in calls), calls


def test_pickles_are_only_read_from_the_pipelines_own_results():
    loads = [path for path in SOURCES if "joblib.load(" in path.read_text()]
    assert loads
    for path in loads:
        for argument in re.findall(r"joblib\.load\(([^)]*)\)", path.read_text()):
            assert argument == "snakemake.input.svm", (path.name, argument)
    rules = "\n".join(path.read_text() for path in ROOT.glob("rules/*.smk"))
    assert set(re.findall(r'svm="([^"]+)"', rules)) == {"results/svm/model.joblib"}


def test_no_rule_runs_a_shell_command():
    for path in [ROOT / "Snakefile", *ROOT.glob("rules/*.smk")]:
        assert not re.search(r"^\s*shell:", path.read_text(), re.MULTILINE), path.name


def test_sheet_names_cannot_leave_their_folder():
    """Sheet names become file names under results/: names that could act as a path are refused."""
    for name in ("..", ".hidden", "a\\b", "leaf {1}"):
        with pytest.raises(InputError, match="which the workflow cannot use"):
            check_sample_names([name], "images")
    check_sample_names(["sheet 1", "feuille_été", "K000123"], "images")
    assert Path("../../etc/passwd.png").stem == "passwd"  # names are file stems: never a separator
