"""A racetrack with its head position as state, and exact shift counting.

Geometry. A track stores ``domains`` bits and has ``ports`` evenly spaced
access ports; port ``p`` *owns* the segment of ``S = domains // ports``
domains starting at ``p * S``. The state of a track is its **offset** ``o``:
the number of steps the data has been shifted from home. At offset ``o``,
port ``p`` sees domain ``p * S + o``. At home (``o = 0``) every port sits at
the first domain of its own segment.

Port policies
-------------
``static``
    Domain ``d`` is always accessed by its owner port ``d // S``, at offset
    ``d % S``. Offsets stay in ``[0, S - 1]``, so the track needs ``S - 1``
    overhead domains at one end (DESIGN.md 1.1, PARAMETERS.md).
``nearest``
    Any port may serve ``d``; the one needing the fewest steps from the current
    offset wins (ties: the lower port index). Reaching a domain from the next
    port means shifting the other way (offset ``d % S - S``), so offsets span
    ``[-(S - 1), S - 1]`` and the track needs ``S - 1`` overhead domains at
    *each* end, ``2 (S - 1)`` in all. Offsets outside that window would push
    data off the track, so they are never chosen.

Update policies
---------------
``lazy``
    The track stays where the access left it (RTSim's lazy policy).
``eager``
    After each access the track returns home, shifting a second time; the
    cost of an access is then twice the distance from home (RTSim's eager
    policy). Both shifts are counted on the critical path (conservative: a
    controller could hide the return shift behind idle time).

:class:`Track` is the straightforward scalar model (used as the reference in
tests). :func:`shift_steps_vectorized` computes the same counts for a whole
stream of accesses to many tracks (or macro units, which shift as one): with
numpy, and for static ports with lazy update (RTSim's policies, the default)
with a loop in C; it is what the trace runner uses.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal, get_args

import numpy as np
import numpy.typing as npt

from rtmcim.errors import ConfigError, unknown

try:
    from rtmcim.memory import _native
except ImportError:  # pragma: no cover - a venv made before the extension: `make venv` builds it
    _native = None  # type: ignore[assignment]

PortPolicy = Literal["static", "nearest"]
UpdatePolicy = Literal["lazy", "eager"]
PORT_POLICIES: tuple[str, ...] = get_args(PortPolicy)
UPDATE_POLICIES: tuple[str, ...] = get_args(UpdatePolicy)

IntArray = npt.NDArray[np.int64]

# below this many units per lock-step round, finish ``lazy``+``nearest`` in plain Python
_LOCKSTEP_MIN_UNITS = 64


def check_geometry(domains: int, ports: int) -> int:
    """Validate a track geometry and return the segment length ``domains // ports``."""
    if domains < 1:
        raise ConfigError("domains must be >= 1", key="domains", value=domains, allowed=">= 1")
    if ports < 1:
        raise ConfigError("ports must be >= 1", key="ports", value=ports, allowed=">= 1")
    if domains % ports:
        divisors = [k for k in range(1, domains + 1) if domains % k == 0]
        raise ConfigError(
            "ports must divide domains (each port serves an equal segment)",
            key="ports",
            value=ports,
            allowed=f"a divisor of domains={domains}: {', '.join(map(str, divisors))}",
        )
    return domains // ports


def _check_policies(port_policy: str, update_policy: str) -> None:
    if port_policy not in PORT_POLICIES:
        raise unknown("port policy", port_policy, PORT_POLICIES, key="port_policy")
    if update_policy not in UPDATE_POLICIES:
        raise unknown("update policy", update_policy, UPDATE_POLICIES, key="update_policy")


def overhead_domains(domains: int, ports: int, port_policy: PortPolicy = "static") -> int:
    """Extra domains a track needs so that no data is pushed off its ends.

    ``static``: ``domains/ports - 1`` at one end; ``nearest``: that many at each end.
    """
    seg = check_geometry(domains, ports)
    return (seg - 1) * (2 if port_policy == "nearest" else 1)


