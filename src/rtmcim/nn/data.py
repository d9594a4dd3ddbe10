"""Data sets for training and evaluating the CNNs, behind one loader.

:func:`load_dataset` returns a :class:`Dataset`: images as float32 numpy arrays
``(N, C, H, W)`` scaled to ``[0, 1]`` and integer labels ``(N,)``, with
``torch_*`` accessors for tensors. Nothing is ever downloaded.

Built-in sets:

- ``fashion-mnist`` and ``mnist``: the IDX files (``*-images-idx3-ubyte`` and
  ``*-labels-idx1-ubyte``, gzipped or not) in ``--data-dir``, ``$RTMCIM_DATA``
  or the Debian location ``/usr/share/datasets/<name>``;
- ``cifar10``: the python-pickle batches (``data_batch_1..5``, ``test_batch``,
  possibly inside ``cifar-10-batches-py/``);
- ``digits``: scikit-learn's 8x8 digits, a tiny set for fast tests, split with
  a fixed seed and upscaled (bilinear) to 28x28 so that every zoo model, whose
  layers assume at least 28x28 inputs, runs on it;
- any ``*.npz`` path with ``x`` (N,C,H,W or N,H,W; uint8 0..255 or floats in
  0..1) and ``y`` (integer labels 0..K-1), optionally ``x_test``/``y_test``
  (otherwise the last 20 % is the test split).

Images smaller than :data:`MIN_SIDE` are resized up to it. A missing or corrupt
file raises :class:`~rtmcim.errors.DataError` naming the data set, where it
looked and how to install it; wrong shapes and out-of-range labels are caught
before any training.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import pickle
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from rtmcim.errors import DataError, RtmcimError, unknown

if TYPE_CHECKING:
    import torch

DEFAULT_DATA_ROOT = Path("/usr/share/datasets")
MIN_SIDE = 28
"""Smallest image side every zoo model accepts; smaller images are upscaled to this."""

BUILTIN = ("fashion-mnist", "mnist", "cifar10", "digits")

_INSTALL = {
    "fashion-mnist": "install it with 'apt-get install dataset-fashion-mnist' (or 'make data'), "
    "or point --data-dir / RTMCIM_DATA at a folder with its IDX files",
    "mnist": "put the MNIST IDX files (train-images-idx3-ubyte[.gz], ...) in a folder and "
    "point --data-dir / RTMCIM_DATA at it",
    "cifar10": "unpack cifar-10-python.tar.gz (the python-pickle batches) into a folder and "
    "point --data-dir / RTMCIM_DATA at it",
}


@dataclass(frozen=True)
class DatasetInfo:
    """What a data set declares: its name, image shape and number of classes."""

    name: str
    channels: int
    height: int
    width: int
    classes: int
    source: str
    sha256: str = ""  # of the data file, for a data set read from one (.npz)

    @property
    def shape(self) -> tuple[int, int, int]:
        return (self.channels, self.height, self.width)


@dataclass(frozen=True)
class Dataset:
    """Train and test splits as numpy arrays (float32 images in [0, 1], int64 labels)."""

    info: DatasetInfo
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    _fingerprint: list[str] = field(default_factory=list, repr=False, compare=False)

    def torch_train(self) -> tuple[torch.Tensor, torch.Tensor]:
        import torch

        return torch.from_numpy(self.x_train), torch.from_numpy(self.y_train)

    def torch_test(self) -> tuple[torch.Tensor, torch.Tensor]:
        import torch

        return torch.from_numpy(self.x_test), torch.from_numpy(self.y_test)

    def fingerprint(self) -> str:
        """sha256 of the arrays' bytes: part of the training cache key."""
        if not self._fingerprint:
            h = hashlib.sha256()
            for a in (self.x_train, self.y_train, self.x_test, self.y_test):
                h.update(str(a.shape).encode())
                h.update(np.ascontiguousarray(a).tobytes())
            self._fingerprint.append(h.hexdigest())
        return self._fingerprint[0]


def data_root(data_dir: str | Path | None = None) -> Path:
    """``data_dir``, else ``$RTMCIM_DATA``, else ``/usr/share/datasets``."""
    if data_dir is not None:
        return Path(data_dir)
    env = os.environ.get("RTMCIM_DATA")
    return Path(env) if env else DEFAULT_DATA_ROOT


MAX_FILE_BYTES = 4 * 2**30
"""Largest data file read (and largest uncompressed NPZ content): 4 GiB, which a 24 GB machine
holds several times over as float32 images."""


def _unknown_dataset(name: str) -> RtmcimError:
    return unknown(
        "data set",
        name,
        BUILTIN,
        key="dataset",
        alternative="a path to an .npz file",
        error=DataError,
    )


