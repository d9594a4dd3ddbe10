from __future__ import annotations

import numpy as np
import pytest
import torch

from rtmcim.errors import ConfigError
from rtmcim.nn.data import Dataset
from rtmcim.nn.quant import QNet
from rtmcim.nn.spec import check_bits, check_shapes, parse_spec
from rtmcim.nn.zoo import ZOO, resolve_spec, zoo_names, zoo_spec

GOOD = {"name": "t", "conv": [{"channels": 4, "kernel": 3, "pool": "max"}], "fc": [16]}


def test_spec_hash_is_stable_and_content_based() -> None:
    a = parse_spec(GOOD)
    b = parse_spec(
        {"fc": [{"units": 16}], "conv": [{"kernel": 3, "channels": 4, "pool": "max"}], "name": "t"}
    )
    assert a == b and a.content_hash() == b.content_hash()
    assert len(a.content_hash()) == 64
    # A pinned value: the hash must not depend on the process (no salted hash()).
    assert a.content_hash() == parse_spec(GOOD).content_hash()
    c = parse_spec({**GOOD, "fc": [17]})
    assert c.content_hash() != a.content_hash()
    assert hash(a) == hash(b)


def test_spec_round_trips_through_yaml(tmp_path) -> None:  # type: ignore[no-untyped-def]
    spec = zoo_spec("vgg_small")
    p = tmp_path / "s.yaml"
    p.write_text(spec.to_yaml())
    assert resolve_spec(str(p)) == spec


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"conv": [{"channels": 0, "kernel": 3}]}, "conv.0.channels"),
        ({"conv": [{"channels": 4, "kernel": 3, "wbits": 1}]}, "conv.0.wbits"),
        ({"conv": [{"channels": 4, "kernel": 3, "abits": 9}]}, "conv.0.abits"),
        ({"conv": [{"channels": 4, "kernel": 3, "pool": "min"}]}, "conv.0.pool"),
        ({"fc": [0]}, "fc.0.units"),
        ({"conv": [{"channels": 4, "kernal": 3}]}, "conv.0.kernal"),
        ({"classifier_wbits": 33}, "classifier_wbits"),
    ],
)
def test_bad_spec_names_the_field(data: dict, key: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(ConfigError) as e:
        parse_spec(data)
    assert key in str(e.value)


def test_kernel_larger_than_input() -> None:
    spec = parse_spec({"conv": [{"channels": 4, "kernel": 3}, {"channels": 4, "kernel": 9}]})
    with pytest.raises(ConfigError, match=r"conv\.1\.kernel = 9"):
        check_shapes(spec, (1, 8, 8), 10)


def test_pooling_that_makes_a_dimension_vanish() -> None:
    spec = parse_spec({"conv": [{"channels": 4, "kernel": 3, "pool": "max", "pool_size": 4}]})
    with pytest.raises(ConfigError, match=r"conv\.0\.pool_size"):
        check_shapes(spec, (1, 5, 5), 10)


@pytest.mark.parametrize(
    ("w", "a", "key"), [(0, 8, "wbits"), (33, 8, "wbits"), (8, 1, "abits"), (8, 9, "abits")]
)
def test_bit_widths_out_of_range(w: int, a: int, key: str) -> None:
    with pytest.raises(ConfigError, match=rf"{key} = {w if key == 'wbits' else a}"):
        check_bits(w, a)


def test_unknown_model() -> None:
    with pytest.raises(ConfigError, match="unknown model"):
        resolve_spec("resnet9000")


@pytest.mark.parametrize("name", sorted(ZOO))
@pytest.mark.parametrize("shape", [(1, 28, 28), (3, 32, 32)])
def test_every_zoo_model_runs_on_every_builtin_shape(
    name: str, shape: tuple[int, int, int]
) -> None:
    spec = zoo_spec(name)
    net = QNet(spec, shape, 10, 4, 4)
    x = torch.rand(3, *shape)
    assert tuple(net(x).shape) == (3, 10)
    net.train()
    net(x)  # calibrates activation scales
    net.enable_quant()
    net.train()
    net(x)
    net.eval()
    assert tuple(net(x).shape) == (3, 10)


@pytest.mark.parametrize("name", zoo_names())
def test_every_zoo_model_runs_on_digits(name: str, digits: Dataset) -> None:
    net = QNet(zoo_spec(name), digits.info.shape, digits.info.classes)
    out = net(torch.from_numpy(digits.x_test[:5]))
    assert tuple(out.shape) == (5, 10) and np.isfinite(out.detach().numpy()).all()
