"""Area, latency, energy and leakage of a whole array: the public figures.

:func:`array_figures` assembles a subarray (:mod:`.subarray`, with the
racetrack extras of :mod:`.racetrack`), the bank's row predecoders and the
chip's H-tree (:mod:`.floorplan`) into one :class:`ArrayFigures`. It is pure
and cached per (organisation, technology).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass

from rtmcim.errors import ConfigError
from rtmcim.memory.circuit import cells
from rtmcim.memory.circuit.devices import Devices, devices
from rtmcim.memory.circuit.floorplan import arrange, htree, predecoders, with_predecoders
from rtmcim.memory.circuit.paths import ZERO, PathBuilder, PathCost
from rtmcim.memory.circuit.racetrack import local_paths, rtm_spec, shift_path, with_shift_control
from rtmcim.memory.circuit.sram import SramOrganization, sram_spec
from rtmcim.memory.circuit.subarray import Subarray, SubarraySpec, subarray
from rtmcim.memory.circuit.wires import Repeated, Wire, global_wire, local_wire, repeated
from rtmcim.memory.macro_unit import MuGeometry
from rtmcim.memory.organization import Organization
from rtmcim.memory.track import PortPolicy
from rtmcim.tech import Tech

UM2 = 1e-12


@dataclass(frozen=True)
class ArrayFigures:
    """Costs of one memory organisation under one technology.

    Paths: ``read``/``write`` move one word between the chip edge and a cell
    (H-tree, predecoder, subarray: what DESTINY reports); ``subarray_read``/
    ``subarray_write`` the same inside the bank (no H-tree);
    ``local_read``/``local_write`` one word at the ports of one macro unit by
    sense amplifiers and drivers beside it (no decoder, multiplexer or H-tree;
    for SRAM, a word of one subarray row without the column multiplexer);
    ``shift_step`` one macro unit moved by one domain (all its tracks; zero
    for SRAM). Areas in µm², leakage in mW.
    """

    kind: str  # "rtm" or "sram"
    word_bits: int
    capacity_bits: int
    read: PathCost
    write: PathCost
    subarray_read: PathCost
    subarray_write: PathCost
    local_read: PathCost
    local_write: PathCost
    shift_step: PathCost
    htree_mm: float  # root-to-leaf route
    htree_pj_per_bit_mm: float  # one bit along the route, per mm of route
    htree_ns_per_mm: float  # one-way delay along the route, per mm of route
    area_parts_um2: Mapping[str, float]
    chip_um2: float
    array_efficiency: float  # cells / chip
    leakage_parts_mw: Mapping[str, float]
    leakage_mw: float
    subarray_um2: float
    subarray_height_um: float
    subarray_width_um: float
    bank_grid: tuple[int, int]  # subarrays per bank: rows x columns
    chip_grid: tuple[int, int]  # banks: rows x columns
    chip_height_um: float
    chip_width_um: float
    wordlines_per_subarray: int

    @property
    def chip_mm2(self) -> float:
        return self.chip_um2 / 1e6

    def __hash__(self) -> int:
        return hash((self.kind, self.chip_um2, self.read.energy_pj, self.leakage_mw))


class _TechKey:
    """A hashable stand-in for a :class:`Tech` (whose ``sources`` dicts are unhashable)."""

    __slots__ = ("_hash", "_json", "tech")

    def __init__(self, tech: Tech) -> None:
        self.tech = tech
        self._json = tech.model_dump_json()
        self._hash = hash(self._json)

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _TechKey) and other._json == self._json


_KEYS: dict[int, _TechKey] = {}


def _key(tech: Tech) -> _TechKey:
    k = _KEYS.get(id(tech))
    if k is None or k.tech is not tech:
        if len(_KEYS) > 64:
            _KEYS.clear()
        k = _KEYS[id(tech)] = _TechKey(tech)
    return k


def array_figures(org: Organization | SramOrganization, tech: Tech) -> ArrayFigures:
    """The figures of ``org`` under ``tech`` (a ``level: circuit`` preset); cached."""
    if isinstance(org, SramOrganization):
        return _cached(org, _key(tech), None)
    if isinstance(org, Organization):
        return _cached(org, _key(tech), None)
    raise ConfigError(
        "not a memory organisation",
        value=type(org).__name__,
        allowed="rtmcim.memory.Organization or rtmcim.memory.circuit.SramOrganization",
    )


def rtm_array_figures(
    org: Organization, tech: Tech, *, access_rows_per_mu: int | None = None
) -> ArrayFigures:
    """:func:`array_figures` of a racetrack organisation with a chosen number of access rows per MU.

    ``None`` (the default and :func:`array_figures`): one per port, the
    racetrack's own structure. ``org.mu.domains`` reproduces DESTINY v2's
    assumption of an access device and wordline on every domain row.
    """
    return _cached(org, _key(tech), access_rows_per_mu)


@functools.lru_cache(maxsize=4096)
def _cached(
    org: Organization | SramOrganization, key: _TechKey, access_rows_per_mu: int | None
) -> ArrayFigures:
    tech = key.tech
    _node(key)  # a preset without the circuit sections fails here, with a ConfigError
    if isinstance(org, SramOrganization):
        spec = sram_spec(org, tech)
    else:
        spec = rtm_spec(org, _footprint(org.mu, org.port_policy, key), tech, access_rows_per_mu)
    return _assemble(org, spec, key, org.banks, org.subarrays_per_bank, org.words)


@functools.lru_cache(maxsize=64)
def _node(key: _TechKey) -> tuple[Devices, Wire, Wire, Repeated | None]:
    """Per-technology constants: devices, local and global wires, repeated global wire."""
    tech = key.tech
    d = devices(tech)
    gw = global_wire(tech)
    ic = tech.interconnect
    assert ic is not None
    return d, local_wire(tech), gw, repeated(gw, d) if ic.global_repeated else None


@functools.lru_cache(maxsize=256)
def _footprint(g: MuGeometry, policy: PortPolicy, key: _TechKey) -> cells.MuFootprint:
    return cells.mu_footprint(g, key.tech, policy)


@functools.lru_cache(maxsize=256)
def _local(g: MuGeometry, policy: PortPolicy, key: _TechKey) -> tuple[PathCost, PathCost]:
    d, local, _, _ = _node(key)
    lr, lw = local_paths(g, _footprint(g, policy, key), key.tech, d, local)
    return lr.freeze(), lw.freeze()


def _subarray(
    org: Organization | SramOrganization, spec: SubarraySpec, key: _TechKey
) -> tuple[Subarray, PathCost, PathCost, PathBuilder]:
    tech = key.tech
    d, local, _, _ = _node(key)
    # decoder inputs are taken as steps: the predecoder's output slope changes the row
    # decoder's delay by a few picoseconds, not worth a second pass over the subarray
    sub = subarray(spec, tech, d, local, math.inf)
    if isinstance(org, Organization):
        fp = _footprint(org.mu, org.port_policy, key)
        sh = shift_path(org, fp, tech, d, local)
        sub = with_shift_control(sub, sh, spec.array_height_m)
        lr, lw = _local(org.mu, org.port_policy, key)
        return sub, lr, lw, sh.path
    return sub, sub.local_read.freeze(), sub.local_write.freeze(), PathBuilder()


def _assemble(
    org: Organization | SramOrganization,
    spec: SubarraySpec,
    key: _TechKey,
    banks: int,
    per_bank: int,
    words: int,
) -> ArrayFigures:
    d, _, gw, rep = _node(key)
    sub, lr, lw, sh = _subarray(org, spec, key)
    abits, dbits = max(0, math.ceil(math.log2(words))), spec.word_bits
    arr = arrange(sub.height_m, sub.width_m, per_bank, banks, 0.0, abits, dbits)
    pre = predecoders(
        d,
        sub.row_bits,
        spec.wordlines,
        sub.row_nand_c_farad,
        arr.bank_height_m,
        arr.bank_width_m,
        gw,
        math.inf,
    )
    arr = with_predecoders(arr, sub.height_m, sub.width_m, pre.area_m2)
    tree = htree(arr, sub.height_m, sub.width_m, abits, dbits, gw, rep, d)
    n_sub = banks * per_bank

    sub_read = PathBuilder().t("predecoder", pre.delay_s).e("predecoder", pre.energy_j)
    sub_read.add(sub.read)
    sub_write = PathBuilder().t("predecoder", pre.delay_s).e("predecoder", pre.energy_j)
    sub_write.add(sub.write)
    read = PathBuilder().t("htree", tree.read_s).e("htree", tree.energy_j).add(sub_read)
    write = PathBuilder().t("htree", tree.write_s).e("htree", tree.energy_j).add(sub_write)

    area = {k: v * n_sub / UM2 for k, v in sub.area_m2.items()}
    area["decoder"] = area.get("decoder", 0.0) + banks * pre.area_m2 / UM2
    area["htree"] = tree.area_m2 / UM2
    chip_um2 = arr.chip_height_m * arr.chip_width_m / UM2 + area["htree"]
    area["other"] = max(0.0, chip_um2 - sum(area.values()))
    leak = {k: v * n_sub * 1e3 for k, v in sub.leakage_w.items()}
    leak["decoder"] = leak.get("decoder", 0.0) + banks * pre.leakage_w * 1e3
    leak["htree"] = tree.leakage_w * 1e3
    route_mm = tree.route_m * 1e3
    return ArrayFigures(
        kind=spec.kind,
        word_bits=spec.word_bits,
        capacity_bits=org.capacity_bits,
        read=read.freeze(),
        write=write.freeze(),
        subarray_read=sub_read.freeze(),
        subarray_write=sub_write.freeze(),
        local_read=lr,
        local_write=lw,
        shift_step=sh.freeze() if sh.energy_j else ZERO,
        htree_mm=route_mm,
        htree_pj_per_bit_mm=tree.energy_per_bit_j * 1e12 / route_mm if route_mm else 0.0,
        htree_ns_per_mm=tree.write_s * 1e9 / route_mm if route_mm else 0.0,
        area_parts_um2={k: v for k, v in area.items() if v},
        chip_um2=chip_um2,
        array_efficiency=area["cells"] / chip_um2,
        leakage_parts_mw={k: v for k, v in leak.items() if v},
        leakage_mw=sum(leak.values()),
        subarray_um2=sub.height_m * sub.width_m / UM2,
        subarray_height_um=sub.height_m * 1e6,
        subarray_width_um=sub.width_m * 1e6,
        bank_grid=arr.bank_grid,
        chip_grid=arr.chip_grid,
        chip_height_um=arr.chip_height_m * 1e6,
        chip_width_um=arr.chip_width_m * 1e6,
        wordlines_per_subarray=spec.wordlines,
    )
