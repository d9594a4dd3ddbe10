"""Workloads shared by the unit tests (``tests/unit`` is on pytest's ``pythonpath``)."""

from __future__ import annotations

from rtmcim.mapping.workload import ComputeWork, PoolWork, Workload


def lenet_work(bits: int = 8) -> Workload:
    """LeNet-5 on 28x28 inputs (conv 5x5 pad 2, pool, conv 5x5, pool, fc 120, 84, 10), with
    ``bits``-bit weights and activations; the last layer emits raw logits."""
    return Workload(
        "lenet5",
        (
            ComputeWork("conv1", "conv", 1, 28, 28, 6, 5, 5, 1, 2, bits, bits, bits, True),
            PoolWork("pool1", "max", 6, 28, 28, 2, 2, bits),
            ComputeWork("conv2", "conv", 6, 14, 14, 16, 5, 5, 1, 0, bits, bits, bits, True),
            PoolWork("pool2", "max", 16, 10, 10, 2, 2, bits),
            ComputeWork("fc1", "fc", 400, 1, 1, 120, 1, 1, 1, 0, bits, bits, bits, True),
            ComputeWork("fc2", "fc", 120, 1, 1, 84, 1, 1, 1, 0, bits, bits, bits, True),
            ComputeWork("fc3", "fc", 84, 1, 1, 10, 1, 1, 1, 0, bits, bits, 0, False),
        ),
    )
