"""Where candidate evaluations run: in this process, in local processes, or on a Dask cluster.

An executor takes a batch of :class:`~rtmcim.explore.candidate.CandidateTask`
and yields ``(index, result)`` as evaluations finish. The study asks the
optimizer for a batch, waits for the whole batch and tells the results in
trial order, so the sequence of proposals depends only on the seed and the
batch size (``slots``), never on which executor ran the work or how fast.
"""

from __future__ import annotations

import concurrent.futures as cf
import gc
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Protocol

from rtmcim.errors import ConfigError, RtmcimError
from rtmcim.explore.candidate import CandidateResult, CandidateTask, evaluate_candidate
from rtmcim.pool import process_pool

Outcome = CandidateResult | RtmcimError


def run_task(task: CandidateTask) -> Outcome:
    """Evaluate one task; a bad model (a spec that cannot be built, ...) is returned, not raised."""
    try:
        return evaluate_candidate(task)
    except RtmcimError as exc:
        return exc


class Executor(Protocol):
    @property
    def slots(self) -> int:
        """Evaluations run at once (the optimizer's batch size)."""
        ...

    def run(self, tasks: Sequence[CandidateTask]) -> Iterator[tuple[int, Outcome]]: ...

    def close(self) -> None: ...

    def describe(self) -> str: ...


class InProcessExecutor:
    """One evaluation at a time in this process (progress callbacks reach the caller)."""

    def __init__(
        self,
        train_progress: Callable[[Any], None] | None = None,
        sweep_progress: Callable[[int, int], None] | None = None,
        slots: int = 1,
    ) -> None:
        self._train = train_progress
        self._sweep = sweep_progress
        self._slots = slots

    @property
    def slots(self) -> int:
        return self._slots

    def run(self, tasks: Sequence[CandidateTask]) -> Iterator[tuple[int, Outcome]]:
        for i, t in enumerate(tasks):
            try:
                yield i, evaluate_candidate(t, self._train, self._sweep)
            except RtmcimError as exc:
                yield i, exc

    def close(self) -> None:
        return None

    def describe(self) -> str:
        return "local (this process)"


class ProcessExecutor:
    """``jobs`` local worker processes (:func:`rtmcim.pool.process_pool`: spawned)."""

    def __init__(self, jobs: int) -> None:
        if jobs < 1:
            raise ConfigError("must be at least 1", key="--jobs", value=jobs)
        self._jobs = jobs
        self._pool = process_pool(jobs)

    @property
    def slots(self) -> int:
        return self._jobs

    def run(self, tasks: Sequence[CandidateTask]) -> Iterator[tuple[int, Outcome]]:
        futs = {self._pool.submit(run_task, t): i for i, t in enumerate(tasks)}
        for f in cf.as_completed(futs):
            yield futs[f], f.result()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def describe(self) -> str:
        return f"local ({self._jobs} processes)"


_ADDRESS = re.compile(r"^([a-z][a-z0-9+]*://[^\s/]+|inproc://[^\s/]+(/\d+)+)$")


def check_scheduler_address(address: str) -> None:
    """Refuse, before connecting, an address that is not ``PROTOCOL://HOST[:PORT]`` (or Dask's
    in-process ``inproc://HOST/PID/N``, which a threaded ``LocalCluster`` serves)."""
    if not _ADDRESS.match(address):
        raise ConfigError(
            "not a Dask scheduler address",
            key="--scheduler",
            value=address,
            allowed="PROTOCOL://HOST[:PORT], e.g. tcp://10.0.0.1:8786, or inproc://HOST/PID/N",
        )


def _collect_quietly() -> None:
    """Collect garbage with Python's 'Exception ignored in ...' report switched off: a Dask
    client whose constructor failed raises again in its finalizer."""
    hook = sys.unraisablehook
    sys.unraisablehook = lambda _: None
    try:
        gc.collect()
    finally:
        sys.unraisablehook = hook


class DaskExecutor:
    """Evaluations as tasks on a Dask cluster (``tcp://HOST:8786``) or a given client."""

    def __init__(
        self,
        scheduler: str | None = None,
        *,
        client: Any = None,
        jobs: int | None = None,
        timeout_s: float = 10.0,
    ) -> None:
        from distributed import Client

        if client is None:
            if not scheduler:
                raise ConfigError(
                    "a Dask executor needs a scheduler address",
                    key="--scheduler",
                    allowed="e.g. tcp://HOST:8786",
                )
            check_scheduler_address(scheduler)
            failure = None
            try:
                client = Client(scheduler, timeout=f"{timeout_s}s", set_as_default=False)
            except (OSError, TimeoutError, ValueError) as exc:
                failure = type(exc).__name__
            if failure is not None:
                _collect_quietly()  # the half-built client's __del__ would print a traceback
                raise ConfigError(
                    f"cannot reach the Dask scheduler ({failure})",
                    key="--scheduler",
                    value=scheduler,
                    hint="start one with 'dask scheduler' and workers with 'dask worker ADDRESS'",
                )
            self._owned = True
        else:
            self._owned = False
        self._client = client
        workers = client.scheduler_info().get("workers", {})
        threads = sum(int(w.get("nthreads", 1)) for w in workers.values()) or 1
        self._slots = jobs if jobs is not None else threads
        self._address = scheduler or "a given client"

    @property
    def slots(self) -> int:
        return self._slots

    def run(self, tasks: Sequence[CandidateTask]) -> Iterator[tuple[int, Outcome]]:
        from distributed import as_completed

        futs = [self._client.submit(run_task, t, pure=False) for t in tasks]
        index = {f.key: i for i, f in enumerate(futs)}
        # the loop of our own client: it is not the process's default client
        for f in as_completed(futs, loop=self._client.loop):
            yield index[f.key], f.result()

    def close(self) -> None:
        if self._owned:
            self._client.close()

    def describe(self) -> str:
        return f"dask ({self._address}, {self._slots} at once)"
