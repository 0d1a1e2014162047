"""Fashion-MNIST as in-memory uint8 tensors, read straight from the four original idx files.

Where the files are looked up, in order:
  1. the `data_dir` argument (train.py's --data-dir),
  2. the FASHION_MNIST_DIR environment variable,
  3. Debian's `dataset-fashion-mnist` package (/usr/share/datasets/fashion-mnist),
  4. a torchvision root (`<root>/FashionMNIST/raw`, root from TORCHVISION_ROOT or ~/.cache/torchvision).
If none has them, torchvision downloads them into 4 (where the network allows).
"""
import gzip
import os
from pathlib import Path

import numpy as np
import torch

CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
           "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")
DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")
FILES = {  # split -> (images, labels), names as published
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
SIZES = {"train": 60000, "test": 10000}
CLASS_SIZE = SIZES["train"] // len(CLASSES)  # training images of each class: the dataset is balanced
HOW_TO_GET = ("install Debian's package (apt-get install dataset-fashion-mnist), or pass "
              "--data-dir / set FASHION_MNIST_DIR to a folder holding the four idx(.gz) files")


class DataError(RuntimeError):
    """Fashion-MNIST is missing or damaged; the message says which file and what to do."""


def torchvision_root() -> Path:
    return Path(os.environ.get("TORCHVISION_ROOT", Path.home() / ".cache" / "torchvision"))


def _find(folder: Path, name: str):
    for candidate in (folder / (name + ".gz"), folder / name):
        if candidate.is_file():
            return candidate
    return None


def _has_all(folder: Path) -> bool:
    return all(_find(folder, n) for pair in FILES.values() for n in pair)


def find_dir(data_dir=None) -> Path:
    """The first folder holding all four files; an explicit folder must exist and hold them."""
    if data_dir is not None:
        folder = Path(data_dir)
        if not folder.is_dir():
            raise DataError(f"data dir {folder} does not exist: {HOW_TO_GET}")
        if not _has_all(folder):
            raise DataError(f"data dir {folder} lacks the Fashion-MNIST idx files: {HOW_TO_GET}")
        return folder
    candidates = [Path(p) for p in [os.environ.get("FASHION_MNIST_DIR")] if p]
    candidates += [DEBIAN_DIR, torchvision_root() / "FashionMNIST" / "raw"]
    for folder in candidates:
        if _has_all(folder):
            return folder
    return _download()


def _download() -> Path:
    root = torchvision_root()
    try:
        from torchvision.datasets import FashionMNIST
        FashionMNIST(str(root), train=True, download=True)
        FashionMNIST(str(root), train=False, download=True)
    except Exception as e:  # no network, no torchvision mirror: say how to get the files
        raise DataError(f"Fashion-MNIST not found and the download failed ({type(e).__name__}): "
                        f"{HOW_TO_GET}") from None
    return root / "FashionMNIST" / "raw"


def read_idx(path: Path, ndim: int, count: int) -> np.ndarray:
    """One idx file (gzipped or not) as a uint8 array, checked against the format."""
    try:
        raw = gzip.open(path).read() if path.suffix == ".gz" else path.read_bytes()
    except (OSError, EOFError, gzip.BadGzipFile) as e:
        raise DataError(f"{path} is truncated or not a valid gzip file ({e}): re-install it") from None
    shape_end = 4 + 4 * ndim
    if len(raw) < shape_end or raw[:4] != bytes([0, 0, 0x08, ndim]):
        raise DataError(f"{path} is not an idx file of {ndim} dimension(s) of uint8")
    shape = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    expected = (count, 28, 28)[:ndim]
    if shape != expected or len(raw) != shape_end + int(np.prod(shape)):
        raise DataError(f"{path} holds {shape} in {len(raw)} bytes, expected {expected}: "
                        "the file is truncated or damaged")
    return np.frombuffer(raw, dtype=np.uint8, offset=shape_end).reshape(shape)


def load(split: str = "train", data_dir=None):
    """(images uint8 (N, 1, 28, 28), labels int64 (N,)) for 'train' (60k) or 'test' (10k)."""
    if split not in FILES:
        raise ValueError(f"unknown split {split!r}: choose 'train' or 'test'")
    folder = find_dir(data_dir)
    img_name, lbl_name = FILES[split]
    images = read_idx(_find(folder, img_name), 3, SIZES[split])
    labels = read_idx(_find(folder, lbl_name), 1, SIZES[split])
    if labels.max() >= len(CLASSES):
        raise DataError(f"{_find(folder, lbl_name)} has labels outside 0..9: the file is damaged")
    return torch.from_numpy(images.copy()).unsqueeze(1), torch.from_numpy(labels.astype(np.int64))


def to_float(images_u8: torch.Tensor) -> torch.Tensor:
    """uint8 [0, 255] -> float [-1, 1], the generators' tanh range."""
    return images_u8.float().div_(127.5).sub_(1.0)


BALANCED_SEED = 0  # the shuffle behind balanced(): the nearest-images index and the Train tab's subsets


def balanced(labels: torch.Tensor, per_class: int) -> torch.Tensor:
    """Indices of per_class images of each class (N,), class by class, each class's a seeded
    shuffle's first ones: the same for any per_class, so a smaller subset is a prefix of a larger's.
    The bundled nearest-images index holds balanced(labels, 800); the Train tab trains on a prefix."""
    g = torch.Generator().manual_seed(BALANCED_SEED)
    return torch.cat([idx[torch.randperm(len(idx), generator=g)[:per_class]]
                      for idx in (torch.nonzero(labels == c).view(-1) for c in range(len(CLASSES)))])
