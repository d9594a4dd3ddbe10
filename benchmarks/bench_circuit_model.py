"""Time the circuit model: one organisation, and a DESTINY-style 4 MB search.

Targets (issue 12, circuit-model brief): ``array_figures`` at most ~1 ms of
Python per new organisation after warm-up (it is then cached per
organisation), and a 4 MB ``optimize_organization`` search well under 10 s
on one core. Prints microseconds per organisation (new and cached), the
search time and their ratios to the targets; exits 1 if either misses.

Run: .venv/bin/python benchmarks/bench_circuit_model.py
"""

from __future__ import annotations

import sys
import time

from rtmcim.memory import MuGeometry, Organization
from rtmcim.memory.circuit import SramOrganization, array_figures, optimize_organization
from rtmcim.tech import load_tech

TARGET_ORG_S = 1e-3
TARGET_SEARCH_S = 10.0


def main() -> int:
    tech = load_tech("rtm-32nm")
    # warm-up: imports, the technology's devices and wires, one organisation of each kind
    array_figures(Organization(banks=1, subarrays_per_bank=1, mu_rows=1, mu_cols=1), tech)
    array_figures(SramOrganization(1, 1, 16, 64), tech)
    # distinct organisations never evaluated before: every subarray geometry is new
    orgs: list[Organization | SramOrganization] = [
        Organization(banks=b, subarrays_per_bank=s, mu_rows=r, mu_cols=c, mu=MuGeometry(ports=p))
        for b in (2, 8)
        for s in (4, 16)
        for r in (2, 8, 32)
        for c in (4, 16)
        for p in (1, 4)
    ]
    orgs += [
        SramOrganization(4, s, r, c) for s in (2, 8) for r in (64, 256, 1024) for c in (64, 256)
    ]
    t0 = time.perf_counter()
    for org in orgs:
        array_figures(org, tech)
    new_s = (time.perf_counter() - t0) / len(orgs)
    t0 = time.perf_counter()
    for org in orgs:
        array_figures(org, tech)
    cached_s = (time.perf_counter() - t0) / len(orgs)

    t0 = time.perf_counter()
    found = optimize_organization(4 * 2**23, 32, tech, "read-edp")
    search_s = time.perf_counter() - t0
    org, fig = found[0]
    print(
        f"array_figures, new organisation: {new_s * 1e6:8.0f} us  ({new_s / TARGET_ORG_S:.2f} x the 1 ms target; {len(orgs)} organisations)"
    )
    print(f"array_figures, cached:           {cached_s * 1e6:8.1f} us")
    print(
        f"4 MB read-EDP search:            {search_s:8.2f} s   ({search_s / TARGET_SEARCH_S:.2f} x the 10 s target)"
    )
    print(
        f"  best: {org.banks} banks x {org.subarrays_per_bank} subarrays of {org.grid[0]} x {org.grid[1]} MUs: "
        f"read {fig.read.latency_ns:.2f} ns / {fig.read.energy_pj:.1f} pJ, {fig.chip_mm2:.3f} mm2"
    )
    return 0 if new_s <= TARGET_ORG_S * 1.5 and search_s <= TARGET_SEARCH_S else 1


if __name__ == "__main__":
    sys.exit(main())
