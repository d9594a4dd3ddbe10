"""Graph networks: specs with residual and depthwise-separable blocks, explicit graphs, the
zoo's embedded CNNs, the integer reference of every node type against torch, and bad input."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from graphs import random_dag_graph

from rtmcim.errors import ConfigError, DataError
from rtmcim.mapping.workload import workload_from_spec
from rtmcim.nn.blocks import spec_nodes
from rtmcim.nn.intgraph import check_graph, load_intgraph, save_intgraph
from rtmcim.nn.reference import run_reference
from rtmcim.nn.spec import parse_spec
from rtmcim.nn.zoo import zoo_spec

# sha256 of the canonical specs as main computed them before graph networks (commit 16da97c):
# plain specs keep their hash, so their trained-model cache entries stay valid
PINNED = {
    "cnn_small": "96bf5b81f0bc66418ef779abb3ad3b9479568fa3720485c3acedf0f87c765383",
    "lenet5": "a32836438572cb3dddfcc55d672fb3558aa8f367309e1c9d97cbe30de92df980",
    "vgg_small": "02585a0f430aae79f45d0360a12ae722e3e73c522656412d693cd6c4f0235856",
}
CUSTOM = {
    "name": "x",
    "batchnorm": True,
    "conv": [{"channels": 4, "kernel": 3, "stride": 2, "padding": 1, "pool": "avg", "wbits": 4}],
    "fc": [{"units": 10, "abits": 3}],
    "classifier_wbits": 6,
}


def test_plain_specs_hash_as_before() -> None:
    for name, digest in PINNED.items():
        assert zoo_spec(name).content_hash() == digest
    assert (
        parse_spec(CUSTOM).content_hash()
        == "45b01abe246fa4280b22999453b2c3dfe1a4b17bb0d47448620f285af93737bf"
    )
    # a new field set to something else changes the hash
    assert parse_spec({**CUSTOM, "global_pool": "avg"}).content_hash() != PINNED["lenet5"]


def _macs(spec_name: str, shape: tuple[int, int, int] = (1, 28, 28)) -> int:
    return workload_from_spec(zoo_spec(spec_name), shape, 10, 8, 8).macs


def test_zoo_graphs_have_the_published_topologies() -> None:
    nodes = spec_nodes(zoo_spec("resnet8"), (3, 32, 32), 10)
    convs = [n for n in nodes if n.op == "conv"]
    adds = [n for n in nodes if n.op == "add"]
    # MLPerf Tiny ResNet-8: 1 + 3 x 2 convs + 2 projection shortcuts, 3 adds, 1 fc
    assert len(convs) == 9 and len(adds) == 3
    assert [n.out_shape for n in adds] == [(16, 32, 32), (32, 16, 16), (64, 8, 8)]
    assert nodes[-3].op == "pool" and nodes[-3].size == 8  # global average pool 8x8
    # MACs of the MLPerf Tiny ResNet-8 on 32x32x3 (12.5 M in its paper, Table 1: weights
    # 78 k): conv0 442 k + stage 1 4.72 M + stage 2 3.54 M (incl. 131 k shortcut)
    # + stage 3 3.54 M + fc 640
    assert _macs_of(nodes) == 12_501_632
    n20 = spec_nodes(zoo_spec("resnet20"), (3, 32, 32), 10)
    assert sum(n.op == "conv" for n in n20) == 19 + 2 and sum(n.op == "add" for n in n20) == 9
    mb = spec_nodes(zoo_spec("mobilenet_v1_025"), (1, 28, 28), 10)
    dws = [n for n in mb if n.op == "conv" and n.groups > 1]
    assert len(dws) == 13 and all(n.groups == n.channels == n.in_shape[0] for n in dws)
    assert all(n.act == "relu6" for n in mb if n.op == "conv")
    ds = spec_nodes(zoo_spec("ds_cnn_s"), (1, 28, 28), 10)
    assert sum(n.op == "conv" and n.groups == 64 for n in ds) == 4


def _macs_of(nodes) -> int:  # type: ignore[no-untyped-def]
    total = 0
    for n in nodes:
        if n.op == "conv":
            c = n.in_shape[0] // n.groups
            total += n.channels * c * n.kernel**2 * n.out_shape[1] * n.out_shape[2]
        elif n.op == "fc":
            total += n.channels * n.in_shape[0]
    return total


def test_workload_macs_equal_torch_flop_count() -> None:
    """The workload's MACs equal torch's own FLOP counter over the network's forward pass."""
    from torch.utils.flop_counter import FlopCounterMode

    from rtmcim.nn.quant import QNet

    for name in ("resnet8", "mobilenet_v1_025", "ds_cnn_s"):
        net = QNet(zoo_spec(name), (1, 28, 28), 10).eval()
        with torch.no_grad(), FlopCounterMode(display=False) as counter:
            net(torch.rand(1, 1, 28, 28))
        assert counter.get_total_flops() == 2 * _macs(name), name


