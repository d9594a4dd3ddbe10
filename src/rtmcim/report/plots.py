"""Figures of a results folder (matplotlib, Agg backend: no display needed).

Each function draws one figure into a PNG file, writes the same figure as SVG beside it (for
papers) and returns the PNG's path.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from rtmcim.explore import OBJECTIVES


def pyplot() -> Any:
    """matplotlib.pyplot on the Agg backend (imported on first use: it is slow to import)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save(fig: Any, path: Path, dpi: int) -> None:
    """``fig`` as PNG at ``path`` and as SVG beside it, then closed."""
    fig.savefig(path, dpi=dpi)
    fig.savefig(path.with_suffix(".svg"))
    pyplot().close(fig)


def _axis_val(p: dict[str, Any], name: str) -> float:
    """A point's value of an objective in plot units; costs span decades: plotted as log10 (on
    linear axes: log tick layout is slow)."""
    o = OBJECTIVES[name]
    v = float(p[o.column]) * o.scale
    if not o.log_axis:
        return v
    return math.log10(v) if v > 0 else math.nan


def _axis_label(name: str) -> str:
    o = OBJECTIVES[name]
    return f"log10 {o.label}" if o.log_axis else o.label


def scatter_matrix(
    points: list[dict[str, Any]],
    front: list[dict[str, Any]],
    objectives: tuple[str, ...],
    path: Path,
) -> Path:
    """Pairwise scatter of the objectives: every feasible point in grey, the front in colour."""
    plt = pyplot()
    m = len(objectives)
    fig, axes = plt.subplots(m, m, figsize=(2.6 * m, 2.6 * m), squeeze=False)
    feas = [p for p in points if p["feasible"]]
    cols = {o: np.array([_axis_val(p, o) for p in feas]) for o in objectives}
    fcols = {o: np.array([_axis_val(p, o) for p in front]) for o in objectives}
    for i, oy in enumerate(objectives):
        for j, ox in enumerate(objectives):
            ax = axes[i][j]
            if i == j:
                # NaN (e.g. fault_accuracy of a model the base arch cannot hold) is not binned
                ax.hist(cols[ox][np.isfinite(cols[ox])], bins=30, color="0.7")
                ax.hist(fcols[ox][np.isfinite(fcols[ox])], bins=30, color="C3", alpha=0.8)
            else:
                ax.scatter(cols[ox], cols[oy], s=3, c="0.75", rasterized=True)
                ax.scatter(fcols[ox], fcols[oy], s=10, c="C3")
            if i == m - 1:
                ax.set_xlabel(_axis_label(ox), fontsize=8)
            if j == 0:
                ax.set_ylabel(_axis_label(oy), fontsize=8)
            ax.tick_params(labelsize=7)
    fig.suptitle("All feasible designs (grey) and the Pareto front (red)")
    fig.subplots_adjust(left=0.08, right=0.98, bottom=0.07, top=0.94, wspace=0.3, hspace=0.3)
    save(fig, path, 80)
    return path


