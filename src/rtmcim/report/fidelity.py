"""The fidelity behind every accuracy of a results folder, and how well screening ranked models.

With a multi-fidelity study (a space's ``fidelity`` section, rtmcim.explore.fidelity) a
model may have been trained at several fidelities. Every figure of the report uses the
highest fidelity of the ladder that the model reached; the screening accuracy stays
beside it (``screening_accuracy``), and the headline design's training with `rtmcim
train`'s defaults, when the study ran it, gives the gap to a full training.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rtmcim.explore import (
    SpaceConfig,
    describe_fidelity,
    full_record,
    model_records,
    rank_agreement,
    rounds,
)
from rtmcim.report import html

if TYPE_CHECKING:
    from rtmcim.report.results import Results

Row = dict[str, Any]


def screening_fidelity(space: SpaceConfig) -> dict[str, Any]:
    """Rung 0 as the space says (for trial files written before fidelities were recorded)."""
    tr = space.training
    return {
        "rung": 0,
        "epochs": tr.epochs,
        "qat_epochs": tr.qat_epochs,
        "train_images": tr.train_subset,
        "early_stop": None,
    }


def merge_fidelity(
    folder: Path,
    space: SpaceConfig,
    trials: Sequence[dict[str, Any]],
    points: Sequence[dict[str, Any]],
    reference: dict[str, Any] | None,
) -> None:
    """Give every trial (and its points, and the reference) the accuracy of the highest
    fidelity it reached, with ``accuracy_fidelity``, ``screening_accuracy`` and
    ``fidelities``; and ``full_training`` when the model was also trained as `rtmcim train`
    does."""
    rung0 = screening_fidelity(space)
    tops: dict[int, dict[str, Any]] = {}
    for t in [*trials, *([reference] if reference is not None else [])]:
        n = int(t["number"])
        recs = model_records(folder, n) or [{"accuracy": t["accuracy"]}]
        first = recs[0]
        fid0 = first.get("accuracy_fidelity") or {}
        first["accuracy_fidelity"] = {**rung0, **fid0} if "epochs" not in fid0 else fid0
        top = recs[-1]
        t["screening_accuracy"] = float(first["accuracy"])
        t["fidelities"] = [
            {"accuracy": r["accuracy"], "accuracy_fidelity": r["accuracy_fidelity"]} for r in recs
        ]
        t["accuracy_fidelity"] = top["accuracy_fidelity"]
        for k in ("accuracy", "float_accuracy", "qat_accuracy"):
            if k in top:
                t[k] = top[k]
        if "fault_accuracy" in top and len(recs) > 1:
            t.setdefault("extra", {}).update(
                {k: top[k] for k in ("fault_accuracy", "fault_free_accuracy") if k in top}
            )
        full = full_record(folder, n)
        later = [*recs[1:], *([full] if full is not None else [])]
        t["promotion_train_s"] = sum(float(r.get("train_s", 0.0)) for r in later)
        if full is not None:
            t["full_training"] = {
                "accuracy": full["accuracy"],
                "accuracy_fidelity": full["accuracy_fidelity"],
                "model_key": full.get("model_key"),
                "dataset": space.dataset,
                "spec_file": f"{full['folder']}/spec.yaml" if full.get("folder") else "SPEC",
            }
        tops[n] = t
    for p in [*points, *([reference["point"]] if reference and reference.get("point") else [])]:
        owner = tops.get(int(p["trial"]))
        if owner is None:
            continue
        p["screening_accuracy"] = owner["screening_accuracy"]
        p["accuracy"] = float(owner["accuracy"])
        if "fault_accuracy" in p and "fault_accuracy" in owner.get("extra", {}):
            p["fault_accuracy"] = float(owner["extra"]["fault_accuracy"])


def fidelity_columns(t: dict[str, Any]) -> Row:
    """The fidelity of a trial's accuracy as table columns."""
    f = t.get("accuracy_fidelity") or {}
    return {
        "screening_accuracy": t.get("screening_accuracy"),
        "accuracy_rung": f.get("rung"),
        "accuracy_epochs": f"{f.get('epochs')}+{f.get('qat_epochs')}",
        "accuracy_train_images": f.get("train_images"),
    }


def full_gap(t: dict[str, Any]) -> dict[str, Any] | None:
    """The design's accuracy against its spec trained with `rtmcim train`'s defaults."""
    full = t.get("full_training")
    if full is None:
        return None
    return {
        **full,
        "design_accuracy": float(t["accuracy"]),
        "gap_points": 100.0 * (float(t["accuracy"]) - float(full["accuracy"])),
        "command": (
            f"rtmcim train {full['spec_file']} --dataset {full['dataset']} --wbits {t['wbits']}"
            f" --abits {t['abits']} --seed {full['accuracy_fidelity'].get('seed', 0)}"
        ),
    }


