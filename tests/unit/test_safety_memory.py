"""A refused oversized input costs no memory (issue 16): each case runs the CLI in a child
process whose address space is capped with ``resource.setrlimit`` (so a regression fails with
MemoryError instead of taking the machine), and the child's peak resident memory (its VmHWM,
which it reports) must stay under 500 MB."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from rtmcim import outdir

LIMIT_MB = 500
CHILD = """
import resource, sys
resource.setrlimit(resource.RLIMIT_AS, ({cap}, {cap}))
from rtmcim.cli.main import main
code = main({argv!r})
# this process's high-water mark (VmHWM; ru_maxrss would carry the forking parent's)
status = open("/proc/self/status").read().split("VmHWM:")[1]
print("PEAK", status.split()[0], file=sys.stderr)
sys.exit(code)
"""


def refused_within(argv: list[str], cwd: Path, cap_gb: float = 3.0) -> tuple[str, float]:
    """Run the CLI in a capped child: exit 2, one line; returns the line and the peak in MB."""
    code = CHILD.format(cap=int(cap_gb * 2**30), argv=argv)
    p = subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, timeout=300
    )
    lines = p.stderr.strip().splitlines()
    peak = next(float(ln.split()[1]) / 1024 for ln in lines if ln.startswith("PEAK"))
    msg = [ln for ln in lines if not ln.startswith("PEAK")]
    assert p.returncode == 2, p.stderr
    assert len(msg) == 1 and "Traceback" not in p.stderr, p.stderr
    return msg[0], peak


def sparse(path: Path, size: int) -> Path:
    with path.open("wb") as fh:
        fh.truncate(size)
    return path


@pytest.mark.parametrize(
    "case", ["memory_32_tib", "config_1_gb", "trace_1_gb", "results_1_gb", "points_1e9"]
)
def test_a_refused_oversized_input_stays_under_500_mb(case: str, tmp_path: Path) -> None:
    mem = str(Path(__file__).resolve().parents[2] / "configs" / "memory" / "default.yaml")
    if case == "memory_32_tib":
        cfg = tmp_path / "huge.yaml"
        cfg.write_text(
            "organization: {banks: 1024, subarrays_per_bank: 4096, mus_per_subarray: 1048576}\n"
        )
        argv = ["memory", str(cfg)]
    elif case == "config_1_gb":
        argv = ["memory", str(sparse(tmp_path / "big.yaml", 2**30))]
    elif case == "trace_1_gb":
        argv = ["memory", mem, "--trace", str(sparse(tmp_path / "big.trace", 2**30))]
    elif case == "results_1_gb":
        out = outdir.claim(tmp_path / "res", "study")
        sparse(out / "study.json", 2**30)
        argv = ["report", str(out)]
    else:
        argv = ["faults", "sweep", "--model", "lenet5", "--points", "1000000000"]
    line, peak = refused_within(argv, tmp_path)
    assert peak < LIMIT_MB, f"{case}: {peak:.0f} MB peak ({line})"


def test_a_spec_too_large_to_train_stays_under_500_mb(tmp_path: Path) -> None:
    spec = tmp_path / "big.yaml"
    spec.write_text("name: big\nfc: [65536, 65536, 65536]\n")
    argv = ["train", str(spec), "--dataset", "digits", "--no-cache"]
    line, peak = refused_within(argv, tmp_path, cap_gb=6.0)  # torch reserves address space
    assert "fc.1" in line and "weights" in line
    assert peak < LIMIT_MB, f"{peak:.0f} MB peak"


def test_the_report_names_the_oversized_file(tmp_path: Path) -> None:
    out = outdir.claim(tmp_path / "res", "study")
    sparse(out / "study.json", 2**30)
    line, _ = refused_within(["report", str(out)], tmp_path)
    assert "study.json" in line and "too large" in line
    assert json.dumps(line)  # one printable line
