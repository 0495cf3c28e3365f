"""The documents stay true: every shell command in them runs, every config snippet is valid,
every local link resolves, and the configuration reference is the schema's."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml
from PIL import Image

from herbarium_leaves.config import load_schema, validate_config
from herbarium_leaves.config_reference import SCHEMA, config_reference
from herbarium_leaves.synthetic import generate_sheet

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
WORKFLOW = ["Snakefile", "config.yaml", "rules", "scripts", "schemas", "presets", "profiles", "envs", "report"]
# The README's install step; tests run inside the environment it makes (.ci/run makes it).
INSTALL = re.compile(r"python3\.11 -m venv \.venv && \.venv/bin/pip install -e \S+ && ")
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.MULTILINE | re.DOTALL)


def blocks(document: Path, *languages: str) -> list[str]:
    """The fenced blocks of `document` in the given languages, in order."""
    return [body for language, body in FENCE.findall(document.read_text()) if language in languages]


def shell_blocks() -> list[tuple[Path, list[str]]]:
    return [(document, found) for document in DOCUMENTS if (found := blocks(document, "bash", "sh", "shell"))]


def test_the_readme_is_a_front_door():
    assert len((ROOT / "README.md").read_text().splitlines()) <= 250


def test_ci_runs_exactly_the_readmes_test_command():
    commands = [line for body in blocks(ROOT / "README.md", "bash") for line in body.splitlines() if "pytest" in line]
    assert len(commands) == 1
    assert commands[0] in (ROOT / ".ci" / "run").read_text().splitlines()


def test_the_configuration_reference_is_generated_from_the_schema():
    written = (ROOT / "docs" / "configuration.md").read_text()
    assert written == config_reference(load_schema(SCHEMA)), (
        "docs/configuration.md is stale: run python -m herbarium_leaves.config_reference > docs/configuration.md"
    )


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda path: path.name)
def test_every_config_snippet_is_valid(document):
    schema, demo = load_schema(SCHEMA), yaml.safe_load((ROOT / "config.yaml").read_text())
    for snippet in blocks(document, "yaml"):
        validate_config({**demo, **yaml.safe_load(snippet)}, schema)


@pytest.mark.parametrize("document", [*DOCUMENTS, ROOT / "CHANGELOG.md"], ids=lambda path: path.name)
def test_every_local_link_resolves(document):
    for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", document.read_text()):
        if "://" not in target:
            assert (document.parent / target).exists(), f"{document.name}: link to {target} does not resolve"


def test_every_benchmark_is_documented():
    listed = (ROOT / "docs" / "benchmarks.md").read_text()
    for script in (ROOT / "benchmarks").glob("bench_*.py"):
        assert f"`{script.name}" in listed, f"{script.name} is not in docs/benchmarks.md"


@pytest.fixture(scope="module")
def workflow_copy(tmp_path_factory):
    """The workflow's files, with a few generated sheets in my/images, my/masks and my/scans."""
    workdir = tmp_path_factory.mktemp("docs")
    for name in WORKFLOW:
        source = ROOT / name
        (shutil.copytree if source.is_dir() else shutil.copy)(source, workdir / name)
    for folder in ("images", "masks", "scans"):
        (workdir / "my" / folder).mkdir(parents=True)
    for index in range(4):
        sheet = generate_sheet(5, index, 256, 176)
        Image.fromarray(sheet.image).save(workdir / "my" / "images" / f"sheet{index}.png")
        Image.fromarray(np.where(sheet.labels > 0, 255, 0).astype(np.uint8)).save(
            workdir / "my" / "masks" / f"sheet{index}.png"
        )
        Image.fromarray(sheet.image).save(workdir / "my" / "scans" / f"scan{index}.jpg")
    # Every snakemake a document shows runs as a dry run: the full runs are the workflow tests' job.
    wrappers = workdir / ".wrappers"
    wrappers.mkdir()
    (wrappers / "snakemake").write_text(f'#!/bin/sh\nexec "{BIN / "snakemake"}" "$@" --dry-run\n')
    (wrappers / "snakemake").chmod(0o755)
    return workdir


@pytest.mark.slow
@pytest.mark.parametrize(("document", "commands"), shell_blocks(), ids=[doc.name for doc, _ in shell_blocks()])
def test_every_shell_command_in_the_documents_runs(document, commands, workflow_copy):
    environment = {
        **os.environ,
        "PATH": f"{workflow_copy / '.wrappers'}{os.pathsep}{BIN}{os.pathsep}{os.environ['PATH']}",
    }
    for body in commands:
        script = INSTALL.sub("", body).replace(".venv/bin/", "")
        if script.strip() == "pytest":
            continue  # the suite itself, run by .ci/run (test_ci_runs_exactly_the_readmes_test_command)
        done = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", script],
            cwd=workflow_copy,
            env=environment,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, f"{document.name}:\n{body}\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
