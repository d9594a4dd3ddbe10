"""Shared CLI plumbing for verbs that take ``--model`` (a zoo name, a spec file or a trained folder)
and ``--arch``: resolving them, training on first use with a progress bar."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rtmcim.cli import values
from rtmcim.cli.output import progress_bar

if TYPE_CHECKING:
    from rtmcim.nn.train import TrainedModel


def add_model_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--model",
        required=True,
        help=(
            "a zoo name (lenet5, cnn_small, vgg_small, resnet8, resnet20, mobilenet_v1_025, "
            "ds_cnn_s), a spec .yaml, or a trained-model folder "
            "(from 'rtmcim train --out'); a name or spec is trained on first use with the default "
            "recipe (--dataset, --wbits/--abits, --epochs) and cached"
        ),
    )
    p.add_argument(
        "--arch",
        default="default",
        help="a shipped accelerator preset (configs/arch: default, large) or an arch .yaml file",
    )
    p.add_argument(
        "--dataset",
        default=None,
        help="data set: to train on (default fashion-mnist), or to read instead of the one a "
        "trained-model folder records (a data file it records is checked against its sha256)",
    )
    p.add_argument(
        "--wbits",
        type=values.integer(2, 8),
        default=8,
        help="weight bits when training (default 8)",
    )
    p.add_argument(
        "--abits",
        type=values.integer(2, 8),
        default=8,
        help="activation bits when training (default 8)",
    )
    p.add_argument(
        "--epochs",
        type=values.integer(0, 1000),
        default=3,
        help="float epochs when training (default 3)",
    )
    p.add_argument("--seed", type=values.seed, default=0, help="training seed (default 0)")
    p.add_argument(
        "--data-dir", default=None, help="data folder (default $RTMCIM_DATA or /usr/share/datasets)"
    )
    p.add_argument(
        "--cache-dir", default=None, help="cache folder (default $RTMCIM_CACHE or ~/.cache/rtmcim)"
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bars")


def training_progress(enabled: bool) -> tuple[Any, Any]:
    """A rich Progress bar (a context manager) and the callback that feeds it TrainEvents."""
    from rich.progress import BarColumn, TextColumn

    bar = progress_bar(
        enabled,
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} batches  loss {task.fields[loss]:.3f}"),
    )
    tasks: dict[tuple[str, int], Any] = {}

    def callback(ev: Any) -> None:
        key = (ev.phase, ev.epoch)
        if key not in tasks:
            tasks[key] = bar.add_task(
                f"{ev.phase} epoch {ev.epoch}/{ev.epochs}", total=ev.steps, loss=ev.loss
            )
        bar.update(tasks[key], completed=ev.step, loss=ev.loss)

    return bar, callback


def resolve_model(args: argparse.Namespace, dataset: Any = None) -> TrainedModel:
    """The trained model ``--model`` names, training it (cached) if it is not a trained folder;
    ``dataset``: the data set :func:`check_model_inputs` loaded, to train on without reading
    it again."""
    from rtmcim.nn.train import load_trained

    path = Path(args.model)
    if path.is_dir():
        return load_trained(path)
    return train(args, dataset)


def check_model_inputs(args: argparse.Namespace, arch: Any = None) -> Any:
    """Refuse, before any training or loading, an unknown model, spec or ONNX file and an
    unknown or missing data set; given the ``arch``, also a zoo model, spec or ONNX model that
    the arch cannot hold or run at ``--wbits``/``--abits`` (the error the evaluation would
    give after training, found on the workload its integer graph will have). Returns the data
    set it loaded for that check (for :func:`resolve_model`: read once), else ``None``."""
    from rtmcim.nn.data import check_dataset

    if args.dataset:
        check_dataset(args.dataset, args.data_dir)
    if Path(args.model).is_dir():
        return None
    spec = _model_spec(args.model)
    dataset = args.dataset or "fashion-mnist"
    if args.dataset is None:
        check_dataset(dataset, args.data_dir)
    if arch is None:
        return None
    from rtmcim.mapping import evaluate_workload
    from rtmcim.mapping.workload import workload_from_spec
    from rtmcim.nn.data import load_dataset
    from rtmcim.nn.spec import check_bits

    ds = load_dataset(dataset, args.data_dir)
    wbits, abits = check_bits(args.wbits, args.abits)
    work = workload_from_spec(spec, ds.info.shape, ds.info.classes, wbits, abits, spec.name)
    evaluate_workload(work, arch)
    return ds


def _model_spec(model: str) -> Any:
    """The NetSpec of a zoo name, a spec file or an ONNX file (its graph, imported)."""
    if model.lower().endswith(".onnx"):
        from rtmcim.nn.onnx_import import import_onnx

        return import_onnx(model).spec
    from rtmcim.nn.zoo import resolve_spec

    return resolve_spec(model)


def train(args: argparse.Namespace, dataset: Any = None, **hyper: Any) -> TrainedModel:
    """Train ``--model`` on ``--dataset`` (or the loaded ``dataset``) as the options say
    (cached), with a progress bar; ``hyper`` are further training settings (see
    :func:`rtmcim.nn.train.train_model`)."""
    from rtmcim.nn.train import train_model

    bar, callback = training_progress(not args.no_progress)
    settings = {"data_dir": args.data_dir, "cache_dir": args.cache_dir, **hyper}
    with bar:
        return train_model(
            args.model,
            dataset if dataset is not None else args.dataset or "fashion-mnist",
            args.wbits,
            args.abits,
            args.epochs,
            args.seed,
            progress=callback,
            **settings,
        )


def min_weight_bits(graph: Any) -> int:
    """The narrowest weight width of a graph's layers (8 for a graph without weights)."""
    return min((int(w) for lay in graph.layers if (w := getattr(lay, "wbits", None))), default=8)


def limited_test_set(args: argparse.Namespace, tm: TrainedModel) -> tuple[Any, Any]:
    """The first ``--limit`` test images of the model's data set (0 = all; ``--dataset`` to read
    another), quantized, and labels."""
    from rtmcim.errors import DataError
    from rtmcim.nn.data import recorded_dataset

    ds = recorded_dataset(tm.data, args.dataset, args.data_dir)
    if ds.info.shape != tuple(tm.graph.input_shape) or ds.info.classes > tm.graph.classes:
        raise DataError(
            f"images {ds.info.shape} in {ds.info.classes} classes do not fit the model "
            f"({tuple(tm.graph.input_shape)}, {tm.graph.classes} classes)",
            key="--dataset",
            value=args.dataset or ds.info.name,
            source=str(ds.info.source),
        )
    x, y = ds.x_test, ds.y_test
    if args.limit:
        x, y = x[: args.limit], y[: args.limit]
    return tm.graph.quantize_input(x), y
