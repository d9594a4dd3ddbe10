"""Change story: a new baseline, registered from this file alone, shows in evaluate's comparison.

The toy baseline is the CMOS accelerator with a 1 MiB SRAM buffer (every weight on chip): it
runs the same workload on the same MAC units, and ``rtmcim evaluate`` lists it beside the
built-in baselines with its ratios to the racetrack design.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from rtmcim.baselines import BASELINES, Baseline, BaselineResult, cmos_baseline
from rtmcim.cli.main import main
from rtmcim.mapping import Arch, Evaluation, Workload

from .conftest import train_digits

pytestmark = pytest.mark.slow

BUFFER = 1 << 20


def big_buffer(work: Workload, arch: Arch, rtm: Evaluation) -> BaselineResult:
    r = cmos_baseline(work, arch, buffer_bytes=BUFFER)
    return dataclasses.replace(r, name="cmos_1mib", description="CMOS with a 1 MiB buffer")


@pytest.fixture
def registered() -> Iterator[Baseline]:
    b = BASELINES.register(Baseline("cmos_1mib", "CMOS with a 1 MiB buffer", big_buffer))
    yield b
    BASELINES.unregister("cmos_1mib")


@pytest.fixture(scope="module")
def model_dir(model_cache: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from rtmcim.nn.train import save_trained

    return save_trained(train_digits(4, model_cache), tmp_path_factory.mktemp("w4-baseline"))


def test_evaluate_compares_the_design_with_the_new_baseline(
    registered: Baseline, model_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["evaluate", "--model", str(model_dir), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    rows = {r["design"]: r for r in data["baselines"]}
    assert list(rows)[1:] == ["cmos", "near_memory", "transverse_read", "cmos_1mib"]
    mine, cmos = rows["cmos_1mib"], rows["cmos"]
    s = data["summary"]
    assert mine["energy_ratio"] == pytest.approx(mine["energy_uJ"] / s["energy_per_inference_uJ"])
    assert mine["latency_ratio"] == pytest.approx(
        mine["latency_us"] / s["latency_per_inference_us"]
    )
    assert mine["area_ratio"] == pytest.approx(mine["area_mm2"] / s["area_mm2"])
    # the bigger buffer: more SRAM area, and more SRAM to leak and to drive
    assert mine["area_mm2"] > cmos["area_mm2"] and mine["energy_uJ"] > cmos["energy_uJ"]

    assert main(["evaluate", "--model", str(model_dir)]) == 0
    assert "cmos_1mib" in capsys.readouterr().out
