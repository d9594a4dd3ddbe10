"""The streaming trace parser: NVMain's header rules, rtmcim's rules, fast path = line parser."""

from __future__ import annotations

import io
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rtmcim.errors import TraceError
from rtmcim.memory import trace_parse
from rtmcim.memory.trace_parse import parse_stream, parse_trace_text, read_trace

D = "00" * 64  # NVMain's 64-byte data field


def nv(lines: list[tuple[int, str, str]], header: str | None = None, end: str = "\n") -> str:
    """NVMain lines; an NVMV1 trace carries OLDDATA too."""
    data = f"{D} {D}" if header == "NVMV1" else D
    body = "\n".join(f"{c} {op} {a} {data} 0" for c, op, a in lines)
    return (f"{header}\n" if header else "") + body + end


THREE = [(0, "R", "0x40"), (4, "W", "0x80"), (8, "R", "0xc0")]


@pytest.mark.parametrize("compat", ["rtmcim", "rtsim"])
@pytest.mark.parametrize("header", ["NVMV0", "NVMV1"])
def test_nvmv_headers_are_skipped(compat: str, header: str) -> None:
    acc = parse_trace_text(nv(THREE, header), "t", compat)  # type: ignore[arg-type]
    assert list(acc.address) == [0x40, 0x80, 0xC0]
    assert list(acc.is_write) == [False, True, False]
    assert list(acc.cycle) == [0, 4, 8]  # type: ignore[arg-type]
    assert list(acc.line_numbers()) == [2, 3, 4]  # type: ignore[arg-type]
    assert acc.version_line == header and acc.dropped_lines == 0


def test_nvmv1_needs_old_data() -> None:
    with pytest.raises(TraceError, match=r"t:2: data field has 1 characters, not 128"):
        parse_trace_text(f"NVMV1\n0 R 0x40 {D} 0\n", "t", "rtsim")


def test_headerless_first_line_is_dropped_by_nvmain_only() -> None:
    # NVMain reads line 1 as its version line whatever it holds: 4096 lines -> 4095 accesses
    text = nv(THREE)
    rtsim = parse_trace_text(text, "t", "rtsim")
    assert list(rtsim.address) == [0x80, 0xC0] and rtsim.dropped_lines == 1
    assert list(rtsim.line_numbers()) == [2, 3]  # type: ignore[arg-type]
    assert len(parse_trace_text(text, "t")) == 3  # rtmcim's rules count line 1


def test_nvmain_rules_hex_addresses_and_the_unterminated_last_line() -> None:
    # NVMain parses addresses with std::hex: '1000' is 4096; a last line without a newline
    # is lost by its reader (getline hits the end of the file)
    text = nv([(0, "R", "0"), (4, "R", "1000"), (8, "W", "0x1040"), (9, "R", "40")], end="")
    rtsim = parse_trace_text(text, "t", "rtsim")
    assert list(rtsim.address) == [0x1000, 0x1040] and rtsim.dropped_lines == 2
    rtmcim = parse_trace_text(text, "t")
    assert list(rtmcim.address) == [0, 1000, 0x1040, 40]


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        (nv(THREE, "NVMV2"), 1, "version '2' is not 0 or 1"),
        (nv([*THREE, (7, "R", "0x40")], "NVMV1"), 5, "cycle 7 goes backwards (previous line: 8)"),
        ("NVMV0\n0 R 0x40 00 0\n", 2, "data field has 2 characters, not 128"),
        (nv([(0, "r", "0x40")], "NVMV0"), 2, "unknown operation 'r'"),
        (nv([(0, "R", "0xzz")], "NVMV0"), 2, "address '0xzz'"),
        ("NVMV0\nR 0x40\n", 2, "expected 4-6 fields, got 2"),
        (nv([(1 << 32, "R", "0x40")], "NVMV0"), 2, "is too large"),
    ],
)
def test_nvmain_rules_reject(text: str, line: int, fragment: str) -> None:
    with pytest.raises(TraceError) as e:
        parse_trace_text(text, "bad.nvt", "rtsim")
    msg = str(e.value)
    assert f"bad.nvt:{line}:" in msg and fragment in msg and "--compat rtsim" in msg
    assert "\n" not in msg


def test_the_first_bad_line_stops_the_reading(monkeypatch: pytest.MonkeyPatch) -> None:
    # a bad line early in a long trace is reported without reading the rest of the file
    monkeypatch.setattr(trace_parse, "CHUNK_BYTES", 4096)
    good = nv([(4 * i, "R", hex(64 * i)) for i in range(20)], "NVMV0")
    rest = nv([(1000 + i, "R", "0x40") for i in range(100_000)])

    class Counting(io.BytesIO):
        read_bytes = 0

        def readinto(self, buffer: Any) -> int:
            got = super().readinto(buffer)
            Counting.read_bytes += got
            return got

    data = (good + "500 X 0x40 " + D + " 0\n" + rest).encode()
    with pytest.raises(TraceError, match=r"big.nvt:22: unknown operation 'X'"):
        parse_stream(Counting(data), "big.nvt", "rtsim")
    assert Counting.read_bytes < 3 * 4096 < len(data) // 100


