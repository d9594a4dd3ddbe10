"""Acceptance (issue 14): the engine's integers equal the integer reference on a small residual
net and a small depthwise-separable net (ReLU) *trained* on the digits set (QAT, exported), for every
multiplier, on 150 digits test images; the residual adds summed both in CMOS and on the
in-memory adder cells. Trained weights matter for the Booth multiplier, which skips partial
products on some operands, and for the adds' requantization, whose scales QAT learns.

(Random integer graphs through every multiplier x adder are `tests/unit/engine/test_engine_graph.py`.)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from rtmcim.circuits.mac import MAC_MULTIPLIERS
from rtmcim.engine import run_engine
from rtmcim.nn import load_dataset, run_reference

SMALL_RESIDUAL: dict[str, Any] = {
    "name": "small-residual",
    "batchnorm": True,
    "conv": [
        {"channels": 8, "kernel": 3, "padding": 1},
        {"block": "residual", "channels": 8},
        {"block": "residual", "channels": 16, "stride": 2},
    ],
    "global_pool": "avg",
}
SMALL_DEPTHWISE: dict[str, Any] = {
    "name": "small-depthwise",
    "batchnorm": True,
    "conv": [
        {"channels": 8, "kernel": 3, "padding": 1},
        {"block": "separable", "channels": 16},
        {"block": "separable", "channels": 16, "stride": 2},
    ],
    "global_pool": "avg",
}
NETS = {"residual": SMALL_RESIDUAL, "depthwise": SMALL_DEPTHWISE}
CASES = [  # one xdist group per trained model (make test: --dist loadgroup): trained once
    pytest.param(net, bits, m, marks=pytest.mark.xdist_group(f"trained-{net}-{bits}"))
    for net in NETS
    for bits in (8, 4)
    for m in MAC_MULTIPLIERS
    if not (m == "lut" and bits > 4)
]


def _trained(net: str, bits: int, cache: Path) -> Any:
    from rtmcim.nn.train import train_model

    return train_model(
        NETS[net], "digits", bits, bits, epochs=6, qat_epochs=2, batch_size=64, lr=5e-3, seed=0,
        cache_dir=cache,
    )  # fmt: skip


@pytest.mark.slow
@pytest.mark.parametrize(("net", "bits", "multiplier"), CASES)
def test_trained_graph_engine_is_bit_exact(
    net: str, bits: int, multiplier: str, model_cache: Path
) -> None:
    tm = _trained(net, bits, model_cache)
    ops = {lay.op for lay in tm.graph.layers}
    assert ("add" in ops) == (net == "residual")
    assert any(getattr(lay, "groups", 1) > 1 for lay in tm.graph.layers) == (net == "depthwise")
    # it learnt (chance is 0.1; 6 epochs on 1,347 images): the weights are not the initial ones
    assert tm.int_accuracy > 0.2
    x = tm.graph.quantize_input(load_dataset("digits").x_test[:150])  # of 450: time
    ref = run_reference(tm.graph, x, keep_activations=False)
    for where in ("cmos", "memory") if net == "residual" else ("cmos",):
        res = run_engine(
            tm.graph, x, multiplier=multiplier, adder="ripple_carry", residual_add=where
        )
        assert np.array_equal(res.logits, ref.logits), where
