"""Type stub of the C extension rtmcim.memory._native (source: _native.c beside it)."""

import mmap
from collections.abc import Callable
from typing import Any, TypeAlias

import numpy as np

# anything with a C-contiguous buffer of the right item size
Buffer: TypeAlias = np.ndarray[Any, Any] | bytes | bytearray | memoryview | mmap.mmap

def parse_chunk(
    buf: Buffer,
    start: int,
    end: int,
    rtsim: bool,
    version: int,
    kind: int,
    last_cycle: int,
    is_write: Buffer,
    address: Buffer,
    cycle: Buffer,
    /,
) -> tuple[int, int, int] | None: ...
def frfcfs(
    rows: Buffer | None,
    n_rows: int,
    per_mu: int,
    row_domains: int,
    writes: Buffer,
    cyc: Buffer,
    order: Buffer,
    steps: Buffer,
    shift_mode: int,
    units: Buffer,
    domain: Buffer,
    segment: int,
    n_mus: int,
    shift: Callable[[int], int] | None,
    queue_depth: int,
    threshold: int,
    timing: tuple[int, ...],
    /,
) -> tuple[int, int, int]: ...
def static_steps(
    unit: Buffer, domain: Buffer, segment: int, offsets: Buffer, steps: Buffer, /
) -> None: ...
