"""In-memory multipliers: shift-and-add, radix-2 and radix-4 Booth, Wallace tree, lookup table.

All return the exact product, ``2 * bits`` wide (no overflow is possible: an
n x n product always fits 2n bits in two's complement), as int64; so
unsigned operands are limited to 31 bits (an unsigned 32 x 32 product may
exceed int64). Each multiplier also multiplies mixed operands
(:meth:`Multiplier.product_planes` with ``a_signed``/``b_signed``), which the
MAC uses for signed weights x unsigned activations.

Where the racetrack does the arithmetic (shift-and-add and Booth): the
product register P is one track with ports side by side over the
accumulator window. Each step adds the partial product into the window
through a PCSA ripple chain, writes the sums back, writes the window's sign
into the domain that enters it (the sign fill of an arithmetic shift), and
then shifts P by one domain (two for radix 4): the retired low bit stays
behind in the track, and the next partial product lines up at weight
``2**(i+1)``. The racetrack shift *is* the arithmetic shift. The multiplier
(or recoded) operand sits on its own track, shifted in step with P so its
next bit is under a port.

Signed multiplication in shift-and-add: a sign-extended multiplicand, and
for a signed multiplier a last step that subtracts (the PCSA's complementary
output gives NOT(a AND b), carry-in 1). The Wallace tree uses Baugh-Wooley
(complemented sign partial products plus constant bits).

Booth costs are WORST CASE: a digit 0 skips its evaluations, latch updates
and sum writes in that lane (energy saved); the schedule (cycles) is fixed,
because lanes run in lockstep. Counted events never exceed ``cost``; they are
equal when every digit is non-zero. The lookup-table cost is also worst case
(the farthest table entry).
"""

from __future__ import annotations

from abc import abstractmethod
from functools import cache
from typing import ClassVar

import numpy as np

from rtmcim.circuits.adders import RippleCarryAdder
from rtmcim.circuits.bitplanes import Planes, pack, unpack
from rtmcim.circuits.cell import Cell, Footprint, as_list, stack, track, tracks
from rtmcim.circuits.logic import Evaluator
from rtmcim.tally import Tally


class Multiplier(Cell):
    kind = "multiplier"
    max_unsigned_bits = 31

    def _compute(self, ev: Evaluator, a: Planes, b: Planes, bits: int, signed: bool) -> Planes:
        return self.product_planes(ev, a, b, bits, signed, signed)

    def _cost(self, bits: int, signed: bool) -> Tally:
        return self.product_cost(bits, signed, signed)

    @abstractmethod
    def product_planes(
        self, ev: Evaluator, a: Planes, b: Planes, bits: int, a_signed: bool, b_signed: bool
    ) -> Planes:
        """The ``2 * bits`` planes of ``a * b`` (two's complement if either is signed)."""

    @abstractmethod
    def product_cost(self, bits: int, a_signed: bool, b_signed: bool) -> Tally:
        """Events of one product (worst case for data-dependent cells)."""


def _ext(planes: list[Planes], signed: bool, zero: Planes) -> Planes:
    """The plane one above the top: the sign for signed numbers, 0 for unsigned."""
    return planes[-1] if signed else zero


# -- shift-and-add --------------------------------------------------------------------------