LINE = st.tuples(
    st.integers(0, 10**12),
    st.sampled_from(["R", "W", "r", "w"]),
    st.integers(0, (1 << 60) - 1),
    st.booleans(),
)


@settings(max_examples=40, deadline=None)
@given(st.lists(LINE, min_size=1, max_size=200), st.sampled_from([64, 257, 4096]))
def test_fast_path_equals_line_parser(rows: list[tuple[int, str, int, bool]], chunk: int) -> None:
    # the vectorised chunks and the line-by-line parser are two independent readings of the
    # same text; a '#' anywhere sends a chunk to the line parser
    text = "".join(f"{c} {op} {hex(a) if h else a} {D} 0\n" for c, op, a, h in rows)
    old = trace_parse.CHUNK_BYTES
    try:
        trace_parse.CHUNK_BYTES = chunk
        fast = parse_trace_text(text, "t")
        slow = parse_trace_text(text + "# end\n", "t") if chunk == 4096 else fast
    finally:
        trace_parse.CHUNK_BYTES = old
    ref = parse_trace_text("# start\n" + text, "t")  # line parser throughout (one chunk)
    for acc in (fast, slow):
        assert list(acc.address) == [a for _, _, a, _ in rows]
        assert list(acc.is_write) == [op in "Ww" for _, op, _, _ in rows]
        assert list(acc.cycle) == [c for c, _, _, _ in rows]  # type: ignore[arg-type]
        assert list(acc.line_numbers()) == list(range(1, len(rows) + 1))  # type: ignore[arg-type]
    assert list(ref.address) == list(fast.address)
    assert list(ref.line_numbers()) == [x + 1 for x in fast.line_numbers()]  # type: ignore[union-attr]


def test_simple_format_has_no_cycles(tmp_path: Path) -> None:
    p = tmp_path / "s.trace"
    p.write_text("R 0x40\nw 8\n")
    acc = read_trace(p)
    assert acc.cycle is None and list(acc.address) == [64, 8] and list(acc.is_write) == [0, 1]
    with pytest.raises(TraceError, match=r"s.trace:2: expected 4-6 fields"):
        read_trace(p, "rtsim")  # line 1 is the version line; line 2 is not NVMain


def test_empty_traces() -> None:
    for compat in ("rtmcim", "rtsim"):
        acc = parse_trace_text("", "t", compat)  # type: ignore[arg-type]
        assert len(acc) == 0 and acc.address.dtype == np.int64


ODD = ["", "0x", "x1", "-3", "1e3", "X", "é", "00\t0", "00\r", "9" * 19, "f" * 16, "#"]
OPS = {"rtmcim": ["R", "W", "r", "w"], "rtsim": ["R", "W"]}
ADDRS = {
    "rtmcim": ["0x40", "0X4f", "40", "0", "0x" + "f" * 15, "9" * 18],
    "rtsim": ["0x40", "0X4f", "40", "ff", "0", "f" * 15, "0x" + "f" * 15],
}
DATA = {"rtmcim": [D, D.upper(), "z" * 128, D[:-1]], "rtsim": [D, D.upper(), "#" * 128]}
SHAPES = {"nvmain": 5, "nvmain-old": 6, "nvmain-4": 4, "simple": 2}


@st.composite
def trace_rows(draw: st.DrawFn, compat: str) -> list[list[str]]:
    """Lines of one format, well-formed under ``compat`` (cycles never decrease); now and
    then an odd field or field count."""
    fields = SHAPES[draw(st.sampled_from(sorted(SHAPES)))]
    op, addr, data = (st.sampled_from(x[compat]) for x in (OPS, ADDRS, DATA))
    rows, cycle = [], 0
    for _ in range(draw(st.integers(1, 8))):
        cycle += draw(st.sampled_from([0, 1, 4, 4294967295]))
        c = f"{cycle:0{draw(st.integers(1, 3))}d}"
        if fields == 2:
            row = [draw(op), draw(addr)]
        else:
            row = [c, draw(op), draw(addr), *(draw(data) for _ in range(max(1, fields - 4)))]
            row += ["0"] * (fields > 4)
        k = draw(st.integers(0, 50))
        if k < len(row):
            row[k] = draw(st.sampled_from(ODD))
        elif k == 50:
            row.append("0")
        rows.append(row)
    return rows


