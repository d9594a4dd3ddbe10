"""Named regressions of issue 16: each bad input of the issue's catalogue is one line on stderr,
exit code 2, no traceback, and leaves every file it did not write as it was."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

import pytest

from rtmcim import outdir
from rtmcim.cli.main import main

CONFIGS = Path(__file__).resolve().parents[2] / "configs"
MEMORY = str(CONFIGS / "memory" / "default.yaml")
QUICK = ["explore", "--preset", "quick", "--dataset", "digits", "--no-progress", "--no-report"]
TRAIN = ["train", "lenet5", "--dataset", "digits", "--epochs", "1", "--no-progress"]
SWEEP = ["faults", "sweep", "--model", "lenet5", "--dataset", "digits", "--no-progress"]


def refused(capsys: pytest.CaptureFixture[str], *argv: str, code: int = 2) -> str:
    """Run the CLI in this process: it must exit ``code`` with one line and no traceback."""
    got = main(list(argv))
    out, err = capsys.readouterr()
    assert got == code, err
    assert len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in err and "Exception ignored" not in err
    assert out == ""
    return err.strip()


def snapshot(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() if p.is_file() else b"<dir>"
        for p in sorted(folder.rglob("*"))
    }


# --- tracebacks ---------------------------------------------------------------------------


def test_a_config_that_is_a_symlink_loop(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    loop = tmp_path / "a.yaml"
    loop.symlink_to(loop)
    err = refused(capsys, "memory", str(loop))
    assert "a.yaml" in err and "symbolic links" in err
    err = refused(capsys, "memory", MEMORY, "--trace", str(loop))
    assert "a.yaml" in err and "cannot read trace" in err
    assert "unknown arch" in refused(capsys, "evaluate", "--model", "lenet5", "--arch", str(loop))
    assert "unknown search space" in refused(
        capsys, "explore", str(loop), "--out", str(tmp_path / "o")
    )
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("verb", [TRAIN, SWEEP, QUICK])
def test_out_naming_an_existing_file(
    verb: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    f = tmp_path / "afile"
    f.write_text("mine")
    err = refused(capsys, *verb, "--out", str(f))
    assert "--out" in err and "names a file" in err
    assert f.read_text() == "mine"


@pytest.mark.parametrize("verb", [TRAIN, SWEEP, QUICK])
def test_out_that_cannot_be_created(verb: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    err = refused(capsys, *verb, "--out", "/proc/x/y")
    assert "--out = '/proc/x/y'" in err and "cannot" in err


def test_out_inside_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "afile").write_text("mine")
    err = refused(capsys, *TRAIN, "--out", str(tmp_path / "afile" / "m"))
    assert "is not a folder" in err


@pytest.mark.skipif(__import__("os").geteuid() == 0, reason="root writes into read-only folders")
def test_out_in_a_read_only_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ro = tmp_path / "ro"
    ro.mkdir(mode=0o555)
    err = refused(capsys, *TRAIN, "--out", str(ro / "m"))
    assert "cannot write" in err


@pytest.mark.parametrize("seed", ["-1", str(2**64), "2**64", "1e3"])
@pytest.mark.parametrize(
    "verb",
    [
        [*TRAIN, "--seed"],
        ["simulate", "--model", "lenet5", "--dataset", "digits", "--seed"],
        [*QUICK, "--seed"],
        [*SWEEP, "--fault-seed"],
    ],
)
def test_seed_out_of_range(verb: list[str], seed: str, capsys: pytest.CaptureFixture[str]) -> None:
    err = refused(capsys, *verb, seed)
    assert "0..4294967295" in err and seed in err


def _study_folder(tmp_path: Path) -> Path:
    from rtmcim.explore import load_space

    out = outdir.claim(tmp_path / "res", "study")
    study = {"version": 1, "study_name": "s", "space": load_space("quick").config.canonical()}
    (out / "study.json").write_text(json.dumps(study))
    return out


def test_report_on_a_study_json_that_is_a_list(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = _study_folder(tmp_path)
    (out / "study.json").write_text("[]")
    err = refused(capsys, "report", str(out))
    assert "study.json" in err and "corrupt" in err


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (b'{"spec": {}}', "no number"),
        (bytes(range(256)) * 4, "not UTF-8"),
        (
            b'{"number": "x", "spec": {}, "wbits": 8, "abits": 8, "model_key": "k", '
            b'"workload": {}, "points": 1}',
            "number = 'x'",
        ),
    ],
)
def test_report_on_a_broken_trial_file(
    content: bytes, needle: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = _study_folder(tmp_path)
    (out / "trials").mkdir()
    (out / "trials" / "trial-0000.json").write_bytes(content)
    (out / "trials" / "trial-0000-points.csv").write_text("point,feasible\n0,True\n")
    err = refused(capsys, "report", str(out))
    assert "trial-0000.json" in err and needle in err


def test_dask_scheduler_that_is_not_an_address(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    t0 = time.perf_counter()
    argv = [*QUICK, "--executor", "dask", "--scheduler", "notaurl", "--out", str(tmp_path / "o")]
    err = refused(capsys, *argv)
    assert "--scheduler = 'notaurl'" in err and "PROTOCOL://HOST" in err
    assert time.perf_counter() - t0 < 10 and not (tmp_path / "o").exists()


# --- unbounded sizes ----------------------------------------------------------------------


def test_a_memory_of_32_tib_of_state(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "huge.yaml"
    cfg.write_text(
        "organization: {banks: 1024, subarrays_per_bank: 4096, mus_per_subarray: 1048576}\n"
    )
    err = refused(capsys, "memory", str(cfg))
    assert "huge.yaml" in err and "organization" in err and "134,217,728" in err


def test_fully_connected_layers_too_large_to_train(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = tmp_path / "big.yaml"
    spec.write_text("name: big\nfc: [65536, 65536, 65536]\n")
    err = refused(capsys, "train", str(spec), "--dataset", "digits", "--no-cache")
    assert "fc.1" in err and "4,295,032,832 weights" in err and "at most" in err


def test_a_billion_sweep_points(capsys: pytest.CaptureFixture[str]) -> None:
    err = refused(capsys, *SWEEP, "--points", "1000000000")
    assert "--points" in err and "1..1000" in err


@pytest.mark.parametrize("what", ["yaml", "trace"])
def test_a_one_gigabyte_input_is_refused_unread(
    what: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    big = tmp_path / f"big.{what}"
    with big.open("wb") as fh:  # sparse: no disk used
        fh.truncate(2**30)
    argv = ["memory", str(big)] if what == "yaml" else ["memory", MEMORY, "--trace", str(big)]
    err = refused(capsys, *argv)
    assert "big." in err


# --- accepted nonsense ----------------------------------------------------------------------


@pytest.mark.parametrize("value", [".inf", "-.inf", ".nan", "1e308"])
def test_non_finite_or_absurd_tech_override(value: str, capsys: pytest.CaptureFixture[str]) -> None:
    err = refused(capsys, "tech", "rtm-32nm", "--set", f"rtm.shift_energy_pj={value}")
    assert "shift_energy_pj" in err


def test_absurd_override_in_a_memory_config(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = tmp_path / "ov.yaml"
    cfg.write_text(
        "tech_overrides: {rtm.read_energy_pj: 1e308}\n"
        "organization: {banks: 1, subarrays_per_bank: 4, mus_per_subarray: 16}\n"
    )
    err = refused(capsys, "memory", str(cfg))
    assert "read_energy_pj = 1e+308" in err and "1e+12" in err


def test_a_boolean_is_not_a_count(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "b.yaml"
    cfg.write_text("organization: {banks: true, subarrays_per_bank: 4, mus_per_subarray: 16}\n")
    err = refused(capsys, "memory", str(cfg))
    assert "b.yaml: organization.banks = True" in err and "boolean" in err


def test_tmr_on_more_bits_than_a_weight_has(capsys: pytest.CaptureFixture[str]) -> None:
    err = refused(
        capsys,
        "simulate",
        "--model",
        "lenet5",
        "--dataset",
        "digits",
        "--mitigation",
        "tmr_msb:100",
    )
    assert "--mitigation.tmr_msb = '100'" in err and "1..8" in err


def test_tmr_bounded_by_the_model_weights() -> None:
    from rtmcim.engine.faults import Mitigation
    from rtmcim.errors import ConfigError

    m = Mitigation.parse("tmr_msb:6")
    m.check_weight_bits(8)
    with pytest.raises(ConfigError, match=r"tmr_msb = 6: .* 4-bit weights .*allowed: 1\.\.4"):
        m.check_weight_bits(4)


# --- user data ------------------------------------------------------------------------------


def test_explore_never_deletes_a_users_trials(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "mine"
    (out / "trials").mkdir(parents=True)
    (out / "trials" / "trial-0007.json").write_text("my notes")
    (out / "study.db").write_bytes(b"my database")
    before = snapshot(out)
    err = refused(capsys, *QUICK, "--out", str(out))
    assert "did not write" in err and "study.db" in err
    assert snapshot(out) == before


def test_a_storage_database_with_other_tables(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "user.db"
    with sqlite3.connect(db) as con:
        con.execute("create table customers (id integer)")
    before = db.read_bytes()
    out = tmp_path / "o"
    err = refused(capsys, *QUICK, "--out", str(out), "--storage", f"sqlite:///{db}")
    assert "customers" in err and "not an Optuna study's" in err
    assert db.read_bytes() == before and not out.exists()


def test_train_never_overwrites_a_users_spec(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "m"
    out.mkdir()
    (out / "spec.yaml").write_text("my spec")
    err = refused(capsys, *TRAIN, "--out", str(out))
    assert "spec.yaml" in err and "did not write" in err
    assert (out / "spec.yaml").read_text() == "my spec"


def test_a_sweep_never_replaces_a_users_csv(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "s"
    out.mkdir()
    (out / "sweep.csv").write_text("mine")
    refused(capsys, *SWEEP, "--out", str(out))
    assert (out / "sweep.csv").read_text() == "mine"


def test_another_kind_of_rtmcim_folder_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = outdir.claim(tmp_path / "m", "model")
    err = refused(capsys, *SWEEP, "--out", str(out))
    assert "holds a trained model, not a fault sweep" in err


def test_report_over_a_corrupt_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = _study_folder(tmp_path)
    (out / "summary.json").write_text("{broken")
    before = snapshot(out)
    err = refused(capsys, "report", str(out))
    assert "summary.json" in err and "not overwritten" in err
    assert snapshot(out) == before


def test_report_on_a_folder_rtmcim_did_not_write(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = _study_folder(tmp_path)
    (out / outdir.MARKER).unlink()
    study = json.loads((out / "study.json").read_text())
    (out / "study.json").write_text(json.dumps({**study, "study_name": None}))
    before = snapshot(out)
    assert "did not write" in refused(capsys, "report", str(out))
    assert snapshot(out) == before


def test_a_study_folder_from_before_markers_is_resumed(tmp_path: Path) -> None:
    """A results folder an earlier rtmcim wrote (no marker) whose study.json names the same
    study is adopted; one naming another study, or none, is refused."""
    from rtmcim.errors import ConfigError
    from rtmcim.explore.study import check_inputs

    out = tmp_path / "old"
    (out / "trials").mkdir(parents=True)
    (out / "study.json").write_text(json.dumps({"study_name": "rtmcim-x-s0"}))
    assert check_inputs(out, "rtmcim-x-s0", None).startswith("sqlite:///")
    with pytest.raises(ConfigError, match="did not write"):
        check_inputs(out, "rtmcim-y-s0", None)
    assert not (out / outdir.MARKER).exists()


# --- more than one line -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--dataset", "nosuch"], "dataset = 'nosuch': unknown data set"),
        (["--threads", "-1"], "--threads: -1 is out of range"),
        (["--storage", "notaurl"], "--storage = 'notaurl'"),
        (["--storage", "sqlite:////nonexistent/dir/s.db"], "no folder"),
    ],
)
def test_explore_checks_before_it_prints_or_writes(
    args: list[str], needle: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "o"
    err = refused(capsys, *QUICK, "--out", str(out), *args)
    assert needle in err
    assert not out.exists()


# --- messages without the value or the allowed set -----------------------------------------------


def test_a_list_for_a_scalar_shows_the_value(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = tmp_path / "l.yaml"
    cfg.write_text("organization: {banks: [1, 2], subarrays_per_bank: 4, mus_per_subarray: 16}\n")
    assert "organization.banks = [1, 2]" in refused(capsys, "memory", str(cfg))


def test_set_without_equals(capsys: pytest.CaptureFixture[str]) -> None:
    err = refused(capsys, "tech", "rtm-32nm", "--set", "rtm.shift_energy_pj")
    assert "--set = 'rtm.shift_energy_pj'" in err and "KEY=VALUE" in err


def test_an_address_beyond_capacity_names_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    trace = tmp_path / "t.trace"
    trace.write_text("R 0x0\nR 0xFFFFFFFFFF\n")
    err = refused(capsys, "memory", MEMORY, "--trace", str(trace))
    assert "t.trace:2" in err and "0xffffffffff" in err and "allowed: 0x0 .." in err


def test_an_unknown_spec_key_lists_the_allowed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = tmp_path / "s.yaml"
    spec.write_text("name: x\nconv:\n  - {channels: 4, kernal: 3}\n")
    err = refused(capsys, "train", str(spec), "--dataset", "digits")
    assert "conv.0.kernal: unknown key" in err and "channels, " in err and "kernel, " in err


def test_a_multiplier_too_narrow_names_the_arch_file(tmp_path: Path) -> None:
    from workloads import lenet_work

    from rtmcim.errors import ConfigError
    from rtmcim.mapping import evaluate_workload, load_arch

    text = (CONFIGS / "arch" / "default.yaml").read_text()
    arch_file = tmp_path / "lut.yaml"
    arch_file.write_text(text.replace("multiplier: booth_r4", "multiplier: lut"))
    with pytest.raises(ConfigError) as exc:
        evaluate_workload(lenet_work(8), load_arch(str(arch_file)))
    msg = str(exc.value)
    assert "lut.yaml: compute.multiplier = 'lut'" in msg and "8-bit" in msg and "1..4" in msg


def test_a_top_level_list_in_a_config(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "l.yaml"
    cfg.write_text("- 1\n- 2\n")
    err = refused(capsys, "memory", str(cfg))
    assert "l.yaml: the file holds a list, not a mapping" in err and "organization" in err


def test_an_unexpected_failure_is_one_line_exit_1(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import rtmcim.cli.tech as tech

    def boom(*_: object, **__: object) -> None:
        raise RuntimeError("a bug\nover two lines")

    monkeypatch.setattr(tech, "load_tech", boom)
    err = refused(capsys, "tech", "rtm-32nm", code=1)
    assert "RuntimeError: a bug over two lines" in err and "--debug" in err
    assert main(["--debug", "tech", "rtm-32nm"]) == 1
    assert "Traceback" in capsys.readouterr().err


# --- a model the arch cannot hold or run: refused before any training -------------------------


@pytest.mark.parametrize("verb", [["evaluate"], ["simulate"], ["faults", "sweep"]])
def test_a_model_too_big_for_the_arch_is_refused_before_training(
    verb: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # ResNet-20 W8A8 needs 1,435 weight words per PE; a PE of arch default holds 768. Before,
    # the refusal came after the training (8 min 20 s for one epoch of ResNet-20 here).
    cache = tmp_path / "cache"
    err = refused(capsys, *verb, "--model", "resnet20", "--arch", "default",
                  "--cache-dir", str(cache), "--no-progress")  # fmt: skip
    assert "weights need 1435 words per PE but a PE holds 768" in err
    assert not cache.exists()  # nothing was trained


def test_weight_bits_the_multiplier_cannot_take_are_refused_before_training(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    arch = tmp_path / "lut.yaml"
    arch.write_text((CONFIGS / "arch" / "default.yaml").read_text().replace("booth_r4", "lut"))
    cache = tmp_path / "cache"
    err = refused(capsys, "evaluate", "--model", "lenet5", "--arch", str(arch), "--wbits", "8",
                  "--dataset", "digits", "--cache-dir", str(cache), "--no-progress")  # fmt: skip
    assert "lut" in err and "8" in err
    assert not cache.exists()