def check_dataset(name: str, data_dir: str | Path | None = None) -> None:
    """Refuse, cheaply and without reading it, a data set :func:`load_dataset` cannot load: an
    unknown name, a built-in set that is not installed, a missing or oversized ``.npz``."""
    if name.endswith(".npz"):
        _npz_size(Path(name))
    elif name in ("fashion-mnist", "mnist"):
        _find_folder(name, data_dir, "train-images-idx3-ubyte")
    elif name == "cifar10":
        _find_folder(name, data_dir, "data_batch_1")
    elif name != "digits":
        raise _unknown_dataset(name)


def file_sha256(path: str | Path) -> str:
    """sha256 of a file's bytes, read in 1 MiB blocks."""
    h = hashlib.sha256()
    with Path(path).open("rb") as fh:
        while block := fh.read(2**20):
            h.update(block)
    return h.hexdigest()


def _npz_size(path: Path) -> int:
    """The uncompressed size of an NPZ file's arrays; refuses a missing, unreadable or oversized
    file (a small compressed file may hold huge arrays) before any array is read."""
    import zipfile

    try:
        if not path.is_file():
            raise DataError(
                "data file not found" if not path.exists() else "data file is not a file",
                key="dataset",
                value=str(path),
                allowed="an .npz file with arrays x and y",
            )
        size = path.stat().st_size
        with zipfile.ZipFile(path) as z:
            total = sum(i.file_size for i in z.infolist())
    except (OSError, zipfile.BadZipFile, ValueError) as exc:
        raise DataError(
            f"cannot read NPZ file ({exc.__class__.__name__})",
            source=str(path),
            allowed="an .npz with arrays x and y (optionally x_test, y_test)",
        ) from None
    if max(size, total) > MAX_FILE_BYTES:
        raise DataError(
            f"NPZ arrays too large ({max(size, total):,} bytes)",
            source=str(path),
            allowed=f"at most {MAX_FILE_BYTES:,} bytes",
        )
    return total


def load_dataset(
    name: str, data_dir: str | Path | None = None, *, min_side: int = MIN_SIDE
) -> Dataset:
    """Load a built-in data set by name, or a user ``.npz`` file by path.

    ``data_dir`` may be the data set's own folder or a root holding
    ``<name>/``; without it ``$RTMCIM_DATA`` then ``/usr/share/datasets`` are
    used. Raises DataError on anything missing, corrupt or ill-shaped.
    """
    sha = ""
    if name.endswith(".npz"):
        x_tr, y_tr, x_te, y_te = _load_npz(Path(name))
        src = str(Path(name).resolve())
        sha = file_sha256(name)
        ds_name = Path(name).stem
    elif name == "digits":
        x_tr, y_tr, x_te, y_te = _load_digits()
        src = "sklearn.datasets.load_digits"
        ds_name = name
    elif name in ("fashion-mnist", "mnist"):
        folder = _find_folder(name, data_dir, "train-images-idx3-ubyte")
        x_tr = _read_idx(name, folder, "train-images-idx3-ubyte", 3)
        y_tr = _read_idx(name, folder, "train-labels-idx1-ubyte", 1)
        x_te = _read_idx(name, folder, "t10k-images-idx3-ubyte", 3)
        y_te = _read_idx(name, folder, "t10k-labels-idx1-ubyte", 1)
        src = str(folder)
        ds_name = name
    elif name == "cifar10":
        folder = _find_folder(name, data_dir, "data_batch_1")
        x_tr, y_tr, x_te, y_te = _load_cifar(folder)
        src = str(folder)
        ds_name = name
    else:
        raise _unknown_dataset(name)
    x_train = _to_float_images(ds_name, x_tr, src)
    x_test = _to_float_images(ds_name, x_te, src)
    y_train = _to_labels(ds_name, y_tr, len(x_train), src, "train")
    y_test = _to_labels(ds_name, y_te, len(x_test), src, "test")
    if x_train.shape[1:] != x_test.shape[1:]:
        raise DataError(
            f"train images {x_train.shape[1:]} and test images {x_test.shape[1:]} differ in shape",
            source=src,
        )
    classes = int(max(y_train.max(), y_test.max())) + 1
    if classes < 2:
        raise DataError("labels hold fewer than 2 classes", source=src)
    x_train = _upscale(x_train, min_side)
    x_test = _upscale(x_test, min_side)
    c, h, w = x_train.shape[1:]
    info = DatasetInfo(ds_name, int(c), int(h), int(w), classes, src, sha)
    return Dataset(info, x_train, y_train, x_test, y_test)