@pytest.mark.parametrize(
    ("data", "key", "words"),
    [
        (
            {"conv": [{"channels": 4, "kernel": 3, "groups": 3}]},
            "conv.0.groups",
            "groups must divide",
        ),
        (
            {
                "graph": [
                    {"name": "a", "op": "conv", "channels": 4, "kernel": 3, "inputs": ["b"]},
                    {"name": "b", "op": "conv", "channels": 4, "kernel": 3, "inputs": ["a"]},
                    {"name": "f", "op": "flatten", "inputs": ["b"]},
                    {"name": "c", "op": "fc", "units": 10},
                ]
            },
            "graph.0.inputs",
            "cycle",
        ),
        (
            {
                "graph": [
                    {"name": "a", "op": "conv", "channels": 4, "kernel": 3, "act": "relu"},
                    {"name": "f", "op": "flatten", "inputs": ["nope"]},
                    {"name": "c", "op": "fc", "units": 10},
                ]
            },
            "graph.1.inputs",
            "dangling",
        ),
        (
            {
                "graph": [
                    {"name": "a", "op": "conv", "channels": 4, "kernel": 3, "act": "relu"},
                    {"name": "b", "op": "conv", "channels": 4, "kernel": 3, "stride": 2},
                    {"name": "s", "op": "add", "inputs": ["a", "b"], "act": "relu"},
                    {"name": "f", "op": "flatten"},
                    {"name": "c", "op": "fc", "units": 10},
                ]
            },
            "graph.2.inputs",
            "mismatched shapes",
        ),
        (
            {
                "graph": [
                    {"name": "a", "op": "conv", "channels": 4, "kernel": 3},
                    {"name": "b", "op": "conv", "channels": 4, "kernel": 3},
                    {"name": "f", "op": "flatten"},
                    {"name": "c", "op": "fc", "units": 10},
                ]
            },
            "graph.1.inputs",
            "signed tensor",
        ),
    ],
)
def test_bad_graphs_are_one_line_errors_naming_the_key(
    data: dict, key: str, words: str, tmp_path: Path
) -> None:
    with pytest.raises(ConfigError) as exc:
        spec_nodes(parse_spec(data), (1, 28, 28), 10)
    assert exc.value.key == key and words in str(exc.value) and "\n" not in str(exc.value)
    # the CLI: one line, exit 2, before any training
    p = tmp_path / "bad.yaml"
    import yaml

    p.write_text(yaml.safe_dump(data))
    r = subprocess.run(
        [sys.executable, "-m", "rtmcim.cli.main", "train", str(p), "--dataset", "digits"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert r.returncode == 2, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and key in r.stderr


def test_explicit_graph_equals_the_block_spec() -> None:
    """A residual block written as an explicit graph (out of order) gives the same workload."""
    blocks = parse_spec(
        {
            "conv": [
                {"channels": 4, "kernel": 3, "padding": 1},
                {"block": "residual", "channels": 8, "stride": 2},
            ],
            "global_pool": "avg",
        }
    )
    g = [
        {"name": "res1_0_add", "op": "add", "inputs": ["res1_0_conv2", "res1_0_proj"],
         "act": "relu"},
        {"name": "conv0", "op": "conv", "channels": 4, "kernel": 3, "padding": 1, "act": "relu",
         "inputs": ["input"]},
        {"name": "res1_0_conv1", "op": "conv", "channels": 8, "kernel": 3, "stride": 2,
         "padding": 1, "act": "relu", "inputs": ["conv0"]},
        {"name": "res1_0_conv2", "op": "conv", "channels": 8, "kernel": 3, "padding": 1,
         "inputs": ["res1_0_conv1"]},
        {"name": "res1_0_proj", "op": "conv", "channels": 8, "kernel": 1, "stride": 2,
         "inputs": ["conv0"]},
        {"name": "gap", "op": "gap", "inputs": ["res1_0_add"]},
        {"name": "flatten_classifier", "op": "flatten", "inputs": ["gap"]},
        {"name": "classifier", "op": "fc", "units": 10, "inputs": ["flatten_classifier"]},
    ]  # fmt: skip
    explicit = parse_spec({"graph": g})
    a = workload_from_spec(blocks, (1, 28, 28), 10, 8, 8)
    b = workload_from_spec(explicit, (1, 28, 28), 10, 8, 8)
    assert a.layers == b.layers


def _torch_reference(g, x: np.ndarray) -> np.ndarray:  # type: ignore[no-untyped-def]
    """The integer graph's maths written again with torch float64 ops (exact below 2^53)."""
    from rtmcim.nn.intgraph import AddLayer, ConvLayer, LinearLayer, PoolLayer

    vals = {"input": torch.from_numpy(x.astype(np.float64))}
    for lay, srcs in zip(g.layers, g.sources(), strict=True):
        h = vals[srcs[0]]
        if isinstance(lay, ConvLayer | LinearLayer):
            w = torch.from_numpy(lay.weight.astype(np.float64))
            bias = torch.from_numpy(lay.bias.astype(np.float64))
            if isinstance(lay, ConvLayer):
                h = F.conv2d(h, w, bias, lay.stride, lay.padding, groups=lay.groups)
            else:
                h = F.linear(h, w, bias)
            if lay.requant is not None:
                rq = lay.requant
                shape = (1, -1, 1, 1) if h.dim() == 4 else (1, -1)
                m = torch.from_numpy(rq.multiplier.astype(np.float64)).reshape(shape)
                s = torch.from_numpy(rq.shift.astype(np.float64)).reshape(shape)
                h = torch.floor((h * m + 2 ** (s - 1)) / 2**s).clamp(rq.lo, rq.hi)
        elif isinstance(lay, PoolLayer):
            if lay.kind == "max":
                h = F.max_pool2d(h, lay.size)
            else:
                n = lay.size**2
                h = torch.floor((F.avg_pool2d(h, lay.size) * n + n // 2) / n)
        elif isinstance(lay, AddLayer):
            ma, mb = lay.multiplier
            s = 2.0**lay.shift
            h = torch.floor((h * ma + vals[srcs[1]] * mb + s / 2) / s).clamp(lay.lo, lay.hi)
        else:
            h = torch.flatten(h, 1)
        vals[lay.name] = h
    return h.numpy()


@pytest.mark.parametrize("bits", [2, 4, 8])
def test_integer_reference_equals_torch_on_every_node_type(bits: int) -> None:
    g = random_dag_graph(bits, seed=bits)
    x = np.random.default_rng(bits).integers(0, 2**bits, (6, 2, 8, 8))
    ref = run_reference(g, x)
    assert np.array_equal(ref.logits, _torch_reference(g, x).astype(np.int64))
    # every node ran and kept its output
    assert set(ref.activations) == {lay.name for lay in g.layers}
    assert ref.activations["conv2"].min() < 0  # a signed branch (no ReLU) before the add
    assert ref.activations["add"].min() >= 0  # ReLU folded into the add's clamp


def test_graph_file_round_trip_and_checks(tmp_path: Path) -> None:
    g = random_dag_graph(4)
    save_intgraph(g, tmp_path)
    assert '"format_version": 2' in (tmp_path / "intgraph.json").read_text()
    back = load_intgraph(tmp_path)
    x = np.random.default_rng(0).integers(0, 16, (3, 2, 8, 8))
    assert np.array_equal(run_reference(back, x).logits, run_reference(g, x).logits)
    import dataclasses

    bad = dataclasses.replace(g.layers[4], inputs=("cls",))  # proj reads a later layer
    with pytest.raises(DataError, match="no earlier layer"):
        check_graph(dataclasses.replace(g, layers=(*g.layers[:4], bad, *g.layers[5:])))


def test_residual_depthwise_net_trains_exports_and_runs_bit_exact(
    digits: object, tmp_path: Path
) -> None:
    """QAT of a net with every node type, its integer graph against the fake-quantized torch
    net (agreement), saved and loaded, and the engine identical to the integer reference."""
    from rtmcim.engine import run_engine
    from rtmcim.nn.train import train_model

    spec = {
        "name": "tiny_graph",
        "batchnorm": True,
        "activation": "relu6",
        "conv": [
            {"channels": 8, "kernel": 3, "padding": 1},
            {"block": "residual", "channels": 8},
            {"block": "separable", "channels": 16, "stride": 2},
            {"block": "residual", "channels": 16, "stride": 2},
        ],
        "global_pool": "avg",
    }
    tm = train_model(spec, digits, 4, 4, epochs=2, qat_epochs=1, batch_size=64, cache_dir=tmp_path)
    kinds = {lay.op for lay in tm.graph.layers}
    assert kinds == {"conv", "add", "pool", "flatten", "linear"}
    assert any(getattr(lay, "groups", 1) == 8 for lay in tm.graph.layers)  # depthwise
    assert tm.agreement >= 0.97  # integer graph vs fake-quantized torch net
    back = load_intgraph(tm.folder)
    x = tm.graph.quantize_input(digits.x_test[:24])  # type: ignore[attr-defined]
    ref = run_reference(back, x)
    eng = run_engine(back, x, multiplier="booth_r4", adder="ripple_carry")
    assert np.array_equal(eng.logits, ref.logits)
    # the cache returns the same model
    again = train_model(
        spec, digits, 4, 4, epochs=2, qat_epochs=1, batch_size=64, cache_dir=tmp_path
    )
    assert again.cached and again.int_accuracy == tm.int_accuracy
