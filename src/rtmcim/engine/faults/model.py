"""The fault model of one run: the weight source the bit-exact engine reads through.

It joins the weight streams (:mod:`.weights`), the activation region
(:mod:`.activations`) and the cells' own reads and writes (:mod:`.cells`)
under one :class:`FaultConfig`, one :class:`Mitigation` and one seed.

Randomness comes from numpy generators keyed by ``(seed, salt, image, layer,
copy or round)`` (each fault kind has its own salt per site), so the same
seed gives the same faulty run, and an image's weight and activation faults
do not depend on how many images run or how they are batched.
"""

from __future__ import annotations

import numpy as np

from rtmcim.engine.faults.activations import ActivationFaults
from rtmcim.engine.faults.cells import cell_faults
from rtmcim.engine.faults.config import FaultConfig, FaultStats
from rtmcim.engine.faults.injectors import Injectors
from rtmcim.engine.faults.kinds import Site
from rtmcim.engine.faults.mitigations import Mitigation
from rtmcim.engine.faults.overhead import MitigationOverhead, OverheadInputs
from rtmcim.engine.faults.weights import WeightFaults
from rtmcim.mapping.arch import Arch
from rtmcim.mapping.workload import workload_from_graph
from rtmcim.nn.intgraph import AddLayer, ConvLayer, IntGraph, LinearLayer

# counters of the fault model itself: how many reads and writes the misalignments hit
EFFECT_COUNTERS = ("misaligned_reads", "act_misaligned_reads", "act_misaligned_writes")


def stats_for(config: FaultConfig, mitigation: Mitigation) -> FaultStats:
    """Zero counts of everything a run of this config and mitigation counts."""
    kinds = [name for kind in config.kinds for pair in kind.counters.values() for name in pair]
    return FaultStats(["images", *kinds, *EFFECT_COUNTERS, *mitigation.counters])


def add_signs(add: AddLayer) -> tuple[bool, bool, bool]:
    """Whether a residual add's operands ``a``, ``b`` and its output (clamped below 0) are signed."""
    return add.in_signed[0], add.in_signed[1], add.lo < 0


class FaultModel:
    """Faults and mitigation of one run of ``graph`` on ``arch``; a weight source for :func:`run_engine`."""

    def __init__(
        self,
        graph: IntGraph,
        arch: Arch,
        config: FaultConfig,
        mitigation: Mitigation | None = None,
        seed: int = 0,
    ) -> None:
        self.graph, self.arch, self.config = graph, arch, config
        self.mitigation = mitigation or Mitigation()
        self.effect = self.mitigation.effect
        self.seed = int(seed)
        self.stats = stats_for(config, self.mitigation)
        self.injectors = Injectors(config, self.seed, self.stats)
        self.work = workload_from_graph(graph)
        weights = {
            lay.name: lay.weight for lay in graph.layers if isinstance(lay, ConvLayer | LinearLayer)
        }
        self.weights = WeightFaults(self.work, weights, arch, self.injectors, self.effect)
        self.activations = ActivationFaults(
            self.work,
            arch.org.mu.tracks,
            self.weights.layer_index,
            self.injectors,
            self.effect.check_interval,
            {a.name: add_signs(a) for a in graph.layers if isinstance(a, AddLayer)},
        )
        self.cell_hook = cell_faults(config, self.seed, self.stats)
        self.batch_images = self.weights.batch_images

    # -- WeightSource protocol ---------------------------------------------------------------

    def begin(self, images: np.ndarray) -> None:
        """A new batch of inferences: every track starts aligned. The cells' flips are drawn from
        a generator keyed by the batch's first image, so a batch's run does not depend on the
        batches before it (or on which process runs it)."""
        if self.cell_hook is not None and len(images):
            self.cell_hook.begin(int(images[0]))
        self.weights.begin(images)
        self.activations.begin(images)
        self.stats.add("images", len(images))

    def layer_weights(self, name: str, images: np.ndarray) -> np.ndarray | None:
        return self.weights.layer_weights(name, images)

    def round_filters(self, name: str) -> list[np.ndarray | None]:
        """Filters of each round of the layer: PE ``p`` owns filters ``p, p + P, ...``, so round
        ``r`` computes filters ``r*P .. r*P + P - 1`` (``[None]``: one round, or no faults that
        make the rounds' reads of the input differ)."""
        lp = self.weights.placement.of(name)
        o = self.weights.streams[name].out_channels
        if lp.rounds == 1 or not self.injectors.active(Site.INPUT_SHIFT, Site.INPUT_READ):
            return [None]
        pes = self.arch.pes
        return [np.arange(r * pes, min(o, (r + 1) * pes)) for r in range(lp.rounds)]

    def read_input(self, name: str, h: np.ndarray, images: np.ndarray, rnd: int) -> np.ndarray:
        return self.activations.read_input(name, h, images, rnd)

    def read_operand(self, name: str, h: np.ndarray, images: np.ndarray, k: int) -> np.ndarray:
        return self.activations.read_operand(name, h, images, k)

    def write_output(self, name: str, h: np.ndarray, images: np.ndarray) -> np.ndarray:
        return self.activations.write_output(name, h, images)

    # -- cost of the mitigation --------------------------------------------------------------

    def overhead(self) -> MitigationOverhead:
        """Extra events per inference the mitigation costs (corrections: averaged over the run)."""
        run = OverheadInputs(
            self.arch,
            self.work,
            self.weights.placement,
            self.weights.streams,
            self.stats,
            self.stats["images"],
        )
        return self.mitigation.overhead(run)
