"""Fashion-MNIST from the four idx files: lookup order, and clear errors for missing or bad files."""
import gzip
import shutil

import pytest
import torch

from gan import data


def test_loads_debian_files(monkeypatch):
    """Without --data-dir or FASHION_MNIST_DIR the files come from Debian's package; the split has
    Fashion-MNIST's known shape: 10,000 test images, 1,000 per class, 60,000 training images."""
    monkeypatch.delenv("FASHION_MNIST_DIR", raising=False)
    assert data.find_dir() == data.DEBIAN_DIR
    read = []
    real_open = gzip.open
    monkeypatch.setattr(gzip, "open", lambda path, *a, **k: read.append(str(path)) or real_open(path, *a, **k))
    x, y = data.load("test")
    assert sorted(read) == [str(data.DEBIAN_DIR / "t10k-images-idx3-ubyte.gz"), str(data.DEBIAN_DIR / "t10k-labels-idx1-ubyte.gz")]
    assert x.shape == (10000, 1, 28, 28) and x.dtype == torch.uint8
    assert y.bincount().tolist() == [1000] * 10
    assert data.load("train")[1].bincount().tolist() == [6000] * 10


def test_to_float_range():
    x = data.to_float(torch.tensor([[0, 255]], dtype=torch.uint8))
    assert x.tolist() == [[-1.0, 1.0]]


def _copy(src, dst):
    for name in src.iterdir():
        shutil.copy(name, dst / name.name)


def test_explicit_dir_and_env(tmp_path, monkeypatch):
    _copy(data.find_dir(), tmp_path)
    assert data.find_dir(tmp_path) == tmp_path
    monkeypatch.setenv("FASHION_MNIST_DIR", str(tmp_path))
    assert data.find_dir() == tmp_path
    # unpacked (torchvision-style) files work as well
    with gzip.open(tmp_path / "t10k-labels-idx1-ubyte.gz") as f:
        (tmp_path / "t10k-labels-idx1-ubyte").write_bytes(f.read())
    (tmp_path / "t10k-labels-idx1-ubyte.gz").unlink()
    assert data.load("test", tmp_path)[1].shape == (10000,)


def test_missing_dir_says_how_to_get_it(tmp_path):
    with pytest.raises(data.DataError, match="apt-get install dataset-fashion-mnist"):
        data.load("train", tmp_path / "nowhere")
    with pytest.raises(data.DataError, match="lacks"):
        data.load("train", tmp_path)


def test_truncated_and_corrupt_files(tmp_path):
    _copy(data.find_dir(), tmp_path)
    f = tmp_path / "t10k-images-idx3-ubyte.gz"
    f.write_bytes(f.read_bytes()[:5000])  # truncated gzip stream
    with pytest.raises(data.DataError, match="t10k-images-idx3-ubyte.gz"):
        data.load("test", tmp_path)
    f.write_bytes(gzip.compress(b"\x00\x00\x08\x03" + bytes(100)))  # valid gzip, wrong header/size
    with pytest.raises(data.DataError, match="truncated or damaged|not an idx"):
        data.load("test", tmp_path)
    f.write_bytes(b"not gzip at all")
    with pytest.raises(data.DataError, match="not a valid gzip"):
        data.load("test", tmp_path)


def test_no_files_anywhere_and_no_network(tmp_path, monkeypatch):
    monkeypatch.setattr(data, "DEBIAN_DIR", tmp_path / "none")
    monkeypatch.delenv("FASHION_MNIST_DIR", raising=False)
    monkeypatch.setenv("TORCHVISION_ROOT", str(tmp_path / "tv"))

    def offline(*a, **k):
        raise OSError("network unreachable")
    import torchvision.datasets
    monkeypatch.setattr(torchvision.datasets, "FashionMNIST", offline)
    with pytest.raises(data.DataError, match="download failed.*apt-get install"):
        data.find_dir()
