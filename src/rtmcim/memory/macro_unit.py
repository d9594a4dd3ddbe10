"""The macro unit (MU): ``tracks`` racetracks that shift together and share ports.

One port access reads or writes a ``tracks``-bit word in parallel; one MU shift
moves every track (energy x tracks, latency x 1). Cost models here are pure
functions of a frozen :class:`MuGeometry` (and a :class:`~rtmcim.tech.Tech` to
price): events first (a :class:`~rtmcim.tally.Tally`), prices after.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Self

from pydantic import Field, model_validator

from rtmcim.config import Frozen
from rtmcim.memory.track import PortPolicy, overhead_domains
from rtmcim.tally import Tally
from rtmcim.tech import Tech


class MuGeometry(Frozen):
    """Domains per track, ports per track, tracks per MU (ranges: PARAMETERS.md)."""

    domains: int = Field(default=64, ge=16, le=512)
    ports: int = Field(default=2, ge=1, le=16)
    tracks: int = Field(default=32, ge=8, le=64)

    @model_validator(mode="after")
    def _ports_divide_domains(self) -> Self:
        # a ValueError here becomes a ConfigError naming the key path (rtmcim.config.validate)
        if self.domains % self.ports:
            divisors = [k for k in range(1, 17) if self.domains % k == 0]
            raise ValueError(
                f"ports={self.ports} must divide domains={self.domains} (each port serves an "
                f"equal segment); allowed ports: {', '.join(map(str, divisors))}"
            )
        return self

    @property
    def segment(self) -> int:
        """Domains served by one port."""
        return self.domains // self.ports

    @property
    def capacity_bits(self) -> int:
        return self.domains * self.tracks


@dataclass(frozen=True, slots=True)
class MuArea:
    """Area of one MU; footprints in F², total also in µm²."""

    rtm_strip_f2: float  # tracks x (domains + overhead) cells
    access_transistors_f2: float  # tracks x ports x transistors per port
    shift_driver_f2: float  # tracks x one driver pair
    total_f2: float
    total_um2: float

    @property
    def limited_by(self) -> str:
        return "rtm" if self.rtm_strip_f2 >= self.access_transistors_f2 else "access transistors"


def mu_area(geom: MuGeometry, tech: Tech, port_policy: PortPolicy = "static") -> MuArea:
    """Area of one MU.

    RTM strips and CMOS access transistors are interleaved in the same
    footprint (the transistors sit beside/below the nanowires), so the MU is as
    large as the larger of the two, plus the shift drivers at the track ends
    (DESIGN.md 1.1; TapeCache-style macro-cell layout). The strip includes the
    overhead domains the port policy needs.
    """
    r = tech.rtm
    cells = geom.domains + overhead_domains(geom.domains, geom.ports, port_policy)
    rtm = geom.tracks * cells * r.cell_area_f2
    acc = geom.tracks * geom.ports * r.access_transistors_per_port * r.access_transistor_area_f2
    drv = geom.tracks * r.shift_driver_area_f2
    total = max(rtm, acc) + drv
    return MuArea(rtm, acc, drv, total, tech.f2_to_um2(total))


def word_read_tally(geom: MuGeometry) -> Tally:
    """Events of reading one ``tracks``-bit word at a port already aligned."""
    return Tally(bit_reads=geom.tracks, read_cycles=1)


def word_write_tally(geom: MuGeometry) -> Tally:
    """Events of writing one ``tracks``-bit word at a port already aligned."""
    return Tally(bit_writes=geom.tracks, write_cycles=1)


def shift_tally(geom: MuGeometry, steps: float = 1) -> Tally:
    """Events of shifting the MU by ``steps`` domains: every track moves, one after another step."""
    if steps < 0:
        raise ValueError(f"shift steps must be >= 0, got {steps}")
    return Tally(shift_steps=steps * geom.tracks, shift_cycles=steps)
