"""Bad input to the circuit model: one ConfigError naming the key, the value and what is allowed."""

from __future__ import annotations

from pathlib import Path

import pytest

from rtmcim import yamlio
from rtmcim.errors import ConfigError
from rtmcim.memory import MuGeometry, Organization
from rtmcim.memory.circuit import SramOrganization, array_figures, optimize_organization
from rtmcim.tech import load_tech


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"banks": 3, "subarrays_per_bank": 2, "rows": 64, "columns": 128}, "banks = 3"),
        (
            {"banks": 2, "subarrays_per_bank": 6, "rows": 64, "columns": 128},
            "subarrays_per_bank = 6",
        ),
        ({"banks": 2, "subarrays_per_bank": 2, "rows": 0, "columns": 128}, "rows = 0"),
        (
            {"banks": 2, "subarrays_per_bank": 2, "rows": 64, "columns": 96, "word_bits": 64},
            "columns = 96: word_bits=64 must divide columns=96",
        ),
    ],
)
def test_sram_organization_that_does_not_divide(kwargs: dict, needle: str) -> None:
    with pytest.raises(ConfigError, match=needle) as exc:
        SramOrganization(**kwargs)
    assert exc.value.allowed  # says what would be accepted
    assert "\n" not in str(exc.value)


def test_sram_organization_is_frozen_and_sized() -> None:
    org = SramOrganization(4, 4, 512, 256, 64)
    assert (
        org.capacity_bits == 16 * 512 * 256
        and org.mux == 4
        and org.words == org.capacity_bits // 64
    )
    with pytest.raises(AttributeError):
        org.rows = 2  # type: ignore[misc]
    assert hash(org) == hash(SramOrganization(4, 4, 512, 256, 64))


@pytest.mark.parametrize(
    ("call", "needle"),
    [
        (
            {"target": "fastest"},
            r"target = 'fastest': unknown optimisation target \(allowed: read-latency, read-energy, read-edp, area, leakage\)",
        ),
        ({"cell": "dram"}, "cell = 'dram': unknown cell"),
        ({"capacity_bits": 1000}, "capacity_bits = 1000: no organisation holds this capacity"),
        ({"cell": "sram", "capacity_bits": 3 * 2**20 + 64}, "capacity_bits"),
        ({"word_bits": 16, "mu": MuGeometry(tracks=32)}, "word_bits = 16"),
        ({"top": 0}, "top = 0"),
    ],
)
def test_optimize_rejects_bad_requests(call: dict, needle: str) -> None:
    args = {"capacity_bits": 2**21, "word_bits": 32, "target": "read-edp"} | call
    tech = load_tech("rtm-32nm")
    with pytest.raises(ConfigError, match=needle):
        optimize_organization(
            args.pop("capacity_bits"), args.pop("word_bits"), tech, args.pop("target"), **args
        )


def test_array_level_preset_has_no_circuit_model() -> None:
    org = Organization(banks=1, subarrays_per_bank=1, mu_rows=4, mu_cols=4)
    with pytest.raises(
        ConfigError,
        match=r"tech = 'rtm-32nm-array': the circuit model needs a level: circuit preset",
    ):
        array_figures(org, load_tech("rtm-32nm-array"))
    with pytest.raises(ConfigError, match="not a memory organisation"):
        array_figures("4 MB", load_tech("rtm-32nm"))  # type: ignore[arg-type]


def test_circuit_preset_must_carry_the_circuit_sections(tmp_path: Path) -> None:
    data = load_tech("rtm-32nm").model_dump()
    del data["dwm_cell"]
    f = tmp_path / "no-cell.yaml"
    f.write_text(yamlio.dumps(data))
    with pytest.raises(ConfigError, match="a level: circuit preset needs the sections dwm_cell"):
        load_tech(f)


def test_device_table_spans_300_to_400_kelvin(tmp_path: Path) -> None:
    data = load_tech("rtm-32nm").model_dump()
    data["device"]["ion_n_ua_per_um"] = data["device"]["ion_n_ua_per_um"][:5]
    f = tmp_path / "short.yaml"
    f.write_text(yamlio.dumps(data))
    with pytest.raises(ConfigError, match="ion_n_ua_per_um needs 11 values"):
        load_tech(f)
    with pytest.raises(ConfigError, match=r"device\.temperature_k = 420"):
        load_tech("rtm-32nm", {"device.temperature_k": 420})


def test_circuit_preset_is_sourced_and_round_trips(tmp_path: Path) -> None:
    tech = load_tech("rtm-32nm")
    assert tech.level == "circuit"
    for section in ("device", "interconnect", "dwm_cell", "sram_cell", "periphery_circuit"):
        sec = getattr(tech, section)
        for field in type(sec).model_fields:
            if field != "sources":
                assert sec.sources[field].strip(), f"{section}.{field}"
    f = tmp_path / "copy.yaml"
    f.write_text(yamlio.dumps(tech.model_dump()))
    assert load_tech(f) == tech
    # the array and device presets stay as they were: no circuit sections
    assert load_tech("rtm-32nm-array").device is None
