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
from rtmcim.explore.fidelity import FidelityConfig, RankAgreement, rank_agreement
from rtmcim.explore.fidelity import describe as describe_fidelity
from rtmcim.explore.objectives import (
    CORE_OBJECTIVES,
    METRICS,
    OBJECTIVES,
    Objective,
    best,
    maximize_flags,
)
from rtmcim.explore.pareto import HEADLINE, dominates, headline, pareto_mask
from rtmcim.explore.promote import full_record, model_records, rounds
from rtmcim.explore.space import FaultsConfig, Space, SpaceConfig, load_space, space_from_dict

__all__ = [
    "CORE_OBJECTIVES",
    "CROSSOVER_ASSUMPTIONS",
    "DEFAULT_CAPACITIES_KIB",
    "DESIGNS",
    "HEADLINE",
    "METRICS",
    "OBJECTIVES",
    "CrossoverPoint",
    "FaultsConfig",
    "FidelityConfig",
    "Objective",
    "RankAgreement",
    "Space",
    "SpaceConfig",
    "best",
    "crossover_study",
    "default_workloads",
    "describe_fidelity",
    "dominates",
    "full_record",
    "headline",
    "load_space",
    "maximize_flags",
    "model_records",
    "pareto_mask",
    "rank_agreement",
    "rounds",
    "space_from_dict",
    "verdict",
    "winners",
]
