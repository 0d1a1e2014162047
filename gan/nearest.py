"""Nearest training images: is the generator just copying Fashion-MNIST?

The app has no dataset at run time, so a compact index is built once from the training split and
bundled: a class-stratified subset (800 images per class, 8,000 in all: uint8 pixels and the
metric classifier's 128-d features as float16). A query returns the k nearest subset
images in pixel space (L2 on [0, 1] pixels) and in feature space (L2 on classifier features).

  python -m gan.nearest build                              # writes weights/nearest/index.safetensors
  python -m gan.nearest build --per-class 50 --out idx.safetensors   # a small one
"""
import argparse
import sys
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load_file, save

from gan import data as fmnist
from gan import weights
from gan.metrics import classify
from gan.io import atomic_write
from gan.limits import INDEX_PER_CLASS


def build(classifier, data_dir=None, per_class: int = INDEX_PER_CLASS) -> dict:
    x, y = fmnist.load("train", data_dir)
    pick = fmnist.balanced(y, per_class)
    feats, _ = classify(classifier, fmnist.to_float(x[pick]))
    return {"images": x[pick, 0].contiguous(), "labels": y[pick].contiguous(), "train_index": pick.contiguous(),
            "features": torch.from_numpy(feats).half().contiguous()}


def save_index(index: dict, path) -> Path:
    return atomic_write(path, save(index))


def load_index(path) -> dict:
    """The stored index plus its search vectors as float32, converted once here, not per query:
    'pixel_vectors' (N, 784) in [0, 1] and 'feature_vectors' (N, 128)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: build it with `python -m gan.nearest build`")
    index = load_file(path)
    index["pixel_vectors"] = index["images"].flatten(1).float() / 255
    index["feature_vectors"] = index["features"].float()
    return index


def query(index: dict, classifier, images_u8: np.ndarray, k: int = 5):
    """index: from load_index. For uint8 (N, 28, 28) images: {space: (indices (N, k), distances (N, k))} for 'pixels' and
    'features'; indices point into the index (index['train_index'] maps them to the training set)."""
    q = torch.from_numpy(images_u8)
    px = torch.cdist(q.flatten(1).float() / 255, index["pixel_vectors"])
    feats, _ = classify(classifier, fmnist.to_float(q.unsqueeze(1)))
    fx = torch.cdist(torch.from_numpy(feats).float(), index["feature_vectors"])
    out = {}
    for name, d in (("pixels", px), ("features", fx)):
        dist, idx = d.topk(k, dim=1, largest=False)
        out[name] = (idx.numpy(), dist.numpy())
    return out


def closest(images_u8: np.ndarray, pool_u8: np.ndarray) -> tuple:
    """For uint8 (N, 28, 28) images: (index into pool_u8 (M, 28, 28) of the nearest, its L2
    distance on [0, 1] pixels), each (N,)."""
    d = torch.cdist(torch.from_numpy(images_u8).flatten(1).float() / 255,
                    torch.from_numpy(pool_u8).flatten(1).float() / 255)
    dist, idx = d.min(dim=1)
    return idx.numpy(), dist.numpy()


def spacing(pool_u8: np.ndarray, n: int = 500) -> float:
    """How far a pool's images lie from their nearest other one: the median over n of them,
    spread evenly (L2 on [0, 1] pixels; the scale a generated image's nearest distance is read on)."""
    pick = np.linspace(0, len(pool_u8) - 1, min(n, len(pool_u8))).round().astype(int)
    d = torch.cdist(torch.from_numpy(pool_u8[pick]).flatten(1).float() / 255,
                    torch.from_numpy(pool_u8).flatten(1).float() / 255)
    d[torch.arange(len(pick)), torch.from_numpy(pick)] = float("inf")  # not itself
    return float(d.min(dim=1).values.median())


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("cmd", choices=["build"])
    p.add_argument("--data-dir", help="folder with the Fashion-MNIST idx files (default: see gan/data.py)")
    p.add_argument("--out", default=str(weights.NEAREST_INDEX), help="where the index goes (default: the bundled one)")
    p.add_argument("--per-class", type=int, default=INDEX_PER_CLASS, help=f"training images per class (default {INDEX_PER_CLASS})")
    args = p.parse_args(argv)
    if not 1 <= args.per_class <= fmnist.CLASS_SIZE:
        p.error(f"--per-class must be from 1 to {fmnist.CLASS_SIZE} (each class has {fmnist.CLASS_SIZE:,} training images)")
    path = save_index(build(weights.load_classifier(), args.data_dir, args.per_class), args.out)
    print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
