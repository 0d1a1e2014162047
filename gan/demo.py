"""What the Space computes, as plain methods over models loaded once: no Gradio in here.

Each handler checks its input (gan.checks.InputError says what is allowed), then returns numpy
images (or finished files in Gradio's cache), captions and pandas tables for app.py's components,
in the shape of their API outputs. Their words are gan.text.Words, said in the visitor's language
at the boundary (gan.ui.say): what a handler computes is the same in every language, so a default
result is computed once for all of them. Numeric columns keep their English names (plots name
their axes in app.py).
"""
import concurrent.futures
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from gan import explore, export, garment, hub, nearest, weights
from gan.checks import InputError, choice, number, whole
from gan.data import CLASSES, to_float
from gan.demo_garment import GarmentTab
from gan.demo_lab import LabTab
from gan.demo_train import TrainTab
from gan.io import cached_file, cached_png, gif_bytes
from gan.limits import N_IMAGES, NEAREST_K, TRAIN_CAP_S
from gan.metrics import classify
from gan.models import NAMES as ARCH_NAMES
from gan.sampling import check_seed, generate, grid, latents, sample, upscale
from gan.serve_lab import lab_files
from gan.text import Words, label
from gan.uploads import Uploads

UPSCALE = 8  # gallery tiles: 28x28 -> 224x224, nearest neighbour: crisp pixels
STRIP_UPSCALE = 6  # the 8-image strip of /sample and /compare: 1452x192 pixels, one file per model
STRIP_PAD = 2      # black pixels between tiles (before the upscale); gan.sampling.tiles splits the strip
LABEL_COLUMNS = [f"#{i}" for i in range(N_IMAGES)]  # the label tables of /sample and /compare
TABLE_ROWS = ("parameters", "epochs", "time", "speed", "fd", "precision", "recall", "coverage", "is", "weights")


def check_arch(arch) -> str:
    return choice(arch, "arch", tuple(ARCH_NAMES))


def check_psi(psi) -> float:
    return number(psi, "psi", 0.0, 1.0)


