"""Decoders: predecode blocks, one-hot select decoders, and the row decoder's final stage.

The structure is the classic two-level decoder of CACTI and NVSim (CACTI 5.1
report, Sec. 2.1; Dong et al., TCAD 2012): the address bits of a row are
split into two predecode blocks at the bank; each block decodes its bits with
NAND2/NAND3 basic decoders (and a second NAND level when it has more than
three bits) into one-hot lines that run across the bank; in each subarray a
NAND2 per wordline combines one line of each block, and an inverter chain
sized by logical effort drives the wordline. Only the selected path switches
on an access; every gate leaks.
"""

from __future__ import annotations

from rtmcim.memory.circuit.block import NONE, Block
from rtmcim.memory.circuit.devices import Devices, Gate, gate_cap_farad, gate_layout_m, leakage_a
from rtmcim.memory.circuit.gates import (
    GATE_HEIGHT_F,
    NandGate,
    chain_energy_j,
    chain_layout_m,
    chain_leakage_w,
    chain_timing,
    nand_effort,
    nand_gate,
    nand_layout_m,
    nand_leakage_w,
    nand_timing,
    size_chain,
)

MAX_GROUP_BITS = 3  # basic decoders are NAND2 or NAND3 (2-to-4, 3-to-8)


def address_bits(lines: int) -> int:
    """Bits that select one of ``lines``."""
    return (lines - 1).bit_length() if lines > 1 else 0


