"""Many hardware points for one workload, fast: the cost model of :mod:`layer_cost`, shared out.

A hardware sweep (DESIGN.md 1.5) changes a few arch keys at a time, and each
part of a layer's tally depends on only some of them:

==========================  ===================================================
part                        depends on
==========================  ===================================================
placement                   PEs, ``tracks``, word layout
stream tally                placement, banks (its bus bits x the route length)
weight-stream shift steps   placement, domains, ports, port and update policy,
                            data layout
MAC-cell tally              placement, multiplier, adder
leakage and area            organisation; one PE: multiplier, adder
==========================  ===================================================

:func:`evaluate_points` computes each part once per distinct key, with the
same functions :func:`~rtmcim.mapping.layer_cost.evaluate_workload` uses, and
solves the weight-stream shift counts of all distinct geometries in one set of
arrays (:func:`~rtmcim.mapping.stream.workload_stream_steps_many`), and
prices all points at once (:func:`rtmcim.tech.price.price_arrays` of each
organisation's price table: one matrix product for energy by class, one for
latency). Its figures equal
``evaluate_workload``'s point by point (tests hold them equal); a point that
does not fit, or whose cell cannot run the bits, gets the error
``evaluate_workload`` would raise, as text.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from rtmcim.errors import RtmcimError
from rtmcim.mapping.arch import Arch
from rtmcim.mapping.area import accelerator_area_um2, accelerator_leakage_mw, unit_figures
from rtmcim.mapping.layer_cost import (
    check_widths,
    compute_tally,
    dot_product_tally,
    following_pool,
    periphery_tally,
    stream_tally,
    weight_shift_fields,
)
from rtmcim.mapping.place import Placement, check_capacity, layer_placements
from rtmcim.mapping.stream import pe_outputs, workload_stream_steps_many
from rtmcim.mapping.workload import ComputeWork, Workload
from rtmcim.memory.costs import AreaBreakdown, area_breakdown, htree_mm, leakage_mw
from rtmcim.memory.organization import Organization
from rtmcim.tally import CYCLE_FIELDS, EVENT_FIELDS, Tally
from rtmcim.tech import ENERGY_CLASSES, Prices, Tech
from rtmcim.tech.price import price_arrays

FIELDS = EVENT_FIELDS + CYCLE_FIELDS
_LEAK = ENERGY_CLASSES.index("leakage")
_BUS = FIELDS.index("bus_bit_mm")


def tally_vector(t: Tally) -> np.ndarray:
    """A tally's values in the order ``FIELDS`` (what :func:`price_arrays` prices)."""
    return np.array([getattr(t, f) for f in FIELDS], dtype=float)


@dataclass(frozen=True)
class PointCosts:
    """Figures of each point, arrays over the points (NaN where a point does not map)."""

    error: list[str]  # '' for a point that maps, else "ErrorType: message"
    energy_by_class_pj: np.ndarray  # (points, ENERGY_CLASSES), incl. leakage
    latency_ns: np.ndarray
    area_um2: np.ndarray
    peak_power_mw: np.ndarray  # largest layer-average power
    utilization: np.ndarray  # MAC-weighted over the layers
    pes: np.ndarray
    bank_area_um2: np.ndarray
    array_efficiency: np.ndarray
    capacity_bits: np.ndarray
    macs: int

    @property
    def ok(self) -> np.ndarray:
        return np.array([not e for e in self.error], dtype=bool)

    @property
    def energy_pj(self) -> np.ndarray:
        return self.energy_by_class_pj.sum(axis=1)


class _Cache:
    """Per-call cache: key -> ``make(*args)``, or the error it raised (raised again), with a row
    number per key so that points can refer to a value by index."""

    def __init__(self) -> None:
        self.rows: dict[tuple[Any, ...], int] = {}
        self.values: list[Any] = []

    def row(self, key: tuple[Any, ...], make: Callable[..., Any], *args: Any) -> int:
        r = self.rows.get(key)
        if r is None:
            try:
                value = make(*args)
            except RtmcimError as exc:
                value = exc
            r = self.rows[key] = len(self.values)
            self.values.append(value)
        if isinstance(self.values[r], RtmcimError):
            raise self.values[r]
        return r

    def get(self, key: tuple[Any, ...], make: Callable[..., Any], *args: Any) -> Any:
        return self.values[self.row(key, make, *args)]


