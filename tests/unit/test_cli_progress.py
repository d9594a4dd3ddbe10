"""The progress display of 'rtmcim explore': points evaluated, best so far and ETA from the
trials finished in this run; without a terminal the same one-line-per-event output as before."""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from types import SimpleNamespace

import pytest

from rtmcim.cli.explore import _progress
from rtmcim.cli.study_progress import StudyStats, clock


class Clock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def test_eta_is_this_runs_time_per_trial_times_the_trials_left() -> None:
    c = Clock()
    s = StudyStats(now=c)
    assert s.text(0, 4) == "0 points | best: - | ETA -:--"
    s.begin(0)
    c.t += 30.0
    s.add({"points": 72, "feasible": 48, "accuracy": 0.718, "energy_pj": 2.29e7})
    assert s.eta_s(1, 4) == pytest.approx(90.0)  # 30 s per trial, 3 left
    s.add({"points": 72, "feasible": 72, "accuracy": 0.696, "energy_pj": 1.0773e7})
    c.t += 30.0
    assert s.text(2, 4) == "144 points | best: accuracy 71.8 %, least energy 10.8 µJ | ETA 1:00"


def test_a_resumed_study_counts_only_the_trials_of_this_run() -> None:
    c = Clock()
    s = StudyStats(now=c)
    s.begin(5)  # five trials finished by an earlier run
    s.begin(6)  # later events do not move the start
    c.t += 20.0
    assert math.isnan(s.eta_s(5, 10))
    assert s.eta_s(7, 10) == pytest.approx(30.0)  # 2 trials in 20 s, 3 left


def test_a_trial_with_no_feasible_point_keeps_the_best_energy() -> None:
    s = StudyStats()
    s.add({"points": 10, "feasible": 0, "accuracy": 0.5, "energy_pj": math.nan})
    assert "least energy" not in s.text(1, 2) and "accuracy 50.0 %" in s.text(1, 2)
    s.add({"points": 10, "feasible": 3, "accuracy": 0.4, "energy_pj": 5e3})
    assert s.text(2, 2).startswith("20 points | best: accuracy 50.0 %, least energy 5.00 nJ")


def test_clock() -> None:
    assert clock(65) == "1:05" and clock(3723) == "1:02:03" and clock(math.nan) == "-:--"


def test_without_a_terminal_each_event_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bar, _, _, progress = _progress(argparse.Namespace(no_progress=False), 3, tmp_path)
    assert bar.disable  # pytest's stderr is not a terminal
    with bar:
        progress(SimpleNamespace(kind="start", done=0, total=3, message="72 points", number=-1))
        progress(SimpleNamespace(kind="trial", done=1, total=3, message="#0 m", number=0))
    assert capsys.readouterr().err == "start: 72 points\ntrial: #0 m\n"