def _groups(bits: int) -> list[int]:
    """Split ``bits`` into basic-decoder groups of 3 and 2 bits (1 only when bits == 1)."""
    if bits <= MAX_GROUP_BITS:
        return [bits]
    twos = {0: 0, 1: 2, 2: 1}[bits % 3]
    return [3] * ((bits - 2 * twos) // 3) + [2] * twos


def line_driver(
    d: Devices, nand_inputs: int, c_load: float, r_load: float, ramp_in: float
) -> Block:
    """One line driven by a NAND of ``nand_inputs`` (an inverter when fewer than 2) and a chain."""
    first = nand_gate(d, nand_inputs) if nand_inputs >= 2 else None
    return _driven_line(d, first, c_load, r_load, ramp_in)[0]


def _driven_line(
    d: Devices, first: NandGate | None, c_load: float, r_load: float, ramp_in: float
) -> tuple[Block, float]:
    """One output: a NAND (or a minimum inverter when ``first`` is None) and a chain to the load.

    Returns the block of one output and the capacitance its input presents.
    """
    if first is None:
        inv_c = gate_cap_farad(d, d.min_nmos_m * (1 + d.pn_ratio))
        chain = size_chain(d, 1.0, inv_c, c_load)
        t = chain_timing(d, chain, c_load, r_load, ramp_in)
        h, w = chain_layout_m(d, chain)
        return (
            Block(
                delay_s=t.delay_s,
                load_rc_s=t.load_rc_s,
                ramp_out=t.ramp_out,
                energy_j=chain_energy_j(d, chain, c_load) + inv_c * d.vdd_v**2,
                leakage_w=chain_leakage_w(d, chain),
                height_m=h,
                width_m=w,
                area_m2=h * w,
            ),
            inv_c,
        )
    chain = size_chain(d, nand_effort(d, first.inputs), first.c_in_farad, c_load)
    nd, ramp = nand_timing(d, first, chain.c_in_farad[0], ramp_in)
    t = chain_timing(d, chain, c_load, r_load, ramp)
    ch, cw = chain_layout_m(d, chain)
    nh, nw = nand_layout_m(d, first)
    h, w = max(ch, nh), cw + nw
    return (
        Block(
            delay_s=nd + t.delay_s,
            load_rc_s=t.load_rc_s,
            ramp_out=t.ramp_out,
            energy_j=(first.c_out_farad + chain.c_in_farad[0]) * d.vdd_v**2
            + chain_energy_j(d, chain, c_load),
            leakage_w=nand_leakage_w(d, first) + chain_leakage_w(d, chain),
            height_m=h,
            width_m=w,
            area_m2=h * w,
        ),
        first.c_in_farad,
    )


def one_hot(d: Devices, bits: int, c_load: float, r_load: float, ramp_in: float) -> Block:
    """A decoder of ``bits`` address bits into ``2**bits`` lines, each driving ``c_load``.

    Up to three bits: one NAND per line. More: basic decoders of 2-3 bits
    feeding a NAND per line that combines one output of each (at most three
    groups, i.e. nine bits; wider fields are split by the caller).
    """
    if bits <= 0:
        return NONE
    lines = 1 << bits
    groups = _groups(bits)
    if len(groups) == 1:
        first = nand_gate(d, bits) if bits > 1 else None
        out, _ = _driven_line(d, first, c_load, r_load, ramp_in)
        # the address bit and its complement: an inverter per bit drives the NAND inputs
        return _times(out, lines, d, bits)
    combine = nand_gate(d, len(groups))
    out, c_in = _driven_line(d, combine, c_load, r_load, ramp_in)
    delay = energy = leak = area = 0.0
    for g in groups:
        fanout = lines >> g  # stage-2 NANDs fed by one basic-decoder output
        basic = one_hot(d, g, fanout * c_in, 0.0, ramp_in)
        delay = max(delay, basic.delay_s)
        energy += basic.energy_j
        leak += basic.leakage_w
        area += basic.area_m2
    total_area = area + lines * out.area_m2
    return Block(
        delay_s=delay + out.delay_s,
        load_rc_s=out.load_rc_s,
        ramp_out=out.ramp_out,
        energy_j=energy + out.energy_j,
        leakage_w=leak + lines * out.leakage_w,
        height_m=lines * out.height_m,
        width_m=total_area / max(lines * out.height_m, 1e-30),
        area_m2=total_area,
    )


def _times(out: Block, lines: int, d: Devices, bits: int) -> Block:
    """``lines`` copies of one output stacked, plus the address inverters (true/complement)."""
    wn, wp = d.min_nmos_m, d.min_nmos_m * d.pn_ratio
    inv_h, inv_w = gate_layout_m(d, Gate.INV, 1, wn, wp, d.f(GATE_HEIGHT_F))
    inv_leak = leakage_a(d, Gate.INV, 1, wn, wp) * d.vdd_v * bits
    area = lines * out.area_m2 + bits * inv_h * inv_w
    return Block(
        delay_s=out.delay_s,
        load_rc_s=out.load_rc_s,
        ramp_out=out.ramp_out,
        energy_j=out.energy_j,
        leakage_w=lines * out.leakage_w + inv_leak,
        height_m=lines * out.height_m,
        width_m=area / max(lines * out.height_m, 1e-30),
        area_m2=area,
    )


def predecode_split(bits: int) -> tuple[int, int]:
    """Row address bits per predecode block: all in one up to three bits, else halves."""
    if bits <= MAX_GROUP_BITS:
        return bits, 0
    b2 = bits // 2
    return bits - b2, b2


def row_decoder(
    d: Devices, rows: int, c_line: float, r_line: float, ramp_in: float
) -> tuple[Block, float]:
    """The final stage in a subarray: one driver per wordline; (block, input cap of one row).

    With up to eight rows the predecoded lines are used directly (a driver chain
    per row); with more, a NAND2 per row combines one line of each predecode
    block. Rows are stacked along the subarray's height; the caller folds the
    decoder when it is taller than the array (NVSim's "magic folding").
    """
    if rows <= 0:
        return NONE, 0.0
    first = nand_gate(d, 2) if rows > 8 else None
    out, c_in = _driven_line(d, first, c_line, r_line, ramp_in)
    return (
        Block(
            delay_s=out.delay_s,
            load_rc_s=out.load_rc_s,
            ramp_out=out.ramp_out,
            energy_j=out.energy_j,  # one row switches
            leakage_w=rows * out.leakage_w,
            height_m=rows * out.height_m,
            width_m=out.width_m,
            area_m2=rows * out.area_m2,
        ),
        c_in,
    )
