"""Layer ``mapping``: placing an integer graph on a racetrack accelerator and costing each layer."""

from rtmcim.mapping.arch import (
    Arch,
    ArchConfig,
    arch_from_dict,
    arch_names,
    build_arch,
    load_arch,
)
from rtmcim.mapping.layer_cost import Evaluation, LayerCost, evaluate_workload
from rtmcim.mapping.place import Placement, place
from rtmcim.mapping.workload import ComputeWork, PoolWork, Workload

__all__ = [
    "Arch",
    "ArchConfig",
    "ComputeWork",
    "Evaluation",
    "LayerCost",
    "Placement",
    "PoolWork",
    "Workload",
    "arch_from_dict",
    "arch_names",
    "build_arch",
    "evaluate_workload",
    "load_arch",
    "place",
]