# --- locating and reading files -------------------------------------------------


def _find_folder(name: str, data_dir: str | Path | None, marker: str) -> Path:
    root = data_root(data_dir)
    candidates = [root, root / name, root / name.replace("-", "_"), root / "cifar-10-batches-py"]
    candidates += [root / name / "cifar-10-batches-py"]
    for c in candidates:
        if (c / marker).exists() or (c / f"{marker}.gz").exists():
            return c
    looked = root if root.exists() else f"{root} (does not exist)"
    raise DataError(
        f"data set '{name}' not found",
        source=str(looked),
        hint=_INSTALL[name],
    )


def _read_idx(name: str, folder: Path, stem: str, ndim: int) -> np.ndarray:
    """Read one IDX file (gz or plain): magic 0x00 0x00 0x08 ndim, big-endian sizes, bytes."""
    path = folder / f"{stem}.gz"
    if not path.exists():
        path = folder / stem
    if not path.exists():
        raise DataError(
            f"data set '{name}' is missing {stem}[.gz]", source=str(folder), hint=_INSTALL[name]
        )
    try:
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rb") as fh:
            raw = fh.read(MAX_FILE_BYTES + 1)  # read at most the limit, even from a gzip bomb
        if len(raw) > MAX_FILE_BYTES:
            raise DataError(
                f"data set '{name}': file too large",
                source=str(path),
                allowed=f"at most {MAX_FILE_BYTES:,} bytes",
            )
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise DataError(
            f"data set '{name}': cannot read file ({exc.__class__.__name__})",
            source=str(path),
            hint=_INSTALL[name],
        ) from exc
    if len(raw) < 4 + 4 * ndim or raw[0] != 0 or raw[1] != 0 or raw[2] != 8 or raw[3] != ndim:
        raise DataError(
            f"data set '{name}': not an IDX file of unsigned bytes with {ndim} dimensions",
            source=str(path),
            hint=_INSTALL[name],
        )
    dims = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    start = 4 + 4 * ndim
    expected = int(np.prod(dims))
    if len(raw) - start != expected:
        raise DataError(
            f"data set '{name}': file holds {len(raw) - start} data bytes, header says {expected} "
            f"{dims} (truncated or corrupt)",
            source=str(path),
            hint=_INSTALL[name],
        )
    return np.frombuffer(raw, dtype=np.uint8, offset=start).reshape(dims)


