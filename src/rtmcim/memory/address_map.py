"""Address maps: which bank, subarray, macro unit and domain a byte address falls in.

A map is configuration (the ``address_map`` section of a memory or arch file)::

    address_map:
      line_bytes: 64          # bytes of address space one access covers; a power of two
      order: RK:BK:CH:R:C     # NVMain's AddressMappingScheme notation, most significant first
      above_capacity: wrap    # wrap | error

An address is first divided by ``line_bytes`` (NVMain's decoder drops the
cache-line offset bits the same way); the line index is then split into the
fields of ``order``, read as in NVMain's ``AddressMappingScheme``: the *last*
field takes the least significant digits, the first the most significant. Each
field is a digit whose radix is the count of that unit in the organisation, so
the fields are bit fields whenever the counts are powers of two (as NVMain's
always are). NVMain's names map onto racetrack terms as follows:

=====  ================  =================================================
field  NVMain            rtmcim (racetrack)
=====  ================  =================================================
``C``  column            domain of a track (RTSim: ``DOMAINS`` columns)
``R``  row               macro unit within its subarray (RTSim: a DBC)
``SA`` subarray          subarray within its bank (RTSim: ``DBCS/MATHeight``)
``BK`` bank              bank
``RK`` rank              always one rank: a field of radix 1
``CH`` channel           always one channel: a field of radix 1
=====  ================  =================================================

One access reads or writes one word: ``tracks`` bits at one domain of one MU.
Without an ``address_map`` section the map is rtmcim's original one:
``line_bytes`` is the word size, ``ceil(tracks / 8)`` bytes, and the order is
``BK:SA:R:C`` (consecutive words go down one MU, one domain apart), and
addresses beyond the capacity are an error. ``above_capacity: wrap`` ignores
the address bits above the capacity, as NVMain's decoders do.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, get_args

import numpy as np
import numpy.typing as npt
from pydantic import Field, field_validator

from rtmcim.config import Frozen

if TYPE_CHECKING:
    from rtmcim.memory.organization import Organization

FieldName = Literal["CH", "RK", "BK", "SA", "R", "C"]
FIELD_NAMES: tuple[str, ...] = get_args(FieldName)
AboveCapacity = Literal["wrap", "error"]
DEFAULT_ORDER = "BK:SA:R:C"

IntArray = npt.NDArray[np.int64]


def parse_order(order: str) -> tuple[str, ...]:
    """Split ``"RK:BK:CH:R:C"`` into its fields; unknown or repeated fields are a ValueError."""
    fields = tuple(f.strip() for f in order.split(":"))
    for f in fields:
        if f not in FIELD_NAMES:
            raise ValueError(
                f"unknown field {f!r} in order {order!r} (allowed fields: {', '.join(FIELD_NAMES)}, "
                "joined by ':' with the most significant first, e.g. RK:BK:CH:R:C)"
            )
    repeated = sorted({f for f in fields if fields.count(f) > 1})
    if repeated:
        raise ValueError(f"field {repeated[0]!r} appears twice in order {order!r}")
    return fields


class AddressMap(Frozen):
    """How byte addresses map onto the organisation (see the module docstring)."""

    line_bytes: int | None = Field(default=None, ge=1, le=1 << 30)
    order: str = DEFAULT_ORDER
    above_capacity: AboveCapacity = "error"

    @field_validator("line_bytes")
    @classmethod
    def _power_of_two(cls, v: int | None) -> int | None:
        if v is not None and v & (v - 1):
            raise ValueError(
                f"line_bytes = {v} is not a power of two (NVMain drops log2(line) address bits; "
                "allowed: 1, 2, 4, ..., 64, ...)"
            )
        return v

    @field_validator("order")
    @classmethod
    def _known_fields(cls, v: str) -> str:
        parse_order(v)
        return v

    @property
    def fields(self) -> tuple[str, ...]:
        return parse_order(self.order)


def field_counts(org: Organization) -> dict[str, int]:
    """How many of each field's unit the organisation has (the radix of each digit)."""
    return {
        "CH": 1,
        "RK": 1,
        "BK": org.banks,
        "SA": org.subarrays_per_bank,
        "R": org.mus_in_subarray,
        "C": org.mu.domains,
    }


