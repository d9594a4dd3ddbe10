"""Issue 14 speed targets for graph CNNs:

1. the analytical evaluation (mapping + costs of every node) of ``resnet20`` at 8 bits on the
   shipped ``large`` arch in at most 20 ms (first call, and best of 20 warm calls);
2. the bit-exact engine on ``resnet8`` (8-bit) over 1,000 Fashion-MNIST test images in at most
   10 minutes on 2 cores (``jobs=2``), integers identical to the integer reference.

For (2) the integer graph comes from the zoo network with its seeded initial weights, BN folded
and activation scales calibrated on 256 training images, not trained: the engine's work does
not depend on what the weights learnt (only the Booth multiplier skips some partial products),
so this times the engine without the training. ``--trained`` uses ``rtmcim train resnet8
--dataset fashion-mnist --wbits 8 --abits 8`` instead (from the model cache; trained first when
it is not there: about 15 minutes on 2 idle cores). Prints each figure and its ratio to the
target (> 1: within the target); exits 1 when the engine's integers differ from the reference.

Usage: python benchmarks/bench_graph_cnn.py [IMAGES] [--trained]   (IMAGES < 1000: time scaled)
"""

from __future__ import annotations

import sys
import time

import numpy as np
import torch

from rtmcim.engine import run_engine
from rtmcim.mapping import evaluate_workload, load_arch
from rtmcim.mapping.workload import workload_from_spec
from rtmcim.nn import load_dataset, run_reference
from rtmcim.nn.quant import QNet, export_intgraph
from rtmcim.nn.zoo import zoo_spec

EVAL_TARGET_MS = 20.0
ENGINE_TARGET_S = 600.0  # for 1,000 images


def bench_evaluation() -> None:
    work = workload_from_spec(zoo_spec("resnet20"), (1, 28, 28), 10, 8, 8)
    arch = load_arch("large")
    t0 = time.perf_counter()
    import rtmcim.memory.circuit  # noqa: F401  (the circuit model, imported on first use)

    imports = (time.perf_counter() - t0) * 1e3
    t0 = time.perf_counter()
    evaluate_workload(work, arch)
    first = (time.perf_counter() - t0) * 1e3
    warm = []
    for _ in range(20):
        t0 = time.perf_counter()
        ev = evaluate_workload(work, arch)
        warm.append((time.perf_counter() - t0) * 1e3)
    best = min(warm)
    print(f"resnet20 W8A8 on 'large': {len(ev.layers)} nodes, {work.macs:,} MACs")
    print(f"  importing the circuit model (once per process): {imports:.1f} ms")
    print(f"  evaluation, first call: {first:.1f} ms (target {EVAL_TARGET_MS:g} ms, "
          f"ratio {EVAL_TARGET_MS / first:.2f})")  # fmt: skip
    print(f"  evaluation, best of 20: {best:.2f} ms (ratio {EVAL_TARGET_MS / best:.1f})")


def resnet8_graph(x_train: np.ndarray):  # type: ignore[no-untyped-def]
    torch.manual_seed(0)
    net = QNet(zoo_spec("resnet8"), (1, 28, 28), 10, 8, 8)
    net.eval()
    net.enable_quant()  # folds BN
    net.train()
    with torch.no_grad():
        net(torch.from_numpy(x_train[:256]))  # calibrates the activation scales
    net.eval()
    return export_intgraph(net, {"model": "resnet8"})


def bench_engine(images: int, trained: bool) -> None:
    ds = load_dataset("fashion-mnist")
    if trained:
        from rtmcim.nn.train import train_model

        graph = train_model("resnet8", ds, 8, 8).graph
    else:
        graph = resnet8_graph(ds.x_train)
    x = graph.quantize_input(ds.x_test[:images])
    ref = run_reference(graph, x, keep_activations=False)
    t0 = time.perf_counter()
    res = run_engine(graph, x, multiplier="booth_r4", adder="ripple_carry", jobs=2)
    dt = time.perf_counter() - t0
    same = bool(np.array_equal(res.logits, ref.logits))
    per_1000 = dt * 1000 / images
    macs = sum(lay.macs for lay in graph.compute_layers()) * images
    print(f"resnet8 W8A8 ({'trained' if trained else 'initial weights'}) engine (booth_r4, "
          f"ripple_carry, jobs=2) on {images} test images: "
          f"{dt:.1f} s, {macs / dt:.3g} MAC/s, integers identical: {same}")  # fmt: skip
    print(f"  per 1,000 images: {per_1000:.0f} s (target {ENGINE_TARGET_S:g} s, "
          f"ratio {ENGINE_TARGET_S / per_1000:.2f})")  # fmt: skip
    if not same:
        raise SystemExit(1)


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "--trained"]
    bench_evaluation()
    bench_engine(int(args[0]) if args else 1000, "--trained" in sys.argv[1:])
