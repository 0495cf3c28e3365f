"""The pins live in requirements*.txt; every envs/*.yaml carries the same pins."""

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _pins(lines):
    return {
        line.split("==")[0].strip().lower(): line.split("==")[1].strip()
        for line in lines
        if "==" in line and not line.strip().startswith("#")
    }


def test_requirements_are_all_pinned():
    for name in ("requirements.txt", "requirements-dev.txt", "requirements-imagenet.txt"):
        lines = [line for line in (ROOT / name).read_text().splitlines() if line.strip() and not line.startswith("#")]
        assert lines and all("==" in line for line in lines), name


def test_conda_envs_carry_the_same_pins():
    required = _pins((ROOT / "requirements.txt").read_text().splitlines())
    envs = sorted((ROOT / "envs").glob("*.yaml"))
    assert envs
    for env in envs:
        dependencies = yaml.safe_load(env.read_text())["dependencies"]
        pip = next(item["pip"] for item in dependencies if isinstance(item, dict) and "pip" in item)
        assert _pins(pip) == required, env.name
        assert "python =3.11" in dependencies, env.name