class ShiftAddMultiplier(Multiplier):
    """n steps: AND a partial product, ripple-add it into the window, shift P one domain."""

    name = "shift_add"
    description = "AND partial products, PCSA ripple add, racetrack shift as the arithmetic shift"

    def product_planes(
        self, ev: Evaluator, a: Planes, b: Planes, bits: int, a_signed: bool, b_signed: bool
    ) -> Planes:
        n = bits
        zero = ev.zeros()
        acc = [zero] * (n + 1)  # accumulator window, n + 1 bits
        low: list[Planes] = []
        acc_signed = a_signed or b_signed
        for i in range(n):
            subtract = b_signed and i == n - 1  # the sign bit of b weighs -2**(n-1)
            pp = as_list(ev.and_(a, b[i], complement=subtract))
            # extend the partial product to the window; NOT(0) = 1 for a subtracted unsigned a
            top = pp[-1] if a_signed else (ev.ones() if subtract else zero)
            pp.append(top)
            c = ev.ones() if subtract else zero  # +1 completes the two's complement negation
            s = []
            for k in range(n + 1):
                sk, c = ev.full_add(acc[k], pp[k], c)
                s.append(sk)
            with ev.parallel():
                ev.write(n + 1)  # the window's sums
                ev.write(1)  # sign fill of the domain entering the window
            ev.shift(2)  # P and b tracks: one domain each
            low.append(s[0])
            acc = [*s[1:], s[n] if acc_signed else zero]
        return stack(low + acc[:n])

    def product_cost(self, bits: int, a_signed: bool, b_signed: bool) -> Tally:
        n = bits
        # per step: n ANDs (1 cycle), n + 1 full-adder steps, n + 2 writes, 2 track-steps
        return Tally(
            lim_evals=n * (n + 2 * (n + 1)),
            lim_cycles=n * (1 + n + 1),
            latch_updates=n * (n + 1),
            cell_bit_writes=n * (n + 2),
            cell_write_cycles=n,
            cell_shift_steps=2 * n,
            cell_shift_cycles=n,
        )

    def _footprint(self, bits: int) -> Footprint:
        n = bits
        # n AND PCSAs + n + 1 full adders (2 PCSAs, 1 carry latch each);
        # a: n domains under n ports; b: n domains, 1 port; P: 2n + 2 domains, n + 2 ports.
        return (
            Footprint(pcsa=n + 2 * (n + 1), latches=n + 1)
            + track(n, n)
            + track(n, 1)
            + track(2 * n + 2, n + 2)
        )


# -- Booth ----------------------------------------------------------------------------------


def _booth_roles(
    a: Planes, b: Planes, n: int, a_signed: bool, b_signed: bool, ev: Evaluator
) -> tuple[list[Planes], list[Planes]]:
    """(recoded operand, multiplicand), both as signed plane lists.

    Booth recodes a signed operand; with one signed operand that one is
    recoded, and an unsigned multiplicand gains a zero sign bit (n + 1 bits).
    """
    if b_signed or not a_signed:
        rec, rec_signed, mul, mul_signed = b, b_signed, a, a_signed
    else:
        rec, rec_signed, mul, mul_signed = a, a_signed, b, b_signed
    r = as_list(rec)
    if not rec_signed:
        r.append(ev.zeros())
    m = as_list(mul)
    if not mul_signed:
        m.append(ev.zeros())
    return r, m


def _booth_widths(n: int, a_signed: bool, b_signed: bool) -> tuple[int, int]:
    """(recoded width, multiplicand width) as :func:`_booth_roles` makes them."""
    rec_signed = b_signed or a_signed
    mul_signed = a_signed and b_signed
    return n + (0 if rec_signed else 1), n + (0 if mul_signed else 1)