def offset_window(domains: int, ports: int, port_policy: PortPolicy) -> tuple[int, int]:
    """Lowest and highest legal offset (inclusive)."""
    seg = check_geometry(domains, ports)
    return (-(seg - 1) if port_policy == "nearest" else 0), seg - 1


class Track:
    """One track (or one macro unit: its tracks shift together) with head state.

    ``access(domain)`` moves the track so that some port sees ``domain`` and
    returns the number of one-domain shift steps that took.
    """

    def __init__(
        self,
        domains: int,
        ports: int,
        port_policy: PortPolicy = "static",
        update_policy: UpdatePolicy = "lazy",
    ) -> None:
        self.segment = check_geometry(domains, ports)
        _check_policies(port_policy, update_policy)
        self.domains = domains
        self.ports = ports
        self.port_policy: PortPolicy = port_policy
        self.update_policy: UpdatePolicy = update_policy
        self.offset = 0
        self.total_steps = 0

    def target_offset(self, domain: int) -> int:
        """The offset at which ``domain`` will be accessed from the current state."""
        if not 0 <= domain < self.domains:
            raise ValueError(f"domain {domain} outside 0..{self.domains - 1}")
        lo, hi = offset_window(self.domains, self.ports, self.port_policy)
        if self.port_policy == "static":
            return domain % self.segment
        best = domain % self.segment  # the owner port is always within the window
        for port in range(self.ports):  # ascending, strict '<': ties go to the lower port
            off = domain - port * self.segment
            if lo <= off <= hi and abs(off - self.offset) < abs(best - self.offset):
                best = off
        return best

    def access(self, domain: int) -> int:
        off = self.target_offset(domain)
        steps = abs(off - self.offset)
        if self.update_policy == "eager":
            steps += abs(off)  # back home
            self.offset = 0
        else:
            self.offset = off
        self.total_steps += steps
        return steps

    def run(self, domains: Iterable[int]) -> list[int]:
        return [self.access(d) for d in domains]


def stable_order(keys: IntArray) -> IntArray:
    """``np.argsort(keys, kind="stable")``; keys in 0..65535 (a few thousand MUs) are sorted
    as 16-bit integers, which numpy sorts by radix, 5-10x faster than 64-bit ones."""
    if keys.size and int(keys.min()) >= 0 and int(keys.max()) < 1 << 16:
        return np.argsort(keys.astype(np.uint16), kind="stable")
    return np.argsort(keys, kind="stable")


