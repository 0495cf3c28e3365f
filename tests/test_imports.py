"""Stages that do not run the network start without torch or segmentation_models_pytorch."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NETWORK_SCRIPTS = {"train.py", "predict_sheet.py", "predict_chunk.py", "verify.py"}
ALBUMENTATIONS_SCRIPTS = {"augment.py"}  # albumentations 2 imports torch itself
LIGHT_SCRIPTS = sorted(
    path.name for path in (ROOT / "scripts").glob("*.py") if path.name not in NETWORK_SCRIPTS | ALBUMENTATIONS_SCRIPTS
)


def _imports(script: str) -> list[str]:
    tree = ast.parse((ROOT / "scripts" / script).read_text())
    return [
        node.module if isinstance(node, ast.ImportFrom) else alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    ]


def _loaded(script: str, modules: set[str]) -> str:
    code = "".join(f"import {module}\n" for module in sorted(set(_imports(script))))
    code += f"import sys; print(sorted(set({sorted(modules)!r}) & set(sys.modules)))"
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()


@pytest.mark.parametrize("script", LIGHT_SCRIPTS)
def test_a_stage_without_the_network_does_not_import_torch(script):
    loaded = _loaded(script, {"torch", "segmentation_models_pytorch"})
    assert loaded == "[]", (script, loaded)


@pytest.mark.parametrize("script", ["evaluate.py", "measure.py", "ensemble.py", "summarize.py"])
def test_a_stage_without_the_svm_does_not_import_scikit_learn(script):
    """Once per model in the test path: scikit-learn's import would be most of such a job's time."""
    loaded = _loaded(script, {"sklearn"})
    assert loaded == "[]", (script, loaded)
