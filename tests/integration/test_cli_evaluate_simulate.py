"""Smoke tests of `rtmcim evaluate` and `rtmcim simulate` on a trained-model folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rtmcim.cli.main import main

from .conftest import train_digits


@pytest.fixture(scope="module")
def model_dir(model_cache: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from rtmcim.nn.train import save_trained

    tm = train_digits(4, model_cache)
    return save_trained(tm, tmp_path_factory.mktemp("lenet5-w4"))


@pytest.mark.slow
def test_evaluate_json_has_totals_layers_and_baselines(
    model_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["evaluate", "--model", str(model_dir), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    s = data["summary"]
    assert s["macs"] == 416_520  # LeNet-5 on 28x28
    assert s["energy_per_inference_uJ"] > 0 and s["latency_per_inference_us"] > 0
    assert s["preset"] == "rtm-32nm" and s["tech_level"] == "circuit" and s["arch"] == "default"
    assert 0 < s["compute_fraction_of_bank_area_pct"] < 100
    assert data["layers"][0]["layer"] == "conv0"
    total = sum(r["energy_nJ"] for r in data["layers"])
    assert total == pytest.approx(s["energy_per_inference_uJ"] * 1e3)


@pytest.mark.slow
def test_evaluate_table_and_csv(model_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["evaluate", "--model", str(model_dir)]) == 0
    assert "Totals per inference" in capsys.readouterr().out
    assert main(["evaluate", "--model", str(model_dir), "--format", "csv"]) == 0
    assert capsys.readouterr().out.startswith("layer,kind,MACs,latency_us")


@pytest.mark.slow
def test_simulate_is_bit_exact(model_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = [
        "simulate",
        "--model",
        str(model_dir),
        "--limit",
        "20",
        "--format",
        "json",
        "--jobs",
        "2",
    ]
    assert main(argv) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["summary"]["integers_identical"] is True
    assert data["summary"]["prediction_agreement_pct"] == 100.0
    # radix-4 Booth (the default arch) is costed at its worst case
    assert all(r["counted"] <= r["analytical"] for r in data["events"])


@pytest.mark.parametrize(
    "argv",
    [
        ["evaluate", "--model", "lenet5", "--arch", "no-such-arch"],
        ["simulate", "--model", "no-such-model", "--dataset", "digits"],
        ["simulate", "--model", "lenet5", "--limit", "-1"],
        ["simulate", "--model", "lenet5", "--jobs", "0"],
    ],
)
def test_bad_input_is_one_line_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def _arch_file(tmp_path: Path, name: str, **changes: object) -> Path:
    from rtmcim import yamlio
    from rtmcim.mapping import load_arch

    data = load_arch("default").config.model_dump()
    for dotted, value in changes.items():
        section, key = dotted.split("__")
        data[section][key] = value
    f = tmp_path / f"{name}.yaml"
    f.write_text(yamlio.dumps(data))
    return f


@pytest.mark.slow
def test_bad_arch_and_misfits_are_one_line_exit_2(
    model_dir: Path, model_cache: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from rtmcim.nn.train import save_trained

    cases = [
        # an arch that names a cell the registry does not have
        (
            model_dir,
            _arch_file(tmp_path, "unknown-cell", compute__multiplier="karatsuba"),
            "compute.multiplier",
        ),
        # a model that does not fit: one bank of 4 subarrays of 4 MUs
        (
            model_dir,
            _arch_file(
                tmp_path,
                "tiny",
                memory__banks=1,
                memory__subarrays_per_bank=4,
                memory__mu_rows=2,
                memory__mu_cols=2,
            ),
            "words per PE",
        ),
    ]
    # a precision the cell cannot do: the lookup-table multiplier stops at 4 bits
    w8 = save_trained(train_digits(8, model_cache), tmp_path / "w8")
    cases.append(
        (w8, _arch_file(tmp_path, "lut", compute__multiplier="lut"), "compute.multiplier = 'lut'")
    )
    for model, arch, needle in cases:
        assert main(["evaluate", "--model", str(model), "--arch", str(arch)]) == 2
        err = capsys.readouterr().err
        assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
        assert needle in err, err
