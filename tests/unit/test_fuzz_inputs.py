"""Fuzzing every shipped input and the CLI arguments of every verb (issue 16).

Each generated case is a bad input: a shipped memory config, arch, search space, technology
preset or zoo spec with one mutation (an unknown key at some level, a value of the wrong type,
an out-of-range, non-finite or boolean number, a duplicated key, a truncated file), or a verb's
argument line with one bad value. Each must give exit code 2, one line on stderr, no traceback,
nothing on stdout, and leave the working folder (where every --out points) as it was. The CLI
runs in this process (its ``main``); training and the study loop are replaced by a tripwire, so
an input that is wrongly accepted fails the test at once instead of training a model.
"""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rtmcim.cli.main import main

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src" / "rtmcim"
FUZZ = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,  # the same cases on every run: a failure is reproducible
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


class Accepted(Exception):
    """Raised by the tripwire: the CLI went past validation with a bad input."""


@pytest.fixture
def guarded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A working folder to run in, with training and the study loop replaced by a tripwire."""
    import rtmcim.explore.study as study
    import rtmcim.nn.train as train

    def trip(*_: Any, **__: Any) -> Any:
        raise Accepted("the input was accepted")

    monkeypatch.setattr(train, "deterministic", trip)
    monkeypatch.setattr(study, "run_study", trip)
    monkeypatch.setenv("RTMCIM_CACHE", str(tmp_path / "cache"))
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    yield work


def snapshot(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() if p.is_file() else b"<dir>"
        for p in sorted(folder.rglob("*"))
    }


def run(argv: list[str], work: Path) -> tuple[int, str, str]:
    before = snapshot(work)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    assert snapshot(work) == before, f"{argv} changed the working folder"
    return code, out.getvalue(), err.getvalue()


def assert_refused(code: int, out: str, err: str, argv: list[str]) -> None:
    assert "Accepted" not in err, f"accepted: {argv}"
    assert code == 2, f"{argv}: exit {code}: {err}"
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, f"{argv}: {err}"
    assert lines[0].startswith("rtmcim ") and ": error: " in lines[0]
    assert out == ""


# --- the shipped inputs, and the verb that reads each ----------------------------------------


def _shipped() -> list[tuple[str, Any]]:
    from rtmcim.nn.zoo import ZOO

    docs: list[tuple[str, Any]] = []
    for kind, folder in (
        ("memory", SRC / "configs" / "memory"),
        ("arch", SRC / "configs" / "arch"),
        ("space", SRC / "configs" / "spaces"),
        ("tech", SRC / "tech" / "presets"),
    ):
        for f in sorted(folder.glob("*.yaml")):
            docs.append((kind, yaml.safe_load(f.read_text())))
    docs += [("spec", dict(spec)) for _, spec in sorted(ZOO.items())]
    return docs


SHIPPED = _shipped()


def argv_for(kind: str, path: str) -> list[str]:
    """The verb line that reads a ``kind`` file (every --out: a folder that must not appear)."""
    return {
        "memory": ["memory", path],
        "arch": ["evaluate", "--model", "lenet5", "--dataset", "digits", "--arch", path],
        "space": ["explore", path, "--dataset", "digits", "--out", "o", "--no-progress"],
        "tech": ["tech", path],
        "spec": ["train", path, "--dataset", "digits", "--no-cache", "--out", "o"],
    }[kind]


def paths(doc: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    """Every (path, value) in a parsed document, the document itself first."""
    yield prefix, doc
    if isinstance(doc, dict):
        for k, v in doc.items():
            yield from paths(v, (*prefix, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            yield from paths(v, (*prefix, i))


def replaced(doc: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(doc, dict):
        return {k: replaced(v, rest, value) if k == head else v for k, v in doc.items()}
    return [replaced(v, rest, value) if i == head else v for i, v in enumerate(doc)]


def is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


@st.composite
def mutated(draw: st.DrawFn) -> tuple[str, str, str]:
    """(kind, mutation, YAML text) of a shipped input with one mutation that makes it invalid."""
    kind, doc = draw(st.sampled_from(SHIPPED))
    everything = list(paths(doc))
    mutation = draw(
        st.sampled_from(
            ["unknown key", "wrong type", "out of range", "non-finite", "boolean", "duplicate"]
        )
    )
    if mutation == "unknown key":
        where = [(p, v) for p, v in everything if isinstance(v, dict)]
        p, v = draw(st.sampled_from(where))
        return kind, mutation, yaml.safe_dump(replaced(doc, p, {**v, "zz_not_a_key": 1}))
    if mutation == "duplicate":
        text = yaml.safe_dump(doc, sort_keys=False)
        first = [ln for ln in text.splitlines() if ln and not ln.startswith((" ", "-"))]
        return kind, mutation, text + draw(st.sampled_from(first)).split(":")[0] + ": 1\n"
    leaves = [(p, v) for p, v in everything if p and not isinstance(v, dict | list)]
    if mutation == "wrong type":
        p, v = draw(st.sampled_from([(p, v) for p, v in everything if p]))
        bad = [1, 2] if isinstance(v, dict) else {"zz": [1]}
        return kind, mutation, yaml.safe_dump(replaced(doc, p, bad))
    numbers = [(p, v) for p, v in leaves if is_number(v)]
    p, v = draw(st.sampled_from(numbers))
    if mutation == "out of range":
        bad: Any = draw(st.sampled_from([10**30, -(10**30), 1e300, -1e300]))
        return kind, mutation, yaml.safe_dump(replaced(doc, p, bad))
    if mutation == "boolean":
        return kind, mutation, yaml.safe_dump(replaced(doc, p, draw(st.booleans())))
    text = yaml.safe_dump(replaced(doc, p, "NONFINITE"))
    return (
        kind,
        mutation,
        text.replace("NONFINITE", draw(st.sampled_from([".inf", "-.inf", ".nan"]))),
    )


@settings(FUZZ, max_examples=150)
@given(case=mutated())
def test_a_mutated_shipped_input_is_refused(case: tuple[str, str, str], guarded: Path) -> None:
    kind, mutation, text = case
    f = guarded.parent / f"input-{kind}.yaml"
    f.write_text(text)
    argv = argv_for(kind, str(f))
    code, out, err = run(argv, guarded)
    assert_refused(code, out, err, [mutation, *argv])


@FUZZ
@given(doc=st.sampled_from(SHIPPED), cut=st.floats(0.02, 0.98))
def test_a_truncated_shipped_input_is_refused_or_valid(
    doc: tuple[str, Any], cut: float, guarded: Path
) -> None:
    """A file cut short is refused in one line, unless what is left is itself a valid input."""
    kind, data = doc
    text = yaml.safe_dump(data, sort_keys=False)
    f = guarded.parent / f"input-{kind}.yaml"
    f.write_text(text[: max(1, int(len(text) * cut))])
    argv = argv_for(kind, str(f))
    code, out, err = run(argv, guarded)
    if code == 0 or "Accepted" in err:  # what is left is itself a valid input
        return
    assert_refused(code, out, err, argv)


# --- the CLI arguments of every verb --------------------------------------------------------------

MEM = str(SRC / "configs" / "memory" / "default.yaml")
MODEL = ["--model", "lenet5", "--dataset", "digits"]
INTS = ["-1", "0x10", "1e3", "1.5", "", "inf", "nan", "-9999999999999999999999", "9" * 30, "two"]

# (verb line, option, values: each of them is bad for that option)
ARGS: list[tuple[list[str], str, list[str]]] = [
    (
        ["tech", "rtm-32nm"],
        "--set",
        [
            "rtm.shift_energy_pj",
            "rtm.shift_energy_pj=.inf",
            "rtm.shift_energy_pj=-1",
            "rtm.nokey=1",
            "x.y.z=1",
            "rtm.shift_energy_pj=[1]",
            "rtm.shift_energy_pj=true",
        ],
    ),
    (["tech"], "", ["nosuch", "/proc/x.yaml", "/", MEM]),
    (["memory"], "", ["nosuch.yaml", "/", "/dev/null"]),
    (["memory", MEM], "--trace", ["nosuch.trace", "/", MEM]),
    (["memory", MEM], "--compat", ["nvmain", ""]),
    (["memory", MEM], "--controller", ["fifo"]),
    (["memory", MEM, "--controller", "frfcfs"], "--queue-depth", INTS),
    (["memory", MEM, "--controller", "frfcfs"], "--row-domains", INTS),
    (["memory", MEM], "--optimize", ["fastest", ""]),
    (["memory", "--optimize", "area"], "--capacity", ["0", "-1", "2TiB", "1.5B", "x", "1e400"]),
    (["memory", "--optimize", "area", "--capacity", "64KiB"], "--top", INTS),
    (["circuits"], "--bits", ["0", "33", "4,x", "", "-4", "1e3", "inf"]),
    (["circuits"], "--k", INTS),
    (["circuits"], "--tech", ["nosuch", "/"]),
    (["train", "lenet5", "--dataset", "digits"], "--wbits", [*INTS, "9", "1"]),
    (["train", "lenet5", "--dataset", "digits"], "--epochs", INTS),
    (["train", "lenet5", "--dataset", "digits"], "--batch-size", INTS),
    (["train", "lenet5", "--dataset", "digits"], "--lr", ["0", "-1", "inf", "nan", "2", "x"]),
    (["train", "lenet5", "--dataset", "digits"], "--seed", INTS[1:]),
    (["train", "lenet5"], "--dataset", ["nosuch", "nosuch.npz", "/", "mnist.npz"]),
    (["train"], "", ["nosuch", "nosuch.yaml", "/"]),
    (["evaluate", *MODEL], "--arch", ["nosuch", "nosuch.yaml", "/"]),
    (["evaluate", "--dataset", "digits"], "--model", ["nosuch", "nosuch.yaml", "/proc"]),
    (["simulate", *MODEL], "--limit", INTS[1:]),
    (["simulate", *MODEL], "--jobs", INTS),
    (["simulate", *MODEL], "--faults", ["shift", "shift=2", "shift=-1", "x=0.1", "shift=inf"]),
    (["simulate", *MODEL], "--mitigation", ["tmr_msb:9", "tmr_msb:0", "x", "tmr_msb:a"]),
    (["simulate", *MODEL], "--fault-seed", INTS[1:]),
    (["faults", "sweep", *MODEL], "--rates", ["", "1..x", "0..1", "1e-1..1e-6", "-1,2"]),
    (["faults", "sweep", *MODEL], "--points", INTS),
    (["faults", "sweep", *MODEL], "--kind", ["nosuch"]),
    (["faults", "sweep", *MODEL], "--out", ["/proc/x", "/dev/null", "/", "/etc/hostname"]),
    (["explore", "--dataset", "digits"], "--budget", INTS),
    (["explore", "--dataset", "digits"], "--jobs", INTS),
    (["explore", "--dataset", "digits"], "--threads", INTS[:1] + INTS[2:]),
    (
        ["explore", "--dataset", "digits"],
        "--storage",
        ["notaurl", "x://", "sqlite:////no/dir/s.db"],
    ),
    (["explore", "--dataset", "digits", "--executor", "dask"], "--scheduler", ["notaurl", ""]),
    (["explore", "--dataset", "digits"], "--out", ["/proc/x", "/dev/null", "/", "/etc/hostname"]),
    (["explore"], "--dataset", ["nosuch", "x.npz"]),
    (["explore"], "--preset", ["huge"]),
    (["report"], "", ["nosuch", "/", "."]),
    (["dashboard"], "", ["nosuch", "/", "."]),
]


@st.composite
def bad_args(draw: st.DrawFn) -> list[str]:
    line, option, values = draw(st.sampled_from(ARGS))
    value = draw(st.sampled_from(values))
    return [*line, *([option] if option else []), value]


@settings(FUZZ, max_examples=250)
@given(argv=bad_args())
def test_a_bad_argument_of_any_verb_is_refused(argv: list[str], guarded: Path) -> None:
    code, out, err = run(argv, guarded)
    assert_refused(code, out, err, argv)


def test_every_verb_is_fuzzed() -> None:
    from rtmcim.cli.main import VERBS

    fuzzed = {line[0] for line, _, _ in ARGS}
    assert fuzzed >= set(VERBS), set(VERBS) - fuzzed


def test_fuzz_inputs_cover_every_shipped_kind() -> None:
    assert {k for k, _ in SHIPPED} == {"memory", "arch", "space", "tech", "spec"}
    assert os.path.isfile(MEM)
