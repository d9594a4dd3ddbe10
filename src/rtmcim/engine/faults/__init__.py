"""Racetrack faults injected where they happen, and the mitigations that fight them.

One module per concern:

* :mod:`.kinds` — the registry of fault kinds (``shift``, ``read``,
  ``write``): where each is injected, its counters and RNG salts;
* :mod:`.mitigations` — the registry of mitigations (``position_check``,
  ``tmr_msb``) and a run's choice of them; :mod:`.overhead` — what they cost;
* :mod:`.config` — a run's rates (:class:`FaultConfig`) and counts
  (:class:`FaultStats`);
* :mod:`.words` — the pure word maths of misaligned and flipped streams;
* :mod:`.weights`, :mod:`.activations`, :mod:`.cells` — the weight streams,
  the activation region and the compute cells under faults;
* :mod:`.model` — the fault model of one run (a weight source for the
  engine); :mod:`.drivers` — running inference under faults.

Accuracy-vs-rate sweeps are an experiment: :mod:`rtmcim.explore.fault_sweep`.
"""

from rtmcim.engine.faults.config import FaultConfig, FaultStats
from rtmcim.engine.faults.drivers import FaultyRun, accuracy_under_faults, run_with_faults
from rtmcim.engine.faults.kinds import (
    FAULT_KINDS,
    BitFlips,
    FaultKind,
    Injector,
    PositionErrors,
    Site,
)
from rtmcim.engine.faults.mitigations import MITIGATIONS, Effect, Mitigation, MitigationKind
from rtmcim.engine.faults.model import FaultModel
from rtmcim.engine.faults.overhead import MARKER_TRACKS, MitigationOverhead, OverheadInputs
from rtmcim.engine.faults.weights import LANE_WEIGHT_BUDGET, MAX_BATCH_IMAGES, batch_images_for
from rtmcim.engine.faults.words import misalignment, pack_words, words_read, words_written

__all__ = [
    "FAULT_KINDS",
    "LANE_WEIGHT_BUDGET",
    "MARKER_TRACKS",
    "MAX_BATCH_IMAGES",
    "MITIGATIONS",
    "BitFlips",
    "Effect",
    "FaultConfig",
    "FaultKind",
    "FaultModel",
    "FaultStats",
    "FaultyRun",
    "Injector",
    "Mitigation",
    "MitigationKind",
    "MitigationOverhead",
    "OverheadInputs",
    "PositionErrors",
    "Site",
    "accuracy_under_faults",
    "batch_images_for",
    "misalignment",
    "pack_words",
    "run_with_faults",
    "words_read",
    "words_written",
]
