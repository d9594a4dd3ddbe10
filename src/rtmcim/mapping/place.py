"""Weight-stationary placement of a workload on the PEs, and the capacity check.

Each compute layer's filters are dealt to PEs: with ``O >= P`` filters PE
``p`` owns filters ``p, p + P, ...`` and works through them in
``ceil(O / P)`` rounds; with ``O < P`` each filter is copied to
``P // O`` PEs that split the output positions (the copies cost capacity).

Inside a PE's MUs a filter is a run of consecutive *words* (``tracks`` bits at
one domain) in the order they are consumed, and filters follow each other
layer by layer, so the next weight is one shift step away (DESIGN.md 1.3).
How many weights a word holds depends on the word layout:

``bit_parallel``
    a weight's bits lie across ``wbits`` tracks; a word holds
    ``tracks // wbits`` weights.
``bit_serial``
    a weight's bits lie along one track, ``wbits`` consecutive domains; the
    ``tracks`` tracks hold ``tracks`` weights side by side, so a filter of
    ``K`` weights is ``ceil(K / tracks) * wbits`` words.

The word index inside a PE maps to (MU, domain); within an MU, words fill the
port segments in order. The data layout decides the order inside a segment:
``sequential`` always runs from the segment's start (so the track rewinds at
every segment change and after every pass), ``snake`` runs odd segments
backwards and alternate passes in reverse (back and forth, no rewinds).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from rtmcim.errors import CapacityError, ConfigError
from rtmcim.mapping.arch import Arch
from rtmcim.mapping.workload import ComputeWork, Workload


@dataclass(frozen=True, slots=True)
class LayerPlacement:
    """Where one compute layer lives and how its work is split."""

    layer: str
    words_per_filter: int
    weights_per_word: float
    active_pes: int
    copies: int  # PEs per filter (> 1 when filters are fewer than PEs)
    rounds: int  # filters a busiest PE works through
    positions_per_pe: int  # output positions a busiest PE computes per filter
    first_word: int  # word index (inside every PE) where this layer's filters start

    @property
    def words_per_pe(self) -> int:
        return self.rounds * self.words_per_filter


@dataclass(frozen=True, slots=True)
class Placement:
    layers: tuple[LayerPlacement, ...]
    weight_words_per_pe: int  # used, busiest PE
    weight_words_capacity: int  # per PE
    activation_bits: int  # largest layer's input + output
    activation_capacity_bits: int

    def of(self, name: str) -> LayerPlacement:
        for lp in self.layers:
            if lp.layer == name:
                return lp
        raise KeyError(name)


def words_per_filter(lw: ComputeWork, arch: Arch) -> tuple[int, float]:
    """(words one filter occupies, weights per word) under the arch's word layout."""
    tracks = arch.org.mu.tracks
    if arch.compute.word_layout == "bit_parallel":
        if lw.wbits > tracks:
            raise ConfigError(
                "a bit-parallel word cannot hold one weight",
                key="memory.mu.tracks",
                value=tracks,
                allowed=f">= wbits = {lw.wbits} of layer {lw.name}, or word_layout: bit_serial",
            )
        per = tracks // lw.wbits
        return math.ceil(lw.reduction / per), float(per)
    words = math.ceil(lw.reduction / tracks) * lw.wbits
    return words, lw.reduction / words


def layer_placements(work: Workload, arch: Arch) -> tuple[tuple[LayerPlacement, ...], int]:
    """Every compute layer's placement and the weight words a PE needs (no capacity check).

    Depends only on the PE count, ``tracks`` and the word layout (sweeps cache it by those).
    """
    p_total = arch.pes
    layers: list[LayerPlacement] = []
    word = 0
    for lw in work.compute_layers:
        wpf, per_word = words_per_filter(lw, arch)
        if lw.out_channels >= p_total:
            copies, active = 1, p_total
            rounds = math.ceil(lw.out_channels / p_total)
            positions = lw.positions
        else:
            copies = p_total // lw.out_channels
            active = copies * lw.out_channels
            rounds = 1
            positions = math.ceil(lw.positions / copies)
        layers.append(
            LayerPlacement(lw.name, wpf, per_word, active, copies, rounds, positions, word)
        )
        word += rounds * wpf
    return tuple(layers), word


def check_capacity(
    work: Workload, arch: Arch, layers: tuple[LayerPlacement, ...], words: int
) -> Placement:
    """The placement if weights and activations fit, else :class:`CapacityError` saying by how much."""
    cap = arch.weight_words_per_pe
    if words > cap:
        worst = max(layers, key=lambda lp: lp.words_per_pe)
        raise CapacityError(
            f"weights need {words} words per PE but a PE holds {cap} "
            f"({words - cap} words = {(words - cap) * arch.org.mu.tracks} bits short per PE; "
            f"largest layer {worst.layer}: {worst.words_per_pe} words)",
            key="memory",
            hint="add MUs, banks or subarrays, lower compute.activation_fraction, or use fewer weight bits",
        )
    act = work.max_activation_bits
    if act > arch.activation_bits:
        raise CapacityError(
            f"activations need {act} bits but the activation regions hold {arch.activation_bits} "
            f"({act - arch.activation_bits} bits short)",
            key="compute.activation_fraction",
            value=arch.compute.activation_fraction,
            hint="raise compute.activation_fraction or add memory",
        )
    return Placement(layers, words, cap, act, arch.activation_bits)


def place(work: Workload, arch: Arch) -> Placement:
    """Place every compute layer; raise :class:`CapacityError` if something does not fit."""
    return check_capacity(work, arch, *layer_placements(work, arch))


def word_locations(
    first: int, count: int, arch: Arch, reverse: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """(MU index inside the PE, domain) of ``count`` consecutive words from ``first``.

    ``reverse`` gives them in reverse order (a backward snake pass).
    """
    mu = arch.org.mu
    seg = mu.domains // mu.ports
    idx = np.arange(first, first + count, dtype=np.int64)
    if reverse:
        idx = idx[::-1]
    unit = idx // mu.domains
    d = idx % mu.domains
    if arch.compute.data_layout == "snake":
        s, off = d // seg, d % seg
        d = np.where(s % 2 == 1, s * seg + (seg - 1 - off), d)
    return unit, d
