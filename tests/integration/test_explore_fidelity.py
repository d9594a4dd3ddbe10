"""Multi-fidelity studies on the digits set: a study killed during a promotion round loses
and repeats nothing; the report carries each front point's fidelity and the rank agreement;
the headline's full training is `rtmcim train`'s own cache entry."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from rtmcim.cli.explore import _report
from rtmcim.cli.main import main
from rtmcim.explore.candidate import CandidateTask
from rtmcim.explore.executors import InProcessExecutor, Outcome
from rtmcim.explore.space import Space, space_from_dict
from rtmcim.explore.study import run_study
from rtmcim.nn.spec import parse_spec
from rtmcim.report import build_report

from .conftest import TINY_NET, TINY_SPACE

TINY: dict[str, Any] = TINY_SPACE
RUNGS = [{"epochs": 1, "qat_epochs": 1, "train_subset": 600}, {"epochs": 2, "qat_epochs": 1}]


class Killed(Exception):
    """The process dies."""


class Recording:
    """An in-process executor that records every task it finishes (model number, rung) and
    dies after ``die_after`` promotion trainings."""

    def __init__(self, die_after: int | None = None) -> None:
        self.inner = InProcessExecutor()
        self.done: list[tuple[int, Any]] = []
        self.die_after = die_after

    @property
    def slots(self) -> int:
        return 2

    def run(self, tasks: Sequence[CandidateTask]) -> Iterator[tuple[int, Outcome]]:
        for i, res in self.inner.run(tasks):
            rung = (tasks[i].fidelity or {}).get("rung", 0)
            self.done.append((tasks[i].number, rung))
            yield i, res
            promoted = [d for d in self.done if d[1] != 0]
            if self.die_after is not None and len(promoted) >= self.die_after:
                raise Killed

    def close(self) -> None:
        return None

    def describe(self) -> str:
        return "recording"


def tiny_space(tmp: Path, full_check: bool) -> Space:
    ref = tmp / "tinyref.yaml"
    ref.write_text(TINY_NET)
    data = {
        **TINY,
        "budget": 4,
        "reference": {"model": str(ref), "wbits": 8, "abits": 8, "arch": "default"},
        "fidelity": {"rungs": RUNGS, "eta": 2, "margin": 0.0, "full_check": full_check},
    }
    return space_from_dict(data, "tiny")


def records(out: Path) -> dict[str, Any]:
    return {
        f.name: {
            k: v for k, v in json.loads(f.read_text()).items() if k not in ("train_s", "cached")
        }
        for f in sorted((out / "fidelity").glob("*.json"))
    }


@pytest.mark.slow
def test_killed_during_a_promotion_round_loses_and_repeats_nothing(tmp_path: Path) -> None:
    space = tiny_space(tmp_path, full_check=False)
    out, cache = tmp_path / "out", str(tmp_path / "cache")
    first = Recording(die_after=2)  # dies after the 2nd training of the first round
    with pytest.raises(Killed):
        run_study(space, out, first, seed=1, cache_dir=cache)
    assert len(list((out / "fidelity").glob("trial-*-r1.json"))) == 2  # kept on disk
    again = Recording()
    run = run_study(space, out, again, seed=1, cache_dir=cache)
    assert run.new_trials == 0  # the screening was complete
    done = first.done + again.done
    assert len(done) == len(set(done))  # no (model, rung) trained twice
    assert not [d for d in again.done if d[1] == 0]
    assert {d for d in first.done if d[1] == 1} <= {(n, 1) for n in run_promoted(out, 1)}
    # the same result as a run never killed (same cache: it only reads what exists)
    whole = Recording()
    run_study(space, tmp_path / "whole", whole, seed=1, cache_dir=cache)
    assert records(tmp_path / "whole") == records(out)
    rounds = json.loads((out / "fidelity" / "rounds.json").read_text())["rounds"]
    assert [r["round"] for r in rounds][:2] == ["rung 0 -> 1", "rung 1 -> 2"]
    # every model of the final front at the top rung, the reference too
    rep = build_report(out)
    s = rep.summary
    assert s["front"] and {p["accuracy_fidelity"]["rung"] for p in s["front"]} == {2}
    assert s["reference"]["accuracy_fidelity"]["rung"] == 2
    ra = s["rank_agreement"]
    multi = [n for n in ra["trials"]]
    assert ra["models"] == len(multi) >= 2
    assert set(ra) >= {"kendall_tau", "spearman", "models", "largest_front_change"}
    for p in s["front"]:
        f = p["accuracy_fidelity"]
        assert (f["epochs"], f["qat_epochs"], f["train_images"]) == (2, 1, 1347)


def run_promoted(out: Path, rung: int) -> list[int]:
    rounds = json.loads((out / "fidelity" / "rounds.json").read_text())["rounds"]
    r = next(r for r in rounds if r["to_rung"] == rung and r["round"].startswith("rung"))
    return [d["trial"] for d in r["decisions"] if d["promoted"]]


@pytest.mark.slow
def test_the_headline_full_training_is_rtmcim_train_s_cache_entry(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    space = tiny_space(tmp_path, full_check=True)
    out, cache = tmp_path / "out", str(tmp_path / "cache")
    run_study(space, out, InProcessExecutor(), seed=1, cache_dir=cache)
    capsys.readouterr()
    _report(out, space)  # what 'rtmcim explore' prints after the study
    printed = capsys.readouterr().out
    s = json.loads((out / "summary.json").read_text())
    head = next(d for d in s["chosen"] if d["label"] == s["headline"])
    gap = head["full_training"]
    assert f"gap {gap['gap_points']:+.2f} points" in printed
    assert "Kendall tau" in printed and "epochs on 1,347 images" in printed
    assert gap["accuracy_fidelity"]["rung"] == "full"
    assert gap["gap_points"] == pytest.approx(100 * (head["accuracy"] - gap["accuracy"]))
    spec = tmp_path / "head.yaml"
    spec.write_text(parse_spec(head["spec"]).to_yaml())
    capsys.readouterr()
    argv = ["train", str(spec), "--dataset", "digits", "--wbits", str(head["wbits"])]
    argv += ["--abits", str(head["abits"]), "--seed", "1", "--cache-dir", cache]
    assert main([*argv, "--format", "json", "--no-progress"]) == 0
    row = json.loads(capsys.readouterr().out)
    assert row["cached"] is True  # the study's full training is this command's cache entry
    assert row["key"] == gap["model_key"]
    assert row["int_accuracy"] == gap["accuracy"]
