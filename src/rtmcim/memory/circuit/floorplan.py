"""Banks, chip floorplan and the H-tree that connects every subarray to the chip's port.

Floorplan: a bank is a grid of subarrays with its row predecoders in a strip
along its longer side; the chip is a grid of banks. Of the ways to arrange
``subarrays_per_bank`` and ``banks`` in rows and columns, the one whose
H-tree moves the fewest bit-metres per access is taken (least wire energy and,
nearly always, least wire delay), the squarer chip on a tie.

H-tree (the routing of NVSim/DESTINY and CACTI): from the chip's centre each
level splits the region in two along the side holding more leaves (banks
first, then the clusters of up to 2 x 2 mirrored subarrays of a bank, whose
periphery meets at the cluster's centre, NVSim's "mat"); the level's wire is a bar joining the
centres of the two halves, half the region's extent long. The address bits
still to be decoded and the data bits run on every level; one address bit is
consumed per level. Energy: the whole bar of every level switches (its two
halves are one net). Delay along the root-to-leaf path, per level, by the
Elmore delay of the bar: going down, its driver sits at the midpoint and
charges the half towards the leaf (``r c L^2 / 8``); coming up, the signal
enters at one end and reaches the midpoint with the far half as an open stub
(``3 r c L^2 / 8``). Bare wires settle to 90 % in 2.3 Elmore delays; with
repeaters (``interconnect.global_repeated``) the path costs the repeated
wire's delay per length, and the repeaters leak and take area. (DESTINY
prices its horizontal bars this way but its vertical ones at half this
length, and every bar's delay at its full length; over the calibration grid
the two conventions differ by 10-40 % on the H-tree.)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from rtmcim.memory.circuit.block import Block
from rtmcim.memory.circuit.decoder import one_hot, predecode_split
from rtmcim.memory.circuit.devices import Devices, Gate, gate_layout_m
from rtmcim.memory.circuit.gates import GATE_HEIGHT_F
from rtmcim.memory.circuit.wires import LN_10, Repeated, Wire


def grids(n: int) -> list[tuple[int, int]]:
    """Every (rows, columns) with rows x columns = n."""
    return [(r, n // r) for r in range(1, n + 1) if n % r == 0]


@dataclass(frozen=True, slots=True)
class Arrangement:
    bank_grid: tuple[int, int]  # subarrays in a bank: rows, columns
    chip_grid: tuple[int, int]  # banks in the chip: rows, columns
    bank_height_m: float
    bank_width_m: float
    chip_height_m: float
    chip_width_m: float


def _bank_dims(
    sub_h: float, sub_w: float, grid: tuple[int, int], pre_m2: float
) -> tuple[float, float]:
    h, w = grid[0] * sub_h, grid[1] * sub_w
    if w >= h:
        w += pre_m2 / h  # predecoders in a channel across the longer side
    else:
        h += pre_m2 / w
    return h, w


def arrange(
    sub_h: float,
    sub_w: float,
    per_bank: int,
    banks: int,
    pre_m2: float,
    address_bits: int,
    data_bits: int,
) -> Arrangement:
    """The arrangement whose H-tree moves the fewest bit-metres per access (then the squarest)."""
    best: tuple[float, float, Arrangement] | None = None
    for bg in grids(per_bank):
        bh, bw = _bank_dims(sub_h, sub_w, bg, pre_m2)
        for cg in grids(banks):
            a = Arrangement(bg, cg, bh, bw, cg[0] * bh, cg[1] * bw)
            cost = sum(
                length * bits for length, bits, _ in _bars(a, sub_h, sub_w, address_bits, data_bits)
            )
            aspect = max(a.chip_height_m / a.chip_width_m, a.chip_width_m / a.chip_height_m)
            if best is None or (cost, aspect) < (best[0] * (1 - 1e-9), best[1] - 1e-12):
                best = (cost, aspect, a)
    assert best is not None
    return best[2]


def with_predecoders(arr: Arrangement, sub_h: float, sub_w: float, pre_m2: float) -> Arrangement:
    """``arr`` with each bank grown by its predecoders' strip."""
    bh, bw = _bank_dims(sub_h, sub_w, arr.bank_grid, pre_m2)
    cg = arr.chip_grid
    return Arrangement(arr.bank_grid, cg, bh, bw, cg[0] * bh, cg[1] * bw)


