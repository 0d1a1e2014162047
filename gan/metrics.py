"""Sample quality in the feature space of a small Fashion-MNIST classifier.

Inception weights can't be downloaded here and fit 28x28 grayscale poorly, so, as MNIST-domain
papers do, features come from our own classifier (its 128-d penultimate layer). Metrics:
  FD         Frechet distance between Gaussians fitted to the features (float64, eigh-based sqrt)
  precision / recall (k=3)   Kynkaanniemi et al. 2019: fake inside the real manifold / vice versa
  density / coverage (k=5)   Naeem et al. 2020
  IS         classifier Inception Score, 10 splits
  class histogram of the samples, its KL to uniform, and the share the classifier is unsure of.
"""
import functools
import math
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from huggingface_hub import PyTorchModelHubMixin

from gan import data as fmnist
from gan.sampling import generate, latents

N_CLASSES = 10
FEATURE_DIM = 128
UNSURE = 0.5     # max softmax probability below this counts as "unsure"
TEST_IMAGES = 10_000  # Fashion-MNIST's test split, the real side of every metric
EVAL_SEED = 10_000_019  # latents of every evaluation; disjoint from the app's small seeds by habit


class MaxPool2x2(nn.Module):
    """nn.MaxPool2d(2), bit for bit: without gradients, the larger of four strided views (a maximum
    is exact in any order), which torch's CPU kernel for NCHW tensors is several times slower at.
    With gradients, torch's own, whose backward sends a tie's gradient to one input (as when the
    bundled weights were trained; torch.maximum would split it)."""

    def forward(self, x):
        if torch.is_grad_enabled() and x.requires_grad:
            return F.max_pool2d(x, 2)
        h, w = x.shape[2] // 2 * 2, x.shape[3] // 2 * 2   # an odd last row or column is dropped, as there
        return torch.maximum(torch.maximum(x[:, :, 0:h:2, 0:w:2], x[:, :, 1:h:2, 0:w:2]),
                             torch.maximum(x[:, :, 0:h:2, 1:w:2], x[:, :, 1:h:2, 1:w:2]))


class Classifier(nn.Module, PyTorchModelHubMixin, library_name="pytorch", tags=["fashion-mnist"]):
    """A small CNN: images (N, 1, 28, 28) in [-1, 1] -> features (N, 128) -> logits (N, 10)."""

    def __init__(self):
        super().__init__()
        def block(cin, cout):
            return [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(True),
                    MaxPool2x2()]
        self.features = nn.Sequential(
            *block(1, 32),     # state size (N, 32, 14, 14)
            *block(32, 64),    # state size (N, 64, 7, 7)
            *block(64, 128),   # state size (N, 128, 3, 3)
            nn.Flatten(),
            nn.Linear(128 * 9, FEATURE_DIM), nn.ReLU(True),  # (N, 128): the metric feature space
        )
        self.head = nn.Sequential(nn.Dropout(0.3), nn.Linear(FEATURE_DIM, N_CLASSES))

    def forward(self, x):
        return self.head(self.features(x))


