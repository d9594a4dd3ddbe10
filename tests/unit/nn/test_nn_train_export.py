from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from rtmcim.errors import ConfigError, DataError
from rtmcim.nn.data import Dataset
from rtmcim.nn.intgraph import ConvLayer, LinearLayer, load_intgraph
from rtmcim.nn.reference import run_reference
from rtmcim.nn.train import load_trained, predict, train_model


def _qat_predictions(tm: Any, x: np.ndarray) -> np.ndarray:
    return predict(tm.net, x)


@pytest.mark.slow
def test_integer_graph_matches_fake_quant_model(trained_digits: Any, digits: Dataset) -> None:
    tm = trained_digits
    q = _qat_predictions(tm, digits.x_test)
    ref = run_reference(tm.graph, digits.x_test)
    agree = float((ref.predictions == q).mean())
    acc_q = float((q == digits.y_test).mean())
    acc_i = float((ref.predictions == digits.y_test).mean())
    assert agree >= 0.995
    assert abs(acc_q - acc_i) <= 0.003
    assert acc_i >= 0.90  # a model that learned something, or agreement means little
    assert tm.agreement == pytest.approx(agree) and tm.int_accuracy == pytest.approx(acc_i)
    # The classifier's integer accumulators are the torch logits in units of one scale
    # (up to the rare 1-LSB rounding differences inside the network).
    cls = tm.graph.layers[-1]
    assert isinstance(cls, LinearLayer) and cls.requant is None
    with torch.no_grad():
        logits = tm.net(torch.from_numpy(digits.x_test)).numpy()
    scaled = ref.logits * cls.in_scale * cls.weight_scale[0]
    diff = np.abs(scaled - logits)
    assert np.median(diff) < 1e-4 * np.abs(logits).max()
    assert np.isclose(scaled, logits, rtol=1e-4, atol=1e-4).all(axis=1).mean() >= 0.5


@pytest.mark.slow
def test_graph_exposes_what_mapping_needs(trained_digits: Any) -> None:
    g = trained_digits.graph
    comp = g.compute_layers()
    assert [type(c).__name__ for c in comp] == [
        "ConvLayer",
        "ConvLayer",
        "LinearLayer",
        "LinearLayer",
        "LinearLayer",
    ]
    c0 = comp[0]
    assert isinstance(c0, ConvLayer)
    assert c0.weight.shape == (6, 1, 5, 5) and c0.weight.dtype == np.int8
    assert c0.bias.dtype == np.int32 and c0.stride == 1 and c0.padding == 2
    assert c0.wbits == 8 and c0.in_bits == 8 and c0.requant is not None
    assert c0.requant.out_bits == 8 and c0.requant.relu
    assert np.abs(c0.weight).max() <= 127
    assert comp[-1].weight.shape == (10, 84)
    acts = run_reference(g, np.zeros((2, *g.input_shape), np.float32)).activations
    for lay in g.layers:
        assert acts[lay.name].shape[1:] == tuple(lay.out_shape)


@pytest.mark.slow
def test_export_save_load_run_identical_integers(
    trained_digits: Any, digits: Dataset, tmp_path: Path
) -> None:
    g = trained_digits.graph
    g.save(tmp_path / "g")
    g2 = load_intgraph(tmp_path / "g")
    for a, b in zip(g.layers, g2.layers, strict=True):
        assert type(a) is type(b) and a.name == b.name and a.out_shape == b.out_shape
        if isinstance(a, ConvLayer | LinearLayer):
            np.testing.assert_array_equal(a.weight, b.weight)  # type: ignore[union-attr]
            assert a.weight.dtype == b.weight.dtype  # type: ignore[union-attr]
    r1 = run_reference(g, digits.x_test)
    r2 = run_reference(g2, digits.x_test)
    np.testing.assert_array_equal(r1.logits, r2.logits)
    assert r1.activations.keys() == r2.activations.keys()
    for k in r1.activations:
        np.testing.assert_array_equal(r1.activations[k], r2.activations[k])
    # and through the trained-model folder
    tm2 = load_trained(trained_digits.folder)
    np.testing.assert_array_equal(run_reference(tm2.graph, digits.x_test).logits, r1.logits)
    np.testing.assert_array_equal(
        predict(tm2.net, digits.x_test), predict(trained_digits.net, digits.x_test)
    )


@pytest.mark.slow
def test_corrupt_or_future_graph_is_rejected(trained_digits: Any, tmp_path: Path) -> None:
    d = tmp_path / "g"
    trained_digits.graph.save(d)
    text = (d / "intgraph.json").read_text()
    (d / "intgraph.json").write_text(text.replace('"format_version": 1', '"format_version": 99'))
    with pytest.raises(DataError, match="format_version = 99"):
        load_intgraph(d)
    (d / "intgraph.json").write_text(text)
    (d / "intgraph.npz").write_bytes(b"junk")
    with pytest.raises(DataError, match="corrupt"):
        load_intgraph(d)
    (d / "intgraph.npz").unlink()
    with pytest.raises(DataError, match="not found"):
        load_intgraph(d)


