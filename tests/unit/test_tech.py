"""Technology presets: loading, sources, overrides, validation and pricing."""

from pathlib import Path

import pytest

from rtmcim import yamlio
from rtmcim.errors import ConfigError
from rtmcim.tally import Tally
from rtmcim.tech import ENERGY_CLASSES, latency_ns, load_tech, preset_names, price


def test_shipped_presets_load_and_differ_by_level() -> None:
    assert {"rtm-32nm-array", "rtm-32nm-device"} <= set(preset_names())
    arr, dev = load_tech("rtm-32nm-array"), load_tech("rtm-32nm-device")
    assert arr.level == "array" and dev.level == "device"
    # device-level per-bit energies sit below the array-level ones (PARAMETERS.md: up to 10x)
    assert dev.rtm.write_energy_pj < arr.rtm.write_energy_pj / 10


def test_default_values_are_the_derived_rtsim_figures() -> None:
    t = load_tech()
    assert t.rtm.shift_energy_pj == pytest.approx(19.5 / 32, rel=1e-3)
    assert t.rtm.read_energy_pj == pytest.approx(80.096 / 32, rel=1e-3)
    assert t.rtm.write_energy_pj == pytest.approx(108.981 / 32, rel=1e-3)
    assert t.rtm.shift_latency_ns == 2.14192


def test_every_value_names_its_source() -> None:
    for name in preset_names():
        t = load_tech(name)
        for section in ("rtm", "lim", "cmos", "periphery", "wire", "sram", "dram"):
            sec = getattr(t, section)
            for field in type(sec).model_fields:
                if field != "sources":
                    assert sec.sources[field].strip(), f"{name}.{section}.{field}"


def test_preset_without_a_source_is_rejected(tmp_path: Path) -> None:
    src = load_tech().model_dump()
    del src["rtm"]["sources"]["read_energy_pj"]
    f = tmp_path / "mine.yaml"
    f.write_text(yamlio.dumps(src))
    with pytest.raises(ConfigError, match="no source given for read_energy_pj"):
        load_tech(f)


def test_user_preset_file_round_trips(tmp_path: Path) -> None:
    t = load_tech()
    f = tmp_path / "copy.yaml"
    f.write_text(yamlio.dumps(t.model_dump()))
    assert load_tech(f) == t


def test_override_changes_value_and_marks_source() -> None:
    t = load_tech(overrides={"lim.eval_energy_pj": 0.1})
    assert t.lim.eval_energy_pj == 0.1
    assert t.lim.sources["eval_energy_pj"].startswith("override")
    assert load_tech(overrides=["clock_ghz=2"]).clock_ghz == 2


@pytest.mark.parametrize(
    ("override", "needle"),
    [
        ({"rtm.nope": 1}, "rtm.nope: unknown override key"),
        ({"nope.x": 1}, "nope.x: unknown override key"),
        ({"rtm.read_latency_ns": -1}, "rtm.read_latency_ns = -1"),
        ({"rtm.shift_fault_prob": 2}, "rtm.shift_fault_prob = 2"),
    ],
)
def test_bad_overrides_name_the_key(override: dict[str, float], needle: str) -> None:
    with pytest.raises(ConfigError, match=needle.replace(".", r"\.")):
        load_tech(overrides=override)


def test_unknown_preset_lists_the_shipped_ones() -> None:
    with pytest.raises(ConfigError, match="rtm-32nm-array"):
        load_tech("no-such-preset")


def test_cmos_scaling_rule() -> None:
    t = load_tech()
    # (32/45) * (0.9/0.9)^2
    assert t.cmos_scale == pytest.approx(32 / 45)
    assert t.cmos_reference_pj("add", 8) == pytest.approx(0.03 * 32 / 45)
    assert t.cmos_reference_pj("add", 16) == pytest.approx(0.05 * 32 / 45)
    assert t.cmos_reference_pj("mult", 32) == pytest.approx(3.1 * 32 / 45)
    assert t.cmos_reference_pj("mult", 4) == pytest.approx(0.2 / 4 * 32 / 45)


def test_pricing_is_a_dot_product() -> None:
    t = load_tech("rtm-32nm-array")
    tally = Tally(
        shift_steps=32, shift_cycles=1, bit_reads=32, read_cycles=1, lim_evals=10, lim_cycles=2
    )
    cost = price(tally, t, leakage_mw=2.0)
    assert set(cost.energy_pj) == set(ENERGY_CLASSES)
    assert cost.energy_pj["shift"] == pytest.approx(32 * 0.609)
    assert cost.energy_pj["read"] == pytest.approx(32 * 2.503)
    assert cost.energy_pj["logic"] == pytest.approx(10 * 0.01)
    lat = 2.14192 + 1.61338 + 2 * 1.0
    assert cost.latency_ns == pytest.approx(lat) == latency_ns(tally, t)
    assert cost.energy_pj["leakage"] == pytest.approx(2.0 * lat)  # 1 mW x 1 ns = 1 pJ
    assert cost.total_energy_pj == pytest.approx(sum(cost.energy_pj.values()))
    # re-pricing under another technology needs only the tally
    assert price(tally, load_tech("rtm-32nm-device")).energy_pj["shift"] == pytest.approx(32 * 0.3)


def test_a_circuit_level_preset_prices_per_organisation() -> None:
    from rtmcim.memory import Organization, prices_for
    from rtmcim.memory.circuit import array_figures

    t = load_tech()  # the default preset is circuit-level
    assert t.name == "rtm-32nm" and t.level == "circuit"
    with pytest.raises(ValueError, match="prices_for"):
        price(Tally(bit_reads=32, read_cycles=1), t)
    small = Organization(banks=1, subarrays_per_bank=1, mu_rows=4, mu_cols=4)
    large = Organization(banks=4, subarrays_per_bank=16, mu_rows=16, mu_cols=16)
    word = Tally(bit_reads=32, read_cycles=1)
    for org in (small, large):
        cost = price(word, prices_for(t, org))
        fig = array_figures(org, t)
        assert cost.total_energy_pj == pytest.approx(fig.subarray_read.energy_pj)
        assert cost.latency_ns == pytest.approx(fig.subarray_read.latency_ns)
    # a longer bitline and a bigger decoder: a read costs more in the larger subarray
    assert (
        price(word, prices_for(t, large)).total_energy_pj
        > price(word, prices_for(t, small)).total_energy_pj
    )