def fidelity_summary(res: Results, front: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """summary.json's ``rank_agreement``, ``front`` (each front point's accuracy fidelity)
    and ``promotion_rounds``."""
    by = {int(t["number"]): t for t in res.trials}
    everyone = [*res.trials, *([res.reference] if res.reference is not None else [])]
    multi = [t for t in res.trials if len(t.get("fidelities", ())) > 1]
    multi.sort(key=lambda t: int(t["number"]))
    ra = rank_agreement(
        [float(t["screening_accuracy"]) for t in multi], [float(t["accuracy"]) for t in multi]
    ).as_dict()
    front_models = sorted({int(p["trial"]) for p in front if int(p["trial"]) in by})
    changes = [
        (float(by[n]["accuracy"]) - float(by[n]["screening_accuracy"]), n) for n in front_models
    ]
    big = max(changes, key=lambda c: (abs(c[0]), -c[1]), default=None)
    ra["largest_front_change"] = (
        None
        if big is None
        else {
            "trial": big[1],
            "model": by[big[1]]["spec"]["name"],
            "screening_accuracy": by[big[1]]["screening_accuracy"],
            "accuracy": by[big[1]]["accuracy"],
            "change_points": 100.0 * big[0],
        }
    )
    ra["trials"] = [int(t["number"]) for t in multi]
    return {
        "rank_agreement": ra,
        "front": [
            {
                "trial": p["trial"],
                "point": p["point"],
                "model": by[int(p["trial"])]["spec"]["name"],
                "accuracy": p["accuracy"],
                "screening_accuracy": p.get("screening_accuracy"),
                "accuracy_fidelity": by[int(p["trial"])].get("accuracy_fidelity"),
            }
            for p in front
            if int(p["trial"]) in by
        ],
        "promotion_rounds": rounds(res.folder),
        "promotion_train_s": sum(float(t.get("promotion_train_s", 0.0)) for t in everyone),
    }


def _num(v: float | None, fmt: str = ".3f") -> str:
    return "n/a" if v is None or (isinstance(v, float) and math.isnan(v)) else format(v, fmt)


def section(res: Results, s: dict[str, Any]) -> str:
    """The report's section on the fidelity behind the accuracies and the rank agreement."""
    ra = s["rank_agreement"]
    fids: dict[str, int] = {}
    for p in s["front"]:
        key = describe_fidelity(p["accuracy_fidelity"]) if p["accuracy_fidelity"] else "?"
        fids[key] = fids.get(key, 0) + 1
    text = (
        "<p>Accuracy of the front's points, by the training behind it: "
        + "; ".join(f"{html.esc(k)}: {v} points" for k, v in fids.items())
        + ".</p>"
    )
    if res.space.fidelity is None:
        text += (
            "<p>This space has no <code>fidelity</code> section: every accuracy is the "
            "screening one.</p>"
        )
    text += (
        f"<p>Rank agreement between the screening accuracy and the final one over the "
        f"{ra['models']} models trained at more than one fidelity: Kendall's tau "
        f"<b>{_num(ra['kendall_tau'], '.2f')}</b>, Spearman's rho "
        f"{_num(ra['spearman'], '.2f')}.</p>"
    )
    big = ra.get("largest_front_change")
    if big is not None:
        text += (
            f"<p>Largest accuracy change of a front model: trial {big['trial']} "
            f"({html.esc(big['model'])}), {big['screening_accuracy']:.4f} at screening, "
            f"{big['accuracy']:.4f} at its final fidelity ({big['change_points']:+.1f} points)."
            "</p>"
        )
    for d in s["chosen"]:
        g = d.get("full_training")
        if g is not None:
            text += (
                f"<p>{html.esc(d['label'])} (trial {d['trial']}): {g['design_accuracy']:.4f} "
                f"on the front against <b>{g['accuracy']:.4f}</b> when trained as "
                f"<code>{html.esc(g['command'])}</code> does "
                f"({html.esc(describe_fidelity(g['accuracy_fidelity']))}): gap "
                f"<b>{g['gap_points']:+.2f} points</b>.</p>"
            )
    rows = [
        {
            "round": r["round"],
            "promoted": ", ".join(
                f"#{d['trial']} ({d['reason']})" for d in r["decisions"] if d["promoted"]
            ),
            "kept at this fidelity": ", ".join(
                f"#{d['trial']} ({d['detail'] or d['reason']})"
                for d in r["decisions"]
                if not d["promoted"]
            ),
        }
        for r in s.get("promotion_rounds", [])
    ]
    return text + (html.table(rows) if rows else "")
