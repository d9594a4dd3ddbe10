"""'rtmcim dashboard': serves a results folder's Optuna storage on 127.0.0.1 with
optuna-dashboard (a real server on a free loopback port, a bounded number of requests), names the
objectives, and says in one line how to install the extra when it is missing."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from rtmcim.cli.main import main

NAME = "rtmcim-tiny-0123456789ab-s0"
OBJECTIVES = ["accuracy", "energy", "latency", "area"]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A results folder holding a study of two trials (no training: values set by hand)."""
    import optuna

    url = f"sqlite:///{tmp_path / 'study.db'}"
    study = optuna.create_study(
        study_name=NAME, storage=url, directions=["maximize", "minimize", "minimize", "minimize"]
    )
    for values in ([0.9, 2e4, 5e3, 3e6], [0.8, 1e4, 4e3, 2e6]):
        trial = study.ask()
        trial.suggest_categorical("wbits", [4, 8])
        study.tell(trial, values)
    data = {"study_name": NAME, "storage": url, "space": {"objectives": OBJECTIVES}}
    (tmp_path / "study.json").write_text(json.dumps(data))
    return tmp_path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def get(url: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=5) as r:
        return r.status, r.read()


def test_the_dashboard_serves_the_study_on_loopback(folder: Path) -> None:
    port = free_port()
    cmd = [sys.executable, "-m", "rtmcim.cli.main", "dashboard", str(folder), "--port", str(port)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        body = b""
        for _ in range(60):  # at most ~30 s for the server to come up
            try:
                status, body = get(f"http://127.0.0.1:{port}/api/studies")
                break
            except OSError:
                if proc.poll() is not None:
                    break
                time.sleep(0.5)
        assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else ""
        studies = json.loads(body)["study_summaries"]
        assert [s["study_name"] for s in studies] == [NAME]
        sid = studies[0]["study_id"]
        status, detail = get(f"http://127.0.0.1:{port}/api/studies/{sid}")
        assert status == 200 and json.loads(detail)["objective_names"] == OBJECTIVES
        assert len(json.loads(detail)["trials"]) == 2
        assert get(f"http://127.0.0.1:{port}/dashboard")[0] == 200
    finally:
        proc.terminate()
        out = proc.communicate(timeout=10)[0].decode()
    assert f"at http://127.0.0.1:{port}/dashboard" in out


def test_without_the_extra_it_says_how_to_install_it(
    folder: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "optuna_dashboard", None)  # import fails
    assert main(["dashboard", str(folder)]) == 2
    err = capsys.readouterr().err
    assert err == (
        "rtmcim dashboard: error: optuna-dashboard is not installed; "
        "install it with: pip install 'rtmcim[dashboard]'\n"
    )


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--port", "0"], "--port = 0: is not a port (allowed: 1-65535)"),
        (["--port", "70000"], "--port = 70000: is not a port"),
    ],
)
def test_bad_input_is_one_line(
    folder: Path, args: list[str], says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["dashboard", str(folder), *args]) == 2
    err = capsys.readouterr().err
    assert says in err and err.count("\n") == 1


def test_a_folder_that_is_not_a_results_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["dashboard", str(tmp_path)]) == 2
    assert "not a results folder (no study.json)" in capsys.readouterr().err