def _org_part(org: Organization, tech: Tech) -> tuple[float, AreaBreakdown, float]:
    """Route length (mm), area breakdown and leakage (mW) of a memory organisation."""
    return htree_mm(org, tech), area_breakdown(org, tech), leakage_mw(org, tech)


def _stream_part(
    work: Workload, arch: Arch, placement: Placement
) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """Stream tallies (layers, FIELDS; bus in bits), utilization and busiest PE of each layer."""
    rows, util, busiest = [], [], []
    for i, lw in enumerate(work.layers):
        if isinstance(lw, ComputeWork):
            ls = stream_tally(lw, placement.of(lw.name), arch, following_pool(work, i))
            rows.append(tally_vector(ls.tally))
            util.append(ls.utilization)
            busiest.append(ls.busiest)
        else:
            rows.append(tally_vector(periphery_tally(lw, arch)))
            util.append(1.0)
            busiest.append(-1)
    return np.array(rows), np.array(util), busiest


def _shift_rows(steps: list[np.ndarray], busiest: list[int], tracks: int) -> np.ndarray:
    """The weight stream's shift tallies of each layer, (layers, FIELDS), from per-PE steps."""
    compute = [i for i, b in enumerate(busiest) if b >= 0]
    total = np.array([int(s.sum()) for s in steps])
    at_busiest = np.array([int(s[busiest[i]]) for s, i in zip(steps, compute, strict=True)])
    rows = np.zeros((len(busiest), len(FIELDS)))
    for name, value in weight_shift_fields(total, at_busiest, tracks).items():
        rows[compute, FIELDS.index(name)] = value
    return rows


def _compute_part(work: Workload, arch: Arch, placement: Placement) -> np.ndarray:
    """The MAC cells' tallies of one point, (layers, FIELDS)."""
    rows = np.zeros((len(work.layers), len(FIELDS)))
    for i, lw in enumerate(work.layers):
        if isinstance(lw, ComputeWork):
            busiest = int(pe_outputs(placement.of(lw.name), lw, arch.pes).max())
            dot = dot_product_tally(lw, arch)
            rows[i] = tally_vector(compute_tally(dot, lw.output_count, busiest))
    return rows


def _stacked(values: list[Any], item: int | None = None) -> np.ndarray:
    """The arrays of a cache's values (or item ``item`` of each) stacked; errors as NaN rows."""
    arrays = [v if item is None else v[item] for v in values if not isinstance(v, RtmcimError)]
    if len(arrays) != len(values):  # keep row numbers: an error row is never referenced
        shape = arrays[0].shape
        arrays = [
            np.full(shape, np.nan)
            if isinstance(v, RtmcimError)
            else (v if item is None else v[item])
            for v in values
        ]
    return np.stack(arrays)


