"""Shared fixtures: one small trained model on the digits set, trained once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from rtmcim.nn.data import Dataset, load_dataset

DIGITS_HYPER = {"epochs": 12, "qat_epochs": 4, "batch_size": 64}


@pytest.fixture(scope="session")
def digits_hyper() -> dict[str, int]:
    return dict(DIGITS_HYPER)


@pytest.fixture(scope="session")
def digits() -> Dataset:
    return load_dataset("digits")


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("rtmcim-cache")


@pytest.fixture(scope="session")
def trained_digits(digits: Dataset, cache_dir: Path):  # type: ignore[no-untyped-def]
    from rtmcim.nn.train import train_model

    return train_model("lenet5", digits, 8, 8, seed=0, cache_dir=cache_dir, **DIGITS_HYPER)
