"""Access-trace runner: replay reads and writes on a memory, counting every shift.

Trace formats (one access per line; blank lines and ``#`` comments skipped):

* simple: ``OP ADDRESS`` -- ``R 0x1f40`` or ``W 8000``;
* NVMain/RTSim: ``CYCLE OP ADDRESS DATA [OLDDATA] THREAD`` -- e.g.
  ``12 R 0x1f40 0000000000000000 0``; an ``NVMV1`` header line is skipped.
  Cycle numbers and data are ignored: accesses are replayed in file order,
  one after another.

``OP`` is ``R`` or ``W`` (any case); ``ADDRESS`` is a byte address, decimal or
``0x`` hexadecimal.

Address map (documented contract; low digits first). A word is ``tracks`` bits
(``ceil(tracks / 8)`` bytes; a byte address falls in the word containing it).
The word index ``w = address // word_bytes`` is split in mixed radix::

    domain   = w % domains                 (lowest: consecutive words go down one MU)
    mu       = (w // domains) % mus_per_subarray
    subarray = (w // (domains * mus_per_subarray)) % subarrays_per_bank
    bank     =  w // (domains * mus_per_subarray * subarrays_per_bank)

so the global MU number is simply ``w // domains``. Consecutive words share an
MU and sit one domain apart, which is what a weight-stationary layout wants
(the next weight is one shift step away, DESIGN.md 1.3). Addresses beyond the
capacity are an error, or wrap around (``wrap=True``) as NVMain's decoder does
when it ignores the high address bits.

Latency is serial: the sum of every access's shift, read/write and H-tree time
(no bank-level parallelism is assumed; that is the mapping layer's job).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from rtmcim.errors import TraceError
from rtmcim.memory.costs import access_tallies, leakage_mw
from rtmcim.memory.organization import Memory, Organization
from rtmcim.tally import Tally
from rtmcim.tech import Cost, price

ALLOWED_LINE = (
    "'OP ADDRESS' or NVMain 'CYCLE OP ADDRESS DATA [OLDDATA] THREAD', "
    "OP one of R, W; ADDRESS decimal or 0x-hex, >= 0"
)

_INT = re.compile(r"^(0[xX][0-9a-fA-F]+|[0-9]+)$")


@dataclass(frozen=True)
class Accesses:
    """A parsed trace: ``is_write[i]`` and byte ``address[i]`` of each access."""

    is_write: npt.NDArray[np.bool_]
    address: npt.NDArray[np.int64]
    source: str = "<arrays>"
    lines: npt.NDArray[np.int64] | None = None  # file line of each access, for errors

    def __len__(self) -> int:
        return int(self.address.size)


def _bad(source: str, lineno: int, line: str, why: str) -> TraceError:
    # the offending text goes into the message: RtmcimError prints a value only beside a key
    return TraceError(
        f"{why} in {line.strip()!r}",
        source=f"{source}:{lineno}",
        value=line.strip(),
        allowed=ALLOWED_LINE,
    )


def parse_trace_text(text: str, source: str = "<trace>") -> Accesses:
    """Parse trace text in either format (formats may not be mixed within a file)."""
    ops: list[bool] = []
    addrs: list[int] = []
    lines: list[int] = []
    kind: str | None = None
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line or (lineno == 1 and line == "NVMV1"):
            continue
        tok = line.split()
        if len(tok) == 2:
            this, op, addr = "simple", tok[0], tok[1]
        elif 4 <= len(tok) <= 6:
            this, op, addr = "nvmain", tok[1], tok[2]
            if not tok[0].isdigit():
                raise _bad(source, lineno, raw, f"NVMain cycle must be an integer, got {tok[0]!r}")
        else:
            raise _bad(source, lineno, raw, f"expected 2 or 4-6 fields, got {len(tok)}")
        if kind is None:
            kind = this
        elif kind != this:
            raise _bad(source, lineno, raw, f"line is in {this} format but the file began {kind}")
        u = op.upper()
        if u not in ("R", "W"):
            raise _bad(source, lineno, raw, f"unknown operation {op!r}")
        if not _INT.match(addr):
            raise _bad(source, lineno, raw, f"address {addr!r} is not a non-negative integer")
        a = int(addr, 0) if addr[:2].lower() == "0x" else int(addr)
        if a >= 2**63:
            raise _bad(source, lineno, raw, f"address {addr} exceeds 63 bits")
        ops.append(u == "W")
        addrs.append(a)
        lines.append(lineno)
    return Accesses(
        np.array(ops, dtype=bool),
        np.array(addrs, dtype=np.int64),
        source,
        np.array(lines, dtype=np.int64),
    )


def read_trace(path: str | Path) -> Accesses:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise TraceError("trace file not found", source=str(p)) from exc
    except (IsADirectoryError, PermissionError, UnicodeDecodeError) as exc:
        raise TraceError(f"cannot read trace ({exc.__class__.__name__})", source=str(p)) from exc
    return parse_trace_text(text, str(p))


def word_bytes(org: Organization) -> int:
    """Bytes per word (a word is ``tracks`` bits, rounded up to whole bytes)."""
    return math.ceil(org.mu.tracks / 8)


@dataclass(frozen=True, slots=True)
class Location:
    """Where each access lands (arrays, one entry per access)."""

    bank: npt.NDArray[np.int64]
    subarray: npt.NDArray[np.int64]  # within its bank
    mu: npt.NDArray[np.int64]  # within its subarray
    mu_global: npt.NDArray[np.int64]
    domain: npt.NDArray[np.int64]


def map_addresses(org: Organization, acc: Accesses, *, wrap: bool = False) -> Location:
    """Apply the address map of the module docstring."""
    w = acc.address // word_bytes(org)
    if w.size and int(w.max()) >= org.words:
        if wrap:
            w = w % org.words
        else:
            i = int(np.argmax(w >= org.words))
            where = f"{acc.source}:{int(acc.lines[i])}" if acc.lines is not None else acc.source
            raise TraceError(
                "address beyond the memory's capacity",
                source=where,
                value=hex(int(acc.address[i])),
                allowed=f"0x0 .. {hex(org.words * word_bytes(org) - 1)}",
                hint="use a larger organization or wrap addresses (--wrap)",
            )
    d = org.mu.domains
    mu_global = w // d
    m = org.mus_in_subarray
    return Location(
        bank=mu_global // (m * org.subarrays_per_bank),
        subarray=(mu_global // m) % org.subarrays_per_bank,
        mu=mu_global % m,
        mu_global=mu_global,
        domain=w % d,
    )


@dataclass(frozen=True)
class TraceResult:
    """Statistics of one replayed trace."""

    accesses: int
    reads: int
    writes: int
    mu_shift_steps: int  # MU shifts of one domain (each moves every track)
    max_shift_steps: int  # longest shift of a single access
    accesses_without_shift: int
    mus_touched: int
    tally: Tally
    cost: Cost  # energy by class (incl. periphery leakage over the run), latency
    leakage_mw: float

    @property
    def mean_shift_steps(self) -> float:
        return self.mu_shift_steps / self.accesses if self.accesses else 0.0


def run_trace(mem: Memory, acc: Accesses, *, wrap: bool = False) -> TraceResult:
    """Replay ``acc`` on ``mem`` (every MU starts at home) and count events."""
    org, tech = mem.org, mem.tech
    loc = map_addresses(org, acc, wrap=wrap)
    steps = org.shift_steps(loc.mu_global, loc.domain, np.zeros(org.mus, dtype=np.int64))
    n = len(acc)
    writes = int(np.count_nonzero(acc.is_write))
    reads = n - writes
    total = int(steps.sum())
    t = access_tallies(org, tech)
    tally = t.read * reads + t.write * writes + t.shift_step * total
    leak = leakage_mw(org, tech)
    return TraceResult(
        accesses=n,
        reads=reads,
        writes=writes,
        mu_shift_steps=total,
        max_shift_steps=int(steps.max()) if n else 0,
        accesses_without_shift=int(np.count_nonzero(steps == 0)),
        mus_touched=int(np.count_nonzero(np.bincount(loc.mu_global))) if n else 0,
        tally=tally,
        cost=price(tally, mem.prices, leakage_mw=leak),
        leakage_mw=leak,
    )


def run_trace_file(mem: Memory, path: str | Path, *, wrap: bool = False) -> TraceResult:
    return run_trace(mem, read_trace(path), wrap=wrap)
