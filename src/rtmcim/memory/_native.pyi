"""Type stub of the C extension rtmcim.memory._native (source: _native.c beside it)."""

from collections.abc import Callable
from typing import Any, TypeAlias

import numpy as np

# anything with a C-contiguous buffer of the right item size
Buffer: TypeAlias = np.ndarray[Any, Any] | bytes | bytearray | memoryview

def parse_chunk(
    buf: Buffer,
    n: int,
    rtsim: bool,
    version: int,
    kind: int,
    last_cycle: int,
    first_line: int,
    is_write: Buffer,
    address: Buffer,
    cycle: Buffer,
    lines: Buffer,
    /,
) -> tuple[int, int, int] | None: ...
def frfcfs(
    rows: Buffer,
    nxt: Buffer,
    writes: Buffer,
    cyc: Buffer,
    order: Buffer,
    steps: Buffer,
    shift_mode: int,
    units: Buffer,
    targets: Buffer,
    n_mus: int,
    shift: Callable[[int], int] | None,
    queue_depth: int,
    threshold: int,
    timing: tuple[int, ...],
    /,
) -> tuple[int, int, int]: ...