def _load_cifar(folder: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    def batch(fname: str) -> tuple[np.ndarray, np.ndarray]:
        path = folder / fname
        try:
            with path.open("rb") as f:
                # The CIFAR-10 python batches are pickles of plain dicts of arrays; we read
                # only files the user put in their own data folder.
                d = pickle.load(f, encoding="bytes")
            data = np.asarray(d[b"data"], dtype=np.uint8).reshape(-1, 3, 32, 32)
            labels = np.asarray(d[b"labels"])
        except FileNotFoundError as exc:
            raise unreadable(f"is missing {fname}", folder) from exc
        except Exception as exc:
            raise unreadable(f"cannot read a batch ({exc.__class__.__name__})", path) from exc
        return data, labels

    def unreadable(what: str, where: Path) -> DataError:
        return DataError(f"data set 'cifar10' {what}", source=str(where), hint=_INSTALL["cifar10"])

    parts = [batch(f"data_batch_{i}") for i in range(1, 6)]
    x_te, y_te = batch("test_batch")
    x_tr = np.concatenate([p[0] for p in parts])
    y_tr = np.concatenate([p[1] for p in parts])
    return x_tr, y_tr, x_te, y_te


def _load_digits() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    d = load_digits()
    x = (d.images / 16.0).astype(np.float32)
    y = d.target.astype(np.int64)
    # Fixed seed: the split is part of the data set's identity.
    x_tr, x_te, y_tr, y_te = train_test_split(x, y, test_size=0.25, random_state=0, stratify=y)
    return x_tr, y_tr, x_te, y_te


def _load_npz(path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    _npz_size(path)
    try:
        with np.load(path, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
    except FileNotFoundError as exc:
        raise DataError("data file not found", source=str(path)) from exc
    except Exception as exc:
        raise DataError(
            f"cannot read NPZ file ({exc.__class__.__name__})",
            source=str(path),
            allowed="an .npz with arrays x and y (optionally x_test, y_test)",
        ) from exc
    for k in ("x", "y"):
        if k not in arrays:
            raise DataError(
                f"NPZ file has no array '{k}'",
                source=str(path),
                allowed="arrays x (N,C,H,W or N,H,W) and y (N,), optionally x_test, y_test",
            )
    x, y = arrays["x"], arrays["y"]
    if "x_test" in arrays and "y_test" in arrays:
        return x, y, arrays["x_test"], arrays["y_test"]
    if len(x) != len(y):
        raise DataError(f"x has {len(x)} images but y has {len(y)} labels", source=str(path))
    cut = round(len(x) * 0.8)
    if cut < 1 or cut >= len(x):
        raise DataError("too few samples to split into train and test", source=str(path))
    return x[:cut], y[:cut], x[cut:], y[cut:]


# --- checking and shaping ---------------------------------------------------------


def _to_float_images(name: str, x: np.ndarray, src: str) -> np.ndarray:
    x = np.asarray(x)
    if x.ndim == 3:
        x = x[:, None, :, :]
    if x.ndim != 4 or x.shape[0] == 0 or min(x.shape[1:]) < 1 or x.shape[1] > 4:
        raise DataError(
            f"data set '{name}': images have shape {x.shape}",
            source=src,
            allowed="(N, C, H, W) or (N, H, W) with N >= 1 and C in 1..4",
        )
    if x.dtype == np.uint8:
        return (x.astype(np.float32) / 255.0).copy()
    if not np.issubdtype(x.dtype, np.floating) and not np.issubdtype(x.dtype, np.integer):
        raise DataError(f"data set '{name}': images have dtype {x.dtype}", source=src)
    xf = x.astype(np.float32)
    if not np.isfinite(xf).all() or xf.min() < 0.0 or xf.max() > 1.0:
        raise DataError(
            f"data set '{name}': image values outside [0, 1]",
            source=src,
            allowed="uint8 0..255 or floats in [0, 1]",
        )
    return xf.copy()


def _to_labels(name: str, y: np.ndarray, n: int, src: str, split: str) -> np.ndarray:
    y = np.asarray(y)
    if y.ndim != 1 or len(y) != n:
        raise DataError(
            f"data set '{name}': {split} labels have shape {y.shape}, images number {n}",
            source=src,
            allowed=f"labels of shape ({n},)",
        )
    if not np.issubdtype(y.dtype, np.integer):
        if np.issubdtype(y.dtype, np.floating) and np.all(np.mod(y, 1) == 0):
            y = y.astype(np.int64)
        else:
            raise DataError(f"data set '{name}': {split} labels are not integers", source=src)
    if y.min() < 0 or y.max() > 999:
        raise DataError(
            f"data set '{name}': {split} labels range {int(y.min())}..{int(y.max())}",
            source=src,
            allowed="class indices 0..K-1",
        )
    return y.astype(np.int64)


def _upscale(x: np.ndarray, min_side: int) -> np.ndarray:
    """Bilinear upscaling of images smaller than ``min_side`` (deterministic on CPU)."""
    h, w = x.shape[2], x.shape[3]
    if h >= min_side and w >= min_side:
        return x
    import torch
    import torch.nn.functional as F

    size = (max(h, min_side), max(w, min_side))
    t = F.interpolate(torch.from_numpy(x), size=size, mode="bilinear", align_corners=False)
    return t.clamp_(0.0, 1.0).numpy().astype(np.float32)


def describe(ds: Dataset) -> dict[str, Any]:
    """Plain-data summary of a data set (for reports and cache metadata)."""
    i = ds.info
    out: dict[str, Any] = {
        "name": i.name,
        "shape": list(i.shape),
        "classes": i.classes,
        "train": len(ds.x_train),
        "test": len(ds.x_test),
        "source": i.source,
    }
    if i.sha256:
        out["sha256"] = i.sha256
    return out


def recorded_dataset(
    record: dict[str, Any], override: str | None = None, data_dir: str | Path | None = None
) -> Dataset:
    """The data set a trained model records (:func:`describe`), or ``override`` instead.

    A data set read from a file is read from the path the model records, and refused with a
    DataError naming both hashes if the file changed since; ``override`` (``--dataset``) names
    another data set or file to use."""
    if override:
        return load_dataset(override, data_dir)
    source = str(record.get("source", ""))
    sha = record.get("sha256")
    if sha or source.endswith(".npz"):
        path = Path(source)
        if not path.is_file():
            raise DataError(
                "the model's data file is missing",
                source=source,
                hint="give --dataset PATH to read it from elsewhere",
            )
        if sha:
            got = file_sha256(path)
            if got != sha:
                raise DataError(
                    f"the model's data file changed since training (sha256 {got[:16]}..., the "
                    f"model records {str(sha)[:16]}...)",
                    source=source,
                    hint="restore the file, or give --dataset PATH to use another",
                )
        return load_dataset(str(path), data_dir)
    return load_dataset(str(record.get("name", "")), data_dir)
