"""The model zoo: named specs, and resolving "a zoo name or a spec file" to a NetSpec.

Every zoo model accepts any input of at least 28x28 pixels with any number of
channels (the data loader upscales smaller images), and any number of classes:
the first layer takes its input channels from the data set and the classifier
its width.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rtmcim.errors import unknown
from rtmcim.nn.spec import NetSpec, load_spec, parse_spec

ZOO: dict[str, dict[str, Any]] = {
    # LeNet-5 (LeCun et al. 1998) in its common modern form: the 5x5 first conv is
    # padded by 2 so that 28x28 inputs give the classic 28->14->10->5 geometry, ReLU
    # instead of tanh and max pooling instead of subsampling (quantizes better).
    "lenet5": {
        "name": "lenet5",
        "conv": [
            {"channels": 6, "kernel": 5, "padding": 2, "pool": "max"},
            {"channels": 16, "kernel": 5, "pool": "max"},
        ],
        "fc": [120, 84],
    },
    # A small VGG-style net: stacks of 3x3 convs with BN, channels doubling after
    # each 2x2 max pool (Simonyan and Zisserman 2015, scaled down for 28x28/32x32).
    "vgg_small": {
        "name": "vgg_small",
        "batchnorm": True,
        "conv": [
            {"channels": 16, "kernel": 3, "padding": 1},
            {"channels": 16, "kernel": 3, "padding": 1, "pool": "max"},
            {"channels": 32, "kernel": 3, "padding": 1},
            {"channels": 32, "kernel": 3, "padding": 1, "pool": "max"},
            {"channels": 64, "kernel": 3, "padding": 1, "pool": "max"},
        ],
        "fc": [128],
    },
    # A tiny parametric CNN, the default starting point of a model search.
    "cnn_small": {
        "name": "cnn_small",
        "conv": [
            {"channels": 8, "kernel": 3, "padding": 1, "pool": "max"},
            {"channels": 16, "kernel": 3, "padding": 1, "pool": "max"},
        ],
        "fc": [64],
    },
}


def zoo_names() -> list[str]:
    return sorted(ZOO)


def zoo_spec(name: str) -> NetSpec:
    if name not in ZOO:
        raise unknown("model", name, zoo_names(), key="model")
    return parse_spec(ZOO[name], f"zoo:{name}")


def resolve_spec(model: str | Path | dict[str, Any] | NetSpec) -> NetSpec:
    """A NetSpec, plain data, a zoo name, or a path to a YAML spec file."""
    if isinstance(model, NetSpec):
        return model
    if isinstance(model, dict):
        return parse_spec(model)
    text = str(model)
    if text in ZOO:
        return zoo_spec(text)
    if text.endswith((".yaml", ".yml")) or Path(text).is_file():
        return load_spec(text)
    raise unknown("model", text, zoo_names(), key="model", alternative="a spec .yaml file")
