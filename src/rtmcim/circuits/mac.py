"""The MAC cell: a chosen multiplier and adder around a ``2n + ceil(log2 K)``-bit accumulator.

The CNN multiplies signed symmetric weights by unsigned post-ReLU
activations: weights are ``bits``-bit two's complement (or unsigned with
``signed_weights=False``), activations ``bits``-bit unsigned. Each product is
exact in 2n bits; the accumulator is ``2n + ceil(log2 K)`` bits wide, enough
for K products of the extreme value, so a dot product of up to K terms never
overflows. Each term is one product (``multiplier.product_planes``) followed
by one accumulator add (``adder.add_planes`` at the accumulator width, the
product sign-extended by repeating its top plane, no gate). The first term is
added to a zero accumulator like the others, so the cost is the same for
every term.

:func:`mac` is the vectorized entry for the bit-exact engine: ``(lanes, K)``
weights and activations in, one accumulator per lane out, every event
counted. :func:`mac_cost` is its analytical twin: for data-independent
multipliers ``mac(...)[1] == mac_cost(...).parallel(lanes)`` exactly; for Booth
and the lookup table the counted events never exceed it.
"""

from __future__ import annotations

import math

import numpy as np

from rtmcim.circuits.adders import Adder, BitSerialAdder, RippleCarryAdder
from rtmcim.circuits.bitplanes import (
    MAX_PLANES,
    IntArray,
    Planes,
    check_bits,
    check_operand,
    extend,
    pack,
    unpack,
)
from rtmcim.circuits.cell import Cell, Footprint, as_list, stack, tracks
from rtmcim.circuits.logic import Evaluator, FaultHook
from rtmcim.circuits.multipliers import MULTIPLIERS, Multiplier
from rtmcim.errors import ConfigError
from rtmcim.registry import Registry
from rtmcim.tally import Tally

# the adders and multipliers a MAC cell can be built of
MAC_ADDERS: Registry[type[Adder]] = Registry(
    "MAC accumulator adder", "adder", __name__, (RippleCarryAdder, BitSerialAdder)
)
MAC_MULTIPLIERS: Registry[type[Multiplier]] = Registry(
    "MAC multiplier", "multiplier", __name__, MULTIPLIERS
)
DEFAULT_MULTIPLIER = "shift_add"
DEFAULT_ADDER = "ripple_carry"
DEFAULT_K = 9  # one 3x3 kernel over one input channel


def accumulator_bits(bits: int, k: int) -> int:
    """``2 * bits + ceil(log2 k)``: wide enough for k products without overflow."""
    return 2 * bits + math.ceil(math.log2(k)) if k > 1 else 2 * bits


def check_mac_cells(
    multiplier: str, adder: str, *, prefix: str = "", source: str | None = None
) -> None:
    """The one check of a MAC cell's names: every path that builds an accelerator runs it.
    Errors name ``prefix + "multiplier"`` (or ``"adder"``) and list what is registered."""
    MAC_MULTIPLIERS.get(multiplier, key=f"{prefix}multiplier", source=source)
    MAC_ADDERS.get(adder, key=f"{prefix}adder", source=source)


def _parts(multiplier: str, adder: str) -> tuple[Multiplier, Adder]:
    check_mac_cells(multiplier, adder)
    return MAC_MULTIPLIERS[multiplier](), MAC_ADDERS[adder]()


def _check_k(k: object) -> int:
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or int(k) < 1:
        raise ConfigError("K must be a positive integer", key="K", value=k, allowed=">= 1")
    return int(k)


def _check_width(bits: int, k: int, mult: Multiplier) -> int:
    bits = check_bits(bits, mult.max_bits)
    w = accumulator_bits(bits, k)
    if w > MAX_PLANES - 1:
        raise ConfigError(
            "accumulator too wide for int64 results",
            key="bits",
            value=bits,
            allowed=f"2*bits + ceil(log2 K) <= {MAX_PLANES - 1} (K={k})",
        )
    return bits


def mac_cost(
    bits: int,
    k: int,
    *,
    multiplier: str = DEFAULT_MULTIPLIER,
    adder: str = DEFAULT_ADDER,
    signed_weights: bool = True,
) -> Tally:
    """Events of one K-term dot product on one MAC cell (worst case for data-dependent cells)."""
    k = _check_k(k)
    mult, add = _parts(multiplier, adder)
    bits = _check_width(bits, k, mult)
    w = accumulator_bits(bits, k)
    # the adder's own range check stops at 32 bits; the accumulator may be wider
    return k * (mult.product_cost(bits, signed_weights, False) + add._cost(w, signed_weights))