class BoothMultiplier(Multiplier):
    """Booth recoding, one digit of ``radix_bits`` recoded bits per step.

    Each step reads the digit's bits and the bit below them under
    ``radix_bits + 1`` ports, encodes the digit in CMOS (:meth:`_encode`:
    non-zero, negative, and the multiple of the multiplicand it selects),
    adds the selected multiple, negated for a negative digit, into the
    accumulator window through a PCSA ripple chain (lanes whose digit is 0
    skip the add), writes the sums and ``radix_bits`` sign-fill domains, and
    shifts P and the recoded operand by ``radix_bits`` domains.
    """

    supports_unsigned = False
    data_dependent = True
    radix_bits: ClassVar[int]
    encoder_gates: ClassVar[int]  # CMOS gate evaluations encoding one digit
    encoder_cycles: ClassVar[int]

    @abstractmethod
    def _multiples(self, mplanes: list[Planes], zero: Planes) -> tuple[Planes, ...]:
        """The multiples of the multiplicand a digit selects from, as plane stacks."""

    @abstractmethod
    def _encode(
        self, ev: Evaluator, bits: Planes, multiples: tuple[Planes, ...]
    ) -> tuple[Planes, Planes, Planes]:
        """(non-zero, negative, selected multiple) of the digit read as ``bits`` (top first)."""

    @abstractmethod
    def _encoder_transistors(self, bits: int) -> int:
        """CMOS transistors of the encoder and of the multiple select."""

    def product_planes(
        self, ev: Evaluator, a: Planes, b: Planes, bits: int, a_signed: bool, b_signed: bool
    ) -> Planes:
        r, mplanes = _booth_roles(a, b, bits, a_signed, b_signed, ev)
        rb = self.radix_bits
        digits = -(-len(r) // rb)
        r = r + [r[-1]] * (rb * digits - len(r))  # sign-extend to whole digits
        zero = ev.zeros()
        multiples = self._multiples(mplanes, zero)
        w = len(mplanes) + rb  # the accumulator window
        acc = [zero] * w
        low: list[Planes] = []
        prev = zero
        for k in range(digits):
            digit = r[rb * k : rb * (k + 1)]
            nz, neg, sel = self._encode(ev, ev.read(np.stack([*digit[::-1], prev])), multiples)
            act = ev.mask(nz)
            y = ev.xor(sel, neg, active=act) & nz  # +-multiple, only where the digit is non-zero
            ys = [*as_list(y), y[w - 2]]
            c = neg & nz  # carry-in 1 completes the negation: -x = NOT x + 1
            s = []
            for j in range(w):
                sj, c = ev.full_add(acc[j], ys[j], c, active=act)
                s.append(sj)
            with ev.parallel():
                ev.write(w, active=act)
                ev.write(rb)  # sign fill, every lane: the arithmetic shift happens anyway
            ev.shift(2, steps=rb)
            low += s[:rb]
            acc = [*s[rb:], *[s[w - 1]] * rb]
            prev = digit[-1]
        return stack((low + acc)[: 2 * bits])

    def product_cost(self, bits: int, a_signed: bool, b_signed: bool) -> Tally:
        d, m = _booth_widths(bits, a_signed, b_signed)
        rb = self.radix_bits
        w = m + rb
        return -(-d // rb) * Tally(
            cell_bit_reads=rb + 1,
            cell_read_cycles=1,
            cmos_gate_ops=self.encoder_gates,
            cmos_cycles=self.encoder_cycles,
            lim_evals=(w - 1) + 2 * w,
            lim_cycles=1 + w,
            latch_updates=w,
            cell_bit_writes=w + rb,
            cell_write_cycles=1,
            cell_shift_steps=2 * rb,
            cell_shift_cycles=rb,
        )

    def _footprint(self, bits: int) -> Footprint:
        n, rb = bits, self.radix_bits
        w = n + rb
        # w - 1 select-XOR PCSAs + w full adders; the multiplicand: n domains under n ports;
        # the recoded operand: n + 1 domains under rb + 1 ports; P: 2n + 2rb under n + 2rb.
        return (
            Footprint(
                pcsa=(w - 1) + 2 * w, latches=w, cmos_transistors=self._encoder_transistors(n)
            )
            + track(n, n)
            + track(n + 1, rb + 1)
            + track(2 * n + 2 * rb, n + 2 * rb)
        )


class BoothRadix2Multiplier(BoothMultiplier):
    name = "booth_r2"
    description = "radix-2 Booth: digits in {-1, 0, +1}; a 0 digit skips the add (worst-case cost)"
    radix_bits, encoder_gates, encoder_cycles = 1, 1, 1

    def _multiples(self, mplanes: list[Planes], zero: Planes) -> tuple[Planes, ...]:
        return (stack(mplanes),)

    def _encode(
        self, ev: Evaluator, bits: Planes, multiples: tuple[Planes, ...]
    ) -> tuple[Planes, Planes, Planes]:
        cur, prev = bits  # b_i and b_(i-1)
        return ev.cmos_xor(cur, prev), cur, multiples[0]

    def _encoder_transistors(self, bits: int) -> int:
        return 12  # one static CMOS XOR2 with input inverters


class BoothRadix4Multiplier(BoothMultiplier):
    name = "booth_r4"
    description = "radix-4 Booth: digits in {-2..2}, half the steps; a 0 digit skips (worst case)"
    radix_bits, encoder_gates, encoder_cycles = 2, 4, 3

    def _multiples(self, mplanes: list[Planes], zero: Planes) -> tuple[Planes, ...]:
        # the multiplicand and its double, sign-extended to m + 1 bits: the select switches in
        # front of the PCSA pick a_j or a_(j-1)
        return np.stack([*mplanes, mplanes[-1]]), np.stack([zero, *mplanes])

    def _encode(
        self, ev: Evaluator, bits: Planes, multiples: tuple[Planes, ...]
    ) -> tuple[Planes, Planes, Planes]:
        hi, mid, lo = bits
        with ev.parallel():
            one = ev.cmos_xor(mid, lo)
            x2 = ev.cmos_xor(hi, mid)
        two = ev.cmos_and(x2, one, invert_b=True)
        once, twice = multiples
        sel = (once & one) | (twice & two)  # transmission-gate select, not an evaluation
        return ev.cmos_or(one, two), hi, sel

    def _encoder_transistors(self, bits: int) -> int:
        # 2 XOR2 (12 each) + AND-NOT (6) + OR2 (6); a 2:1 transmission-gate select per bit (4)
        return 36 + 4 * (bits + 1)


# -- Wallace tree (Baugh-Wooley) ------------------------------------------------------------


def _negative(i: int, j: int, n: int, a_signed: bool, b_signed: bool) -> bool:
    """Baugh-Wooley: a_i b_j weighs negatively iff exactly one of them is a sign bit."""
    return (a_signed and i == n - 1) != (b_signed and j == n - 1)


def _constant(n: int, a_signed: bool, b_signed: bool) -> int:
    """Bits added so that complemented partial products give the negative terms.

    -x 2^k = (NOT x) 2^k - 2^k, so the constant is minus the sum of 2^(i+j) over
    negative terms, modulo 2^(2n).
    """
    neg = sum(
        1 << (i + j) for i in range(n) for j in range(n) if _negative(i, j, n, a_signed, b_signed)
    )
    return (-neg) % (1 << (2 * n))


@cache
def _wallace_plan(n: int, a_signed: bool, b_signed: bool) -> tuple[int, ...]:
    """Full adders per reduction level, from column heights alone (the analytical side)."""
    width = 2 * n
    h = [0] * width
    for i in range(n):
        for j in range(n):
            h[i + j] += 1
    const = _constant(n, a_signed, b_signed)
    for w in range(width):
        h[w] += (const >> w) & 1
    levels = []
    while max(h) > 2:
        new = [0] * width
        fas = 0
        for w in range(width):
            f = h[w] // 3
            fas += f
            new[w] += h[w] - 2 * f  # leftovers plus one sum per full adder
            if w + 1 < width:
                new[w + 1] += f
        levels.append(fas)
        h = new
    return tuple(levels)


class WallaceMultiplier(Multiplier):
    name = "wallace"
    description = "all n^2 partial products at once, Wallace tree of PCSA 3:2 adders, ripple"

    def product_cost(self, bits: int, a_signed: bool, b_signed: bool) -> Tally:
        n = bits
        plan = _wallace_plan(n, a_signed, b_signed)
        fas = sum(plan)
        tree = Tally(
            lim_evals=n * n + 2 * fas,
            lim_cycles=1 + len(plan),
            cell_bit_writes=n * n + 2 * fas,
            cell_write_cycles=1 + len(plan),
        )
        # the final adder is 2n bits wide, past the adder cell's own 32-bit range check
        return tree + RippleCarryAdder()._cost(2 * n, False)

    def product_planes(
        self, ev: Evaluator, a: Planes, b: Planes, bits: int, a_signed: bool, b_signed: bool
    ) -> Planes:
        n, width = bits, 2 * bits
        pp = ev.and_(a[:, None, :], b[None, :, :])  # (n, n, words): one PCSA per bit pair
        ev.write(n * n)  # partial products into RTM, where the tree's PCSAs sense them
        cols: list[list[Planes]] = [[] for _ in range(width)]
        for i in range(n):
            for j in range(n):
                # the PCSA's complementary output gives NOT(a_i b_j) for free
                p = ~pp[i, j] if _negative(i, j, n, a_signed, b_signed) else pp[i, j]
                cols[i + j].append(p)
        const = _constant(n, a_signed, b_signed)
        for w in range(width):
            if (const >> w) & 1:
                cols[w].append(ev.ones())  # a domain preset to 1
        while max(len(c) for c in cols) > 2:
            xs, ys, zs, where = [], [], [], []
            for w, c in enumerate(cols):
                for g in range(len(c) // 3):
                    xs.append(c[3 * g])
                    ys.append(c[3 * g + 1])
                    zs.append(c[3 * g + 2])
                    where.append(w)
            s, cy = ev.full_add(np.stack(xs), np.stack(ys), np.stack(zs), latch=False)
            ev.write(2 * len(where))
            new: list[list[Planes]] = [c[3 * (len(c) // 3) :] for c in cols]
            for t, w in enumerate(where):
                new[w].append(s[t])
                if w + 1 < width:
                    new[w + 1].append(cy[t])
            cols = new
        zero = ev.zeros()
        x = [c[0] if len(c) > 0 else zero for c in cols]
        y = [c[1] if len(c) > 1 else zero for c in cols]
        return stack(RippleCarryAdder().add_planes(ev, x, y))

    def _footprint(self, bits: int) -> Footprint:
        n = bits
        # sized for the signed (Baugh-Wooley) tree: its constant bits make it the larger one
        fas = sum(_wallace_plan(n, True, True))
        # n^2 AND PCSAs, 2 per tree full adder, a 2n-bit ripple adder (2 PCSAs and a
        # latch per bit); every partial product, tree output, operand and result bit
        # is one domain under one port.
        return Footprint(pcsa=n * n + 2 * fas + 4 * n, latches=2 * n) + tracks(
            n * n + 2 * fas + 4 * n, 1, 1
        )


# -- lookup table ---------------------------------------------------------------------------


class LutMultiplier(Multiplier):
    """Products stored in RTM: 2**n groups (one per value of a) of 2n tracks of 2**n domains.

    The operands' bits are read (one access) to drive the group decoder and
    the shift controller; the group's tracks shift by b's bit pattern (0 to
    2**n - 1 steps) to bring entry b under the port, the 2n product bits are
    read, and the tracks shift back so every lookup starts from rest. Shift
    distance depends on the data: ``cost`` is the worst case (b = 2**n - 1).
    Programming the table is a one-time cost and not part of an operation.
    """

    name = "lut"
    description = "product table in RTM (n <= 4): a lookup is a shift and a read"
    max_bits = 4
    data_dependent = True

    def product_planes(
        self, ev: Evaluator, a: Planes, b: Planes, bits: int, a_signed: bool, b_signed: bool
    ) -> Planes:
        n = bits
        ops = ev.read(np.concatenate([a, b]))  # operand bits for the decoder and shift control
        av = unpack(ops[:n], ev.lanes, False)
        bv = unpack(ops[n:], ev.lanes, False)
        table = _lut(n, a_signed, b_signed)
        dist = bv  # b's bit pattern is the entry's position along the track
        ev.shift_lanes(2 * n * 2 * int(dist.sum()), 2 * int(dist.max()) if dist.size else 0)
        return ev.read(pack(table[av, bv], 2 * n))

    def product_cost(self, bits: int, a_signed: bool, b_signed: bool) -> Tally:
        n = bits
        far = (1 << n) - 1
        return Tally(
            cell_bit_reads=2 * n + 2 * n,
            cell_read_cycles=2,
            cell_shift_steps=2 * n * 2 * far,
            cell_shift_cycles=2 * far,
        )

    def _footprint(self, bits: int) -> Footprint:
        n = bits
        # 2^n groups x 2n tracks x 2^n domains, one port per track; 2n sense amplifiers;
        # a 2^n-row group decoder.
        return Footprint(sense_amps=2 * n, decoder_rows=1 << n) + tracks(
            (1 << n) * 2 * n, 1 << n, 1
        )


@cache
def _lut(n: int, a_signed: bool, b_signed: bool) -> np.ndarray:
    """Product table indexed by the operands' bit patterns."""
    pat = np.arange(1 << n, dtype=np.int64)

    def val(p: np.ndarray, signed: bool) -> np.ndarray:
        return np.where(signed & (p >= (1 << (n - 1))), p - (1 << n), p)

    return np.outer(val(pat, a_signed), val(pat, b_signed)).astype(np.int64)


MULTIPLIERS: tuple[type[Multiplier], ...] = (
    ShiftAddMultiplier,
    BoothRadix2Multiplier,
    BoothRadix4Multiplier,
    WallaceMultiplier,
    LutMultiplier,
)
