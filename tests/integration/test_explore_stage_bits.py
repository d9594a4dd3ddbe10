"""A study on digits whose model half searches per-stage bit widths: every trial's integer
graph has the widths its proposal chose, layer by layer."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from rtmcim.explore.executors import InProcessExecutor
from rtmcim.explore.space import space_from_dict
from rtmcim.explore.study import run_study
from rtmcim.nn.intgraph import ConvLayer, LinearLayer, load_intgraph

from .conftest import TINY_NET, TINY_SPACE


@pytest.mark.slow  # trains three models (about 5 s on an idle core)
def test_a_study_trains_the_stage_widths_it_proposes(tmp_path: Path) -> None:
    ref = tmp_path / "tinyref.yaml"
    ref.write_text(TINY_NET)
    model = {"wbits": [4], "abits": [8], "depth": [2], "channels": [2], "kernel": [3], "fc": [0]}
    data: dict[str, Any] = {
        **TINY_SPACE,
        "sampler": "random",
        "budget": 2,
        "model": {**model, "stage_wbits": [[8], [8, 4]], "stage_abits": [[6]]},
        "reference": {"model": str(ref), "wbits": 8, "abits": 8, "arch": "default"},
    }
    space = space_from_dict(data, "stage-bits")
    out = tmp_path / "out"
    run = run_study(space, out, InProcessExecutor(), seed=0, cache_dir=str(tmp_path / "cache"))
    assert run.completed == 2
    seen = {}
    for f in sorted((out / "trials").glob("trial-*[0-9].json")):
        trial = json.loads(f.read_text())
        stage = trial["params"]["stage_wbits"]
        assert trial["params"]["stage_abits"] == "6"
        graph = load_intgraph(trial["extra"]["folder"])
        layers = {
            lay.name: (lay.wbits, lay.in_bits, lay.requant.out_bits if lay.requant else None)
            for lay in graph.layers
            if isinstance(lay, ConvLayer | LinearLayer)
        }
        # (weight bits, input bits, output bits): the stages at their chosen widths and 6-bit
        # outputs; the classifier at the network's 4 weight bits (no requant: raw logits)
        w1 = {"8": 8, "8-4": 4}[stage]
        assert layers == {"conv0": (8, 8, 6), "conv1": (w1, 6, 6), "classifier": (4, 6, None)}
        seen[stage] = trial["spec"]["name"]
    assert seen == {"8": "cnn-d2c2k3f0-w88-a66", "8-4": "cnn-d2c2k3f0-w84-a66"}
