"""CPU numerics that do not depend on the machine: what `portable` pins, what a run records and can claim.

Importing this module imports neither torch nor NumPy: the workflow pins the
environment while it is parsed, so that every job starts with it (oneDNN, MKL,
ATen, NumPy and OpenCV read their settings once, at first use).
"""

from __future__ import annotations

import functools
import os
import platform
import sys
import tempfile
from pathlib import Path

MODES = ("machine", "portable")

# What reaches the bits of a CPU run, pinned in portable mode (docs/reproducibility.md).
PORTABLE_ENVIRONMENT = {
    # ATen's vectorised kernels: the lane width (AVX2 8, AVX-512 16 floats) sets the order of reductions.
    "ATEN_CPU_CAPABILITY": "avx2",
    # MKL's conditional numerical reproducibility: its compatible branch is the one whose results agree
    # between Intel and AMD CPUs (the AVX2 branch's GEMM with a small dimension and vector math do not).
    # Slow, but oneDNN takes the convolutions: only small remainders reach MKL.
    "MKL_CBWR": "COMPATIBLE",
    # oneDNN's JIT kernels, which do the convolutions: capped at AVX2 on every CPU.
    "ONEDNN_MAX_CPU_ISA": "AVX2",
    # NumPy's AVX-512 ufunc loops (exp, log, reductions) round differently from its AVX2 ones.
    "NPY_DISABLE_CPU_FEATURES": "X86_V4,AVX512_ICL,AVX512_SPR",
}
# OpenCV's AVX-512 dispatch; only named where the CPU has it (OpenCV warns at every import otherwise).
OPENCV_AVX512 = {"OPENCV_CPU_DISABLE": "AVX512-SKX"}
PINNED_NAMES = (*PORTABLE_ENVIRONMENT, *OPENCV_AVX512)
# What oneDNN reports when ONEDNN_MAX_CPU_ISA=AVX2 took effect (its verbose header's "isa:").
ONEDNN_PORTABLE_ISA = "Intel AVX2"
# CPU features a portable run needs: the pinned paths are AVX2 code (and glibc's FMA variants of exp/log).
REQUIRED_FLAGS = ("avx2", "fma")
_RECORDED_FLAGS = ("sse4_2", "avx", "avx2", "fma", "avx512f", "avx512_bf16", "amx_tile")


class ReproducibilityError(RuntimeError):
    """Portable mode was asked for after torch was imported, so its settings could not take effect."""


def portable_environment(flags: list[str]) -> dict[str, str]:
    """The environment portable mode sets on a CPU with these flags."""
    return {**PORTABLE_ENVIRONMENT, **(OPENCV_AVX512 if "avx512f" in flags else {})}


def pin_cpu_numerics(mode: str) -> dict[str, str]:
    """Set the environment a mode needs for this process and the processes it starts; returns what was set.

    `machine` sets nothing (each CPU takes its fastest path); `portable` pins every
    CPU numerical path that can differ between x86 CPUs. Must run before torch,
    NumPy or OpenCV are imported in the process that computes (they read it once).
    """
    if mode not in MODES:
        raise ValueError(f"reproducibility mode {mode!r} is not one of {MODES}")
    if mode == "machine":
        return {}
    if "torch" in sys.modules:
        raise ReproducibilityError("portable CPU numerics must be pinned before torch is imported")
    environment = portable_environment(cpu_flags())
    os.environ.update(environment)
    return environment


def configure_torch(mode: str, configured_threads: int, granted_threads: int) -> int:
    """After import: set torch's threads; returns the thread count used.

    Portable bits need the configured count even where Snakemake grants fewer cores
    (reductions split by thread); machine mode takes what the job was granted.
    """
    import torch

    threads = configured_threads if mode == "portable" else granted_threads
    torch.set_num_threads(threads)
    return threads


@functools.cache
def _cpuinfo() -> dict[str, str]:
    """The first processor's fields in /proc/cpuinfo (empty where there is none)."""
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return {}
    fields = {}
    for line in text.split("\n\n")[0].splitlines():
        key, _, value = line.partition(":")
        fields[key.strip()] = value.strip()
    return fields


def cpu_flags() -> list[str]:
    """This CPU's recorded instruction-set flags (Linux /proc/cpuinfo; empty elsewhere)."""
    present = set(_cpuinfo().get("flags", "").split())
    return [flag for flag in _RECORDED_FLAGS if flag in present]


def cpu_model() -> str:
    """The CPU's model name as the OS reports it."""
    return _cpuinfo().get("model name") or platform.processor() or platform.machine()