@pytest.mark.slow
def test_cache_reuses_results(
    trained_digits: Any, digits: Dataset, cache_dir: Path, digits_hyper: dict[str, Any]
) -> None:
    again = train_model("lenet5", digits, 8, 8, seed=0, cache_dir=cache_dir, **digits_hyper)
    assert again.cached and again.key == trained_digits.key
    assert again.folder.parent == cache_dir / "models"
    np.testing.assert_array_equal(
        again.graph.layers[0].weight, trained_digits.graph.layers[0].weight
    )  # type: ignore[union-attr]
    other = train_model(
        "lenet5", digits, 6, 8, seed=0, cache_dir=cache_dir, **{**digits_hyper, "qat_epochs": 1}
    )
    assert not other.cached and other.key != trained_digits.key
    # float pre-training was shared: same float accuracy, no float epochs re-run
    assert other.float_accuracy == trained_digits.float_accuracy


@pytest.mark.slow
def test_same_seed_same_weights_different_seed_differs(digits: Dataset, tmp_path: Path) -> None:
    kw: dict[str, Any] = {"epochs": 2, "qat_epochs": 1, "use_cache": False, "cache_dir": tmp_path}
    a = train_model("cnn_small", digits, 4, 4, seed=3, **kw)
    b = train_model("cnn_small", digits, 4, 4, seed=3, **kw)
    c = train_model("cnn_small", digits, 4, 4, seed=4, **kw)
    sa, sb, sc = a.net.state_dict(), b.net.state_dict(), c.net.state_dict()
    assert all(torch.equal(sa[k], sb[k]) for k in sa)
    assert a.qat_accuracy == b.qat_accuracy and a.float_accuracy == b.float_accuracy
    assert not all(torch.equal(sa[k], sc[k]) for k in sa)
    assert torch.get_num_threads() >= 1 and not torch.are_deterministic_algorithms_enabled()


@pytest.mark.slow
def test_bn_folding_avg_pool_and_per_layer_bits(digits: Dataset, tmp_path: Path) -> None:
    spec = {
        "name": "mixed",
        "batchnorm": True,
        "conv": [
            {"channels": 8, "kernel": 3, "stride": 2, "padding": 1, "pool": "avg", "wbits": 6},
            {"channels": 12, "kernel": 3, "pool": "max", "abits": 5},
        ],
        "fc": [{"units": 32, "wbits": 3}],
    }
    tm = train_model(
        spec, digits, 4, 4, epochs=8, qat_epochs=3, seed=1, batch_size=64, cache_dir=tmp_path
    )
    g = tm.graph
    bits = [
        (c.wbits, c.in_bits, c.requant.out_bits if c.requant else None) for c in g.compute_layers()
    ]
    assert bits == [(6, 4, 4), (4, 4, 5), (3, 5, 4), (4, 4, None)]
    assert [lay.op for lay in g.layers] == [
        "conv",
        "pool",
        "conv",
        "pool",
        "flatten",
        "linear",
        "linear",
    ]
    assert all(q.bn is None for q in tm.net.qlayers())  # folded
    assert tm.agreement >= 0.995 and abs(tm.qat_accuracy - tm.int_accuracy) <= 0.003
    assert tm.int_accuracy > 0.5


def test_bad_input_raises_typed_errors_before_training(digits: Dataset, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="wbits = 33"):
        train_model("lenet5", digits, 33, 8, cache_dir=tmp_path)
    with pytest.raises(ConfigError, match="epochs"):
        train_model("lenet5", digits, 8, 8, epochs=-1, cache_dir=tmp_path)
    with pytest.raises(DataError, match="unknown data set"):
        train_model("lenet5", "nope", 8, 8, cache_dir=tmp_path)
    with pytest.raises(ConfigError, match=r"conv\.1\.kernel = 9"):
        train_model(
            {"conv": [{"channels": 2, "kernel": 15, "pool": "max"}, {"channels": 2, "kernel": 9}]},
            "digits",
            cache_dir=tmp_path,
        )


@pytest.mark.slow
def test_workload_from_spec_equals_the_trained_graphs(trained_digits: Any) -> None:
    """Cost studies build workloads without training; they must be the trained graph's."""
    from rtmcim.mapping.workload import workload_from_graph, workload_from_spec

    g = trained_digits.graph
    from_graph = workload_from_graph(g, "lenet5")
    from_spec = workload_from_spec(trained_digits.spec, tuple(g.input_shape), 10, 8, 8)
    assert from_spec == from_graph
