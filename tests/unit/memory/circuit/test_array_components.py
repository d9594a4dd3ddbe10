"""Component models against hand calculation and against DESTINY's own component figures."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from rtmcim.memory import Organization
from rtmcim.memory.circuit import array_figures, cells
from rtmcim.memory.circuit.devices import devices, horowitz_s, on_resistance_ohm
from rtmcim.memory.circuit.gates import size_chain
from rtmcim.memory.circuit.wires import bare_delay_s, global_wire, local_wire, repeated
from rtmcim.tech import Tech, load_tech

GRID = {
    p["name"]: p
    for p in json.loads((Path(__file__).parent / "destiny_grid.json").read_text())["points"]
}
EPS0 = 8.854e-12


@pytest.fixture(scope="module")
def tech() -> Tech:
    return load_tech("rtm-32nm")


def test_wires_from_their_geometry(tech: Tech) -> None:
    # global: 8F pitch at 32 nm -> 128 nm wide, 2.34 x 128 nm thick, 128 nm spacing, 420 nm ILD
    w, t, s, h = 128e-9, 2.34 * 128e-9, 128e-9, 420e-9
    rho = 2.5e-8 * (1 + 0.0039 * (350 - 293))
    c = 2 * EPS0 * 3.9 * w / h + 2 * EPS0 * 1.5 * 2.82 * t / s + 1.15e-10
    g = global_wire(tech)
    assert g.r_ohm_per_m == pytest.approx(rho / (w * t))
    assert g.c_farad_per_m == pytest.approx(c)
    # local: 2F pitch -> 32 nm wide, 57.6 nm thick and ILD
    loc = local_wire(tech)
    assert loc.r_ohm_per_m == pytest.approx(5e-8 * (1 + 0.0039 * 57) / (32e-9 * 57.6e-9))
    assert loc.r_ohm_per_m > 10 * g.r_ohm_per_m
    # 90 % settling of a bare line grows with the square of its length
    assert bare_delay_s(g, 2e-3) == pytest.approx(4 * bare_delay_s(g, 1e-3))


def test_global_wire_matches_destinys_htree_energy(tech: Tech) -> None:
    """DESTINY's issue-4MB-1024x512 H-tree: bars of 271.1, 135.5 (horizontal) and 363.7, 181.8,
    90.9 um (vertical) carrying 52, 49, 51, 50 and 48 bits: 52,739 bit-um of global wire."""
    p = GRID["issue-4MB-1024x512"]
    model_pj = global_wire(tech).c_farad_per_m * 52739e-6 * tech.vdd_v**2 * 1e12
    assert model_pj == pytest.approx(p["breakdown"]["read_htree_pj"], rel=0.01)


def test_repeated_wire_beats_a_long_bare_one(tech: Tech) -> None:
    d = devices(tech)
    g = global_wire(tech)
    rep = repeated(g, d)
    assert 0.02e-9 < rep.delay_s_per_m * 1e-3 < 0.2e-9  # tens of ps per mm
    assert rep.delay_s_per_m * 3e-3 < bare_delay_s(g, 3e-3)
    assert rep.energy_j_per_m > g.c_farad_per_m * tech.vdd_v**2  # repeaters add their own caps
    assert rep.leakage_w_per_m > 0


def test_devices_and_horowitz(tech: Tech) -> None:
    d = devices(tech)
    # 1.49 x 0.9 V / (1715.7 uA/um at 350 K x 1 um)
    assert on_resistance_ohm(d, 1e-6) == pytest.approx(1.49 * 0.9 / 1715.7e-6)
    assert d.ioff_n_a_per_m == pytest.approx(1.18)
    hot = devices(load_tech("rtm-32nm", {"device.temperature_k": 355}))
    assert hot.ioff_n_a_per_m == pytest.approx((1.18 + 1.25) / 2)
    delay, _ = horowitz_s(1e-10, 0.5, math.inf)
    assert delay == pytest.approx(math.log(2) * 1e-10)  # a step input: the RC 50 % point
    slow, _ = horowitz_s(1e-10, 0.5, 1e9)
    assert slow > delay


def test_driver_chain_follows_logical_effort(tech: Tech) -> None:
    d = devices(tech)
    small = size_chain(d, 1.0, 1e-16, 1e-15)
    big = size_chain(d, 1.0, 1e-16, 1e-12)
    assert len(small.widths_n_m) % 2 == 1 and len(big.widths_n_m) % 2 == 1
    assert len(big.widths_n_m) > len(small.widths_n_m)
    assert list(big.widths_n_m) == sorted(big.widths_n_m)
    assert max(big.widths_n_m) <= d.max_nmos_m * (1 + 1e-12)


def test_cell_energies_match_destinys_cell_figures(tech: Tech) -> None:
    # DESTINY: "Single Cell RESET Energy = 1.242pJ" (Vdd x 300 uA x 4.6 ns)
    assert cells.dwm_write_energy_j(tech) * 1e12 == pytest.approx(1.242)
    # DESTINY's shift energy model on its 64-domain tape: (145 uA)^2 R t
    r = 4.8e-7 * 64 * 2 / (6e-9 * 1)
    assert cells.shift_energy_per_track_j(tech, 64) == pytest.approx(145e-6**2 * r * 2e-9)


def test_sense_amps_and_cells_match_destinys_breakdown(tech: Tech) -> None:
    for name in ("issue-4MB-1024x512", "4MB-w64-1024x1024", "256KB-256x256"):
        p = GRID[name]
        fig = array_figures(Organization(**p["rtmcim_organization"]), tech)
        br = p["breakdown"]
        parts = fig.subarray_read.energy_parts_pj
        assert parts["senseamp"] == pytest.approx(br["read_senseamp_pj"], rel=0.02), name
        assert parts["cell"] + parts.get("bitline", 0) == pytest.approx(
            br["read_bitline_cell_pj"], rel=0.05
        )
        assert fig.subarray_read.latency_parts_ns["senseamp"] == pytest.approx(
            br["read_senseamp_ns"], rel=0.02
        )
        assert fig.write.energy_parts_pj["cell"] == pytest.approx(br["write_cell_pj"], rel=0.06)
