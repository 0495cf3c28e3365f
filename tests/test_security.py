"""Rules that keep the pipeline from running code it did not write."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCES = [*ROOT.glob("herbarium_leaves/*.py"), *ROOT.glob("scripts/*.py"), *ROOT.glob("benchmarks/*.py")]


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


def test_sample_wildcards_cannot_leave_their_folder():
    common = (ROOT / "rules" / "common.smk").read_text()
    pattern = re.search(r'sample=r"([^"]+)"', common).group(1)
    for name in ("../../etc/passwd", "a/b", "..", ".hidden", "a\\\\b"):
        assert not re.fullmatch(pattern, name), name
    for name in ("sheet 1", "feuille_été", "K000123.tif"):
        assert re.fullmatch(pattern, name), name
