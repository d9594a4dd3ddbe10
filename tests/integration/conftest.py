"""Models trained once per test session on the digits set, shared by the integration tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest


@pytest.fixture(scope="session")
def model_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # the parent of a worker's basetemp is shared by pytest-xdist workers: one cache for all
    root = tmp_path_factory.getbasetemp().parent / "rtmcim-models"
    root.mkdir(parents=True, exist_ok=True)
    return root


def train_digits(bits: int, cache: Path) -> Any:
    from rtmcim.nn.train import train_model

    return train_model(
        "lenet5",
        "digits",
        bits,
        bits,
        epochs=3,
        seed=0,
        cache_dir=cache,
        qat_epochs=2,
        batch_size=64,
    )


TINY_SPACE: dict[str, Any] = {  # a study on digits in seconds
    "name": "tiny",
    "dataset": "digits",
    "sampler": "nsga2",
    "population": 2,
    "training": {"epochs": 1, "qat_epochs": 1},
    "model": {
        "wbits": [4, 8],
        "abits": [4, 8],
        "depth": [1],
        "channels": [2, 4],
        "kernel": [3],
        "fc": [0],
    },
    "hardware": {
        "base": "default",
        "sweep": {"memory.mu.domains": [32, 64], "memory.mu.ports": [1, 2], "memory.banks": [1, 2]},
    },
    "constraints": {"area_budget_mm2": 1.0},
}
TINY_NET = "name: tinyref\nconv: [{channels: 2, kernel: 3, padding: 1, pool: max}]\n"
