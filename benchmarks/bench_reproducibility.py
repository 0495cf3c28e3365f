"""Cost of portable CPU numerics: portable against machine seconds per training step and per forward pass.

Each (mode, model) runs in a fresh process, because the pins take effect only
before torch is imported. Models: the demo's (DeepLabv3+ ResNet-18, decoder 64,
256 x 256, batch 4) and the paper preset's (ResNet-101, decoder 256, 512 x 512,
batch 3). Prints s/step (training: forward, BCE, backward, Adam), s/window
(inference), s/epoch of the demo config, and the ratio machine / portable time
(the speed of portable relative to machine; target at least 0.7).

Run: .venv/bin/python benchmarks/bench_reproducibility.py [threads] [steps]
"""

import json
import subprocess
import sys
import time
from pathlib import Path

import yaml

from record import recorded

ROOT = Path(__file__).resolve().parents[1]


def worker(mode: str, encoder: str, decoder: int, size: int, batch: int, threads: int, steps: int) -> dict:
    """Seconds per training step and per inference window in this process, under `mode`."""
    from herbarium_leaves.reproducibility import configure_torch, pin_cpu_numerics

    pin_cpu_numerics(mode)
    import torch

    from herbarium_leaves.model import ModelSpec, build_model
    from herbarium_leaves.training import make_deterministic, make_optimizer

    configure_torch(mode, threads, threads)
    make_deterministic(0, torch.device("cpu"))
    model = build_model(ModelSpec(encoder, None, decoder))
    optimizer = make_optimizer(model, 1e-4)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(batch, 3, size, size, generator=generator)
    target = (torch.rand(batch, 1, size, size, generator=generator) > 0.5).float()

    def step():
        loss = loss_fn(model(x), target)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    step()  # warm-up: first-call allocations
    began = time.perf_counter()
    for _ in range(steps):
        step()
    train = (time.perf_counter() - began) / steps
    model.eval()
    with torch.no_grad():
        window = x[:1]
        model(window)
        began = time.perf_counter()
        for _ in range(steps):
            model(window)
        infer = (time.perf_counter() - began) / steps
    return {"train_s_per_step": train, "infer_s_per_window": infer}


MODELS = {
    "demo (ResNet-18, 256 px, batch 4)": ("resnet18", 64, 256, 4),
    "paper (ResNet-101, 512 px, batch 3)": ("resnet101", 256, 512, 3),
}


def demo_steps_per_epoch() -> int:
    """Training steps of one demo epoch: its training sheets (less validation) x copies, in full batches."""
    # Imported here: a worker process must pin its numerics before torch (which training imports) loads.
    from herbarium_leaves.ingest import assign_splits
    from herbarium_leaves.synthetic import demo_sheets
    from herbarium_leaves.training import TrainSpec

    config = yaml.safe_load((ROOT / "config.yaml").read_text())
    sheets = list(demo_sheets(config["data"]["synthetic"]["n_train"], 0)["sample"])
    roles = assign_splits(sheets, TrainSpec().val_fraction, seed=config["seeds"][0])
    fitted = sum(role == "train" for role in roles.values())
    return fitted * (1 + config["augment"]["copies"]) // config["train"]["batch_size"]


def main():
    threads = int(sys.argv[1]) if len(sys.argv) > 1 else 2
    steps = int(sys.argv[2]) if len(sys.argv) > 2 else 4
    print(f"{threads} threads, {steps} timed steps after one warm-up, each mode in a fresh process")
    for name, (encoder, decoder, size, batch) in MODELS.items():
        timings = {}
        for mode in ("machine", "portable"):
            arguments = json.dumps([mode, encoder, decoder, size, batch, threads, steps])
            result = subprocess.run(
                [sys.executable, __file__, "--worker", arguments], capture_output=True, text=True, check=True
            )
            timings[mode] = json.loads(result.stdout.strip().splitlines()[-1])
        machine, portable = timings["machine"], timings["portable"]
        print(name)
        for key, label in (("train_s_per_step", "training s/step"), ("infer_s_per_window", "inference s/window")):
            ratio = machine[key] / portable[key]
            print(f"  {label:<20} machine {machine[key]:7.3f}  portable {portable[key]:7.3f}  ratio {ratio:.2f}")
        if name.startswith("demo"):
            steps_per_epoch = demo_steps_per_epoch()
            print(
                f"  demo s/epoch ({steps_per_epoch} steps): machine {machine['train_s_per_step'] * steps_per_epoch:.1f}"
                f"  portable {portable['train_s_per_step'] * steps_per_epoch:.1f}"
            )
    print("ratio = machine time / portable time (portable's speed relative to machine; target at least 0.7)")


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--worker":
        print(json.dumps(worker(*json.loads(sys.argv[2]))))
    else:
        with recorded("bench_reproducibility"):
            main()