def _outcome(text: str, compat: str) -> tuple[object, ...]:
    return _outcome_of(lambda: parse_trace_text(text, "t", compat))  # type: ignore[arg-type]


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(["rtmcim", "rtsim"]).flatmap(lambda c: st.tuples(st.just(c), trace_rows(c))),
    st.sampled_from(["", "NVMV0\n", "NVMV1\n"]),
    st.sampled_from([" ", " ", " ", "  "]),
)
def test_the_c_fast_path_reads_any_text_as_the_line_parser_does(
    case: tuple[str, list[list[str]]], header: str, sep: str
) -> None:
    compat, rows = case
    # the C parser either reads a chunk exactly as the reference line parser would or hands
    # it over: on odd fields, separators and bytes, the accesses or the error are the same
    text = header + "".join(sep.join(r) + "\n" for r in rows)
    if rows[0] == ["R"]:  # the same text without its last newline
        text = text[:-1]
    fast = _outcome(text, compat)
    native = trace_parse._native
    try:
        trace_parse._native = None  # type: ignore[assignment]
        ref = _outcome(text, compat)
    finally:
        trace_parse._native = native
    assert fast == ref


@pytest.mark.parametrize("compat", ["rtmcim", "rtsim"])
def test_the_c_fast_path_takes_ordinary_lines(compat: str) -> None:
    # the fast path must not hand ordinary NVMain lines to the line parser
    text = nv([(4 * i, "RW"[i % 2], hex(64 * i)) for i in range(50)], "NVMV0")
    st_ = trace_parse.ParseState("t", compat)  # type: ignore[arg-type]
    body = text.split("\n", 1)[1].encode()
    assert trace_parse._parse_native(st_, body, 0, len(body), 2) == 50
    assert st_.kind == "nvmain" and (compat == "rtmcim" or st_.last_cycle == 196)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 99), st.sampled_from("RW"), st.integers(0, 1 << 20)), max_size=60
    ),
    st.sampled_from([64, 100, 257, 4096]),
    st.sampled_from(["", "NVMV0\n", "# c\n"]),
    st.booleans(),
    st.sampled_from(["rtmcim", "rtsim"]),
)
def test_a_mapped_file_reads_as_the_stream(
    rows: list[tuple[int, str, int]], chunk: int, head: str, newline_at_end: bool, compat: str
) -> None:
    # read_trace maps a regular file and parses windows of it in place (their pages released
    # behind them); the windows fall anywhere, even inside a line longer than a window
    rows = sorted(rows)
    body = "".join(f"{c} {op} {a:x} {D} 0\n" for c, op, a in rows)
    text = head + (body if newline_at_end else body[:-1])
    old = trace_parse.CHUNK_BYTES
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "t.nvt"
        path.write_text(text)
        try:
            trace_parse.CHUNK_BYTES = chunk
            mapped = _outcome_of(lambda: read_trace(path, compat))  # type: ignore[arg-type]
            streamed = _outcome_of(lambda: parse_trace_text(text, str(path), compat))  # type: ignore[arg-type]
        finally:
            trace_parse.CHUNK_BYTES = old
    assert mapped == streamed


def _outcome_of(parse: Any) -> tuple[object, ...]:
    try:
        a = parse()
    except TraceError as e:
        return ("error", str(e))
    cyc = None if a.cycle is None else a.cycle.tolist()
    return (
        a.is_write.tolist(),
        a.address.tolist(),
        cyc,
        a.line_numbers().tolist(),
        a.dropped_lines,
    )


def test_file_lines_of_runs_and_of_the_line_parser(monkeypatch: pytest.MonkeyPatch) -> None:
    # the fast path keeps runs of consecutive lines, the line parser one line per access;
    # where(i) and line_numbers() read both the same way
    monkeypatch.setattr(trace_parse, "CHUNK_BYTES", 300)
    rows = [f"{4 * i} R {hex(64 * i)} {D} 0\n" for i in range(12)]
    rows[5] = "\n" + rows[5]  # a blank line: its chunk goes to the line parser
    acc = parse_trace_text("NVMV0\n" + "".join(rows), "t.nvt", "rtsim")
    expected = [i + 2 + (i >= 5) for i in range(12)]
    assert list(acc.line_numbers()) == expected  # type: ignore[arg-type]
    assert [acc.where(i) for i in range(12)] == [f"t.nvt:{n}" for n in expected]
    assert len(acc.line_runs) > 2


def test_a_bad_line_in_a_mapped_file_stops_the_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # read_trace maps the file: the windows after the one holding the bad line are never read
    monkeypatch.setattr(trace_parse, "CHUNK_BYTES", 4096)
    good = nv([(4 * i, "R", hex(64 * i)) for i in range(20)], "NVMV0")
    rest = nv([(1000 + i, "R", "0x40") for i in range(20_000)])
    path = tmp_path / "big.nvt"
    path.write_text(good + "500 X 0x40 " + D + " 0\n" + rest)
    windows = 0
    mapped = trace_parse._mapped_windows

    def counting(m: Any) -> Any:
        nonlocal windows
        for w in mapped(m):
            windows += 1
            yield w

    monkeypatch.setattr(trace_parse, "_mapped_windows", counting)
    with pytest.raises(TraceError, match=r"big.nvt:22: unknown operation 'X'"):
        read_trace(path, "rtsim")
    assert 1 <= windows <= 2 < path.stat().st_size // 4096
