"""Training: float pre-training, then quantization-aware fine-tuning; cached on disk.

Recipe (defaults of :class:`TrainConfig`): Adam, batch 128, cosine-decayed
learning rate; ``epochs`` float epochs (lr 2e-3), BN folded, activation scales
initialized on the first batch, then ``qat_epochs`` fake-quantized epochs
(lr 5e-4). Inputs are the [0, 1] images, unnormalized, so that the integer
graph's input is the image's own pixels.

Determinism: the run happens inside :func:`deterministic` (seeded torch RNG in a
forked RNG state, deterministic algorithms, a fixed number of threads, all
restored afterwards); batches are shuffled by a ``torch.Generator`` seeded with
``seed + epoch``. Same seed, same machine -> same weights.

Cache: results live in ``$RTMCIM_CACHE`` (default ``~/.cache/rtmcim``) under
``models/<key>/`` where ``key`` is the sha256 of the canonical JSON of (spec,
bit widths, data set fingerprint, hyper-parameters, package version). The float
pre-training has its own key (no bit widths), so sweeping bit widths pre-trains
once. Each entry holds ``model.pt`` (a state dict, read back only with
``torch.load(..., weights_only=True)``), ``meta.json``, ``spec.yaml`` and the
integer graph (``intgraph.json`` + ``intgraph.npz``).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import math
import os
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch
import torch.nn.functional as F
from pydantic import Field

import rtmcim
from rtmcim import atomic, outdir
from rtmcim.config import Frozen, validate
from rtmcim.errors import ConfigError, DataError
from rtmcim.nn.budget import check_training_size
from rtmcim.nn.data import Dataset, describe, load_dataset
from rtmcim.nn.intgraph import IntGraph, load_intgraph, save_intgraph
from rtmcim.nn.onnx_import import ImportedModel
from rtmcim.nn.quant import QNet, export_intgraph
from rtmcim.nn.reference import run_reference
from rtmcim.nn.spec import NetSpec, check_bits, check_shapes, content_hash, parse_spec
from rtmcim.nn.zoo import resolve_spec


class TrainConfig(Frozen):
    """Hyper-parameters of one training run (all part of the cache key)."""

    epochs: int = Field(default=8, ge=0, le=1000)
    qat_epochs: int | None = Field(default=None, ge=0, le=1000)
    batch_size: int = Field(default=128, ge=1, le=65536)
    lr: float = Field(default=2e-3, gt=0, le=1.0)
    qat_lr: float = Field(default=5e-4, gt=0, le=1.0)
    weight_decay: float = Field(default=0.0, ge=0, le=1.0)
    seed: int = Field(default=0, ge=0, le=2**32 - 1)  # numpy's seed range
    early_stop: int | None = Field(default=None, ge=1, le=1000)
    val_fraction: float = Field(default=0.1, gt=0, lt=0.5)
    act_scale: Literal["learned", "ema"] = "learned"
    threads: int = Field(default=2, ge=1, le=256)

    @property
    def qat(self) -> int:
        return self.epochs if self.qat_epochs is None else self.qat_epochs

    def float_part(self) -> dict[str, Any]:
        keep = ("epochs", "batch_size", "lr", "weight_decay", "seed", "early_stop", "val_fraction")
        d = self.model_dump(mode="json")
        return {k: d[k] for k in keep}


@dataclass(frozen=True)
class TrainEvent:
    """Progress of training, passed to the optional ``progress`` callback."""

    phase: str  # "float" | "qat" | "export"
    epoch: int  # 1-based
    epochs: int
    step: int  # 1-based within the epoch
    steps: int
    loss: float


Progress = Callable[[TrainEvent], None]


@dataclass(frozen=True)
class TrainedModel:
    """A trained, quantized model: the torch network, its integer graph and its scores."""

    spec: NetSpec
    dataset: str
    wbits: int
    abits: int
    config: TrainConfig
    net: QNet
    graph: IntGraph
    float_accuracy: float
    qat_accuracy: float
    int_accuracy: float
    agreement: float
    key: str
    folder: Path | None  # the cache entry (None when trained with use_cache=False)
    cached: bool
    history: tuple[dict[str, Any], ...]
    data: dict[str, Any]  # description of the data set (name, shape, classes, sizes, source)

    def summary(self) -> dict[str, Any]:
        return {
            "model": self.spec.name,
            "dataset": self.dataset,
            "wbits": self.wbits,
            "abits": self.abits,
            "float_accuracy": self.float_accuracy,
            "qat_accuracy": self.qat_accuracy,
            "int_accuracy": self.int_accuracy,
            "agreement": self.agreement,
            "key": self.key,
            "cached": self.cached,
        }


def cache_root(cache_dir: str | Path | None = None) -> Path:
    """``cache_dir``, else ``$RTMCIM_CACHE``, else ``~/.cache/rtmcim`` (never inside the package)."""
    if cache_dir is not None:
        return Path(cache_dir)
    env = os.environ.get("RTMCIM_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "rtmcim"


@contextlib.contextmanager
def deterministic(seed: int, threads: int) -> Iterator[None]:
    """Seed torch and force deterministic CPU kernels; restore global torch state after."""
    prev_threads = torch.get_num_threads()
    prev_det = torch.are_deterministic_algorithms_enabled()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        torch.set_num_threads(threads)
        torch.use_deterministic_algorithms(True)
        try:
            yield
        finally:
            torch.use_deterministic_algorithms(prev_det)
            torch.set_num_threads(prev_threads)


def accuracy(net: torch.nn.Module, x: np.ndarray, y: np.ndarray, batch: int = 1000) -> float:
    return float((predict(net, x, batch) == y).mean()) if len(y) else 0.0


def predict(net: torch.nn.Module, x: np.ndarray, batch: int = 1000) -> np.ndarray:
    net.eval()
    out = []
    with torch.no_grad():
        for i in range(0, len(x), batch):
            out.append(net(torch.from_numpy(x[i : i + batch])).argmax(1).numpy())
    return np.concatenate(out) if out else np.zeros(0, dtype=np.int64)


def _epochs(
    net: QNet,
    x: np.ndarray,
    y: np.ndarray,
    val: tuple[np.ndarray, np.ndarray] | None,
    cfg: TrainConfig,
    phase: Literal["float", "qat"],
    progress: Progress | None,
    history: list[dict[str, Any]],
) -> None:
    """The epochs of one phase (float pre-training or QAT), with early stopping on ``val``."""
    epochs, lr = (cfg.epochs, cfg.lr) if phase == "float" else (cfg.qat, cfg.qat_lr)
    if epochs == 0:
        return
    opt = torch.optim.Adam(net.parameters(), lr=lr, weight_decay=cfg.weight_decay)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    n = len(xt)
    steps = math.ceil(n / cfg.batch_size)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(1, epochs * steps))
    best: tuple[float, dict[str, torch.Tensor]] | None = None
    stale = 0
    for ep in range(epochs):
        t0 = time.perf_counter()
        net.train()
        g = torch.Generator().manual_seed(cfg.seed * 1000 + ep + (500 if phase == "qat" else 0))
        perm = torch.randperm(n, generator=g)
        total = 0.0
        for k in range(steps):
            idx = perm[k * cfg.batch_size : (k + 1) * cfg.batch_size]
            loss = F.cross_entropy(net(xt[idx]), yt[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            total += float(loss.detach()) * len(idx)
            if progress is not None:
                progress(TrainEvent(phase, ep + 1, epochs, k + 1, steps, float(loss.detach())))
        rec: dict[str, Any] = {
            "phase": phase,
            "epoch": ep + 1,
            "loss": total / n,
            "seconds": time.perf_counter() - t0,
        }
        if val is not None and cfg.early_stop is not None:
            acc = accuracy(net, *val)
            rec["val_accuracy"] = acc
            if best is None or acc > best[0]:
                best = (acc, {k: v.detach().clone() for k, v in net.state_dict().items()})
                stale = 0
            else:
                stale += 1
            history.append(rec)
            if stale >= cfg.early_stop:
                break
        else:
            history.append(rec)
    if best is not None:
        net.load_state_dict(best[1])


def _split(
    ds: Dataset, cfg: TrainConfig
) -> tuple[np.ndarray, np.ndarray, tuple[np.ndarray, np.ndarray] | None]:
    if cfg.early_stop is None:
        return ds.x_train, ds.y_train, None
    rng = np.random.default_rng(cfg.seed)
    perm = rng.permutation(len(ds.x_train))
    nv = max(1, int(len(perm) * cfg.val_fraction))
    vi, ti = np.sort(perm[:nv]), np.sort(perm[nv:])
    return ds.x_train[ti], ds.y_train[ti], (ds.x_train[vi], ds.y_train[vi])


def train_model(
    model: str | Path | dict[str, Any] | NetSpec | ImportedModel,
    dataset: str | Dataset = "fashion-mnist",
    wbits: int = 8,
    abits: int = 8,
    epochs: int = 8,
    seed: int = 0,
    *,
    data_dir: str | Path | None = None,
    cache_dir: str | Path | None = None,
    use_cache: bool = True,
    progress: Progress | None = None,
    **hyper: Any,
) -> TrainedModel:
    """Train (or fetch from the cache) a QAT model and export its integer graph.

    ``model`` is a zoo name, a spec file, plain spec data, a NetSpec, an ``.onnx`` file or
    an :class:`~rtmcim.nn.onnx_import.ImportedModel` (:func:`~rtmcim.nn.from_torch`), whose
    float weights are the starting point of the float epochs (fine-tuning) and of QAT;
    ``dataset`` a data set name, an .npz path or a loaded :class:`Dataset`;
    ``hyper`` are further :class:`TrainConfig` fields (``qat_epochs``,
    ``batch_size``, ``lr``, ``early_stop``, ...). Raises ConfigError / DataError
    on bad input, before any training.
    """
    imported = imported_model(model)
    spec = imported.spec if imported is not None else resolve_spec(model)  # type: ignore[arg-type]
    wbits, abits = check_bits(wbits, abits)
    cfg = validate(TrainConfig, {"epochs": epochs, "seed": seed, **hyper})
    ds = dataset if isinstance(dataset, Dataset) else load_dataset(dataset, data_dir)
    if imported is not None and imported.in_shape != ds.info.shape:
        raise ConfigError(
            f"the model takes {list(imported.in_shape)} images, the data set has "
            f"{list(ds.info.shape)}",
            key="dataset",
            value=ds.info.name,
        )
    check_shapes(spec, ds.info.shape, ds.info.classes)
    check_training_size(spec, ds.info.shape, ds.info.classes, cfg.batch_size)
    init = imported.sha256 if imported is not None else None
    float_key, key = _cache_keys(spec, ds, wbits, abits, cfg, init)
    root = cache_root(cache_dir) / "models"
    folder = root / key
    if use_cache and (cached := _from_cache(folder)) is not None:
        return cached
    history: list[dict[str, Any]] = []
    with deterministic(cfg.seed, cfg.threads):
        net = QNet(spec, ds.info.shape, ds.info.classes, wbits, abits, cfg.act_scale)
        if imported is not None:
            imported.load_into(net)
        x, y, val = _split(ds, cfg)
        ffolder = root / f"float-{float_key}" if use_cache else None
        float_acc = _float_stage(net, ds, (x, y, val), cfg, ffolder, progress, history)
        net.enable_quant()
        _calibrate(net, x, cfg)
        _epochs(net, x, y, val, cfg, "qat", progress, history)
        net.eval()
        qpred = predict(net, ds.x_test)
    tm = _exported(spec, ds, (wbits, abits), cfg, net, qpred, float_acc, key, tuple(history))
    if not use_cache:
        return tm
    atomic.write_with(folder, lambda d: save_trained(tm, d), folder=True)
    return dataclasses.replace(tm, folder=folder)


def imported_model(model: object) -> ImportedModel | None:
    """``model`` as an imported model if it is one or an ``.onnx`` path, else None."""
    if isinstance(model, ImportedModel):
        return model
    if isinstance(model, str | Path) and str(model).lower().endswith(".onnx"):
        from rtmcim.nn.onnx_import import import_onnx

        return import_onnx(model)
    return None


def _cache_keys(
    spec: NetSpec, ds: Dataset, wbits: int, abits: int, cfg: TrainConfig, init: str | None = None
) -> tuple[str, str]:
    """The content hashes of the float stage and of the whole training (the cache keys);
    ``init``, the hash of imported starting weights, is part of them when given."""
    base: dict[str, Any] = {
        "spec": spec.canonical(),
        "data": {"name": ds.info.name, "sha256": ds.fingerprint()},
        "version": rtmcim.__version__,
    }
    if init is not None:
        base["init"] = init
    float_key = content_hash({**base, "stage": "float", "hyper": cfg.float_part()})
    hyper = cfg.model_dump(mode="json")
    key = content_hash({**base, "stage": "qat", "wbits": wbits, "abits": abits, "hyper": hyper})
    return float_key, key


def _from_cache(folder: Path) -> TrainedModel | None:
    """The cache entry in ``folder``, or None (a corrupt entry is removed: it is retrained)."""
    if not (folder / "meta.json").exists():
        return None
    try:
        return dataclasses.replace(load_trained(folder), cached=True)
    except DataError:
        shutil.rmtree(folder, ignore_errors=True)
        return None


def _float_stage(
    net: QNet,
    ds: Dataset,
    split: tuple[np.ndarray, np.ndarray, tuple[np.ndarray, np.ndarray] | None],
    cfg: TrainConfig,
    ffolder: Path | None,
    progress: Progress | None,
    history: list[dict[str, Any]],
) -> float:
    """Float pre-training, or its cached result in ``ffolder`` (None: no cache); its accuracy."""
    if ffolder is not None and (ffolder / "model.pt").exists() and (ffolder / "meta.json").exists():
        net.load_state_dict(torch.load(ffolder / "model.pt", weights_only=True))
        fmeta = json.loads((ffolder / "meta.json").read_text())
        history.extend(fmeta["history"])
        return float(fmeta["float_accuracy"])
    _epochs(net, *split, cfg, "float", progress, history)
    acc = accuracy(net, ds.x_test, ds.y_test)
    if ffolder is not None:
        atomic.write_with(ffolder, lambda d: _write_float(d, net, acc, history), folder=True)
    return acc


def _exported(
    spec: NetSpec,
    ds: Dataset,
    bits: tuple[int, int],
    cfg: TrainConfig,
    net: QNet,
    qpred: np.ndarray,
    float_acc: float,
    key: str,
    history: tuple[dict[str, Any], ...],
) -> TrainedModel:
    """The trained network's integer graph and its scores (QAT ``qpred`` beside the graph's)."""
    wbits, abits = bits
    meta = {
        "model": spec.name,
        "spec_sha256": spec.content_hash(),
        "dataset": ds.info.name,
        "wbits": wbits,
        "abits": abits,
        "key": key,
    }
    graph = export_intgraph(net, meta)
    ipred = run_reference(graph, ds.x_test, keep_activations=False).predictions
    model = (spec, ds.info.name, wbits, abits, cfg, net, graph)
    return TrainedModel(
        *model,
        float_accuracy=float_acc,
        qat_accuracy=float((qpred == ds.y_test).mean()),
        int_accuracy=float((ipred == ds.y_test).mean()),
        agreement=float((ipred == qpred).mean()),
        key=key,
        folder=None,
        cached=False,
        history=history,
        data=describe(ds),
    )


def _calibrate(net: QNet, x: np.ndarray, cfg: TrainConfig) -> None:
    """Initialize activation scales from one training batch (first-batch calibration)."""
    net.train()
    g = torch.Generator().manual_seed(cfg.seed + 7)
    idx = torch.randperm(len(x), generator=g)[: max(cfg.batch_size, 256)]
    with torch.no_grad():
        net(torch.from_numpy(x[idx.numpy()]))


def _write_float(d: Path, net: QNet, acc: float, history: list[dict[str, Any]]) -> None:
    torch.save(net.state_dict(), d / "model.pt")
    (d / "meta.json").write_text(json.dumps({"float_accuracy": acc, "history": history}, indent=1))


def save_trained(tm: TrainedModel, folder: str | Path) -> Path:
    """Write a trained model folder (what :func:`load_trained` reads); returns the folder.

    The folder must be new, empty or one rtmcim wrote for a trained model
    (:mod:`rtmcim.outdir`); every file is written atomically."""
    d = outdir.claim(folder, "model")
    state = tm.net.state_dict()
    atomic.write_with(d / "model.pt", lambda t: torch.save(state, t))
    save_intgraph(tm.graph, d)
    atomic.write_text(d / "spec.yaml", tm.spec.to_yaml())
    meta = {
        "rtmcim_version": rtmcim.__version__,
        "spec": tm.spec.canonical(),
        "dataset": tm.data,
        "wbits": tm.wbits,
        "abits": tm.abits,
        "config": tm.config.model_dump(mode="json"),
        "float_accuracy": tm.float_accuracy,
        "qat_accuracy": tm.qat_accuracy,
        "int_accuracy": tm.int_accuracy,
        "agreement": tm.agreement,
        "key": tm.key,
        "history": list(tm.history),
        "in_shape": list(tm.net.in_shape),
        "classes": tm.net.classes,
    }
    atomic.write_text(d / "meta.json", json.dumps(meta, indent=1) + "\n")
    return d


def load_trained(folder: str | Path) -> TrainedModel:
    """Load a trained model folder (a cache entry or a copy of one)."""
    d = Path(folder)
    try:
        meta = json.loads((d / "meta.json").read_text(encoding="utf-8"))
        spec = parse_spec(meta["spec"], str(d / "meta.json"))
        cfg = validate(TrainConfig, meta["config"], str(d / "meta.json"))
        in_shape = tuple(int(v) for v in meta["in_shape"])
        net = QNet(
            spec,
            (in_shape[0], in_shape[1], in_shape[2]),
            int(meta["classes"]),
            int(meta["wbits"]),
            int(meta["abits"]),
            cfg.act_scale,
        )
        net.drop_bn()
        net.quantized = True
        state = torch.load(d / "model.pt", weights_only=True)
        net.load_state_dict(state)
        net.eval()
        graph = load_intgraph(d)
    except FileNotFoundError as exc:
        raise DataError(
            "trained model folder is incomplete",
            source=str(d),
            hint=f"missing {Path(exc.filename).name if exc.filename else 'a file'}",
        ) from exc
    except (KeyError, ValueError, TypeError, RuntimeError, json.JSONDecodeError) as exc:
        raise DataError(
            f"trained model folder is corrupt ({exc.__class__.__name__})", source=str(d)
        ) from exc
    return TrainedModel(
        spec=spec,
        dataset=str(meta["dataset"]["name"]),
        wbits=int(meta["wbits"]),
        abits=int(meta["abits"]),
        config=cfg,
        net=net,
        graph=graph,
        float_accuracy=float(meta["float_accuracy"]),
        qat_accuracy=float(meta["qat_accuracy"]),
        int_accuracy=float(meta["int_accuracy"]),
        agreement=float(meta["agreement"]),
        key=str(meta["key"]),
        folder=d,
        cached=False,
        history=tuple(meta["history"]),
        data=dict(meta["dataset"]),
    )
