"""Layer ``explore``: search space, objectives, the outer model search and the hardware sweep."""

from rtmcim.explore.pareto import dominates, pareto_mask
from rtmcim.explore.space import OBJECTIVES, Space, SpaceConfig, load_space, space_from_dict

__all__ = [
    "OBJECTIVES",
    "Space",
    "SpaceConfig",
    "dominates",
    "load_space",
    "pareto_mask",
    "space_from_dict",
]
