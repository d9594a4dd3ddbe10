"""Organisation search: DESTINY-style exploration of banks, subarrays and their size.

For a capacity and a word width, every organisation of powers of two is
evaluated (racetrack: MU rows and columns of a subarray, i.e. its row count
and its column multiplexer, subarrays per bank, banks; SRAM: rows, columns,
subarrays per bank, banks) and the best ``top`` are returned, ranked by the
target. Designs whose chip is more than ten times longer than wide are left
out, as DESTINY leaves them out (``CONSTRAINT_ASPECT_RATIO_BANK``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from rtmcim.errors import ConfigError
from rtmcim.memory.circuit.figures import ArrayFigures, array_figures
from rtmcim.memory.circuit.sram import SramOrganization
from rtmcim.memory.macro_unit import MuGeometry
from rtmcim.memory.organization import Organization
from rtmcim.tech import Tech

Target = Literal["read-latency", "read-energy", "read-edp", "area", "leakage"]

TARGETS: dict[str, Callable[[ArrayFigures], float]] = {
    "read-latency": lambda f: f.read.latency_ns,
    "read-energy": lambda f: f.read.energy_pj,
    "read-edp": lambda f: f.read.latency_ns * f.read.energy_pj,
    "area": lambda f: f.chip_um2,
    "leakage": lambda f: f.leakage_mw,
}

MAX_ASPECT = 10.0
MAX_MU_ROWS = 64  # racetrack subarray rows = MU rows x domains
MAX_MU_COLS = 64  # column multiplexer
MAX_BANKS = 1024  # Organization's limit
SRAM_ROWS = tuple(1 << k for k in range(4, 12))  # 16 .. 2048
SRAM_MUX = tuple(1 << k for k in range(0, 7))  # 1 .. 64
SUBARRAYS_PER_BANK = tuple(1 << k for k in range(0, 7))  # 1 .. 64


def _powers(limit: int) -> list[int]:
    out, p = [], 1
    while p <= limit:
        out.append(p)
        p *= 2
    return out


def _rtm_candidates(capacity_bits: int, mu: MuGeometry) -> list[Organization]:
    if capacity_bits % mu.capacity_bits:
        return []
    mus = capacity_bits // mu.capacity_bits
    out = []
    for rows in _powers(MAX_MU_ROWS):
        for cols in _powers(MAX_MU_COLS):
            for spb in SUBARRAYS_PER_BANK:
                per_bank = rows * cols * spb
                if mus % per_bank:
                    continue
                banks = mus // per_bank
                if 1 <= banks <= MAX_BANKS:
                    out.append(
                        Organization(
                            banks=banks, subarrays_per_bank=spb, mu_rows=rows, mu_cols=cols, mu=mu
                        )
                    )
    return out


def _sram_candidates(capacity_bits: int, word_bits: int) -> list[SramOrganization]:
    out = []
    for rows in SRAM_ROWS:
        for mux in SRAM_MUX:
            cols = word_bits * mux
            for spb in SUBARRAYS_PER_BANK:
                per_bank = rows * cols * spb
                if capacity_bits % per_bank:
                    continue
                banks = capacity_bits // per_bank
                if banks <= MAX_BANKS and banks & (banks - 1) == 0:
                    out.append(SramOrganization(banks, spb, rows, cols, word_bits))
    return out


def optimize_organization(
    capacity_bits: int,
    word_bits: int,
    tech: Tech,
    target: str,
    *,
    cell: Literal["rtm", "sram"] = "rtm",
    mu: MuGeometry | None = None,
    top: int = 5,
) -> list[tuple[Organization | SramOrganization, ArrayFigures]]:
    """The ``top`` organisations of ``capacity_bits`` with ``word_bits``-bit words, best first.

    ``target`` is one of :data:`TARGETS`. For racetrack (``cell="rtm"``) a word
    is the ``tracks`` bits of one macro unit: ``mu`` defaults to
    PARAMETERS.md's macro unit with ``tracks = word_bits``, and a given ``mu``
    must have ``tracks == word_bits``. Raises ConfigError for an unknown
    target or cell, or a capacity no organisation can hold.
    """
    if target not in TARGETS:
        raise ConfigError(
            "unknown optimisation target", key="target", value=target, allowed=", ".join(TARGETS)
        )
    if top < 1:
        raise ConfigError("must be at least 1", key="top", value=top, allowed="1, 2, ...")
    cands: list[Organization] | list[SramOrganization]
    if cell == "rtm":
        geom = mu if mu is not None else MuGeometry(tracks=word_bits)
        if geom.tracks != word_bits:
            raise ConfigError(
                f"a racetrack word is one MU's tracks; mu.tracks={geom.tracks}",
                key="word_bits",
                value=word_bits,
                allowed=f"word_bits == mu.tracks = {geom.tracks}",
            )
        cands = _rtm_candidates(capacity_bits, geom)
        unit = f"a multiple of one MU ({geom.capacity_bits} bits) that fits 1-{MAX_BANKS} banks"
    elif cell == "sram":
        cands = _sram_candidates(capacity_bits, word_bits)
        unit = f"rows x columns x subarrays x banks in powers of two, up to {MAX_BANKS} banks"
    else:
        raise ConfigError("unknown cell", key="cell", value=cell, allowed="rtm, sram")
    if not cands:
        raise ConfigError(
            "no organisation holds this capacity",
            key="capacity_bits",
            value=capacity_bits,
            allowed=unit,
        )
    metric = TARGETS[target]
    scored = []
    for org in cands:
        f = array_figures(org, tech)
        aspect = f.chip_height_um / f.chip_width_um
        if max(aspect, 1 / aspect) > MAX_ASPECT:
            continue
        scored.append((metric(f), f.chip_um2, org, f))
    scored.sort(key=lambda s: (s[0], s[1]))
    return [(org, f) for _, _, org, f in scored[:top]]