def accuracy_vs_energy(
    points: list[dict[str, Any]],
    front: list[dict[str, Any]],
    trials: dict[int, dict[str, Any]],
    reference: dict[str, Any] | None,
    path: Path,
) -> Path:
    """Accuracy against energy per inference; marker = weight bits, colour = activation bits."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7, 4.5))
    markers = {2: "v", 3: "<", 4: "o", 5: ">", 6: "s", 7: "p", 8: "D"}
    colors = {2: "C0", 3: "C4", 4: "C1", 5: "C5", 6: "C2", 7: "C6", 8: "C3"}
    feas = [p for p in points if p["feasible"]]
    ax.scatter(
        [p["energy_pj"] / 1e3 for p in feas],
        [p["accuracy"] for p in feas],
        s=2,
        c="0.85",
        rasterized=True,
    )
    groups: dict[tuple[int, int], list[dict[str, Any]]] = {}
    for p in front:
        t = trials[p["trial"]]
        groups.setdefault((int(t["wbits"]), int(t["abits"])), []).append(p)
    for (wb, ab), pts in sorted(groups.items()):
        ax.scatter(
            [p["energy_pj"] / 1e3 for p in pts],
            [p["accuracy"] for p in pts],
            marker=markers.get(wb, "o"),
            c=colors.get(ab, "k"),
            s=28,
            label=f"W{wb}/A{ab}",
            edgecolors="k",
            linewidths=0.3,
        )
    if reference is not None and reference.get("point"):
        rp = reference["point"]
        ax.scatter(
            rp["energy_pj"] / 1e3,
            rp["accuracy"],
            marker="*",
            s=180,
            c="gold",
            edgecolors="k",
            label="default design",
        )
    ax.set_xscale("log")
    ax.set_xlabel("energy / inference (nJ)")
    ax.set_ylabel("test accuracy (integer graph)")
    ax.set_title("Accuracy vs energy (front; marker = weight bits, colour = activation bits)")
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    save(fig, path, 90)
    return path


def layer_breakdown(designs: dict[str, Any], path: Path) -> Path:
    """Stacked bars: energy of each layer by event class, one panel per chosen design.

    ``designs`` maps a label to an Evaluation.
    """
    plt = pyplot()
    n = max(1, len(designs))
    cols = min(3, n)
    rows = math.ceil(n / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.6 * cols, 3.4 * rows), squeeze=False)
    for ax in axes.ravel()[n:]:
        ax.axis("off")
    for ax, (label, ev) in zip(axes.ravel(), designs.items(), strict=False):
        names = [lc.name for lc in ev.layers]
        classes = [c for c in ev.energy_pj if ev.energy_pj[c] > 0]
        bottom = np.zeros(len(names))
        for k, c in enumerate(classes):
            vals = np.array([lc.energy_pj.get(c, 0.0) / 1e3 for lc in ev.layers])
            ax.bar(names, vals, bottom=bottom, label=c, color=f"C{k % 10}")
            bottom += vals
        ax.set_title(label, fontsize=9)
        ax.set_ylabel("energy (nJ)", fontsize=8)
        ax.tick_params(axis="x", labelrotation=45, labelsize=7)
        ax.tick_params(axis="y", labelsize=7)
        ax.legend(fontsize=6)
    fig.suptitle("Per-layer energy by event class")
    fig.tight_layout()
    save(fig, path, 90)
    return path


def heatmaps(
    grid: dict[str, np.ndarray], ports: list[Any], domains: list[Any], title: str, path: Path
) -> Path:
    """Energy and area over ports x domains (``grid``: name -> (len(ports), len(domains)))."""
    plt = pyplot()
    fig, axes = plt.subplots(1, len(grid), figsize=(4.8 * len(grid), 3.8), squeeze=False)
    for ax, (name, g) in zip(axes[0], grid.items(), strict=True):
        im = ax.imshow(g, origin="lower", cmap="viridis", aspect="auto")
        ax.set_xticks(range(len(domains)), [str(d) for d in domains])
        ax.set_yticks(range(len(ports)), [str(p) for p in ports])
        ax.set_xlabel("MU domains")
        ax.set_ylabel("MU ports")
        ax.set_title(name, fontsize=9)
        for i in range(g.shape[0]):
            for j in range(g.shape[1]):
                ok = bool(np.isfinite(g[i, j]))
                txt = f"{g[i, j]:.4g}" if ok else "does not fit"
                ax.text(j, i, txt, ha="center", va="center", fontsize=7, color="w" if ok else "k")
        fig.colorbar(im, ax=ax)
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    save(fig, path, 90)
    return path


_DESIGN_STYLE = {
    "in_memory": ("C3", "o", "in-memory (RTM MAC cells)"),
    "near_memory": ("C0", "s", "near-memory (RTM + CMOS MACs)"),
    "cmos_sram": ("C2", "^", "CMOS + SRAM"),
}


def crossover(points: list[Any], path: Path) -> Path:
    """Energy and latency per inference against on-chip capacity: one column per model, one
    line per design (log-log); a design that cannot run at a capacity has no marker there."""
    plt = pyplot()
    models = list(dict.fromkeys(p.model for p in points))
    fig, axes = plt.subplots(
        2, len(models), figsize=(3.3 * len(models), 5.6), squeeze=False, sharex=True
    )
    for j, model in enumerate(models):
        mine = [p for p in points if p.model == model]
        kib = mine[0].weights_kib
        for row, (fig_attr, scale, unit) in enumerate(
            (("energy_pj", 1e6, "energy / inference (µJ)"), ("latency_ns", 1e3, "latency (µs)"))
        ):
            ax = axes[row][j]
            for design, (color, marker, label) in _DESIGN_STYLE.items():
                pts = sorted((p.capacity_kib, getattr(p, fig_attr) / scale) for p in mine
                             if p.design == design and math.isfinite(getattr(p, fig_attr)))  # fmt: skip
                if pts:
                    ax.plot(*zip(*pts, strict=True), marker=marker, color=color, label=label,
                            ms=4, lw=1.2)  # fmt: skip
            ax.set_xscale("log", base=2)
            ax.set_yscale("log")
            ax.tick_params(labelsize=7)
            if j == 0:
                ax.set_ylabel(unit, fontsize=8)
            if row == 0:
                ax.set_title(f"{model} ({kib:,.0f} KiB of weights)", fontsize=8)
            else:
                ax.set_xlabel("on-chip store (KiB)", fontsize=8)
    axes[0][0].legend(fontsize=6)
    fig.suptitle("Crossover: three designs as the on-chip store grows", fontsize=10)
    fig.tight_layout()
    save(fig, path, 90)
    return path