class Demo(GarmentTab, LabTab, TrainTab):
    """The loaded models and the classifier; read-only after construction (safe across threads), but for
    own_uploads, which keeps its own state under its lock."""

    def __init__(self, models: dict, classifier, cache_dir=None, index=None, train_cap_s: float = TRAIN_CAP_S,
                 uploads=None):
        self.models = models
        # each model's garment.Space (bank, directions: seconds of work) is built on a side thread,
        # so start-up does not wait for it; /invert and /edit wait for their model's, once
        pool = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="garment-space")
        self.fitted = {a: m.folder and weights.load_directions(m.folder, m.G.z_dim) for a, m in models.items()}
        # fitted class directions + principal ones (an SVD), made once; None: they need the Space's bank
        self._directions = {a: garment.directions(m.G, self.fitted[a]) for a, m in models.items()}
        self._spaces = {a: pool.submit(garment.Space, m.G, classifier, self.fitted[a]) for a, m in models.items()}
        pool.shutdown(wait=False)
        self.classifier = classifier
        self.cache_dir = cache_dir  # where output files go (see gan.io.cached_png); None: return arrays
        self.files = Path(cache_dir or Path(tempfile.gettempdir()) / "gan-explorer")  # where files go, arrays or not
        self.uploads = uploads and Path(uploads).resolve()  # the only folder a visitor's file may be named in
        self.own_uploads = Uploads(uploads)  # the Train tab's: read once, deleted after their jobs (thread-safe)
        self.index = index          # gan.nearest's training-image index, or None
        self.train_cap_s = train_cap_s  # each Train job's wall-clock cap
        # the Latent lab's browser copies: a folder's model.onnx if it was exported from its weights
        self.onnx = {a: m.folder and export.fresh(m.folder) for a, m in models.items()}
        self.onnx["classifier"] = export.fresh(weights.CLASSIFIER_DIR)
        # what the browser fetches for the lab, at addresses that name their content; compressed copies beside
        self.lab_files = lab_files(self.onnx, self.files / "lab-files")

    @classmethod
    def load(cls, archs=tuple(ARCH_NAMES), cache_dir=None, train_cap_s: float = TRAIN_CAP_S, uploads=None):
        return cls({a: hub.load_model(a) for a in archs}, weights.load_classifier(), cache_dir,
                   nearest.load_index(weights.NEAREST_INDEX), train_cap_s, uploads)

    def space(self, arch) -> garment.Space:
        return self._spaces[check_arch(arch)].result()

    def directions(self, arch) -> dict:
        """name -> unit direction of a model: without waiting for its Space where the folder has
        fitted class directions (the bank is only needed for the mean differences)."""
        return self._directions[check_arch(arch)] or self.space(arch).directions

    def store(self, img: np.ndarray):
        """uint8 image -> what the UI shows: a finished PNG file in the cache, or the array."""
        return cached_png(img, self.cache_dir) if self.cache_dir else img

    def store_file(self, data: bytes, suffix: str) -> str:
        return cached_file(data, self.files, suffix)

    def G(self, arch):
        return self.models[check_arch(arch)].G

    def labels(self, images_u8: np.ndarray) -> list:
        """'Trouser 97%' for each uint8 (N, 28, 28) image, from the metric classifier."""
        _, probs = classify(self.classifier, to_float(torch.from_numpy(images_u8).unsqueeze(1)))
        return [label(p.argmax(), p.max()) for p in probs]

    def tile(self, img_u8: np.ndarray):
        """A 28x28 image as a gallery tile: UPSCALE times, crisp pixels."""
        return self.store(upscale(img_u8, UPSCALE))

    def gallery(self, images_u8, captions) -> list:
        return [(self.tile(img), Words("cap.item", what=c, label=l))
                for img, c, l in zip(images_u8, captions, self.labels(images_u8))]

    def strip(self, images_u8):
        """(N, 28, 28) -> one image, the N tiles in a row: one file for a client to fetch, not N."""
        return self.store(upscale(grid(images_u8, cols=len(images_u8), pad=STRIP_PAD), STRIP_UPSCALE))

    def label_table(self, rows: dict) -> pd.DataFrame:
        """{row name: uint8 images} -> a table, a row of labels per name."""
        return pd.DataFrame([[name, *self.labels(x)] for name, x in rows.items()],
                            columns=[Words("axis.model"), *LABEL_COLUMNS])

    # ---------------------------------------------------------------- Sample
    def sample(self, arch, seed, psi=1.0):
        """The seed's 8 images as one strip, and a one-row table of the classifier's labels."""
        seed, psi = check_seed(seed), check_psi(psi)
        imgs = sample(self.G(arch), seed, N_IMAGES, psi)
        return self.strip(imgs), pd.DataFrame([self.labels(imgs)], columns=LABEL_COLUMNS)

    # ---------------------------------------------------------------- Latent sweep
    def sweep(self, arch, seed, index, positions, values, mode):
        """The base image, the grid (a row per position, a column per value), and the brightness /
        change table (twice: one per plot)."""
        G, seed, index = self.G(arch), check_seed(seed), explore.check_index(index)
        pos, vals = explore.parse_positions(positions), explore.parse_values(values)
        base, grid, brightness, change = explore.sweep(G, seed, index, pos, vals, explore.check_mode(mode))
        op = "=" if mode == "set" else "+="
        stats = pd.DataFrame([{"position": f"z[{p}]", "value": v, "brightness": float(brightness[i, j]),
                               "change": float(change[i, j])}
                              for i, p in enumerate(pos) for j, v in enumerate(vals)])
        base_item = self.gallery(base[None], [Words("cap.seed", seed=seed, index=index)])
        return base_item, self.gallery(grid.reshape(-1, *base.shape), [f"z[{p}]{op}{v:g}" for p in pos for v in vals]), \
            stats, stats

    def importance(self, arch, seed, index, value, mode):
        G, seed, index = self.G(arch), check_seed(seed), explore.check_index(index)
        value = explore.check_value(value)
        change, order, imgs = explore.importance(G, seed, index, value, explore.check_mode(mode))
        bars = pd.DataFrame({"position": np.arange(len(change)), "change": change.astype(float)})
        op = "=" if mode == "set" else "+="
        return bars, self.gallery(imgs, [f"z[{p}]{op}{value:g} · Δ {change[p]:.1f}" for p in order])

    # ---------------------------------------------------------------- MLP vs CNN
    def speeds(self, repeats: int = 20) -> dict:
        """Median milliseconds for each G to make 8 images, measured now (the model table shows it)."""
        out = {}
        for arch in self.models:
            G, z, times = self.G(arch), latents(0, N_IMAGES), []
            for _ in range(repeats):
                t0 = time.perf_counter()
                generate(G, z)
                times.append(1000 * (time.perf_counter() - t0))
            out[arch] = float(np.median(times))
        return out

    def model_table(self, speeds: dict) -> pd.DataFrame:
        cols = {}
        for arch, m in self.models.items():
            s, met = m.summary, m.summary.get("metrics", {})
            cols[ARCH_NAMES[arch]] = {
                "parameters": f"{sum(p.numel() for p in m.G.parameters()):,}", "epochs": str(s.get("epochs", "?")),
                "time": Words("row.minutes", m=s["wall_seconds"] / 60) if "wall_seconds" in s else "?",
                "speed": f"{speeds[arch]:.2f}", **{k: f"{met[k]:.3f}" for k in TABLE_ROWS if k in met},
                "weights": m.source}
        rows = [k for k in TABLE_ROWS if any(k in c for c in cols.values())]
        return pd.DataFrame([{"": Words(f"row.{k}"), **{a: c.get(k) for a, c in cols.items()}} for k in rows])

    def class_hist(self) -> pd.DataFrame:
        """Each model's class shares on 10k samples, a row per (class, model) in class order: 'bar'
        names the bar, so a bar plot shows the models side by side rather than stacked."""
        hists = {a: m.summary.get("metrics", {}).get("class_hist", []) for a, m in self.models.items()}
        return pd.DataFrame([{"class": Words(f"class.{i}"), "model": ARCH_NAMES[a],
                              "bar": Words("cap.item", what=Words(f"class.{i}"), label=ARCH_NAMES[a]), "share": float(h[i])}
                             for i in range(len(CLASSES)) for a, h in hists.items() if len(h) == len(CLASSES)])

    def compare(self, seed, psi=1.0):
        """One strip per model for the same seed, and a table with a row of labels per model."""
        seed, psi = check_seed(seed), check_psi(psi)
        imgs = {ARCH_NAMES[arch]: sample(self.G(arch), seed, N_IMAGES, psi) for arch in ARCH_NAMES}
        return (*(self.strip(x) for x in imgs.values()), self.label_table(imgs))

    # ---------------------------------------------------------------- Interpolate
    def interpolate(self, arch, seed_a, index_a, seed_b, index_b, steps, method):
        G = self.G(arch)
        seed_a, seed_b = check_seed(seed_a), check_seed(seed_b)
        index_a, index_b = explore.check_index(index_a), explore.check_index(index_b)
        imgs = explore.interpolate(G, seed_a, index_a, seed_b, index_b, explore.check_steps(steps), method)
        n = len(imgs)
        ends = {0: Words("cap.seed", seed=seed_a, index=index_a), n - 1: Words("cap.seed", seed=seed_b, index=index_b)}
        caps = [Words("cap.item", what=f"{i}/{n - 1}", label=ends[i]) if i in ends else f"{i}/{n - 1}" for i in range(n)]
        frames = np.concatenate([imgs, imgs[::-1][1:-1]])  # there and back: a smooth loop
        gif = self.store_file(gif_bytes([upscale(f, 4) for f in frames]), ".gif")
        return self.gallery(imgs, caps), gif

    # ---------------------------------------------------------------- How it learned
    def epochs(self, arch) -> int:
        return len(self.models[check_arch(arch)].history)

    def learned(self, arch, epoch):
        """The fixed-seed 8x8 grid after `epoch`, and the loss / FD curves of the whole run."""
        m = self.models[check_arch(arch)]
        if not m.history:
            raise InputError("no_history", arch=arch)
        epoch = whole(epoch, "epoch", 1, len(m.history))
        from PIL import Image
        grid = np.asarray(Image.open(Path(m.folder) / "samples" / f"epoch_{epoch:03d}.png").convert("L"))
        curves = pd.DataFrame([{"epoch": h["epoch"], "curve": Words(f"curve.{key}"), "value": float(h[key])}
                               for h in m.history for key in ("d_loss", "g_loss")])
        fd = pd.DataFrame([{"epoch": h["epoch"], "FD": float(h["fd"])} for h in m.history if h.get("fd") is not None])
        return self.store(upscale(grid, 2)), curves, fd

    # ---------------------------------------------------------------- Nearest training images
    def nearest(self, arch, seed, index):
        """The seed's image #index and its NEAREST_K nearest indexed training images, in pixel space
        and in the classifier's feature space, with distances."""
        seed, index = check_seed(seed), explore.check_index(index)
        img = sample(self.G(arch), seed, N_IMAGES)[index]
        found = nearest.query(self.index, self.classifier, img[None], k=NEAREST_K)
        out = [self.gallery(img[None], [Words("cap.generated", seed=seed, index=index)])]
        for space in ("pixels", "features"):
            idx, dist = found[space][0][0], found[space][1][0]
            caps = [Words("cap.train", i=int(self.index["train_index"][i]), space=Words(f"space.{space}"), d=d)
                    for i, d in zip(idx, dist)]
            out.append(self.gallery(self.index["images"][idx].numpy(), caps))
        return tuple(out)
