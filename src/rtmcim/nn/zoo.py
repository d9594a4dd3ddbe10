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
    # MLPerf Tiny image classification (Banbury et al. 2021, "MLPerf Tiny Benchmark";
    # github.com/mlcommons/tiny, benchmark/training/image_classification/keras_model.py):
    # ResNet-8 = 3x3 conv 16 + BN + ReLU, three residual stages of one basic block each
    # (16, 32, 64 channels, strides 1, 2, 2; 1x1 conv shortcuts where the shape changes),
    # global average pooling, fc. 28x28 inputs give 28 -> 14 -> 7 maps (32x32: 32 -> 8).
    "resnet8": {
        "name": "resnet8",
        "batchnorm": True,
        "conv": [
            {"channels": 16, "kernel": 3, "padding": 1},
            {"block": "residual", "channels": 16},
            {"block": "residual", "channels": 32, "stride": 2},
            {"block": "residual", "channels": 64, "stride": 2},
        ],
        "global_pool": "avg",
    },
    # ResNet-20 for CIFAR-10 (He et al. 2016, "Deep residual learning", section 4.2):
    # 3x3 conv 16, three stages of three basic blocks (16, 32, 64 channels, strides 1, 2, 2),
    # global average pooling, fc. Shortcuts: option B (1x1 conv where the shape changes)
    # instead of the paper's option A (zero padding), which has no integer-graph node.
    "resnet20": {
        "name": "resnet20",
        "batchnorm": True,
        "conv": [
            {"channels": 16, "kernel": 3, "padding": 1},
            {"block": "residual", "channels": 16, "depth": 3},
            {"block": "residual", "channels": 32, "depth": 3, "stride": 2},
            {"block": "residual", "channels": 64, "depth": 3, "stride": 2},
        ],
        "global_pool": "avg",
    },
    # MobileNetV1 with width multiplier 0.25 (Howard et al. 2017), the MLPerf Tiny visual
    # wake words model: 3x3 conv 8 (stride 2), 13 depthwise-separable blocks
    # 16/32/32/64/64/128/128x5/256/256 with ReLU6, global average pooling, fc.
    # Adapted to 28x28 inputs (VWW: 96x96): the first conv and the first stride-2 block
    # (32 channels) keep stride 1, so the map goes 28 -> 14 -> 7 -> 4 instead of vanishing.
    "mobilenet_v1_025": {
        "name": "mobilenet_v1_025",
        "batchnorm": True,
        "activation": "relu6",
        "conv": [
            {"channels": 8, "kernel": 3, "padding": 1},
            {"block": "separable", "channels": 16},
            {"block": "separable", "channels": 32},
            {"block": "separable", "channels": 32},
            {"block": "separable", "channels": 64, "stride": 2},
            {"block": "separable", "channels": 64},
            {"block": "separable", "channels": 128, "stride": 2},
            {"block": "separable", "channels": 128},
            {"block": "separable", "channels": 128},
            {"block": "separable", "channels": 128},
            {"block": "separable", "channels": 128},
            {"block": "separable", "channels": 128},
            {"block": "separable", "channels": 256, "stride": 2},
            {"block": "separable", "channels": 256},
        ],
        "global_pool": "avg",
    },
    # DS-CNN small (Zhang et al. 2017, "Hello Edge: keyword spotting on microcontrollers";
    # MLPerf Tiny keyword spotting): conv 64 (10x4, stride 2) then four depthwise-separable
    # blocks of 64 channels (3x3), average pooling, fc. Adapted to images (KWS: 49x10 MFCC):
    # the first conv is a square 3x3 with padding 1 (a 10x4 kernel suits time x frequency,
    # not pixels), stride 2 kept (28 -> 14), and the average pool is global.
    "ds_cnn_s": {
        "name": "ds_cnn_s",
        "batchnorm": True,
        "conv": [
            {"channels": 64, "kernel": 3, "stride": 2, "padding": 1},
            {"block": "separable", "channels": 64},
            {"block": "separable", "channels": 64},
            {"block": "separable", "channels": 64},
            {"block": "separable", "channels": 64},
        ],
        "global_pool": "avg",
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
