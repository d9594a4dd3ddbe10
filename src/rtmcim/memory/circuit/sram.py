"""6T SRAM organisations: banks of subarrays of ``rows x columns`` cells.

One word of ``word_bits`` bits is sensed in one subarray through a
``columns / word_bits``:1 column multiplexer, like a racetrack word (and like
a DESTINY organisation with one active mat, one active subarray and no output
multiplexers).
"""

from __future__ import annotations

from dataclasses import dataclass

from rtmcim.errors import ConfigError
from rtmcim.memory.circuit import cells
from rtmcim.memory.circuit.subarray import SubarraySpec
from rtmcim.tech import Tech


def _power_of_two(n: int) -> bool:
    return n >= 1 and n & (n - 1) == 0


@dataclass(frozen=True, slots=True)
class SramOrganization:
    """``banks x subarrays_per_bank`` subarrays of ``rows x columns`` 6T cells.

    Banks and subarrays per bank are powers of two (they are the H-tree's
    leaves); ``word_bits`` divides ``columns``. Bad values raise
    :class:`~rtmcim.errors.ConfigError` naming the key.
    """

    banks: int
    subarrays_per_bank: int
    rows: int
    columns: int
    word_bits: int = 64

    def __post_init__(self) -> None:
        for key in ("banks", "subarrays_per_bank"):
            v = getattr(self, key)
            if not isinstance(v, int) or not _power_of_two(v):
                raise ConfigError(
                    "must be a power of two (the H-tree's leaves)",
                    key=key,
                    value=v,
                    allowed="1, 2, 4, 8, ...",
                )
        for key in ("rows", "columns", "word_bits"):
            v = getattr(self, key)
            if not isinstance(v, int) or v < 1 or v > 1 << 16:
                raise ConfigError("out of range", key=key, value=v, allowed="an integer 1..65536")
        if self.columns % self.word_bits:
            raise ConfigError(
                f"word_bits={self.word_bits} must divide columns={self.columns} "
                "(one word is sensed through a columns/word_bits : 1 multiplexer)",
                key="columns",
                value=self.columns,
                allowed=f"a multiple of word_bits={self.word_bits}",
            )

    @property
    def subarrays(self) -> int:
        return self.banks * self.subarrays_per_bank

    @property
    def mux(self) -> int:
        return self.columns // self.word_bits

    @property
    def capacity_bits(self) -> int:
        return self.subarrays * self.rows * self.columns

    @property
    def words(self) -> int:
        return self.capacity_bits // self.word_bits


def sram_spec(org: SramOrganization, tech: Tech) -> SubarraySpec:
    """The subarray geometry of ``org``."""
    c = cells.sram(tech)
    f = tech.node_nm * 1e-9
    p = cells.pitch(c.area_f2, c.aspect_ratio, f)
    # a well/strap stitch every few columns widens the array (CACTI/NVSim)
    stitches = (org.columns - 1) // c.stitch_columns + 1
    width = org.columns * p.width_m + stitches * c.stitch_overhead_f * f
    height = org.rows * p.height_m
    return SubarraySpec(
        kind="sram",
        wordlines=org.rows,
        columns=org.columns,
        mux=org.mux,
        word_bits=org.word_bits,
        array_width_m=width,
        array_height_m=height,
        column_pitch_m=width / org.columns,
        wordline_gates=2 * org.columns,  # two access transistors per cell
        bitline_drains=org.rows / 2,  # neighbouring cells share the bitline contact
        access_width_m=c.access_width_f * f,
        storage_m2=org.rows * org.columns * c.area_f2 * f * f,
    )
