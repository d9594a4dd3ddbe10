"""Per-stage bit widths in the model half of a space (``stage_wbits``/``stage_abits``): the
widths land on the stage blocks of every family, the last width repeats, a choice travels
through the optimizer as text, bad choices are one line, and a space without the keys is
the space it was (its choices, model names and hashes)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from test_explore_space import GOOD  # the good space of the space tests

from rtmcim import yamlio
from rtmcim.cli.main import main
from rtmcim.errors import ConfigError
from rtmcim.explore.space import load_space, model_grid_size, model_spec, space_from_dict
from rtmcim.explore.stage_bits import decode, encode
from rtmcim.mapping.arch import build_arch, load_arch
from rtmcim.mapping.layer_cost import check_widths
from rtmcim.mapping.workload import ComputeWork, workload_from_spec
from rtmcim.nn.blocks import spec_nodes


def with_model(**changes: Any) -> dict[str, Any]:
    """GOOD with keys of its model half set."""
    return {**GOOD, "model": {**GOOD["model"], **changes}}


BASE = {"depth": 3, "channels": 4, "kernel": 3, "fc": 16, "wbits": 8, "abits": 8}


def node_bits(params: dict[str, Any]) -> dict[str, tuple[int | None, int | None]]:
    """Each compute node's (wbits, abits) as the spec sets them (None: the network's)."""
    nodes = spec_nodes(model_spec(params), (1, 28, 28), 10)
    return {n.name: (n.wbits, n.abits) for n in nodes if n.op in ("conv", "fc")}


def test_plain_stages_are_its_conv_blocks() -> None:
    spec = model_spec({**BASE, "stage_wbits": "8-4-2", "stage_abits": "6"})
    assert spec.name == "cnn-d3c4k3f16-w842-a666"
    assert [(b.wbits, b.abits) for b in spec.conv] == [(8, 6), (4, 6), (2, 6)]
    assert [(f.wbits, f.abits) for f in spec.fc] == [(None, None)]  # the network's widths
    assert spec.classifier_wbits is None


def test_resnet_stages_carry_the_widths_on_every_conv_of_the_stage() -> None:
    params = {**BASE, "family": "resnet", "stage_wbits": "8-4"}  # 3 stages: 8, 4, 4
    spec = model_spec(params)
    assert spec.name == "resnet-d3c4k3f16-w844"
    assert [(b.wbits, b.abits) for b in spec.conv] == [
        (None, None),
        (8, None),
        (4, None),
        (4, None),
    ]
    bits = node_bits(params)
    assert bits == {
        "conv0": (None, None),  # the stem
        "res1_0_conv1": (8, None),
        "res1_0_conv2": (8, None),
        "res2_0_conv1": (4, None),
        "res2_0_conv2": (4, None),
        "res2_0_proj": (4, None),
        "res3_0_conv1": (4, None),
        "res3_0_conv2": (4, None),
        "res3_0_proj": (4, None),
        "fc0": (None, None),
        "classifier": (None, None),
    }


def test_mobilenet_stages_are_its_separable_blocks() -> None:
    params = {**BASE, "family": "mobilenet", "stage_abits": "4-8-2", "stage_wbits": "2"}
    spec = model_spec(params)
    assert spec.name == "mobilenet-d3c4k3f16-w222-a482"
    bits = node_bits(params)
    assert bits == {
        "conv0": (None, None),
        "sep1_dw": (2, 4),
        "sep1_pw": (2, 4),
        "sep2_dw": (2, 8),
        "sep2_pw": (2, 8),
        "sep3_dw": (2, 2),
        "sep3_pw": (2, 2),
        "fc0": (None, None),
        "classifier": (None, None),
    }


def test_the_workload_takes_the_stage_widths_and_the_multiplier_limit_sees_the_widest() -> None:
    # the stem and classifier at the network's 4 bits, stage 2 at 8: the lookup-table
    # multiplier (at most 4-bit operands) cannot run the model, and says which layer
    params = {**BASE, "depth": 2, "fc": 0, "family": "resnet", "stage_wbits": "4-8"}
    work = workload_from_spec(model_spec(params), (1, 28, 28), 10, 4, 4)
    widths = {lw.name: lw.wbits for lw in work.layers if isinstance(lw, ComputeWork)}
    assert widths == {
        "conv0": 4, "res1_0_conv1": 4, "res1_0_conv2": 4, "res2_0_conv1": 8,
        "res2_0_conv2": 8, "res2_0_proj": 8, "classifier": 4,
    }  # fmt: skip
    lut = build_arch(load_arch("default"), {"compute.multiplier": "lut"})
    with pytest.raises(ConfigError, match="layer res2_0_conv1 needs 8-bit operands"):
        check_widths(work, lut)
    four = workload_from_spec(model_spec({**params, "stage_wbits": "4"}), (1, 28, 28), 10, 4, 4)
    check_widths(four, lut)  # every layer at 4 bits: runs


@pytest.mark.parametrize("choice", [(8,), (8, 4), (2, 3, 4, 5), (8, 8, 8, 8)])
def test_a_choice_round_trips_through_the_optimizer(choice: tuple[int, ...]) -> None:
    text = encode(choice)
    assert isinstance(text, str) and decode(text) == choice
    assert decode(list(choice)) == choice


@pytest.mark.parametrize("value", ["", "8-", "8-9", "x", "1", "8--4"])
def test_a_value_that_is_no_choice_is_refused(value: str) -> None:
    with pytest.raises(ConfigError, match="stage_wbits"):
        decode(value)


def test_the_space_proposes_the_choices_as_text() -> None:
    data = with_model(stage_wbits=[[8], [8, 4]], stage_abits=[[8]], depth=[1, 2])
    cfg = space_from_dict(data).config
    assert cfg.model.stage_wbits == ((8,), (8, 4))
    choices = cfg.model.choices()
    assert choices["stage_wbits"] == ["8", "8-4"] and choices["stage_abits"] == ["8"]
    assert model_grid_size(cfg.model) == 2 * 2 * 2  # wbits x depth x stage_wbits
    assert cfg.canonical()["model"]["stage_wbits"] == [[8], [8, 4]]
    # each proposal of the optimizer gives a spec (two stage choices: two models)
    names = {model_spec({**BASE, "depth": 2, "stage_wbits": c}).name for c in ["8", "8-4"]}
    assert names == {"cnn-d2c4k3f16-w88", "cnn-d2c4k3f16-w84"}


def test_a_space_without_stage_widths_is_the_space_it_was() -> None:
    plain = space_from_dict(GOOD).config
    assert list(plain.model.choices()) == ["wbits", "abits", "depth", "channels", "kernel", "fc"]
    assert "stage_wbits" not in plain.canonical()["model"]
    # pinned on main at 1d7f615, before stage widths existed: the space's and models' hashes
    assert plain.content_hash() == (
        "333e45cb761c48e459014f89876ff977b0691ae271d93b6b36dff616278fe0d7"
    )
    assert "stage_wbits" not in load_space("tiny").config.model.choices()  # only commented there
    point = {"depth": 2, "channels": 8, "kernel": 3, "fc": 0, "wbits": 4, "abits": 8}
    res = model_spec({**point, "family": "resnet"})
    assert res.name == "resnet-d2c8k3f0"
    assert res.content_hash() == "905ba569062396b0bef27a7e6b7aed90a1902e498381e24c3b6cc61f18503dcb"
    assert model_spec(point).content_hash() == (
        "3e0ad2d6ce710a4d05458377e8666b945a6d14dcfc818075b5fd6fa685f5322b"
    )


STAGE_REFUSALS = [
    ({"stage_wbits": [[8], [9]]}, "model.stage_wbits.1 = [9] is not valid (allowed: a list of widths 2..8"),
    ({"stage_abits": [[1]]}, "model.stage_abits.0 = [1] is not valid (allowed: a list of widths 2..8"),
    ({"stage_wbits": [[]]}, "model.stage_wbits.0 = [] is not valid"),
    ({"stage_wbits": [[8, "4"]]}, "model.stage_wbits.0 = [8, '4'] is not valid"),
    ({"stage_wbits": [[8.5]]}, "model.stage_wbits.0 = [8.5] is not valid"),
    ({"stage_wbits": [[True]]}, "model.stage_wbits.0 = [True] is not valid"),
    ({"stage_wbits": [8, 4]}, "model.stage_wbits.0 = 8 is not valid"),
    ({"stage_wbits": []}, "model.stage_wbits is an empty list (allowed: choices, each a list"),
    ({"stage_abits": 4}, "model.stage_abits = 4 is not a list of choices"),
    ({"stage_wbits": [[8], [8]]}, "model.stage_wbits repeats a choice"),
    ({"stage_wbits": [[8, 4, 4]]}, "gives 3 widths, more than the deepest model has stages"),
]  # fmt: skip


@pytest.mark.parametrize(("change", "needle"), STAGE_REFUSALS)
def test_bad_stage_widths_are_one_line(change: dict[str, Any], needle: str) -> None:
    data = with_model(**change, depth=[1, 2])
    with pytest.raises(ConfigError) as exc:
        space_from_dict(data, "t.yaml")
    text = str(exc.value)
    assert "\n" not in text and text.startswith("t.yaml: model: ") and needle in text, text


@pytest.mark.parametrize(("change", "needle"), STAGE_REFUSALS[:2] + STAGE_REFUSALS[-3:])
def test_explore_refuses_bad_stage_widths_with_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], change: dict[str, Any], needle: str
) -> None:
    data = with_model(**change, depth=[1, 2])
    space = tmp_path / "space.yaml"
    space.write_text(yamlio.dumps(data))
    out = tmp_path / "out"
    code = main(["explore", str(space), "--out", str(out), "--no-progress"])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    assert needle in err
    assert not out.exists()  # refused before anything was written
