"""The files of an accuracy-vs-fault-rate sweep: sweep.csv, sweep.json and the sweep.png plot."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rtmcim import atomic, outdir
from rtmcim.report.plots import pyplot


def write_fault_sweep(
    out_dir: Path, rows: Sequence[dict[str, Any]], meta: dict[str, Any]
) -> dict[str, Path]:
    """Write the sweep's rows (CSV, and JSON with ``meta``) and its plot into ``out_dir`` (new,
    empty or a sweep folder rtmcim wrote: :mod:`rtmcim.outdir`)."""
    outdir.claim(out_dir, "sweep")
    files = {
        "csv": atomic.write_csv(out_dir / "sweep.csv", rows),
        "json": atomic.write_text(
            out_dir / "sweep.json",
            json.dumps({"meta": meta, "points": list(rows)}, indent=2, default=str) + "\n",
        ),
    }
    files["png"] = atomic.write_with(
        out_dir / "sweep.png", lambda p: plot_fault_sweep(rows, meta, p)
    )
    return files


def _label(name: str, pts: list[tuple[float, dict[str, Any]]]) -> str:
    if name == "none":
        return "no mitigation"
    r0 = pts[0][1]
    return (
        f"{name} (+{r0['energy_overhead_pct']:.1f} % energy, +{r0['latency_overhead_pct']:.1f} %"
        f" latency, +{r0['storage_overhead_pct']:.1f} % storage)"
    )


def plot_fault_sweep(rows: Sequence[dict[str, Any]], meta: dict[str, Any], path: Path) -> Path:
    """Accuracy against the fault rate (log axis), a line per mitigation, fault-free dashed."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    clean = next((r["accuracy_pct"] for r in rows if r["rate"] == 0), None)
    for name in sorted({r["mitigation"] for r in rows}, key=lambda n: n != "none"):
        pts = sorted((r["rate"], r) for r in rows if r["mitigation"] == name and r["rate"] > 0)
        if pts:
            accs = [p[1]["accuracy_pct"] for p in pts]
            ax.plot([p[0] for p in pts], accs, marker="o", label=_label(name, pts))
    if clean is not None:
        ax.axhline(clean, color="grey", linestyle="--", linewidth=1, label="fault-free")
    ax.set_xscale("log")
    ax.set_xlabel(f"{meta['kind']} fault rate (per {meta['per']})")
    ax.set_ylabel("top-1 accuracy (%)")
    ax.set_ylim(0, 100)
    ax.set_title(
        f"{meta['model']} / {meta['dataset']} on {meta['arch']}: {meta['images']} images",
        fontsize=10,
    )
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7, loc="lower left")
    fig.tight_layout()
    fig.savefig(path, dpi=120, format="png")
    plt.close(fig)
    return path


SWEEPS = "fault-sweeps"  # a results folder's sweeps: fault-sweeps/NAME/sweep.json
_POINT_KEYS = {"rate", "mitigation", "accuracy_pct", "energy_overhead_pct", "latency_overhead_pct"}
_POINT_KEYS |= {"storage_overhead_pct"}
_META_KEYS = {"model", "dataset", "arch", "kind", "per", "images", "fault_seed"}


def filed_sweeps(folder: Path) -> list[tuple[str, dict[str, Any]]]:
    """The fault sweeps filed in a study's results folder (``rtmcim faults sweep --out
    DIR/fault-sweeps/NAME``), by name: each ``(NAME, {"meta": ..., "points": [...]})``. A
    sweep.json that is not one rtmcim wrote is refused, naming the file."""
    from rtmcim.errors import DataError
    from rtmcim.yamlio import read_text

    out = []
    for path in sorted((folder / SWEEPS).glob("*/sweep.json")):
        try:
            data = json.loads(read_text(path, "sweep.json", DataError, 64 * 2**20))
            pts = data["points"]
            meta = data["meta"]
            ok = isinstance(meta, dict) and meta.keys() >= _META_KEYS
            ok = ok and isinstance(pts, list) and bool(pts)
            ok = ok and all(isinstance(p, dict) and p.keys() >= _POINT_KEYS for p in pts)
        except (ValueError, KeyError, TypeError):
            ok = False
        if not ok:
            raise DataError(
                "not a fault sweep rtmcim wrote (a JSON object: meta of the model, data set, "
                "arch, fault kind and images, and points of rate, mitigation and accuracy_pct)",
                source=str(path),
                hint="move it out of fault-sweeps/, then run 'rtmcim report' again",
            )
        out.append((path.parent.name, data))
    return out
