"""Layer ``explore``: search space, objectives, the outer model search and the hardware sweep.

What the report reads of a study comes from here (the package), not from its
modules: the space's schema, the objectives and the Pareto sets.
"""

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
    "METRICS",
    "OBJECTIVES",
    "FaultsConfig",
    "Objective",
    "Space",
    "SpaceConfig",
    "best",
    "dominates",
    "load_space",
    "maximize_flags",
    "pareto_mask",
    "space_from_dict",
]
