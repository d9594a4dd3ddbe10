"""Acceptance (issue 5): the engine's integers equal the integer reference on the whole digits
test set for LeNet-5 at 8, 4 and 2 bits and for each multiplier kind. (The same check on 1,000
Fashion-MNIST test images is `benchmarks/bench_engine_exact.py`, run by `make bench`.)"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rtmcim.circuits.mac import MAC_MULTIPLIERS
from rtmcim.engine import run_engine
from rtmcim.nn import load_dataset, run_reference

from .conftest import train_digits

CASES = [(b, m) for b in (8, 4, 2) for m in MAC_MULTIPLIERS if not (m == "lut" and b > 4)]


@pytest.mark.slow
@pytest.mark.parametrize(("bits", "multiplier"), CASES)
def test_lenet5_digits_engine_is_bit_exact(bits: int, multiplier: str, model_cache: Path) -> None:
    tm = train_digits(bits, model_cache)
    x = tm.graph.quantize_input(load_dataset("digits").x_test)
    assert len(x) == 450
    ref = run_reference(tm.graph, x, keep_activations=False)
    res = run_engine(tm.graph, x, multiplier=multiplier, adder="ripple_carry")
    assert np.array_equal(res.logits, ref.logits)
