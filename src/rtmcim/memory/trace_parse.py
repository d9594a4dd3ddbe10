"""Streaming, vectorised parsing of access traces.

Formats (one access per line):

* simple: ``OP ADDRESS`` -- ``R 0x1f40`` or ``W 8000``;
* NVMain/RTSim: ``CYCLE OP ADDRESS DATA [OLDDATA] THREAD`` -- e.g.
  ``12 R 0x1f40 0000000000000000 0``.

Two rule sets:

``rtmcim`` (default)
    Blank lines and ``#`` comments are skipped; an ``NVMV0`` or ``NVMV1``
    version header on line 1 is skipped, any other line 1 is an access. ``OP``
    is ``R`` or ``W`` in any case; ``ADDRESS`` is decimal, or hexadecimal with
    ``0x``. The two formats may not be mixed within a file.
``rtsim`` (``--compat rtsim``: NVMain's trace reader, as RTSim runs it)
    Line 1 is always the version line: ``NVMV0`` or ``NVMV1`` sets the
    version, anything else is dropped unread (so a headerless trace of 4096
    lines holds 4095 accesses); a last line without a newline is dropped too.
    Only NVMain lines; ``OP`` is ``R`` or ``W``; ``ADDRESS`` is always
    hexadecimal (``0x`` optional: ``1000`` is 4096); ``DATA`` (and, in an
    ``NVMV1`` trace, ``OLDDATA``) is 128 hex digits, the 64-byte line the
    reader expects; ``CYCLE`` is below 2^32 and never decreases.

The file is read in chunks (never whole); each chunk is split into tokens with
a few numpy passes over its bytes. A chunk with anything unusual (a comment, a
blank line, a tab or carriage return, a bad token) is parsed line by line
instead, which is also where errors are raised: the first bad line of the file
gives one :class:`~rtmcim.errors.TraceError` naming the file, the line number
and what is allowed, and nothing after its chunk is read.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np
import numpy.typing as npt

from rtmcim.errors import TraceError
from rtmcim.memory.trace_lines import (
    ALLOWED_LINE,
    ALLOWED_LINE_RTSIM,
    COMPAT_MODES,
    CYCLE_LIMIT_RTSIM,
    DATA_HEX_DIGITS,
    DEC,
    HEX,
    MAX_DEC_DIGITS,
    MAX_HEX_DIGITS,
    Compat,
    ParseState,
    parse_lines,
)

CHUNK_BYTES = 1 << 22  # 4 MiB: a few passes over it stay in cache
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Accesses:
    """A parsed trace: ``is_write[i]``, byte ``address[i]`` and arrival ``cycle[i]``."""

    is_write: BoolArray
    address: IntArray
    source: str = "<arrays>"
    lines: IntArray | None = None  # file line of each access, for errors
    cycle: IntArray | None = None  # NVMain cycle column; None: every access ready at cycle 0
    version_line: str | None = None  # the NVMV header, if the trace has one
    dropped_lines: int = 0  # lines NVMain's reader drops (--compat rtsim)

    def __len__(self) -> int:
        return int(self.address.size)

    def where(self, i: int) -> str:
        """``file:line`` of access ``i`` (or just the source)."""
        return f"{self.source}:{int(self.lines[i])}" if self.lines is not None else self.source


def _digits(
    buf: npt.NDArray[np.uint8], end: IntArray, length: IntArray, table: npt.NDArray[np.uint8]
) -> IntArray | None:
    """Values of the tokens ending (exclusive) at ``end``; None if a byte is not a digit."""
    width = int(length.max())
    base = 16 if table is HEX else 10
    lead = width - length  # missing leading digits read as 0
    padded = width - int(length.min())
    out = np.zeros(end.size, dtype=np.int64)
    bad = False
    for k in range(width):  # one column of digits at a time: no n x width temporaries
        d = table.take(buf.take(end - (width - k)))
        if k < padded:
            d[lead > k] = 0
        bad |= int(d.max()) == 255
        out *= base
        out += d
    return None if bad else out


def _parse_fast(st: ParseState, buf: npt.NDArray[np.uint8], first_line: int) -> int | None:
    """Parse whole lines with numpy: the number of lines, or None if the line parser must."""
    if st.mask.size < buf.size:
        st.mask = np.empty(max(buf.size, CHUNK_BYTES), dtype=bool)
    mask = st.mask[: buf.size]
    np.less_equal(buf, 32, out=mask)
    ws = np.flatnonzero(mask)  # token ends: every token is followed by a space or newline
    wc = buf[ws]
    nl = np.flatnonzero(wc == 10)  # token index ending each line
    if nl.size + np.count_nonzero(wc == 32) != ws.size:  # a tab, CR or control byte
        return None
    if ws[0] == 0 or (ws.size > 1 and int(np.diff(ws).min()) == 1):  # empty token
        return None
    first = np.empty_like(nl)
    first[0] = 0
    first[1:] = nl[:-1] + 1
    ntok = nl - first + 1
    rtsim = st.compat == "rtsim"
    lo, hi = int(ntok.min()), int(ntok.max())
    if lo == hi == 2 and not rtsim:
        kind, op_t, addr_t = "simple", first, first + 1
    elif lo >= 4 and hi <= 6:
        kind, op_t, addr_t = "nvmain", first + 1, first + 2
    else:
        return None
    if st.kind not in (None, kind):
        return None

    line_start = np.empty_like(nl)
    line_start[0] = 0
    line_start[1:] = ws[nl[:-1]] + 1

    def span(t: IntArray) -> tuple[IntArray, IntArray]:
        """Length and end of token ``t`` (never a line's first token: see ``line_start``)."""
        end = ws[t]
        return end - ws[t - 1] - 1, end

    op_len, op_end = span(op_t)
    ops = buf[op_end - 1]
    is_w = ops == 87  # W
    ok = is_w | (ops == 82)  # R
    if not rtsim:
        is_w |= ops == 119  # w
        ok |= is_w | (ops == 114)  # r
    if int(op_len.max()) != 1 or not ok.all():
        return None
    cycle = np.zeros(nl.size, dtype=np.int64)
    if kind == "nvmain":
        c_end = ws[first]
        c_len = c_end - line_start
        if int(c_len.max()) > MAX_DEC_DIGITS:
            return None
        got = _digits(buf, c_end, c_len, DEC)
        if got is None:
            return None
        cycle = got
        if rtsim:
            if int(cycle.max()) >= CYCLE_LIMIT_RTSIM or int(cycle[0]) < st.last_cycle:
                return None
            if (np.diff(cycle) < 0).any() or (span(first + 3)[0] != DATA_HEX_DIGITS).any():
                return None
            if st.version == 1 and hi >= 5:
                has_old = ntok >= 5
                if (span(first[has_old] + 4)[0] != DATA_HEX_DIGITS).any():
                    return None
    a_len, a_end = span(addr_t)
    a_start = a_end - a_len
    prefixed = (a_len > 2) & (buf[a_start] == 48) & ((buf[a_start + 1] | 32) == 120)  # 0x, 0X
    hexa = prefixed | rtsim
    digits_len = a_len - 2 * prefixed
    if int(digits_len.max()) > (MAX_HEX_DIGITS if hexa.any() else MAX_DEC_DIGITS):
        return None
    address = np.zeros(nl.size, dtype=np.int64)
    for mask, table in ((hexa, HEX), (~hexa, DEC)):
        if mask.all():
            got = _digits(buf, a_end, digits_len, table)
        elif mask.any():
            got = _digits(buf, a_end[mask], digits_len[mask], table)
        else:
            continue
        if got is None:
            return None
        address[mask] = got
    st.kind = kind
    if rtsim and kind == "nvmain":
        st.last_cycle = int(cycle[-1])
    lines = first_line + np.arange(nl.size, dtype=np.int64)
    st.parts.append((is_w, address, cycle, lines))
    return int(nl.size)


def _parse_chunk(st: ParseState, block: bytes | bytearray, cut: int, first_line: int) -> int:
    """Parse ``block[:cut]``, whole lines starting at file line ``first_line``; their count."""
    if cut == 0:
        return 0
    if block.find(b"#", 0, cut) < 0:
        got = _parse_fast(st, np.frombuffer(block, dtype=np.uint8, count=cut), first_line)
        if got is not None:
            return got
    try:
        text = bytes(block[: cut - 1]).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise TraceError("trace is not UTF-8 text", source=st.source) from exc
    parse_lines(st, text, first_line)
    return text.count("\n") + 1


def _version_line(st: ParseState, raw: bytes) -> tuple[str | None, bool]:
    """Handle line 1: (the NVMV header if any, whether line 1 is consumed)."""
    text = raw.decode("utf-8", errors="replace").rstrip("\r\n")
    if st.compat == "rtsim":
        if text.startswith("NVMV"):
            if text[4:].strip() not in ("0", "1"):
                raise st.bad(1, text, f"NVMain trace version {text[4:]!r} is not 0 or 1")
            st.version = int(text[4:].strip())
            return text, True
        return None, True  # NVMain takes line 1 as its version line and drops it
    head = text.split("#", 1)[0].strip()
    if head in ("NVMV0", "NVMV1"):
        return head, True
    return None, False


def parse_stream(stream: BinaryIO, source: str, compat: Compat = "rtmcim") -> Accesses:
    """Parse a trace from a binary stream, a chunk of whole lines at a time."""
    if compat not in COMPAT_MODES:
        raise TraceError("unknown trace rules", value=compat, allowed=", ".join(COMPAT_MODES))
    st = ParseState(source, compat)
    buf = bytearray(CHUNK_BYTES)
    size = 0  # bytes held in buf; [0, size) starts at a line start
    line_no, dropped, version_line, at_start, eof = 1, 0, None, True, False
    while True:
        if size == len(buf):  # a line longer than the buffer
            buf.extend(bytes(len(buf)))
        if not eof:
            with memoryview(buf) as free:
                got = stream.readinto(free[size:])  # type: ignore[attr-defined]
            size += got or 0
            eof = not got
        if at_start:
            nl = buf.find(b"\n", 0, size)
            if nl < 0 and not eof:
                continue  # line 1 is not complete yet
            at_start = False
            end = nl + 1 if nl >= 0 else size
            if end:
                version_line, consumed = _version_line(st, bytes(buf[:end]))
                if consumed:
                    dropped += version_line is None
                    line_no = 2
                    buf[: size - end] = buf[end:size]
                    size -= end
        cut = buf.rfind(b"\n", 0, size) + 1
        if cut:
            line_no += _parse_chunk(st, buf, cut, line_no)
            buf[: size - cut] = buf[cut:size]  # the partial last line moves to the front
            size -= cut
        if eof:
            if size:  # a last line without a newline
                if compat == "rtsim":  # NVMain's reader drops it
                    dropped += 1
                else:
                    _parse_chunk(st, bytes(buf[:size]) + b"\n", size + 1, line_no)
            break
    if not st.parts:
        parse_lines(st, "", line_no)  # an empty trace: empty arrays of the right types
    is_w, addr, cyc, lines = (np.concatenate(p) for p in zip(*st.parts, strict=True))
    has_cycles = st.kind == "nvmain"
    return Accesses(is_w, addr, source, lines, cyc if has_cycles else None, version_line, dropped)


def parse_trace_text(text: str, source: str = "<trace>", compat: Compat = "rtmcim") -> Accesses:
    """Parse trace text (formats may not be mixed within a file)."""
    import io

    return parse_stream(io.BytesIO(text.encode("utf-8")), source, compat)


def read_trace(path: str | Path, compat: Compat = "rtmcim") -> Accesses:
    """Parse a trace file without reading it whole into memory."""
    p = Path(path)
    try:
        with p.open("rb") as stream:
            return parse_stream(stream, str(p), compat)
    except FileNotFoundError as exc:
        raise TraceError("trace file not found", source=str(p)) from exc
    except (IsADirectoryError, PermissionError) as exc:
        raise TraceError(f"cannot read trace ({exc.__class__.__name__})", source=str(p)) from exc


__all__ = [
    "ALLOWED_LINE",
    "ALLOWED_LINE_RTSIM",
    "COMPAT_MODES",
    "Accesses",
    "Compat",
    "parse_stream",
    "parse_trace_text",
    "read_trace",
]
