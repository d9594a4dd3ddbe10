from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from rtmcim.errors import DataError
from rtmcim.nn.data import MIN_SIDE, load_dataset

FMNIST = Path("/usr/share/datasets/fashion-mnist")


def _write_idx(path: Path, arr: np.ndarray, gz: bool = True) -> None:
    header = bytes([0, 0, 8, arr.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in arr.shape)
    raw = header + arr.astype(np.uint8).tobytes()
    if gz:
        path.with_name(path.name + ".gz").write_bytes(gzip.compress(raw))
    else:
        path.write_bytes(raw)


def _fake_mnist(folder: Path, n: int = 20, gz: bool = True, labels_max: int = 9) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for split in ("train", "t10k"):
        _write_idx(folder / f"{split}-images-idx3-ubyte", rng.integers(0, 256, (n, 28, 28)), gz)
        _write_idx(folder / f"{split}-labels-idx1-ubyte", np.arange(n) % (labels_max + 1), gz)


def test_digits_is_upscaled_and_split_fixed() -> None:
    a, b = load_dataset("digits"), load_dataset("digits")
    assert a.info.shape == (1, MIN_SIDE, MIN_SIDE) and a.info.classes == 10
    assert a.x_train.dtype == np.float32 and a.x_train.min() >= 0.0 and a.x_train.max() <= 1.0
    assert len(a.x_train) + len(a.x_test) == 1797
    np.testing.assert_array_equal(a.y_test, b.y_test)
    np.testing.assert_array_equal(a.x_test, b.x_test)
    assert a.fingerprint() == b.fingerprint()
    xt, yt = a.torch_train()
    assert tuple(xt.shape) == a.x_train.shape and yt.dtype.is_floating_point is False


@pytest.mark.parametrize("gz", [True, False])
def test_idx_gz_and_plain(tmp_path: Path, gz: bool) -> None:
    _fake_mnist(tmp_path / "mnist", gz=gz)
    ds = load_dataset("mnist", tmp_path)
    assert ds.info.shape == (1, 28, 28) and len(ds.x_train) == 20 and ds.info.classes == 10


@pytest.mark.skipif(not FMNIST.exists(), reason="dataset-fashion-mnist not installed")
def test_fashion_mnist_from_debian_location() -> None:
    ds = load_dataset("fashion-mnist", FMNIST)
    assert ds.x_train.shape == (60000, 1, 28, 28) and ds.x_test.shape == (10000, 1, 28, 28)
    assert ds.info.classes == 10 and set(np.unique(ds.y_test)) == set(range(10))


def test_env_var_points_to_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_mnist(tmp_path / "fashion-mnist")
    monkeypatch.setenv("RTMCIM_DATA", str(tmp_path))
    assert load_dataset("fashion-mnist").info.source == str(tmp_path / "fashion-mnist")


def test_missing_dir_names_dataset_place_and_install(tmp_path: Path) -> None:
    with pytest.raises(DataError) as e:
        load_dataset("fashion-mnist", tmp_path / "nowhere")
    msg = str(e.value)
    assert (
        "fashion-mnist" in msg
        and "nowhere" in msg
        and "apt-get install dataset-fashion-mnist" in msg
    )
    assert "\n" not in msg


def test_corrupt_gzip(tmp_path: Path) -> None:
    _fake_mnist(tmp_path)
    (tmp_path / "train-images-idx3-ubyte.gz").write_bytes(b"not gzip at all")
    with pytest.raises(DataError, match="cannot read"):
        load_dataset("mnist", tmp_path)


def test_truncated_idx(tmp_path: Path) -> None:
    _fake_mnist(tmp_path, gz=False)
    p = tmp_path / "t10k-images-idx3-ubyte"
    p.write_bytes(p.read_bytes()[:-100])
    with pytest.raises(DataError, match="truncated or corrupt"):
        load_dataset("mnist", tmp_path)


def test_bad_magic(tmp_path: Path) -> None:
    _fake_mnist(tmp_path, gz=False)
    p = tmp_path / "train-labels-idx1-ubyte"
    p.write_bytes(b"\x00\x00\x0d\x01" + p.read_bytes()[4:])
    with pytest.raises(DataError, match="not an IDX"):
        load_dataset("mnist", tmp_path)


def test_unknown_dataset() -> None:
    with pytest.raises(DataError, match="unknown data set"):
        load_dataset("imagenet")


def test_npz_ok_and_small_images_upscaled(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    p = tmp_path / "mine.npz"
    np.savez(p, x=rng.integers(0, 256, (50, 3, 16, 16)).astype(np.uint8), y=np.arange(50) % 3)
    ds = load_dataset(str(p))
    assert ds.info.shape == (3, 28, 28) and ds.info.classes == 3
    assert len(ds.x_train) == 40 and len(ds.x_test) == 10


@pytest.mark.parametrize(
    ("arrays", "match"),
    [
        ({"x": np.zeros((10, 2, 3, 4, 5), np.float32), "y": np.zeros(10, int)}, "shape"),
        ({"x": np.zeros((10, 28, 28), np.float32), "y": np.zeros(9, int)}, "labels"),
        ({"x": np.zeros((10, 28, 28), np.float32), "y": np.full(10, -1)}, "labels range"),
        ({"x": np.full((10, 28, 28), 3.0, np.float32), "y": np.arange(10)}, r"outside \[0, 1\]"),
        ({"x": np.zeros((10, 28, 28), np.float32), "y": np.full(10, 0.5)}, "not integers"),
        ({"y": np.zeros(10, int)}, "no array 'x'"),
    ],
)
def test_npz_bad_shapes_and_labels(tmp_path: Path, arrays: dict, match: str) -> None:  # type: ignore[type-arg]
    p = tmp_path / "bad.npz"
    np.savez(p, **arrays)
    with pytest.raises(DataError, match=match):
        load_dataset(str(p))


def test_bad_labels_in_idx(tmp_path: Path) -> None:
    _fake_mnist(tmp_path)
    _write_idx(tmp_path / "t10k-labels-idx1-ubyte", np.arange(19) % 10)  # 19 labels, 20 images
    with pytest.raises(DataError, match="test labels have shape"):
        load_dataset("mnist", tmp_path)


def test_cifar_pickle_batches(tmp_path: Path) -> None:
    import pickle

    d = tmp_path / "cifar-10-batches-py"
    d.mkdir()
    rng = np.random.default_rng(2)
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        batch = {b"data": rng.integers(0, 256, (4, 3072)).astype(np.uint8), b"labels": [0, 1, 2, 9]}
        (d / name).write_bytes(pickle.dumps(batch))
    ds = load_dataset("cifar10", tmp_path)
    assert ds.info.shape == (3, 32, 32) and len(ds.x_train) == 20 and ds.info.classes == 10
    (d / "test_batch").write_bytes(b"garbage")
    with pytest.raises(DataError, match="cifar10"):
        load_dataset("cifar10", tmp_path)