def _bars(
    arr: Arrangement, sub_h: float, sub_w: float, address_bits: int, data_bits: int
) -> list[tuple[float, int, int]]:
    """The H-tree's levels from the root: (bar length, bits routed, bars at this level)."""
    bars: list[tuple[float, int, int]] = []
    count = 1
    addr = address_bits
    # subarrays are mirrored in clusters of up to 2 x 2 whose periphery meets at the
    # cluster's centre (NVSim's mat), so the tree's leaves are those clusters
    br, bc = arr.bank_grid
    cluster = (math.ceil(br / 2), math.ceil(bc / 2))
    for grid, leaf_h, leaf_w in (
        (arr.chip_grid, arr.bank_height_m, arr.bank_width_m),
        (cluster, min(br, 2) * sub_h, min(bc, 2) * sub_w),
    ):
        ny, nx = grid
        while nx > 1 or ny > 1:
            if nx >= ny:
                length, nx = nx * leaf_w / 2, math.ceil(nx / 2)
            else:
                length, ny = ny * leaf_h / 2, math.ceil(ny / 2)
            bars.append((length, max(addr, 0) + data_bits, count))
            count *= 2
            addr -= 1
    return bars


def predecoders(
    d: Devices,
    row_bits: int,
    lines_per_value: int,
    nand_c: float,
    bank_h: float,
    bank_w: float,
    wire: Wire,
    ramp_in: float,
) -> Block:
    """The row predecode blocks of one bank, at its centre, driving lines across it.

    ``lines_per_value`` is the number of wordlines of a subarray; a predecoded
    line feeds the row NAND2 of the rows sharing its value. The lines run over
    the arrays in the upper (``wire``) metal, like the H-tree.
    """
    length = bank_h / 2 + bank_w / 2
    blocks = [b for b in predecode_split(row_bits) if b > 0]
    if not blocks:
        return Block()  # one wordline: selecting the subarray selects it
    # up to eight rows: one block whose lines drive the row drivers directly (NVSim)
    delay = energy = leak = area = 0.0
    ramp = math.inf
    for b in blocks:
        fan = max(1, lines_per_value >> b)
        blk = one_hot(
            d, b, wire.c_farad_per_m * length + fan * nand_c, wire.r_ohm_per_m * length, ramp_in
        )
        if blk.delay_s >= delay:
            delay, ramp = blk.delay_s, blk.ramp_out
        energy += blk.energy_j
        leak += blk.leakage_w
        area += blk.area_m2
    return Block(delay_s=delay, ramp_out=ramp, energy_j=energy, leakage_w=leak, area_m2=area)


@dataclass(frozen=True, slots=True)
class HTree:
    """The H-tree of one chip (SI)."""

    route_m: float  # root-to-leaf path length
    bar_bit_m: float  # sum over levels of bar length x bits routed (energy weight)
    read_s: float  # address down and data up
    write_s: float  # address and data down
    energy_j: float  # one access, read or write
    energy_per_bit_j: float  # one bit down the route (every bar on it switches)
    leakage_w: float
    area_m2: float
    levels: int


def htree(
    arr: Arrangement,
    sub_h: float,
    sub_w: float,
    address_bits: int,
    data_bits: int,
    wire: Wire,
    rep: Repeated | None,
    d: Devices,
) -> HTree:
    """The H-tree of ``arr`` (see the module docstring)."""
    bars = _bars(arr, sub_h, sub_w, address_bits, data_bits)
    route = sum(length / 2 for length, _, _ in bars)
    bit_m = sum(length * bits for length, bits, _ in bars)
    rc = wire.r_ohm_per_m * wire.c_farad_per_m
    if rep is None:
        e_per_m = wire.c_farad_per_m * d.vdd_v**2
        down = sum(LN_10 * rc * length**2 / 8 for length, _, _ in bars)
        up = sum(LN_10 * 3 * rc * length**2 / 8 for length, _, _ in bars)
        leak = area = 0.0
    else:
        e_per_m = rep.energy_j_per_m
        down = up = route * rep.delay_s_per_m
        wires_m = sum(length * bits * n for length, bits, n in bars)
        leak = wires_m * rep.leakage_w_per_m
        wn = d.min_nmos_m * rep.repeater_size
        h, w = gate_layout_m(d, Gate.INV, 1, wn, wn * d.pn_ratio, d.f(GATE_HEIGHT_F))
        area = wires_m / rep.spacing_m * h * w
    return HTree(
        route_m=route,
        bar_bit_m=bit_m,
        read_s=down + up,
        write_s=down,
        energy_j=bit_m * e_per_m,
        energy_per_bit_j=sum(length for length, _, _ in bars) * e_per_m,
        leakage_w=leak,
        area_m2=area,
        levels=len(bars),
    )
