"""Portable CPU numerics: pinned hashes of a tiny training and prediction, the claims, the recorded differences.

The pinned hashes were made on an AMD EPYC (AVX2, no AVX-512) with the pinned package
versions; the same weights and pixels came out under QEMU's emulation of Intel
Haswell, Broadwell and Skylake-Client and AMD EPYC-Rome at two threads, and of Haswell
at one, and natively on an Intel Xeon with AVX-512 and AMX at one and two (docs/reproducibility.md). Portable mode
aims at them on any x86-64 CPU with AVX2 and FMA; a failure on another CPU prints the
numerics there, to compare with the record below.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from herbarium_leaves.reproducibility import (
    ONEDNN_PORTABLE_ISA,
    PORTABLE_ENVIRONMENT,
    ReproducibilityError,
    differences,
    pin_cpu_numerics,
    portable_environment,
    reproducibility_claim,
)

PROBE = Path(__file__).with_name("reproducibility_probe.py")
# tests/reproducibility_probe.py portable THREADS, recorded on AMD EPYC (avx2, fma; no avx512f), torch 2.14.1:
# the state dict's sha256 and that of the prediction's uint8 probability map (the pixels its PNG holds, 96 x 80).
# Thread counts take other paths (one thread: 1 x 1 convolutions by ATen and MKL; two: all by oneDNN).
PINNED = {
    1: (
        "9629eccfe965b07791a826e97c071a3e9d048e6817f9e86b12c91a3fc3e8808a",
        "3ced51823cd80a613fc924c2161802552fbb0fc83ef47acf5a3318cb461170ce",
    ),
    2: (
        "3d96a0dc2c7b3d8d86bfc9bd459e8925d8a514948239647a988007f9daeb42aa",
        "5fc8935bfec75a79f8f8c40573e2321f2f39bae1c7a3ee9f00f4332b8150cc33",
    ),
}
RECORDED_ON = {
    "cpu_model": "AMD EPYC",
    "cpu_flags": ["sse4_2", "avx", "avx2", "fma"],
    "aten_cpu_capability": "AVX2",
    "torch": "2.14.1+cu130",
}


def run_probe(mode: str, *thread_counts: int) -> list[dict]:
    """The probe's result per thread count, from one fresh process."""
    command = [sys.executable, str(PROBE), mode, *map(str, thread_counts)]
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    return [json.loads(line) for line in result.stdout.strip().splitlines()[-len(thread_counts) :]]


@pytest.fixture(scope="module")
def portable():
    return dict(zip(PINNED, run_probe("portable", *PINNED), strict=True))


@pytest.mark.slow
@pytest.mark.parametrize("threads", sorted(PINNED))
def test_portable_training_gives_the_pinned_weights(portable, threads):
    here = {key: portable[threads]["numerics"].get(key) for key in RECORDED_ON}
    assert portable[threads]["state_dict_sha256"] == PINNED[threads][0], f"recorded on {RECORDED_ON}, here {here}"


@pytest.mark.slow
@pytest.mark.parametrize("threads", sorted(PINNED))
def test_portable_prediction_gives_the_pinned_pixels(portable, threads):
    assert portable[threads]["prediction_shape"] == [96, 80]
    here = {key: portable[threads]["numerics"].get(key) for key in RECORDED_ON}
    assert portable[threads]["prediction_sha256"] == PINNED[threads][1], f"recorded on {RECORDED_ON}, here {here}"


@pytest.mark.slow
@pytest.mark.parametrize("threads", sorted(PINNED))
def test_a_portable_process_runs_with_every_pin_in_effect(portable, threads):
    numerics = portable[threads]["numerics"]
    assert numerics["aten_cpu_capability"] == "AVX2"
    assert numerics["mkldnn_enabled"] is True
    assert numerics["onednn_isa"] == ONEDNN_PORTABLE_ISA and numerics["onednn_version"].startswith("v")
    assert "Math Kernel Library" in numerics["mkl_version"]
    assert numerics["torch_threads"] == threads
    assert all(numerics["environment"][name] == value for name, value in PORTABLE_ENVIRONMENT.items())
    assert numerics["claim"].startswith("portable: the same bits on other x86-64 CPUs")


@pytest.mark.slow
def test_machine_mode_takes_other_paths_and_claims_this_machine_only(portable):
    (machine,) = run_probe("machine", 1)
    assert machine["numerics"]["mkldnn_enabled"] is True
    assert machine["numerics"]["claim"].startswith("bitwise on this machine only")
    # The pins reach the bits: without them the same run gives other weights.
    assert machine["state_dict_sha256"] != portable[1]["state_dict_sha256"]


def _record(**changes) -> dict:
    record = {
        "mode": "portable",
        "device": "cpu",
        "cpu_model": "x",
        "machine": "x86_64",
        "cpu_flags": ["avx2", "fma"],
        "aten_cpu_capability": "AVX2",
        "mkldnn_enabled": True,
        "onednn_isa": ONEDNN_PORTABLE_ISA,
        "environment": dict(PORTABLE_ENVIRONMENT),
        "torch_threads": 2,
        "torch": "2.14.1",
    }
    return {**record, **changes}


@pytest.mark.parametrize(
    ("changes", "claim"),
    [
        ({}, "portable: the same bits on other x86-64 CPUs"),
        ({"device": "cuda"}, "statistical only"),
        ({"mode": "machine"}, "bitwise on this machine only"),
        ({"mkldnn_enabled": False}, "bitwise on this machine only"),
        ({"onednn_isa": "Intel AVX-512 with Intel DL Boost"}, "bitwise on this machine only"),
        ({"cpu_flags": ["avx", "sse4_2"], "aten_cpu_capability": "AVX"}, "bitwise on this machine only"),
        ({"environment": {**PORTABLE_ENVIRONMENT, "MKL_CBWR": None}}, "bitwise on this machine only"),
        ({"machine": "aarch64"}, "bitwise on this machine only"),
    ],
    ids=["portable", "cuda", "machine mode", "oneDNN off", "oneDNN past AVX2", "no avx2", "pin missing", "not x86"],
)
def test_the_claim_follows_the_numerics_in_effect(changes, claim):
    assert reproducibility_claim(_record(**changes)).startswith(claim)


def test_an_avx512_cpu_also_pins_opencv():
    assert "OPENCV_CPU_DISABLE" in portable_environment(["avx2", "fma", "avx512f"])
    assert "OPENCV_CPU_DISABLE" not in portable_environment(["avx2", "fma"])


def test_differences_name_each_recorded_setting_this_machine_lacks():
    recorded = _record(cpu_model="Intel Xeon", torch_threads=1, onednn_isa="Intel AVX-512")
    here = _record(environment={**PORTABLE_ENVIRONMENT, "MKL_CBWR": None})
    found = differences(recorded, here)
    assert "cpu_model: recorded 'Intel Xeon', here 'x'" in found
    assert "torch_threads: recorded 1, here 2" in found
    assert "onednn_isa: recorded 'Intel AVX-512', here 'Intel AVX2'" in found
    assert "MKL_CBWR: recorded 'COMPATIBLE', here None" in found
    assert differences(here, here) == []


def test_portable_pins_cannot_follow_torch():
    import torch  # noqa: F401  (the pins must come first; here they cannot)

    assert pin_cpu_numerics("machine") == {}
    with pytest.raises(ReproducibilityError):
        pin_cpu_numerics("portable")
    with pytest.raises(ValueError):
        pin_cpu_numerics("fast")
