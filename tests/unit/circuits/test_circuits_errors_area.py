"""Registry errors, area and latency from counts (golden values with their arithmetic)."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

from rtmcim.circuits import Cell, MacCell, get, mac, mac_cost, names
from rtmcim.circuits.mac import MAC_ADDERS, MAC_MULTIPLIERS
from rtmcim.errors import ConfigError
from rtmcim.tech import latency_ns, load_tech, price

TECH = load_tech("rtm-32nm-array")
F2_UM2 = 0.032**2  # 32 nm: one F^2 = 0.001024 um^2


def concrete_cells(cls: type[Cell] = Cell) -> set[type[Cell]]:
    """Every cell class that can be made (abstract ones left out), however deep."""
    out = set()
    for sub in cls.__subclasses__():
        if not inspect.isabstract(sub):
            out.add(sub)
        out |= concrete_cells(sub)
    return out


def test_registry_names_and_attributes() -> None:
    # every cell the package defines is registered once, adders first, then multipliers, then
    # the MAC; the MAC's parts are registered cells of their kind
    assert sorted(names()) == sorted(c.name for c in concrete_cells())
    kinds = [get(n).kind for n in names()]
    assert kinds == sorted(kinds, key=["adder", "multiplier", "mac"].index)
    assert all(get(n).kind == "multiplier" for n in MAC_MULTIPLIERS)
    assert all(get(n).kind == "adder" for n in MAC_ADDERS)
    for n in names():
        c = get(n)
        assert c.name == n and c.kind in {"adder", "multiplier", "mac"}
        assert c.supports_signed or c.supports_unsigned
        assert 1 <= c.max_bits <= 32


def test_unknown_cell_names_value_and_choices() -> None:
    with pytest.raises(ConfigError) as err:
        get("karatsuba")
    msg = str(err.value)
    assert "karatsuba" in msg and "shift_add" in msg and "booth_r4" in msg


@pytest.mark.parametrize(("name", "bits"), [("ripple_carry", 0), ("ripple_carry", 33), ("lut", 5)])
def test_width_out_of_range(name: str, bits: int) -> None:
    cell = get(name)
    with pytest.raises(ConfigError, match=f"{bits}.*1\\.\\.{cell.max_bits}"):
        cell.run(np.array([0]), np.array([0]), bits)
    with pytest.raises(ConfigError):
        cell.cost(bits)


def test_operand_outside_width_and_modes() -> None:
    with pytest.raises(ConfigError, match=r"b = 16.*0\.\.15"):
        get("shift_add").run(np.array([1]), np.array([16]), 4)
    with pytest.raises(ConfigError, match=r"a = -9.*-8\.\.7"):
        get("wallace").run(np.array([-9]), np.array([1]), 4, signed=True)
    with pytest.raises(ConfigError, match="no unsigned mode"):
        get("booth_r2").run(np.array([1]), np.array([1]), 4, signed=False)
    with pytest.raises(ConfigError, match=r"32.*1\.\.31"):
        get("shift_add").run(np.array([1]), np.array([1]), 32, signed=False)
    with pytest.raises(ConfigError, match="same number of lanes"):
        get("ripple_carry").run(np.array([1, 2]), np.array([1]), 4)


def test_mac_bad_input() -> None:
    w = np.zeros((4, 3), dtype=np.int64)
    with pytest.raises(ConfigError, match=r"acts = -1.*0\.\.15"):
        mac(w, w - 1, 4)
    with pytest.raises(ConfigError, match=r"karatsuba.*shift_add"):
        mac(w, w, 4, multiplier="karatsuba")
    with pytest.raises(ConfigError, match=r"carry_save.*ripple_carry"):
        mac_cost(4, 3, adder="carry_save")
    with pytest.raises(ConfigError, match=r"K = 9.*<= 3"):
        MacCell(k=3).run(np.zeros((2, 9), dtype=np.int64), np.zeros((2, 9), dtype=np.int64), 4)
    with pytest.raises(ConfigError, match="K"):
        mac_cost(4, 0)


def test_mac_accumulator_sized_for_k_never_overflows() -> None:
    # K copies of the most negative product: -(2^(n-1)) * (2^n - 1) * K needs 2n + ceil(log2 K) bits
    for bits, k in [(4, 9), (8, 16), (8, 17), (16, 3)]:
        w = np.full((2, k), -(1 << (bits - 1)))
        x = np.full((2, k), (1 << bits) - 1)
        acc, _ = mac(w, x, bits)
        assert acc.tolist() == [int((w * x).sum(axis=1)[0])] * 2


def test_area_golden_ripple_carry_8() -> None:
    # 8 full adders: 16 PCSAs x 10 transistors + 8 latches x 8 = 224 transistors x 30 F^2 = 6720
    # 24 one-domain tracks (a, b, sum): 24 x 2 F^2 = 48; 24 ports x 2 access transistors x 12 = 576;
    # 24 shift drivers x 40 = 960; total 8304 F^2
    assert get("ripple_carry").area_um2(TECH, 8) == pytest.approx(8304 * F2_UM2)


def test_area_grows_with_width() -> None:
    for n in names():
        c = get(n)
        widths = [w for w in (1, 2, 4, 8, 16) if w <= c.max_bits]
        areas = [c.area_um2(TECH, w) for w in widths]
        assert all(a > 0 for a in areas)
        assert areas == sorted(areas)


def test_latency_and_energy_golden_ripple_and_serial() -> None:
    rc = get("ripple_carry")
    # ripple chain of 8 evaluations (1 ns each) then one word write (4.84522 ns)
    assert rc.latency_ns(TECH, 8) == pytest.approx(8 * 1.0 + 4.84522)
    # 16 evaluations x 0.01 + 8 latches x 0.002 + 8 writes at the cell's own port x 0.1 pJ
    assert rc.energy_pj(TECH, 8) == pytest.approx(16 * 0.01 + 8 * 0.002 + 8 * 0.1)
    bs = get("bit_serial")
    # per bit: one evaluation, one bit write, one shift step
    assert bs.latency_ns(TECH, 8) == pytest.approx(8 * (1.0 + 4.84522 + 2.14192))
    assert get("carry_save").latency_ns(TECH, 16) == pytest.approx(1.0 + 4.84522)
    assert latency_ns(rc.cost(8), TECH) == price(rc.cost(8), TECH).latency_ns
