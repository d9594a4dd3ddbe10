"""What the progress bar of ``rtmcim explore`` says beside its bar: hardware points evaluated,
the best so far and the time left, from the trials finished in this run."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


def clock(seconds: float) -> str:
    """``1:02:03``, ``4:05``; ``-:--`` when unknown."""
    if not math.isfinite(seconds) or seconds < 0:
        return "-:--"
    s = round(seconds)
    h, m = divmod(s // 60, 60)
    return f"{h}:{m:02d}:{s % 60:02d}" if h else f"{m}:{s % 60:02d}"


@dataclass
class StudyStats:
    """The figures of the trials finished so far; ``now`` is the clock (seconds)."""

    now: Callable[[], float] = time.monotonic
    start: float = field(default=math.nan)
    done_at_start: int = -1
    points: int = 0
    best_accuracy: float = math.nan
    least_energy_pj: float = math.nan

    def begin(self, done: int) -> None:
        """The study starts (or resumes) with ``done`` trials already finished."""
        if self.done_at_start < 0:
            self.start, self.done_at_start = self.now(), done

    def add(self, brief: dict[str, float]) -> None:
        """A trial finished in this run (rtmcim.report.results.trial_brief)."""
        self.points += int(brief["points"])
        self.best_accuracy = _best(self.best_accuracy, brief["accuracy"], max)
        self.least_energy_pj = _best(self.least_energy_pj, brief["energy_pj"], min)

    def eta_s(self, done: int, total: int) -> float:
        """Seconds left: this run's time per finished trial times the trials left."""
        ran = done - max(self.done_at_start, 0)
        if ran <= 0 or math.isnan(self.start):
            return math.nan
        return (self.now() - self.start) / ran * max(total - done, 0)

    def text(self, done: int, total: int) -> str:
        from rtmcim.report.units import eng

        best = "best: -"
        if not math.isnan(self.best_accuracy):
            best = f"best: accuracy {100 * self.best_accuracy:.1f} %"
            if not math.isnan(self.least_energy_pj):
                best += f", least energy {eng(self.least_energy_pj * 1e-12, 'J')}"
        return f"{self.points:,} points | {best} | ETA {clock(self.eta_s(done, total))}"


def _best(old: float, new: float, pick: Callable[[float, float], float]) -> float:
    if math.isnan(new):
        return old
    return new if math.isnan(old) else pick(old, new)


def stats_column(stats: StudyStats) -> Any:
    """A rich progress column: ``stats`` beside the task added with ``study=True`` (drawn at
    every refresh, so the ETA counts down between trials), nothing beside the others."""
    from rich.progress import ProgressColumn
    from rich.text import Text

    class _Stats(ProgressColumn):
        def render(self, task: Any) -> Text:
            if not task.fields.get("study"):
                return Text("")
            return Text(stats.text(int(task.completed), int(task.total or 0)))

    return _Stats()
