"""Bit-plane maths: many lanes of two's-complement integers, bit-sliced into uint64 words.

A *plane stack* for ``bits``-wide integers over ``lanes`` lanes is a numpy
``uint64`` array of shape ``(bits, words)`` with ``words = ceil(lanes / 64)``:
plane ``k`` holds bit ``k`` (weight ``2**k``; for signed numbers the top plane
has weight ``-2**(bits-1)``) of every lane, lane ``i`` at bit ``i % 64`` of
word ``i // 64``. One numpy operation on a plane therefore evaluates one gate
in 64 lanes per word, which is what makes bit-exact simulation fast.

Lanes past ``lanes`` in the last word are padding: gates may set them, and
:func:`unpack` ignores them.

Values are checked against the width before packing (:func:`check_operand`);
packing itself keeps the low ``bits`` bits (two's complement), like a register.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from rtmcim.errors import ConfigError

LANES_PER_WORD = 64
MIN_BITS = 1
MAX_BITS = 32
# Accumulators and products are wider than operands; int64 holds up to 63 bits
# of signed magnitude, so internal plane stacks stay within 64 planes.
MAX_PLANES = 64

Planes = npt.NDArray[np.uint64]
IntArray = npt.NDArray[np.int64]


def words_for(lanes: int) -> int:
    """Number of 64-lane words needed for ``lanes`` lanes."""
    return (lanes + LANES_PER_WORD - 1) // LANES_PER_WORD


def check_bits(bits: object, max_bits: int = MAX_BITS, key: str = "bits") -> int:
    """Return ``bits`` as an int if ``MIN_BITS <= bits <= max_bits``, else raise ConfigError."""
    if isinstance(bits, bool) or not isinstance(bits, int | np.integer):
        raise ConfigError(
            "width must be an integer", key=key, value=bits, allowed=f"{MIN_BITS}..{max_bits}"
        )
    if not MIN_BITS <= int(bits) <= max_bits:
        raise ConfigError(
            "width out of range", key=key, value=int(bits), allowed=f"{MIN_BITS}..{max_bits}"
        )
    return int(bits)


def value_range(bits: int, signed: bool) -> tuple[int, int]:
    """Smallest and largest value of a ``bits``-wide integer."""
    if signed:
        return -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    return 0, (1 << bits) - 1


def check_operand(values: object, bits: int, signed: bool, key: str = "operand") -> IntArray:
    """Return ``values`` as a 1-D int64 array, or raise ConfigError if any lies outside the width."""
    arr = np.asarray(values)
    if arr.dtype == np.bool_ or not np.issubdtype(arr.dtype, np.integer):
        raise ConfigError(
            "operands must be numpy integer arrays", key=key, value=str(arr.dtype), allowed="int"
        )
    if arr.dtype == np.uint64 and arr.size and int(arr.max()) > np.iinfo(np.int64).max:
        raise ConfigError("operand too large", key=key, value=int(arr.max()))
    flat = np.asarray(arr, dtype=np.int64).reshape(-1)
    lo, hi = value_range(bits, signed)
    # min/max first: the common, valid case then costs two passes and no temporaries
    if flat.size and (int(flat.min()) < lo or int(flat.max()) > hi):
        bad = (flat < lo) | (flat > hi)
        v = int(flat[np.argmax(bad)])
        kind = "signed" if signed else "unsigned"
        raise ConfigError(
            f"operand outside the {bits}-bit {kind} range",
            key=key,
            value=v,
            allowed=f"{lo}..{hi}",
        )
    return flat


def pack(values: npt.ArrayLike, bits: int) -> Planes:
    """Bit-slice the low ``bits`` bits of each lane of ``values`` into a ``(bits, words)`` stack."""
    v = np.ascontiguousarray(np.asarray(values, dtype=np.int64).reshape(-1), dtype="<i8")
    lanes = v.size
    words = words_for(lanes)
    by = v.view(np.uint8).reshape(lanes, 8)
    lane_bit = np.zeros(words * LANES_PER_WORD, dtype=np.uint8)
    out = np.empty((bits, words), dtype=np.uint64)
    # byte by byte, bit by bit: cheap uint8 work, no (bits x lanes) 64-bit temporaries
    for g in range((bits + 7) // 8):
        column = np.ascontiguousarray(by[:, g])
        for k in range(8 * g, min(8 * g + 8, bits)):
            np.bitwise_and(column >> np.uint8(k - 8 * g), np.uint8(1), out=lane_bit[:lanes])
            # little bit order: lane i -> bit i % 8 of byte i // 8 -> bit i % 64 of the word
            out[k] = np.packbits(lane_bit, bitorder="little").view("<u8")
    return out


def unpack(planes: Planes, lanes: int, signed: bool) -> IntArray:
    """Inverse of :func:`pack`: the ``lanes`` integers a plane stack holds (top plane is the sign)."""
    bits = planes.shape[0]
    if bits > MAX_PLANES:
        raise ConfigError("too many planes to unpack", value=bits, allowed=f"<= {MAX_PLANES}")
    out = np.zeros(lanes, dtype=np.uint64)
    if lanes == 0 or bits == 0:
        return out.view(np.int64)
    column = np.empty(lanes, dtype=np.uint8)
    # gather eight planes into one byte per lane, then place the byte
    for g in range((bits + 7) // 8):
        column[:] = 0
        for k in range(8 * g, min(8 * g + 8, bits)):
            plane_bytes = np.ascontiguousarray(planes[k], dtype="<u8").view(np.uint8)
            column |= np.unpackbits(plane_bytes, bitorder="little")[:lanes] << np.uint8(k - 8 * g)
        out |= column.astype(np.uint64) << np.uint64(8 * g)
    if signed and bits < 64:
        # two's complement: the top plane weighs -2**(bits-1), i.e. subtract 2**bits
        sign = (out >> np.uint64(bits - 1)) & np.uint64(1)
        out -= sign << np.uint64(bits)
    return out.view(np.int64)


def lane_mask(lanes: int) -> Planes:
    """One plane whose set bits are exactly the ``lanes`` real lanes (padding cleared)."""
    words = words_for(lanes)
    m = np.full(words, np.uint64(0xFFFFFFFFFFFFFFFF), dtype=np.uint64)
    rem = lanes % LANES_PER_WORD
    if rem:
        m[-1] = np.uint64((1 << rem) - 1)
    return m


def popcount(plane: Planes) -> int:
    """Number of set bits in a plane (or stack)."""
    return int(np.bitwise_count(plane).sum())


def extend(planes: Planes, bits: int, signed: bool) -> Planes:
    """Sign- or zero-extend a stack to ``bits`` planes (views of existing planes, no gate)."""
    have = planes.shape[0]
    if bits <= have:
        return planes[:bits]
    fill = (
        np.repeat(planes[have - 1 : have], bits - have, axis=0)
        if signed
        else np.zeros((bits - have, planes.shape[1]), dtype=np.uint64)
    )
    return np.concatenate([planes, fill], axis=0)
