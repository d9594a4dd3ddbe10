"""In-memory adders built from PCSA full adders (sum = XOR3, carry = MAJ3).

Overflow: an n-bit adder returns the sum modulo 2**n, read as n-bit two's
complement when ``signed`` (unsigned otherwise), like a hardware register that
drops the carry out of its top bit. A caller that needs the exact sum adds at
``bits + 1`` (the MAC sizes its accumulator so that it never wraps). The
one-bit full adder is the exception: it returns both its outputs, sum and
carry, as the 2-bit unsigned value ``a + b``.

Event model per operation (n = bits), and why:

* full adder: XOR3 and MAJ3 on two PCSAs side by side (2 evaluations, 1
  cycle), carry into the carry latch, sum written to RTM (1 write).
* ripple-carry (word across n tracks, one bit per track, all under ports):
  n full-adder steps in a chain (2n evaluations, n cycles, n latch updates:
  the carry of step k feeds step k+1 through the latch), then the n-bit sum
  written in one word access (n bit writes, 1 write cycle).
* bit-serial (word along a track, one port per track): per bit one full-adder
  step, one write of the sum bit, one 1-step shift of the a, b and sum
  tracks (3 track-steps). No rewind: the next word is read in the other
  direction (snake order).
* carry-save (3:2): n full adders side by side without a chain (2n
  evaluations, 1 cycle, no latch), sum and carry words written in one access
  (2n writes, 1 write cycle).
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable

import numpy as np

from rtmcim.circuits.bitplanes import IntArray, Planes, check_operand, pack, unpack
from rtmcim.circuits.cell import Cell, Footprint, as_list, stack, tracks
from rtmcim.circuits.logic import Evaluator, FaultHook
from rtmcim.errors import ConfigError
from rtmcim.tally import Tally


class Adder(Cell):
    """An adder; :meth:`add_planes` is the plane-level entry other cells compose."""

    kind = "adder"

    @abstractmethod
    def add_planes(
        self, ev: Evaluator, a: list[Planes], b: list[Planes], cin: Planes | None = None
    ) -> list[Planes]:
        """Add two equally wide plane lists (LSB first); return the sum modulo 2**width."""

    def _compute(self, ev: Evaluator, a: Planes, b: Planes, bits: int, signed: bool) -> Planes:
        return stack(self.add_planes(ev, as_list(a), as_list(b)))


class FullAdder(Adder):
    name = "full_adder"
    description = "one PCSA full adder: sum by XOR3, carry by MAJ3, carry in a latch"
    max_bits = 1
    supports_signed = False  # a bit-level cell: its (carry, sum) pair is an unsigned count

    def add_planes(
        self, ev: Evaluator, a: list[Planes], b: list[Planes], cin: Planes | None = None
    ) -> list[Planes]:
        c = ev.zeros() if cin is None else cin
        s, co = ev.full_add(a[0], b[0], c)
        ev.write(1)  # the sum bit; the carry stays in the latch
        return [s, co]

    def _result_signed(self, signed: bool) -> bool:
        return False

    def _cost(self, bits: int, signed: bool) -> Tally:
        return Tally(
            lim_evals=2, lim_cycles=1, latch_updates=1, cell_bit_writes=1, cell_write_cycles=1
        )

    def _footprint(self, bits: int) -> Footprint:
        # 2 PCSAs (XOR3, MAJ3) + 1 carry latch; a, b and sum each one domain under one port.
        return Footprint(pcsa=2, latches=1) + tracks(3, 1, 1)


class RippleCarryAdder(Adder):
    name = "ripple_carry"
    description = "n PCSA full adders across n tracks, carry ripples through latches"

    def add_planes(
        self, ev: Evaluator, a: list[Planes], b: list[Planes], cin: Planes | None = None
    ) -> list[Planes]:
        out = _ripple(ev, a, b, cin)
        ev.write(len(out))  # the sum word, one access
        return out

    def _cost(self, bits: int, signed: bool) -> Tally:
        n = bits
        return Tally(
            lim_evals=2 * n, lim_cycles=n, latch_updates=n, cell_bit_writes=n, cell_write_cycles=1
        )

    def _footprint(self, bits: int) -> Footprint:
        # 2 PCSAs and 1 carry latch per bit; a, b, sum: 3n tracks of one domain, one port each.
        return Footprint(pcsa=2 * bits, latches=bits) + tracks(3 * bits, 1, 1)


class BitSerialAdder(Adder):
    """Words along the tracks: one full adder steps through the bits, shifting between them."""

    name = "bit_serial"
    description = "one PCSA full adder; words along tracks; one FA step, write, shift per bit"

    def _cost(self, bits: int, signed: bool) -> Tally:
        n = bits
        return Tally(
            lim_evals=2 * n,
            lim_cycles=n,
            latch_updates=n,
            cell_bit_writes=n,
            cell_write_cycles=n,
            cell_shift_steps=3 * n,
            cell_shift_cycles=n,
        )

    def add_planes(
        self, ev: Evaluator, a: list[Planes], b: list[Planes], cin: Planes | None = None
    ) -> list[Planes]:
        def next_bit() -> None:
            ev.write(1)
            ev.shift(3)  # a, b and sum tracks move one domain: the next bit is under the ports

        return _ripple(ev, a, b, cin, next_bit)

    def _footprint(self, bits: int) -> Footprint:
        # 2 PCSAs + 1 carry latch; a, b, sum: 3 tracks of n domains with one port each.
        return Footprint(pcsa=2, latches=1) + tracks(3, bits, 1)


class CarrySaveAdder(Adder):
    """3:2 compressor: three words in, a sum word and a carry word out, no carry chain.

    :meth:`run3` returns the value the (sum, carry) pair of three operands stands for,
    ``(sum + 2 * carry) mod 2**n``, decoded from the pair for checking;
    resolving the pair in hardware takes a carry-propagate adder, which is
    not part of this cell. :meth:`add_planes` (two operands) is not offered:
    a carry-save adder does not produce a binary sum.
    """

    name = "carry_save"
    description = "3:2 compressor: n PCSA full adders side by side, no ripple"

    def compress(self, ev: Evaluator, a: Planes, b: Planes, c: Planes) -> tuple[Planes, Planes]:
        """Stacks of n planes in; sum planes and carry planes (carry k has weight 2**(k+1))."""
        s, cy = ev.full_add(a, b, c, latch=False)
        ev.write(2 * a.shape[0])  # sum and carry words, one access
        return s, cy

    def add_planes(
        self, ev: Evaluator, a: list[Planes], b: list[Planes], cin: Planes | None = None
    ) -> list[Planes]:
        raise ConfigError(
            "a carry-save adder gives a redundant (sum, carry) pair, not a sum",
            key="adder",
            value=self.name,
            allowed="ripple_carry or bit_serial",
        )

    def _run(
        self, a: object, b: object, bits: int, signed: bool, fault: FaultHook | None
    ) -> tuple[IntArray, Tally]:
        return self.run3(a, b, None, bits, signed, fault=fault)

    def run3(
        self,
        a: object,
        b: object,
        c: object,
        bits: int,
        signed: bool = False,
        *,
        fault: FaultHook | None = None,
    ) -> tuple[IntArray, Tally]:
        """``a + b + c`` (``c`` None: 0) through the compressor, decoded from (sum, carry)."""
        bits = self._check_mode(bits, signed)
        av = check_operand(a, bits, signed, key="a")
        bv = check_operand(b, bits, signed, key="b")
        cv = np.zeros_like(av) if c is None else check_operand(c, bits, signed, key="c")
        if not av.shape == bv.shape == cv.shape:
            raise ConfigError(
                "operands must have the same number of lanes",
                key="b",
                value=(bv.size, cv.size),
                allowed=f"{av.size} lanes, like a",
            )
        ev = Evaluator(av.size, fault)
        s, cy = self.compress(ev, pack(av, bits), pack(bv, bits), pack(cv, bits))
        total = unpack(s, av.size, False) + (unpack(cy, av.size, False) << 1)
        return _wrap(total, bits, signed), ev.tally()

    def _compute(self, ev: Evaluator, a: Planes, b: Planes, bits: int, signed: bool) -> Planes:
        # Not reached: _run() decodes the (sum, carry) pair itself.
        return stack(self.add_planes(ev, as_list(a), as_list(b)))

    def _cost(self, bits: int, signed: bool) -> Tally:
        n = bits
        return Tally(lim_evals=2 * n, lim_cycles=1, cell_bit_writes=2 * n, cell_write_cycles=1)

    def _footprint(self, bits: int) -> Footprint:
        # 2 PCSAs per bit, no latch (carries go to RTM); 3 input and 2 output words
        # of n bits across tracks, one domain and one port each.
        return Footprint(pcsa=2 * bits) + tracks(5 * bits, 1, 1)


def _ripple(
    ev: Evaluator,
    a: list[Planes],
    b: list[Planes],
    cin: Planes | None,
    after_each: Callable[[], None] | None = None,
) -> list[Planes]:
    """The sum planes of ``a + b + cin``, one full-adder step per bit from the LSB (the carry
    in a latch); ``after_each()`` after every step."""
    c = ev.zeros() if cin is None else cin
    out = []
    for ak, bk in zip(a, b, strict=True):
        s, c = ev.full_add(ak, bk, c)
        if after_each is not None:
            after_each()
        out.append(s)
    return out


def _wrap(values: IntArray, bits: int, signed: bool) -> IntArray:
    """Reduce modulo 2**bits and read as two's complement if signed."""
    v = values & np.int64((1 << bits) - 1)
    if signed:
        v = np.where(v >= (1 << (bits - 1)), v - (1 << bits), v)
    return v.astype(np.int64)


ADDERS: tuple[type[Adder], ...] = (FullAdder, RippleCarryAdder, BitSerialAdder, CarrySaveAdder)
