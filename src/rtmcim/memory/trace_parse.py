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

The file is read in chunks of whole lines (never whole). Each chunk goes
through the C fast path (``parse_chunk`` in :mod:`rtmcim.memory._native`: one
pass over its bytes, tokens split by single spaces, the fields checked and
decoded as they go). A chunk with anything unusual (a comment, a blank line, a
tab or carriage return, a byte outside printable ASCII, a bad token) is parsed
line by line instead by the reference reading
(:mod:`rtmcim.memory.trace_lines`, which the tests compare the fast path
against), which is also where errors are raised: the first bad line of the file
gives one :class:`~rtmcim.errors.TraceError` naming the file, the line number
and what is allowed, and nothing after its chunk is read.
"""

from __future__ import annotations

import mmap
import os
import stat
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, TypeAlias

import numpy as np

from rtmcim.errors import TraceError
from rtmcim.memory.trace_lines import (
    ALLOWED_LINE,
    ALLOWED_LINE_RTSIM,
    COMPAT_MODES,
    BoolArray,
    Compat,
    IntArray,
    ParseState,
    parse_lines,
)

try:
    from rtmcim.memory import _native
except ImportError:  # pragma: no cover - a venv made before the extension: `make venv` builds it
    _native = None  # type: ignore[assignment]

LineRun = tuple[int, "int | IntArray"]  # (first access, its file line | the line of each)
CHUNK_BYTES = 1 << 22  # 4 MiB: one window of whole lines, parsed while it is in cache
MAX_LINE_BYTES = 1 << 20  # a longer line is not a trace's (one is < 300 B): refused unread


class _LineTooLong(Exception):
    """A line longer than MAX_LINE_BYTES (a binary file, a wrong path)."""


Window: TypeAlias = bytearray | bytes | mmap.mmap  # bytes of whole lines, found by offsets
_SEQUENTIAL = getattr(mmap, "MADV_SEQUENTIAL", None)  # Linux: read ahead
_DONTNEED = getattr(mmap, "MADV_DONTNEED", None)  # Linux: release a parsed window's pages
_KINDS: tuple[str | None, ...] = (None, "simple", "nvmain")  # the C parser's codes
_KIND_CODE = {k: i for i, k in enumerate(_KINDS)}


@dataclass(frozen=True)
class Accesses:
    """A parsed trace: ``is_write[i]``, byte ``address[i]`` and arrival ``cycle[i]``."""

    is_write: BoolArray
    address: IntArray
    source: str = "<arrays>"
    lines: IntArray | None = None  # file line of each access, for errors (or ``line_runs``)
    cycle: IntArray | None = None  # NVMain cycle column; None: every access ready at cycle 0
    version_line: str | None = None  # the NVMV header, if the trace has one
    dropped_lines: int = 0  # lines NVMain's reader drops (--compat rtsim)
    # the parser's file lines, without an array of them: runs (first access, its line) of
    # accesses on consecutive lines, or (first access, the line of each)
    line_runs: tuple[LineRun, ...] = ()

    def __len__(self) -> int:
        return int(self.address.size)

    def line_numbers(self) -> IntArray | None:
        """The file line of each access (None for arrays made in code)."""
        if self.lines is not None or not self.line_runs:
            return self.lines
        out = np.empty(len(self), dtype=np.int64)
        ends = [r[0] for r in self.line_runs[1:]] + [len(self)]
        for (start, line), end in zip(self.line_runs, ends, strict=True):
            out[start:end] = (
                line if isinstance(line, np.ndarray) else np.arange(line, line + end - start)
            )
        return out

    def where(self, i: int) -> str:
        """``file:line`` of access ``i`` (or just the source)."""
        if self.lines is not None:
            return f"{self.source}:{int(self.lines[i])}"
        if not self.line_runs:
            return self.source
        start, line = self.line_runs[bisect_right(self.line_runs, i, key=lambda r: r[0]) - 1]
        at = int(line[i - start]) if isinstance(line, np.ndarray) else line + i - start
        return f"{self.source}:{at}"


def _room(st: ParseState, lines: int) -> tuple[BoolArray, IntArray, IntArray]:
    """Output arrays with room for ``lines`` more accesses, at the end of the block.

    A block is allocated once with room to spare (np.empty: pages never written cost no
    memory) and filled chunk after chunk; a trace that fits one block is returned as views
    of it, never copied.
    """
    if st.block is None or st.block[1].size - st.filled < lines:
        _close(st)
        size = max(4 * lines, 2 * st.filled, 1 << 20)
        st.block = (
            np.empty(size, dtype=np.bool_),
            np.empty(size, dtype=np.int64),
            np.empty(size, dtype=np.int64),
        )
        st.start = st.filled = 0
    f = st.filled
    w, a, c = st.block
    return w[f:], a[f:], c[f:]


def _close(st: ParseState) -> None:
    """Hand the block's new entries to ``st.parts`` (before the line parser adds its own)."""
    if st.block is not None and st.filled > st.start:
        (w, a, c), s, f = st.block, st.start, st.filled
        st.parts.append((w[s:f], a[s:f], c[s:f], st.first_line))  # on consecutive lines
        st.start = f