def covers_if_valid(amap: AddressMap, data: dict[str, Any], key: str) -> AddressMap:
    """A config validator's check: ``amap`` covers the organisation at ``data[key]``, when
    that organisation validated (it is absent from ``data`` when it failed on its own)."""
    if key in data:
        check_covers(amap, data[key])
    return amap


def check_covers(amap: AddressMap, org: Organization) -> None:
    """A ValueError unless every unit with more than one instance has a field in the order."""
    counts = field_counts(org)
    missing = [f for f in FIELD_NAMES if counts[f] > 1 and f not in amap.fields]
    if missing:
        need = ", ".join(f"{f} ({counts[f]})" for f in missing)
        raise ValueError(
            f"order {amap.order!r} does not cover the organisation: no field for {need}; "
            f"allowed: an order naming every one of "
            f"{', '.join(f for f in FIELD_NAMES if counts[f] > 1)} (CH and RK optional)"
        )


def line_bytes_of(amap: AddressMap, org: Organization) -> int:
    """Bytes per line: the configured value, or one word (``ceil(tracks / 8)``) by default."""
    return amap.line_bytes if amap.line_bytes is not None else math.ceil(org.mu.tracks / 8)


def capacity_lines(org: Organization) -> int:
    """Addressable lines: one per domain of every MU."""
    return org.words


@dataclass(frozen=True, slots=True)
class Location:
    """Where each access lands (arrays, one entry per access)."""

    bank: IntArray
    subarray: IntArray  # within its bank
    mu: IntArray  # within its subarray
    mu_global: IntArray
    domain: IntArray


def first_beyond(lines: IntArray, org: Organization) -> int:
    """Index of the first line beyond the capacity, or -1."""
    if lines.size and int(lines.max()) >= capacity_lines(org):
        return int(np.argmax(lines >= capacity_lines(org)))
    return -1


def locate(amap: AddressMap, org: Organization, address: IntArray) -> Location:
    """Split byte addresses into bank, subarray, MU and domain (wrapping above the capacity).

    Callers that must reject addresses beyond the capacity check :func:`first_beyond` on
    ``address // line_bytes_of(...)`` first; here the top digit is taken modulo its radix.
    """
    counts = field_counts(org)
    radices = [(f, counts[f]) for f in reversed(amap.fields) if counts[f] > 1]  # low first
    # one working array: each digit is split off it, the rest shifted down in place and the
    # top digit left in it (fresh memory costs more than the arithmetic on it)
    line = line_bytes_of(amap, org)
    if line & (line - 1) == 0:
        rest = np.right_shift(address, line.bit_length() - 1)
    else:
        rest = np.floor_divide(address, line)
    digit: dict[str, IntArray] = {}
    for i, (f, radix) in enumerate(radices):
        top = i == len(radices) - 1
        if radix & (radix - 1) == 0:  # a power of two: a mask and a shift
            digit[f] = np.bitwise_and(rest, radix - 1, out=rest if top else None)
            if not top:
                np.right_shift(rest, radix.bit_length() - 1, out=rest)
        else:
            digit[f] = np.remainder(rest, radix, out=rest if top else None)
            if not top:
                np.floor_divide(rest, radix, out=rest)
    zero = np.zeros(0 if len(digit) == 4 else address.size, dtype=np.int64)
    bank, sub, mu = (digit.get(f, zero) for f in ("BK", "SA", "R"))
    mu_global = mu
    if org.banks > 1 or org.subarrays_per_bank > 1:
        mu_global = (bank * org.subarrays_per_bank + sub) * org.mus_in_subarray + mu
    return Location(bank, sub, mu, mu_global, digit.get("C", zero))


__all__ = [
    "DEFAULT_ORDER",
    "FIELD_NAMES",
    "AddressMap",
    "Location",
    "capacity_lines",
    "check_covers",
    "field_counts",
    "first_beyond",
    "line_bytes_of",
    "locate",
    "parse_order",
]
