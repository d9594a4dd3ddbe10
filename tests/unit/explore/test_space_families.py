"""Model families in the model half of a space: plain, ResNet- and MobileNet-style specs;
spaces without families keep their hash and their parameters."""

from __future__ import annotations

from rtmcim.explore.space import load_space, model_spec, space_from_dict
from rtmcim.nn.blocks import spec_nodes


def test_families_give_the_graph_they_name() -> None:
    base = {"depth": 2, "channels": 8, "kernel": 3, "fc": 0}
    plain = model_spec(base)
    assert plain.name == "cnn-d2c8k3f0" and plain.global_pool == "none"
    res = spec_nodes(model_spec({**base, "family": "resnet"}), (1, 28, 28), 10)
    assert sum(n.op == "add" for n in res) == 2 and res[-3].op == "pool"
    mob = spec_nodes(model_spec({**base, "family": "mobilenet"}), (1, 28, 28), 10)
    dws = [n for n in mob if n.op == "conv" and n.groups > 1]
    assert [n.in_shape[0] for n in dws] == [8, 16] and all(n.act == "relu6" for n in dws)


def test_family_choice_is_proposed_only_when_given() -> None:
    quick = load_space("quick").config
    assert "family" not in quick.model.choices()
    assert "family" not in quick.canonical()["model"]
    tiny = load_space("tiny").config
    assert tiny.model.choices()["family"] == ["plain", "resnet", "mobilenet"]
    data = tiny.model_dump(mode="json")
    data["model"]["family"] = ["plain"]
    same = space_from_dict(data).config
    assert "family" not in same.model.choices()