def _parse_native(st: ParseState, buf: Window, start: int, cut: int, first_line: int) -> int | None:
    """Parse whole lines ``buf[start:cut]`` with the C fast path: the number of lines, or
    None if the line parser must (anything unusual, or an error to report)."""
    if _native is None:
        return None
    w, a, c = _room(st, (cut - start) // 4 + 1)  # a line the fast path takes has >= 4 bytes
    rtsim, kind = st.compat == "rtsim", _KIND_CODE[st.kind]
    got = _native.parse_chunk(buf, start, cut, rtsim, st.version, kind, st.last_cycle, w, a, c)
    if got is None:
        return None
    k, kind, st.last_cycle = got
    if st.filled == st.start:  # a new run of accesses on consecutive lines
        st.first_line = first_line
    st.kind = _KINDS[kind]
    st.filled += k
    return k


def _parse_chunk(st: ParseState, buf: Window, start: int, cut: int, first_line: int) -> int:
    """Parse ``buf[start:cut]``, whole lines starting at file line ``first_line``; their count."""
    if cut <= start:
        return 0
    got = _parse_native(st, buf, start, cut, first_line)
    if got is not None:
        return got
    _close(st)
    try:
        text = bytes(buf[start : cut - 1]).decode("utf-8")
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


def _stream_windows(stream: BinaryIO) -> Iterator[tuple[Window, int, int]]:
    """Windows ``(buf, start, end)`` of a stream: whole lines, read into one reused buffer
    (each is parsed before the next is read); the last may end without a newline."""
    buf = bytearray(CHUNK_BYTES)
    size, eof = 0, False  # bytes held in buf; [0, size) starts at a line start
    while not eof:
        if size == len(buf):  # a line longer than the buffer
            if len(buf) >= MAX_LINE_BYTES:
                raise _LineTooLong
            buf.extend(bytes(len(buf)))
        with memoryview(buf) as free:
            got = stream.readinto(free[size:])  # type: ignore[attr-defined]
        size += got or 0
        eof = not got
        cut = size if eof else buf.rfind(b"\n", 0, size) + 1
        if cut:
            yield buf, 0, cut
            buf[: size - cut] = buf[cut:size]  # the partial last line moves to the front
            size -= cut


def _mapped_windows(m: mmap.mmap) -> Iterator[tuple[Window, int, int]]:
    """Windows of a memory-mapped file: whole lines of about CHUNK_BYTES, read in place (no
    copy); the pages behind each window are unmapped, so memory stays at one window."""
    pos, size, free = 0, len(m), 0
    while pos < size:
        end = min(size, pos + CHUNK_BYTES)
        cut = size if end == size else m.rfind(b"\n", pos, end) + 1
        if cut <= pos:  # a line longer than a window
            if end - pos >= MAX_LINE_BYTES:
                raise _LineTooLong
            cut = m.find(b"\n", end) + 1 or size
        yield m, pos, cut
        pos = cut
        done = pos - pos % mmap.PAGESIZE
        if done > free and _DONTNEED is not None:
            m.madvise(_DONTNEED, free, done - free)
            free = done


def _parse_windows(
    windows: Iterator[tuple[Window, int, int]], source: str, compat: Compat
) -> Accesses:
    """Parse a trace given as windows of whole lines (the last may lack its newline)."""
    if compat not in COMPAT_MODES:
        raise TraceError("unknown trace rules", value=compat, allowed=", ".join(COMPAT_MODES))
    st = ParseState(source, compat)
    line_no, dropped, version_line, first = 1, 0, None, True
    it = iter(windows)
    while True:
        try:
            buf, start, end = next(it)
        except StopIteration:
            break
        except _LineTooLong:  # the window would start at line line_no
            raise TraceError(
                f"a line longer than {MAX_LINE_BYTES:,} bytes (not a text trace?)",
                source=f"{source}:{line_no}",
                allowed=st.allowed,
            ) from None
        if first:  # the first window holds all of line 1
            first = False
            stop = buf.find(b"\n", start, end) + 1 or end
            version_line, consumed = _version_line(st, bytes(buf[start:stop]))
            if consumed:
                dropped += version_line is None
                line_no, start = 2, stop
        cut = buf.rfind(b"\n", start, end) + 1 or start
        line_no += _parse_chunk(st, buf, start, cut, line_no)
        if cut < end:  # the last line, without a newline
            if compat == "rtsim":  # NVMain's reader drops it
                dropped += 1
            else:
                _parse_chunk(st, bytes(buf[cut:end]) + b"\n", 0, end - cut + 1, line_no)
    _close(st)
    if not st.parts:
        parse_lines(st, "", line_no)  # an empty trace: empty arrays of the right types
    runs: list[LineRun] = []
    at = 0
    for part in st.parts:
        if part[0].size or not runs:  # an empty trace keeps one empty run: no line numbers
            runs.append((at, part[3]))
            at += part[0].size
    if len(st.parts) == 1:
        is_w, addr, cyc = st.parts[0][:3]
    else:
        is_w, addr, cyc = (np.concatenate([p[k] for p in st.parts]) for k in range(3))
    has_cycles = st.kind == "nvmain"
    cyc_out = cyc if has_cycles else None
    return Accesses(is_w, addr, source, None, cyc_out, version_line, dropped, tuple(runs))


def parse_stream(stream: BinaryIO, source: str, compat: Compat = "rtmcim") -> Accesses:
    """Parse a trace from a binary stream, a chunk of whole lines at a time."""
    return _parse_windows(_stream_windows(stream), source, compat)


def parse_trace_text(text: str, source: str = "<trace>", compat: Compat = "rtmcim") -> Accesses:
    """Parse trace text (formats may not be mixed within a file)."""
    import io

    return parse_stream(io.BytesIO(text.encode("utf-8")), source, compat)


def read_trace(path: str | Path, compat: Compat = "rtmcim") -> Accesses:
    """Parse a trace file without reading it whole into memory.

    A regular file is memory-mapped and parsed in place, a window at a time (the pages
    behind the window are released as it moves); anything else (a pipe, a device) is read
    as a stream.
    """
    p = Path(path)
    try:
        with p.open("rb") as f:
            info = os.fstat(f.fileno())
            if not stat.S_ISREG(info.st_mode) or info.st_size == 0:
                return parse_stream(f, str(p), compat)
            with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as m:
                if _SEQUENTIAL is not None:
                    m.madvise(_SEQUENTIAL)
                return _parse_windows(_mapped_windows(m), str(p), compat)
    except FileNotFoundError as exc:
        raise TraceError("trace file not found", source=str(p)) from exc
    except OSError as exc:  # a folder, no permission, a symbolic link loop, an I/O error
        why = exc.strerror or exc.__class__.__name__
        raise TraceError(f"cannot read trace ({why})", source=str(p)) from None


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
