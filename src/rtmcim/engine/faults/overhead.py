"""What mitigations cost: extra events per inference (a Tally) and extra weight storage.

Each mitigation's ``overhead(inputs, n)`` counts from the run's weight reads
(:mod:`rtmcim.mapping.weight_reads`), the mapping's activation words and what
the run counted (its corrections); the tally is priced like any other.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from rtmcim.mapping.arch import Arch
from rtmcim.mapping.layer_cost import add_words, following_pool, input_words, write_back_words
from rtmcim.mapping.place import Placement
from rtmcim.mapping.weight_reads import WeightReads
from rtmcim.mapping.workload import AddWork, ComputeWork, Workload
from rtmcim.tally import Tally

if TYPE_CHECKING:
    from rtmcim.engine.faults.config import FaultStats

MARKER_TRACKS = 2  # position mod 4 needs two bits per domain
COMPARE_GATES = 4  # 2-bit compare and decode of the marker, 2-input gate equivalents


@dataclass(frozen=True)
class MitigationOverhead:
    """Extra events per inference and extra weight storage (fraction of the weight bits)."""

    name: str
    tally: Tally
    storage_fraction: float


@dataclass(frozen=True)
class OverheadInputs:
    """What a run read, wrote and shifted, and what it counted (over ``images`` inferences)."""

    arch: Arch
    work: Workload
    placement: Placement
    streams: Mapping[str, WeightReads]
    stats: FaultStats
    images: int


def position_check_overhead(run: OverheadInputs, interval: int) -> tuple[Tally, float]:
    """Marker reads and compares every ``interval`` accesses, marker tracks riding every shift,
    and the corrections the run made (averaged over its inferences)."""
    arch, tracks, pes = run.arch, run.arch.org.mu.tracks, run.arch.pes
    t = Tally()
    for s in run.streams.values():
        checks_mu = np.ceil(s.stream_len / interval).astype(np.int64)
        checks_pe = np.bincount(s.stream_mu // arch.mus_per_pe, weights=checks_mu, minlength=pes)
        checks, busiest = int(checks_mu.sum()), int(checks_pe.max())
        # weight markers sit in the PE's own MUs: read on the local path, like the weights
        t = t + Tally(
            cell_bit_reads=checks * MARKER_TRACKS,
            cmos_gate_ops=checks * COMPARE_GATES,
            shift_steps=int(s.steps.sum()) * MARKER_TRACKS,
            cell_read_cycles=busiest,
            cmos_cycles=busiest,
        )
    images = max(run.images, 1)
    corrections = run.stats["correction_steps"] + run.stats["act_correction_steps"]
    t = t + Tally(
        shift_steps=corrections / images * (tracks + MARKER_TRACKS),
        shift_cycles=run.stats["corrections_busiest_pe"] / images,
    )
    return _with_activation_markers(t, run, interval), MARKER_TRACKS / tracks


def _with_activation_markers(t: Tally, run: OverheadInputs, interval: int) -> Tally:
    """``t`` plus the markers of the activation streams (off the busiest chain): every round of
    reads of a layer's input and its write-back; a residual add's reads of its two operands
    and its write-back (the streams the mapping's add tally reads and writes)."""
    tracks = run.arch.org.mu.tracks
    for i, lw in enumerate(run.work.layers):
        if isinstance(lw, ComputeWork):
            words = input_words(lw, tracks)
            rounds = run.placement.of(lw.name).rounds
            streams = [words] * rounds + [write_back_words(lw, following_pool(run.work, i), tracks)]
        elif isinstance(lw, AddWork):
            streams = list(add_words(lw, tracks))
        else:
            continue
        checks = sum(-(-n // interval) for n in streams)
        t = t + Tally(
            bit_reads=checks * MARKER_TRACKS,
            cmos_gate_ops=checks * COMPARE_GATES,
            shift_steps=sum(streams) * MARKER_TRACKS,
        )
    return t


def tmr_overhead(run: OverheadInputs, bits: int) -> tuple[Tally, float]:
    """Two replica reads and a majority per protected bit read; the replica tracks ride along
    every shift; storage: two copies of ``bits`` of every weight's bits."""
    t = Tally()
    storage = 0.0
    for s in run.streams.values():
        reads_pe = np.bincount(s.pe, minlength=run.arch.pes)
        msb_tracks = ((s.slot_b >= s.wbits - bits) & (s.slot_b >= 0)).sum(axis=1)
        protected = int(msb_tracks[s.jword].sum())  # protected bits read
        replica_tracks = 2 * float(msb_tracks.mean())  # per MU, riding along
        t = t + Tally(
            cell_bit_reads=2 * protected,  # the replicas ride in the weight MUs: local path
            lim_evals=protected,
            shift_steps=int(s.steps.sum()) * replica_tracks,
            lim_cycles=int(reads_pe.max()),
        )
        storage = max(storage, 2 * bits / s.wbits)
    return t, storage