def evaluate_points(work: Workload, archs: Sequence[Arch]) -> PointCosts:
    """Evaluate ``work`` on every arch of ``archs`` (see the module docstring)."""
    n, n_layers = len(archs), len(work.layers)
    layouts, orgs, units_c, streams, macs_c = (_Cache() for _ in range(5))
    shift_rows: dict[tuple[Any, ...], int] = {}  # one weight-stream problem per distinct key
    problems: list[tuple[Workload, Placement, Arch]] = []
    busiest_of: list[list[int]] = []
    error = [""] * n
    idx = np.full((n, 3), -1, dtype=np.int64)  # rows of the stream, MAC and shift parts
    route = np.zeros(n)  # bus route length, mm
    leak = np.zeros(n)
    scalars = np.full((n, 5), np.nan)  # area, PEs, bank area, array efficiency, capacity
    by_prices: dict[int, list[int]] = {}  # points priced by one table (one per organisation)
    tables: dict[int, Prices] = {}
    for i, arch in enumerate(archs):
        org, comp, tech = arch.org, arch.compute, arch.tech
        mu, t_id = org.mu, id(tech)
        lkey = (arch.pes, mu.tracks, comp.word_layout)
        try:  # in evaluate_workload's order, so that a point fails with the same error
            layers, words = layouts.get(lkey, layer_placements, work, arch)
            placement = check_capacity(work, arch, layers, words)
            check_widths(work, arch)
            bus_len, ab, mem_mw = orgs.get((org, t_id), _org_part, org, tech)
            units = units_c.get((comp.multiplier, comp.adder, t_id), unit_figures, work, arch)
            leak[i] = accelerator_leakage_mw(work, arch, units, mem_mw)
            area = sum(accelerator_area_um2(work, arch, units, ab).values())
            skey = (*lkey, org.banks, comp.residual_add, comp.adder)
            s_row = streams.row(skey, _stream_part, work, arch, placement)
            c_row = macs_c.row(
                (*lkey, comp.multiplier, comp.adder), _compute_part, work, arch, placement
            )
        except RtmcimError as exc:
            error[i] = f"{type(exc).__name__}: {exc}"
            continue
        wkey = (*lkey, mu.domains, mu.ports, org.port_policy, org.update_policy, comp.data_layout)
        w_row = shift_rows.setdefault(wkey, len(shift_rows))
        if w_row == len(problems):  # a new geometry
            problems.append((work, placement, arch))
            busiest_of.append(streams.values[s_row][2])
        idx[i] = (s_row, c_row, w_row)
        route[i] = bus_len
        scalars[i] = (area, arch.pes, ab.bank_um2, ab.array_efficiency, org.capacity_bits)
        table = arch.prices
        tables[id(table)] = table
        by_prices.setdefault(id(table), []).append(i)

    # the weight-stream shift steps of every distinct geometry, solved together
    solved = workload_stream_steps_many(problems)
    shifts = [
        _shift_rows(steps, busiest, arch.org.mu.tracks)
        for steps, busiest, (_, _, arch) in zip(solved, busiest_of, problems, strict=True)
    ]
    ok = idx[:, 0] >= 0
    tallies = np.zeros((n, n_layers, len(FIELDS)))
    util = np.zeros((n, n_layers))
    if ok.any():
        s_ok, c_ok, w_ok = idx[ok, 0], idx[ok, 1], idx[ok, 2]
        tallies[ok] = _stacked(streams.values, 0)[s_ok]
        tallies[:, :, _BUS] *= route[:, None]  # the stream's bus bits over the route, mm
        tallies[ok] += _stacked(macs_c.values)[c_ok] + np.stack(shifts)[w_ok]
        util[ok] = _stacked(streams.values, 1)[s_ok]

    energy = np.full((n, n_layers, len(ENERGY_CLASSES)), np.nan)
    latency = np.full((n, n_layers), np.nan)
    for p_id, pts in by_prices.items():
        e_mat, l_vec = price_arrays(tables[p_id])
        latency[pts] = tallies[pts] @ l_vec
        energy[pts] = tallies[pts] @ e_mat
        energy[pts, :, _LEAK] = leak[pts, None] * latency[pts]
    with np.errstate(divide="ignore", invalid="ignore"):
        power = np.where(latency > 0, energy.sum(axis=2) / latency, 0.0)
    macs_l = np.array([lw.macs if isinstance(lw, ComputeWork) else 0 for lw in work.layers])
    macs = int(macs_l.sum())
    utilization = (util * macs_l).sum(axis=1) / macs if macs else np.zeros(n)
    return PointCosts(
        error=error,
        energy_by_class_pj=energy.sum(axis=1),
        latency_ns=latency.sum(axis=1),
        area_um2=scalars[:, 0],
        peak_power_mw=np.where(ok, power.max(axis=1), np.nan),
        utilization=np.where(ok, utilization, np.nan),
        pes=scalars[:, 1],
        bank_area_um2=scalars[:, 2],
        array_efficiency=scalars[:, 3],
        capacity_bits=scalars[:, 4],
        macs=macs,
    )