def _augment(x: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    """Random horizontal flip and +-2 px shift (padding with background), per batch."""
    if torch.rand(1, generator=g).item() < 0.5:
        x = x.flip(3)
    dx, dy = torch.randint(-2, 3, (2,), generator=g).tolist()
    x = F.pad(x, (2, 2, 2, 2), value=-1.0)
    return x[:, :, 2 + dy:30 + dy, 2 + dx:30 + dx]


def train_classifier(epochs: int = 10, batch_size: int = 128, seed: int = 0, data_dir=None, log=print):
    """Train the metric classifier on the training split; returns (model, test accuracy)."""
    torch.manual_seed(seed)
    g = torch.Generator().manual_seed(seed)
    x, y = fmnist.load("train", data_dir)
    x = fmnist.to_float(x)
    model = Classifier()
    opt = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=5e-4)
    steps = epochs * (len(x) // batch_size)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=2e-3, total_steps=steps)
    for epoch in range(epochs):
        model.train()
        perm = torch.randperm(len(x), generator=g)
        t0 = time.time()
        for i in range(len(x) // batch_size):
            idx = perm[i * batch_size:(i + 1) * batch_size]
            loss = F.cross_entropy(model(_augment(x[idx], g)), y[idx], label_smoothing=0.05)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
        acc = test_accuracy(model, data_dir)
        log(f"classifier epoch {epoch + 1}/{epochs}: loss {loss.item():.3f}, test accuracy {acc:.4f}, "
            f"{time.time() - t0:.0f}s")
    return model.eval(), acc


@torch.inference_mode()
def classify(model, images: torch.Tensor, batch: int = 1000):
    """images in [-1, 1] (N, 1, 28, 28) -> (features (N, 128) float64, probabilities (N, 10))."""
    model.eval()
    feats, probs = [], []
    for i in range(0, len(images), batch):
        f = model.features(images[i:i + batch].float())
        feats.append(f.double())
        probs.append(F.softmax(model.head(f), dim=1).double())
    return torch.cat(feats).numpy(), torch.cat(probs).numpy()


def test_accuracy(model, data_dir=None) -> float:
    x, y = fmnist.load("test", data_dir)
    _, p = classify(model, fmnist.to_float(x))
    return float((p.argmax(1) == y.numpy()).mean())


# ----------------------------------------------------------------------------- metrics

def frechet_distance(f1: np.ndarray, f2: np.ndarray) -> float:
    """The Frechet distance between Gaussians fitted to two feature sets (N, D), float64."""
    f1, f2 = np.asarray(f1, np.float64), np.asarray(f2, np.float64)
    return frechet_stats(f1.mean(0), np.cov(f1, rowvar=False), f2.mean(0), np.cov(f2, rowvar=False))


def frechet_stats(mu1, s1, mu2, s2) -> float:
    """||mu1 - mu2||^2 + Tr(S1 + S2 - 2 (S1^1/2 S2 S1^1/2)^1/2), float64, via symmetric eigh."""
    w, v = np.linalg.eigh(s1)
    sqrt_s1 = (v * np.sqrt(np.clip(w, 0, None))) @ v.T
    m = sqrt_s1 @ s2 @ sqrt_s1
    tr_covmean = np.sqrt(np.clip(np.linalg.eigvalsh((m + m.T) / 2), 0, None)).sum()
    return float(((mu1 - mu2) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2 * tr_covmean)


def _pairwise(a: torch.Tensor, b: torch.Tensor, chunk: int = 2048):
    """Yield (row slice, distances (chunk, len(b))) of a against b, in chunks to bound memory."""
    for i in range(0, len(a), chunk):
        yield slice(i, i + chunk), torch.cdist(a[i:i + chunk], b)


def _kth_radius(x: torch.Tensor, k: int) -> torch.Tensor:
    """Distance from each point to its k-th nearest neighbour in the same set (self excluded)."""
    r = torch.empty(len(x), dtype=x.dtype)
    for rows, d in _pairwise(x, x):
        r[rows] = d.kthvalue(k + 1, dim=1).values  # +1: the point itself is at distance 0
    return r


def _in_balls(queries: torch.Tensor, centres: torch.Tensor, radii: torch.Tensor):
    """(how many balls contain each query (Q,), whether each ball holds any query (C,))."""
    counts = torch.zeros(len(queries), dtype=torch.long)
    covered = torch.zeros(len(centres), dtype=torch.bool)
    for rows, d in _pairwise(queries, centres):
        inside = d <= radii[None, :]
        counts[rows] = inside.sum(1)
        covered |= inside.any(0)
    return counts, covered


def precision_recall(real: np.ndarray, fake: np.ndarray, k: int = 3, real_radii: torch.Tensor = None):
    """real_radii: _kth_radius of the real features, when the caller has them already."""
    r, f = torch.from_numpy(real).float(), torch.from_numpy(fake).float()
    radii = _kth_radius(r, k) if real_radii is None else real_radii
    precision = (_in_balls(f, r, radii)[0] > 0).double().mean().item()
    recall = (_in_balls(r, f, _kth_radius(f, k))[0] > 0).double().mean().item()
    return precision, recall


def density_coverage(real: np.ndarray, fake: np.ndarray, k: int = 5, real_radii: torch.Tensor = None):
    r, f = torch.from_numpy(real).float(), torch.from_numpy(fake).float()
    counts, covered = _in_balls(f, r, _kth_radius(r, k) if real_radii is None else real_radii)
    return counts.double().sum().item() / (k * len(f)), covered.double().mean().item()


def inception_score(probs: np.ndarray, splits: int = 10):
    scores = []
    for part in np.array_split(probs, splits):
        py = part.mean(0, keepdims=True)
        kl = (part * (np.log(part + 1e-12) - np.log(py + 1e-12))).sum(1).mean()
        scores.append(math.exp(kl))
    return float(np.mean(scores)), float(np.std(scores))


def class_stats(probs: np.ndarray):
    hist = np.bincount(probs.argmax(1), minlength=N_CLASSES) / len(probs)
    kl_uniform = float((hist[hist > 0] * np.log(hist[hist > 0] * N_CLASSES)).sum())
    unsure = float((probs.max(1) < UNSURE).mean())
    return hist.tolist(), kl_uniform, unsure


def metrics(real_feats, fake_feats, fake_probs, real_radii=None) -> dict:
    """Every metric of one sample set against the real features (real_radii: {k: radii}, optional)."""
    real_radii = real_radii or {}
    precision, recall = precision_recall(real_feats, fake_feats, 3, real_radii.get(3))
    density, coverage = density_coverage(real_feats, fake_feats, 5, real_radii.get(5))
    is_mean, is_std = inception_score(fake_probs)
    hist, kl, unsure = class_stats(fake_probs)
    return {"fd": frechet_distance(real_feats, fake_feats), "precision": precision, "recall": recall,
            "density": density, "coverage": coverage, "is": is_mean, "is_std": is_std,
            "class_hist": hist, "kl_uniform": kl, "unsure": unsure, "n": len(fake_feats)}


class Evaluator:
    """Holds the classifier and the real test features; scores generators or image sets."""

    def __init__(self, classifier, data_dir=None):
        self.classifier = classifier.eval()
        self.data_dir = data_dir

    @functools.lru_cache(maxsize=4)
    def real(self, n: int = None):
        """(features, {k: k-NN radii for k = 3, 5}) of the first n test images (all 10k: None),
        computed at the first score that needs them (a run stopped before its first FD never
        pays; a dry run's 256-sample FD needs 256), then kept: --reference scores a dozen sets
        against the same ones."""
        x, _ = fmnist.load("test", self.data_dir)
        feats = classify(self.classifier, fmnist.to_float(x[:n]))[0]
        r = torch.from_numpy(feats).float()
        return feats, {k: _kth_radius(r, k) for k in (3, 5)}

    def images(self, images: torch.Tensor, n_real: int = None) -> dict:
        """Every metric of `images` against the first n_real test images (all of them: None, or
        n_real at least the test split's size: one cached set either way)."""
        feats, probs = classify(self.classifier, images)
        real_feats, radii = self.real(n_real if n_real and n_real < TEST_IMAGES else None)
        return metrics(real_feats, feats, probs, radii)

    def generator(self, G, n: int = 10_000, batch: int = 1000) -> dict:
        z = latents(EVAL_SEED, n, G.z_dim)
        imgs = torch.cat([generate(G, z[i:i + batch]) for i in range(0, n, batch)])
        return self.images(imgs, n_real=n)
