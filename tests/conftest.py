import os

import pytest

os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")

# Where SLURM is installed but its controller is down, the SLURM plugin's import (in
# every `snakemake` started) waits 9 s on `scontrol show config`, only to word a help
# text. Local runs get an scontrol that answers at once; tests/test_slurm.py, which
# starts the controller, drops it again.
FAST_SCONTROL_DIR = "fast-scontrol"


@pytest.fixture(scope="session", autouse=True)
def fast_scontrol(tmp_path_factory):
    folder = tmp_path_factory.mktemp(FAST_SCONTROL_DIR)
    scontrol = folder / "scontrol"
    scontrol.write_text("#!/bin/sh\nexit 1\n")
    scontrol.chmod(0o755)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PATH", f"{folder}{os.pathsep}{os.environ['PATH']}")
        yield


# Workflow test modules, longest first (wall time on 2 cores, 2026-12-01).
SLOWEST_FIRST = ("test_workflow.py", "test_bad_input.py", "test_slurm.py", "test_missing_labels.py", "test_pretrain.py")


def pytest_collection_modifyitems(items):
    """Workflow modules (marked slow) first, the longest first, so that parallel workers finish together."""
    order = {name: rank for rank, name in enumerate(SLOWEST_FIRST)}

    def rank(item) -> int:
        return order.get(item.path.name, len(order) if item.get_closest_marker("slow") else len(order) + 1)

    items.sort(key=rank)
