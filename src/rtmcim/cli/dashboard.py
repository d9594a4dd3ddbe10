"""``rtmcim dashboard``: serve a study's Optuna storage with optuna-dashboard (live while the
study runs)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from rtmcim.cli.output import console

INSTALL = "install it with: pip install 'rtmcim[dashboard]'"


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "dashboard",
        help="serve a study's Optuna storage with optuna-dashboard (live while it runs)",
        description=(
            "Serve the Optuna storage of an 'rtmcim explore' results folder (study.json names "
            "it) with optuna-dashboard: trials, objectives, Pareto front and parameter "
            "importances in a browser, updated while the study runs. optuna-dashboard is an "
            "optional extra: pip install 'rtmcim[dashboard]'. Listens on 127.0.0.1 (this "
            "machine only) unless --host says otherwise; Ctrl-C stops it."
        ),
    )
    p.add_argument("folder", metavar="RESULTS_DIR", help="the --out folder of 'rtmcim explore'")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8080, help="port to listen on (default 8080)")
    p.set_defaults(run=run)


def study_of(folder: Path) -> tuple[str, str, list[str]]:
    """The storage URL, study name and objective names a results folder's study.json gives."""
    from rtmcim.errors import DataError

    sj = folder / "study.json"
    if not sj.is_file():
        raise DataError(
            "not a results folder (no study.json)",
            source=str(folder),
            hint="give the --out folder of an 'rtmcim explore' run",
        )
    try:
        study = json.loads(sj.read_text(encoding="utf-8"))
        objectives = list(study["space"].get("objectives") or [])
        return str(study["storage"]), str(study["study_name"]), objectives
    except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as exc:
        raise DataError(f"study.json is corrupt ({type(exc).__name__})", source=str(sj)) from None


def _name_objectives(storage: str, name: str, objectives: list[str]) -> None:
    """Let the dashboard label the objectives by name (Optuna's metric names, stored once)."""
    import warnings

    import optuna

    study = optuna.load_study(study_name=name, storage=storage)
    if len(study.directions) == len(objectives) and study.metric_names != objectives:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            study.set_metric_names(objectives)


def run(args: argparse.Namespace) -> int:
    from rtmcim.errors import ConfigError, RtmcimError

    storage, name, objectives = study_of(Path(args.folder))
    if not 0 < args.port < 65536:
        raise ConfigError("is not a port", key="--port", value=args.port, allowed="1-65535")
    try:
        from optuna_dashboard import run_server
    except ImportError:
        raise RtmcimError("optuna-dashboard is not installed", hint=INSTALL) from None
    if storage.startswith("sqlite:///") and not Path(storage.removeprefix("sqlite:///")).is_file():
        raise RtmcimError("the study's storage is missing", source=storage)
    _name_objectives(storage, name, objectives)
    url = f"http://{args.host}:{args.port}/dashboard"
    console().print(f"study {name}: serving {storage} at {url} (Ctrl-C stops)", markup=False)
    try:
        run_server(storage, host=args.host, port=args.port)
    except OSError as exc:
        raise ConfigError(
            f"cannot listen there ({exc.strerror or exc})", key="--port", value=args.port
        ) from None
    return 0
