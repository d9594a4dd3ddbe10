"""Trace lines one at a time: the rules of both formats, and the errors they raise.

This is the reference reading of a trace (:mod:`rtmcim.memory.trace_parse` reads
ordinary chunks faster in C and falls back to it): rtmcim's rules and
NVMain's (``--compat rtsim``), as described in that module. The first line that
breaks them raises one :class:`~rtmcim.errors.TraceError` naming the file, the
line number, the line and what is allowed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, get_args

import numpy as np
import numpy.typing as npt

from rtmcim.errors import TraceError

Compat = Literal["rtmcim", "rtsim"]
COMPAT_MODES: tuple[str, ...] = get_args(Compat)

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

ALLOWED_LINE = (
    "'OP ADDRESS' or NVMain 'CYCLE OP ADDRESS DATA [OLDDATA] THREAD', "
    "OP one of R, W; ADDRESS decimal or 0x-hex, >= 0"
)
ALLOWED_LINE_RTSIM = (
    "NVMain 'CYCLE OP ADDRESS DATA [OLDDATA] THREAD' (--compat rtsim): CYCLE an integer "
    "below 2^32 that never decreases, OP R or W, ADDRESS hexadecimal (0x optional), "
    "DATA 128 hex digits"
)
DATA_HEX_DIGITS = 128  # NVMain's reader takes a 64-byte line of data per access
CYCLE_LIMIT_RTSIM = 1 << 32  # NVMain reads the cycle as an unsigned int

# byte -> digit value (255: not a digit of that base)
DEC = np.full(256, 255, dtype=np.uint8)
DEC[48:58] = np.arange(10)
HEX = DEC.copy()
HEX[97:103] = np.arange(10, 16)
HEX[65:71] = np.arange(10, 16)


@dataclass
class ParseState:
    """What carries from one chunk to the next."""

    source: str
    compat: Compat
    kind: str | None = None  # "simple" or "nvmain", fixed by the first access
    version: int = 0
    last_cycle: int = 0
    # parsed accesses: is_write, address, cycle and the file lines (one each, or the first
    # of a run on consecutive lines)
    parts: list[tuple[BoolArray, IntArray, IntArray, IntArray | int]] = field(default_factory=list)
    # the fast path writes into a block of arrays (is_write, address, cycle) with room
    # for more: entries [start, filled) are not in ``parts`` yet
    block: tuple[BoolArray, IntArray, IntArray] | None = None
    start: int = 0
    filled: int = 0
    first_line: int = 0  # the file line of the block's entry ``start``

    @property
    def allowed(self) -> str:
        return ALLOWED_LINE_RTSIM if self.compat == "rtsim" else ALLOWED_LINE

    def bad(self, lineno: int, line: str, why: str) -> TraceError:
        # the offending text goes into the message: RtmcimError prints a value only beside a key
        return TraceError(
            f"{why} in {line.strip()!r}",
            source=f"{self.source}:{lineno}",
            value=line.strip(),
            allowed=self.allowed,
        )


def int_token(tok: str, hex_always: bool) -> int | None:
    """A non-negative integer token (decimal, 0x-hex, or always hex), or None."""
    digits, base = tok, 16 if hex_always else 10
    if tok[:2] in ("0x", "0X"):
        digits, base = tok[2:], 16
    table = HEX if base == 16 else DEC
    if not digits or any(ord(ch) > 255 or table[ord(ch)] == 255 for ch in digits):
        return None
    return int(digits, base)


def parse_line(st: ParseState, lineno: int, raw: str) -> tuple[bool, int, int] | None:
    """One line by the rules of ``st.compat``: (is_write, address, cycle), or None to skip."""
    rtsim = st.compat == "rtsim"
    line = raw if rtsim else raw.split("#", 1)[0]
    tok = line.split()
    if not tok:
        return None
    if len(tok) == 2 and not rtsim:
        this, op, addr, cycle = "simple", tok[0], tok[1], 0
    elif 4 <= len(tok) <= 6:
        this, op, addr = "nvmain", tok[1], tok[2]
        c = int_token(tok[0], False) if tok[0].isdigit() else None
        if c is None:
            raise st.bad(lineno, raw, f"NVMain cycle must be an integer, got {tok[0]!r}")
        if c >= (CYCLE_LIMIT_RTSIM if rtsim else 2**63):
            raise st.bad(lineno, raw, f"cycle {c} is too large")
        if rtsim and c < st.last_cycle:
            raise st.bad(lineno, raw, f"cycle {c} goes backwards (previous line: {st.last_cycle})")
        cycle = c
    else:
        want = "4-6" if rtsim else "2 or 4-6"
        raise st.bad(lineno, raw, f"expected {want} fields, got {len(tok)}")
    if st.kind is None:
        st.kind = this
    elif st.kind != this:
        raise st.bad(lineno, raw, f"line is in {this} format but the file began {st.kind}")
    if (op if rtsim else op.upper()) not in ("R", "W"):
        raise st.bad(lineno, raw, f"unknown operation {op!r}")
    a = int_token(addr, hex_always=rtsim)
    if a is None:
        raise st.bad(lineno, raw, f"address {addr!r} is not a non-negative integer")
    if a >= 2**63:
        raise st.bad(lineno, raw, f"address {addr} exceeds 63 bits")
    if rtsim:
        data = [tok[3]] + ([tok[4]] if st.version == 1 and len(tok) >= 5 else [])
        for d in data:
            if len(d) != DATA_HEX_DIGITS:
                raise st.bad(lineno, raw, f"data field has {len(d)} characters, not 128")
        st.last_cycle = cycle
    return op.upper() == "W", a, cycle


def parse_lines(st: ParseState, text: str, first_line: int) -> None:
    ops: list[bool] = []
    addrs: list[int] = []
    cycles: list[int] = []
    lines: list[int] = []
    for k, raw in enumerate(text.split("\n")):
        got = parse_line(st, first_line + k, raw.rstrip("\r"))
        if got is not None:
            ops.append(got[0])
            addrs.append(got[1])
            cycles.append(got[2])
            lines.append(first_line + k)
    st.parts.append(
        (
            np.array(ops, dtype=bool),
            np.array(addrs, dtype=np.int64),
            np.array(cycles, dtype=np.int64),
            np.array(lines, dtype=np.int64),
        )
    )


__all__ = [
    "ALLOWED_LINE",
    "ALLOWED_LINE_RTSIM",
    "COMPAT_MODES",
    "DATA_HEX_DIGITS",
    "Compat",
    "ParseState",
    "int_token",
    "parse_line",
    "parse_lines",
]