def shift_steps_vectorized(
    unit: npt.ArrayLike,
    domain: npt.ArrayLike,
    *,
    domains: int,
    ports: int,
    port_policy: PortPolicy = "static",
    update_policy: UpdatePolicy = "lazy",
    offsets: IntArray | None = None,
) -> IntArray:
    """Shift steps of each access in a stream over many independent tracks.

    ``unit[i]`` is the track (or macro unit) the i-th access goes to and
    ``domain[i]`` the domain it wants. ``offsets`` (one entry per unit, updated
    in place) holds the units' current offsets, so a long stream can be fed in
    chunks; by default every unit starts at home. Returns the steps of each
    access, equal to what :class:`Track` would count one access at a time.

    ``lazy``+``static``: one pass in C, each access costing ``|target - offset|``
    of its unit. ``eager``: every access starts from home. ``lazy``+``nearest``
    depends on the previous choice; accesses to different units do not
    interact, so after a stable sort by unit it steps through the k-th access
    of every unit at once (as many numpy steps as the busiest unit has
    accesses).
    """
    seg = check_geometry(domains, ports)
    _check_policies(port_policy, update_policy)
    u = np.asarray(unit, dtype=np.int64).ravel()
    d = np.asarray(domain, dtype=np.int64).ravel()
    if u.shape != d.shape:
        raise ValueError(f"unit and domain differ in length: {u.size} vs {d.size}")
    n = u.size
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    if d.min() < 0 or d.max() >= domains:
        raise ValueError(f"domain outside 0..{domains - 1}")
    if u.min() < 0:
        raise ValueError("unit index must be >= 0")
    if offsets is None:
        offsets = np.zeros(int(u.max()) + 1, dtype=np.int64)
    elif u.max() >= offsets.size:
        raise ValueError(f"unit index {int(u.max())} outside the {offsets.size} offsets given")

    if port_policy == "static" and update_policy == "lazy":
        return _static_lazy(u, d, seg, offsets)
    own = d % seg  # offset for the owner port
    # Offset for the next port, shifting the other way; only when that port
    # exists and the domain is not already at the owner's home.
    nxt_ok = (d // seg < ports - 1) & (own > 0) if port_policy == "nearest" else None

    if update_policy == "eager":
        if np.any(offsets[u] != 0):
            # a unit left away from home by an earlier (lazy) stream pays its way back first
            raise ValueError("eager update policy needs every unit to start at home")
        if nxt_ok is None:
            return 2 * own
        return 2 * np.where(nxt_ok, np.minimum(own, seg - own), own)

    assert nxt_ok is not None  # nearest, lazy
    order = stable_order(u)
    us = u.take(order)
    first = np.ones(n, dtype=bool)
    first[1:] = us[1:] != us[:-1]
    steps_sorted = np.empty(n, dtype=np.int64)
    starts = np.flatnonzero(first)
    group_start = np.repeat(starts, np.diff(np.append(starts, n)))
    rank = np.arange(n) - group_start
    by_rank = np.argsort(rank, kind="stable")  # within a rank, each unit appears once
    bounds = np.searchsorted(rank[by_rank], np.arange(int(rank.max()) + 2))
    a_all = own[order]
    b_all = a_all - seg
    ok_all = nxt_ok[order]
    r = 0
    while r < bounds.size - 1:
        idx = by_rank[bounds[r] : bounds[r + 1]]
        if idx.size < _LOCKSTEP_MIN_UNITS:
            break
        units = us[idx]
        cur = offsets[units]
        a = a_all[idx]
        b = b_all[idx]
        use_b = ok_all[idx] & (np.abs(b - cur) < np.abs(a - cur))
        new = np.where(use_b, b, a)
        steps_sorted[idx] = np.abs(new - cur)
        offsets[units] = new
        r += 1
    if r < bounds.size - 1:
        # Few units are still busy (a stream dominated by a handful of
        # units): a numpy step per access would cost more than plain Python.
        rest = np.flatnonzero(rank >= r)  # in unit order, then time order
        pos = offsets.tolist()
        unit_l, a_l, b_l, ok_l = (
            us[rest].tolist(),
            a_all[rest].tolist(),
            b_all[rest].tolist(),
            ok_all[rest].tolist(),
        )
        out = []
        for k in range(rest.size):
            cur_i = pos[unit_l[k]]
            t = b_l[k] if ok_l[k] and abs(b_l[k] - cur_i) < abs(a_l[k] - cur_i) else a_l[k]
            out.append(abs(t - cur_i))
            pos[unit_l[k]] = t
        steps_sorted[rest] = out
        offsets[:] = pos

    steps = np.empty(n, dtype=np.int64)
    steps[order] = steps_sorted
    return steps


def _static_lazy(unit: IntArray, domain: IntArray, seg: int, offsets: IntArray) -> IntArray:
    """Static ports, lazy update: each access shifts its unit from where the previous one
    left it to offset ``domain % seg`` (``offsets`` updated in place). A loop in C
    (``static_steps`` in :mod:`rtmcim.memory._native`), or the same loop in Python without
    the extension."""
    steps = np.empty(unit.size, dtype=np.int64)
    off = np.ascontiguousarray(offsets, dtype=np.int64)
    u = np.ascontiguousarray(unit, dtype=np.int64)
    d = np.ascontiguousarray(domain, dtype=np.int64)
    if _native is not None:
        _native.static_steps(u, d, seg, off, steps)
    else:  # pragma: no cover - a venv made before the extension: `make venv` builds it
        pos = off.tolist()
        for i, (k, g) in enumerate(zip(u.tolist(), (d % seg).tolist(), strict=True)):
            steps[i] = abs(pos[k] - g)
            pos[k] = g
        off[:] = pos
    if off is not offsets:
        offsets[:] = off
    return steps
