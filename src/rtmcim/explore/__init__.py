"""Layer ``explore``: search space, objectives, the outer model search and the hardware sweep.

What the report reads of a study comes from here (the package), not from its
modules: the space's schema, the objectives, the Pareto sets and the crossover
study.
"""

from rtmcim.explore.crossover import (
    ASSUMPTIONS as CROSSOVER_ASSUMPTIONS,
)
from rtmcim.explore.crossover import (
    DEFAULT_CAPACITIES_KIB,
    DESIGNS,
    CrossoverPoint,
    crossover_study,
    default_workloads,
    verdict,
    winners,
)
from rtmcim.explore.objectives import (
    CORE_OBJECTIVES,
    METRICS,
    OBJECTIVES,
    Objective,
    best,
    maximize_flags,
)
from rtmcim.explore.pareto import dominates, pareto_mask
from rtmcim.explore.space import FaultsConfig, Space, SpaceConfig, load_space, space_from_dict

__all__ = [
    "CORE_OBJECTIVES",
    "CROSSOVER_ASSUMPTIONS",
    "DEFAULT_CAPACITIES_KIB",
    "DESIGNS",
    "METRICS",
    "OBJECTIVES",
    "CrossoverPoint",
    "FaultsConfig",
    "Objective",
    "Space",
    "SpaceConfig",
    "best",
    "crossover_study",
    "default_workloads",
    "dominates",
    "load_space",
    "maximize_flags",
    "pareto_mask",
    "space_from_dict",
    "verdict",
    "winners",
]