def mac(
    weights: object,
    acts: object,
    bits: int,
    *,
    multiplier: str = DEFAULT_MULTIPLIER,
    adder: str = DEFAULT_ADDER,
    signed_weights: bool = True,
    k_max: int | None = None,
    fault: FaultHook | None = None,
) -> tuple[IntArray, Tally]:
    """Dot products, lane by lane, through the cells' bit-plane operations.

    ``weights`` and ``acts`` are integer arrays of shape ``(lanes, K)`` (or
    ``(lanes,)`` for K = 1); weights are ``bits``-bit signed (unsigned if
    ``signed_weights=False``), activations ``bits``-bit unsigned. The
    accumulator is sized for ``k_max`` terms (default K). Returns one int64
    accumulator per lane and the counted :class:`Tally` (events over all
    lanes, cycles of one lane's K terms).
    """
    mult, _ = _parts(multiplier, adder)
    w_arr = np.asarray(weights)
    x_arr = np.asarray(acts)
    if w_arr.ndim == 1:
        w_arr = w_arr[:, None]
    if x_arr.ndim == 1:
        x_arr = x_arr[:, None]
    if w_arr.ndim != 2 or w_arr.shape != x_arr.shape:
        raise ConfigError(
            "weights and activations must have the same shape (lanes, K)",
            key="acts",
            value=tuple(x_arr.shape),
            allowed=f"{tuple(w_arr.shape)}, like the weights",
        )
    lanes, k = w_arr.shape
    k_acc = _check_k(k if k_max is None else k_max)
    if k > k_acc:
        raise ConfigError(
            "more terms than the accumulator is sized for", key="K", value=k, allowed=f"<= {k_acc}"
        )
    bits = _check_width(bits, k_acc, mult)
    # term-major copies, so that each term's lanes are contiguous for packing
    dt = operand_dtype(bits)
    wv = check_operand(w_arr, bits, signed_weights, key="weights").reshape(lanes, k)
    xv = check_operand(x_arr, bits, False, key="acts").reshape(lanes, k)
    return mac_term_major(
        np.ascontiguousarray(wv.T, dtype=dt),
        np.ascontiguousarray(xv.T, dtype=dt),
        bits,
        multiplier=multiplier,
        adder=adder,
        signed_weights=signed_weights,
        k_max=k_acc,
        fault=fault,
    )


def operand_dtype(bits: int) -> type[np.signedinteger]:
    """The smallest integer type holding ``bits``-bit operands, signed or unsigned."""
    return np.int16 if bits <= 15 else np.int32 if bits <= 31 else np.int64


def mac_term_major(
    weights: np.ndarray,
    acts: np.ndarray,
    bits: int,
    *,
    multiplier: str = DEFAULT_MULTIPLIER,
    adder: str = DEFAULT_ADDER,
    signed_weights: bool = True,
    k_max: int,
    fault: FaultHook | None = None,
) -> tuple[IntArray, Tally]:
    """:func:`mac` on operands already checked and laid out term-major, ``(K, lanes)``.

    Callers that build many lanes from few operands (the engine repeats each
    window for every filter) lay them out this way directly, skipping a
    transpose of the whole lane set.
    """
    mult, add = _parts(multiplier, adder)
    k, lanes = weights.shape
    width = accumulator_bits(bits, k_max)
    ev = Evaluator(lanes, fault)
    acc: list[Planes] = as_list(ev.zeros(width))
    for t in range(k):
        p = mult.product_planes(
            ev, pack(weights[t], bits), pack(acts[t], bits), bits, signed_weights, False
        )
        acc = add.add_planes(ev, acc, as_list(extend(p, width, signed_weights)))
    return unpack(stack(acc), lanes, signed_weights), ev.tally()


class MacCell(Cell):
    """One MAC step (a product and an accumulator add) as a registry cell.

    ``run(a, b, bits, signed)``: ``a`` weights (signed if ``signed``), ``b``
    unsigned activations, each ``(lanes,)`` or ``(lanes, K)`` with
    ``K <= self.k``; returns the dot products. ``cost(bits)`` is one term.
    """

    name = "mac"
    kind = "mac"
    description = "multiplier + accumulator adder of 2n + ceil(log2 K) bits (signed w x unsigned x)"

    def __init__(
        self,
        multiplier: str = DEFAULT_MULTIPLIER,
        adder: str = DEFAULT_ADDER,
        k: int = DEFAULT_K,
    ) -> None:
        self.multiplier, self.adder = _parts(multiplier, adder)
        self.k = _check_k(k)
        self.data_dependent = self.multiplier.data_dependent  # type: ignore[misc]
        self.max_bits = self.multiplier.max_bits  # type: ignore[misc]

    signed_run = True

    def _run(
        self, a: object, b: object, bits: int, signed: bool, fault: FaultHook | None
    ) -> tuple[IntArray, Tally]:
        return mac(
            a,
            b,
            bits,
            multiplier=self.multiplier.name,
            adder=self.adder.name,
            signed_weights=signed,
            k_max=self.k,
            fault=fault,
        )

    def cost(self, bits: int, signed: bool | None = None) -> Tally:
        """One term: a product and an accumulator add (``mac_cost(bits, k) == k * cost(bits)``)."""
        s = True if signed is None else signed
        bits = _check_width(bits, self.k, self.multiplier)
        width = accumulator_bits(bits, self.k)
        return self.multiplier.product_cost(bits, s, False) + self.adder._cost(width, s)

    def _compute(self, ev: Evaluator, a: Planes, b: Planes, bits: int, signed: bool) -> Planes:
        width = accumulator_bits(bits, self.k)
        p = self.multiplier.product_planes(ev, a, b, bits, signed, False)
        return stack(
            self.adder.add_planes(ev, as_list(ev.zeros(width)), as_list(extend(p, width, signed)))
        )

    def _cost(self, bits: int, signed: bool) -> Tally:
        return self.cost(bits, signed)

    def _footprint(self, bits: int) -> Footprint:
        width = accumulator_bits(bits, self.k)
        # the multiplier, the accumulator adder at the accumulator width, and the
        # accumulator's own track (width domains, one port) beside the adder
        return self.multiplier.footprint(bits) + self.adder._footprint(width) + tracks(1, width, 1)
