"""Smoke tests of the CLI entry point and the `tech` verb."""

import json

import pytest

from rtmcim.cli.main import main


def test_help_lists_verbs(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    assert "tech" in capsys.readouterr().out


def test_tech_lists_presets(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tech", "--format", "csv"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("preset,level,node_nm,description")
    assert "rtm-32nm-array" in out and "rtm-32nm-device" in out


def test_tech_shows_values_with_sources(capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(["tech", "rtm-32nm-array", "--set", "rtm.shift_latency_ns=1.0", "--format", "json"])
        == 0
    )
    data = json.loads(capsys.readouterr().out)
    assert data["rtm"]["shift_latency_ns"] == 1.0
    assert data["rtm"]["sources"]["shift_latency_ns"].startswith("override")


@pytest.mark.parametrize(
    "argv",
    [["tech", "nope"], ["tech", "rtm-32nm-array", "--set", "rtm.x=1"], ["tech", "--format", "xml"]],
)
def test_bad_input_is_one_line_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse errors
        code = int(exc.code or 0)
    err = capsys.readouterr().err
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