@functools.cache
def onednn_dispatch() -> dict[str, str]:
    """oneDNN's version and the ISA it dispatches to, as its verbose header says (empty where oneDNN is off).

    The header is printed once per process, at the first primitive run with verbose
    output on: one small grouped convolution (which ATen always hands to oneDNN) is run
    so, with the process's standard output caught in a file.
    """
    import torch

    if not (torch.backends.mkldnn.is_available() and torch.backends.mkldnn.enabled):
        return {}
    with tempfile.TemporaryFile() as caught:
        sys.stdout.flush()
        saved = os.dup(1)
        os.dup2(caught.fileno(), 1)
        try:
            with torch.backends.mkldnn.verbose(torch.backends.mkldnn.VERBOSE_ON):
                torch.nn.functional.conv2d(torch.ones(1, 2, 8, 8), torch.ones(2, 1, 3, 3), groups=2)
        finally:
            os.dup2(saved, 1)
            os.close(saved)
        caught.seek(0)
        header = caught.read().decode("utf-8", errors="replace")
    found = {}
    for line in header.splitlines():
        if ",info,oneDNN " in line:
            found["version"] = line.split(",info,oneDNN ", 1)[1].split(" ", 1)[0]
        elif ",info,cpu,isa:" in line:
            found["isa"] = line.split(",info,cpu,isa:", 1)[1].strip()
    return found


def _mkl_version(build: str) -> str | None:
    """MKL's version line in torch's build configuration."""
    return next((line.strip(" -") for line in build.splitlines() if "Math Kernel Library Version" in line), None)


def numerics_record(mode: str, device: str | None = None) -> dict:
    """The CPU, the dispatch torch actually uses, the pins, and the reproducibility class this run can claim.

    `device` defaults to cuda when this process has used CUDA, else cpu.
    """
    import torch

    if device is None:
        device = "cuda" if torch.cuda.is_initialized() else "cpu"

    flags, onednn = cpu_flags(), onednn_dispatch()
    record = {
        "mode": mode,
        "device": device,
        "cpu_model": cpu_model(),
        "machine": platform.machine(),
        "cpu_flags": flags,
        "aten_cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "mkldnn_enabled": bool(torch.backends.mkldnn.enabled),
        "onednn_isa": onednn.get("isa"),
        "onednn_version": onednn.get("version"),
        "environment": {name: os.environ.get(name) for name in PINNED_NAMES},
        "torch_threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "mkl": torch.backends.mkl.is_available(),
        "mkl_version": _mkl_version(torch.__config__.show()),
    }
    record["claim"] = reproducibility_claim(record)
    return record


def reproducibility_claim(record: dict) -> str:
    """What a run with these numerics may claim: portable across x86 CPUs, bitwise on this machine only, or
    statistical."""
    if record["device"].startswith("cuda"):
        return "statistical only: CUDA kernels differ between GPU models and drivers (repeatable on one GPU at best)"
    pins = portable_environment(record["cpu_flags"])
    portable_ready = (
        record["mode"] == "portable"
        and record["machine"] in ("x86_64", "AMD64")
        and all(flag in record["cpu_flags"] for flag in REQUIRED_FLAGS)
        and record["aten_cpu_capability"] == "AVX2"
        and record["mkldnn_enabled"]
        and record.get("onednn_isa") == ONEDNN_PORTABLE_ISA
        and all(record["environment"].get(name) == value for name, value in pins.items())
    )
    if portable_ready:
        return (
            "portable: the same bits on other x86-64 CPUs with AVX2 and FMA, given the same package versions, "
            f"{record['torch_threads']} threads and the same inputs (shown on an AMD EPYC with AVX2, an Intel Xeon "
            "with AVX-512 and AMX, and emulated Intel and AMD CPUs: docs/reproducibility.md)"
        )
    return "bitwise on this machine only (same CPU model, threads, package versions and inputs)"


def differences(recorded: dict, current: dict) -> list[str]:
    """Settings of the recorded numerics that this machine does not share, one phrase each."""
    keys = (
        "mode",
        "device",
        "cpu_model",
        "cpu_flags",
        "aten_cpu_capability",
        "mkldnn_enabled",
        "onednn_isa",
        "torch_threads",
        "torch",
        "mkl_version",
    )
    found = [
        f"{key}: recorded {recorded.get(key)!r}, here {current.get(key)!r}"
        for key in keys
        if recorded.get(key) != current.get(key)
    ]
    for name in PINNED_NAMES:
        before, now = recorded.get("environment", {}).get(name), current.get("environment", {}).get(name)
        if before != now:
            found.append(f"{name}: recorded {before!r}, here {now!r}")
    return found
