"""What the Space computes, as plain functions over models loaded once: no Gradio in here.

Each handler validates its input (gan.checks.InputError saying what is allowed), then returns
numpy images, captions and pandas tables that app.py hands to Gradio components. `lang` (a
gan.text language) picks the words of labels, captions and tables, never the pixels; numeric
columns keep their English names in every language (plots name their axes in app.py).
"""
import concurrent.futures
import logging
import re
import tempfile
import time
from pathlib import Path
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import torch

from gan import explore, garment, hub, live, nearest, upload, weights
from gan.data import CLASSES, to_float
from gan.metrics import classify
from gan.io import cached_file, cached_png, gif_bytes
from gan.checks import InputError, choice, number, whole
from gan.text import DEFAULT, class_name, t
from gan.sampling import N_IMAGES, check_seed, generate, grid, latents, sample, to_uint8, upscale

log = logging.getLogger("gan.demo")
ARCH_NAMES = {"mlp": "MLP", "cnn": "CNN"}
UPSCALE = 8  # gallery tiles: 28x28 -> 224x224, nearest neighbour: crisp pixels
STRIP_UPSCALE = 6  # the 8-image strip of /sample and /compare: 1452x192 pixels, one file per model
STRIP_PAD = 2      # black pixels between tiles (before the upscale); gan.sampling.tiles splits the strip
LABEL_COLUMNS = [f"#{i}" for i in range(N_IMAGES)]  # the label tables of /sample and /compare


@dataclass(frozen=True)
class Model:
    arch: str
    G: torch.nn.Module
    source: str
    summary: dict = field(default_factory=dict)
    history: list = field(default_factory=list)
    folder: str = ""


def load_model(arch: str) -> Model:
    """Resolve (Hub, cache, bundled) and load strictly; a bad Hub file falls back to bundled."""
    folder, source = hub.resolve(arch)
    try:
        G = weights.load_generator(arch, folder)
    except weights.WeightsError as e:
        if folder == weights.bundled_dir(arch):
            raise
        log.error("%s; falling back to the bundled weights", e)
        folder, source = weights.bundled_dir(arch), f"bundled weights/ (hub file unusable: {e})"
        G = weights.load_generator(arch, folder)
    log.info("%s generator from %s", arch, source)
    return Model(arch, G, source, weights.read_json(folder, "summary.json", {}) or {},
                 weights.read_json(folder, "history.json", []) or [], str(folder))


def check_arch(arch) -> str:
    return choice(arch, "arch", tuple(ARCH_NAMES))


def check_psi(psi) -> float:
    return number(psi, "psi", 0.0, 1.0)


def parse_latent(text, z_dim: int) -> torch.Tensor:
    """'[0.1, -2, ...]' (z_dim numbers) or 'SEED/INDEX' (image #INDEX of a seed) -> (z_dim,)."""
    import json
    if isinstance(text, str) and re.fullmatch(r"\s*\d+\s*/\s*\d+\s*", text):
        seed, index = (int(p) for p in text.split("/"))
        return latents(check_seed(seed), N_IMAGES, z_dim)[explore.check_index(index)]
    try:
        values = json.loads(text) if isinstance(text, str) else None
    except ValueError:
        values = None
    if not isinstance(values, list) or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        raise InputError("latent_text", z=z_dim)
    if len(values) != z_dim:
        raise InputError("latent_length", z=z_dim, count=len(values))
    z = torch.tensor(values, dtype=torch.float32)
    if not torch.isfinite(z).all() or z.abs().max() > explore.MAX_ABS_VALUE:
        raise InputError("latent_finite", most=f"{explore.MAX_ABS_VALUE:g}")
    return z


class Demo:
    """The loaded models and the classifier; read-only after construction (safe across threads)."""

    def __init__(self, models: dict, classifier, cache_dir=None, index=None, train_cap_s: float = live.CAP_S):
        self.models = models
        # each model's garment.Space (bank, directions: seconds of work) is built on a side thread,
        # so start-up does not wait for it; /invert and /edit wait for their model's, once
        pool = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="garment-space")
        fitted = {a: m.folder and weights.load_directions(m.folder, m.G.z_dim) for a, m in models.items()}
        self._spaces = {a: pool.submit(garment.Space, m.G, classifier, fitted[a]) for a, m in models.items()}
        pool.shutdown(wait=False)
        self.classifier = classifier
        self.cache_dir = cache_dir  # where output files go (see gan.io.cached_png); None: return arrays
        self.index = index          # gan.nearest's training-image index, or None
        self.train_cap_s = train_cap_s  # each Train job's wall-clock cap

    @classmethod
    def load(cls, archs=tuple(ARCH_NAMES), cache_dir=None, train_cap_s: float = live.CAP_S):
        return cls({a: load_model(a) for a in archs}, weights.load_classifier(), cache_dir,
                   nearest.load_index(weights.NEAREST_INDEX), train_cap_s)

    def space(self, arch) -> garment.Space:
        return self._spaces[check_arch(arch)].result()

    def store(self, img: np.ndarray):
        """uint8 image -> what the UI shows: a finished PNG file in the cache, or the array."""
        return cached_png(img, self.cache_dir) if self.cache_dir else img

    def store_file(self, data: bytes, suffix: str) -> str:
        return cached_file(data, self.cache_dir or Path(tempfile.gettempdir()) / "gan-explorer", suffix)

    def G(self, arch):
        return self.models[check_arch(arch)].G

    def labels(self, images_u8: np.ndarray, lang=DEFAULT) -> list:
        """'Trouser 97%' for each uint8 (N, 28, 28) image, from the metric classifier."""
        _, probs = classify(self.classifier, to_float(torch.from_numpy(images_u8).unsqueeze(1)))
        return [f"{class_name(lang, p.argmax())} {100 * p.max():.0f}%" for p in probs]

    def gallery(self, images_u8, captions, lang=DEFAULT) -> list:
        return [(self.store(upscale(img, UPSCALE)), f"{c} · {l}")
                for img, c, l in zip(images_u8, captions, self.labels(images_u8, lang))]

    def strip(self, images_u8):
        """(N, 28, 28) -> one image, the N tiles in a row: one file for a client to fetch, not N."""
        return self.store(upscale(grid(images_u8, cols=len(images_u8), pad=STRIP_PAD), STRIP_UPSCALE))

    # ---------------------------------------------------------------- Sample
    def sample(self, arch, seed, psi=1.0, lang=DEFAULT):
        """The seed's 8 images as one strip, and a one-row table of the classifier's labels."""
        seed, psi = check_seed(seed), check_psi(psi)
        imgs = sample(self.G(arch), seed, N_IMAGES, psi)
        return self.strip(imgs), pd.DataFrame([self.labels(imgs, lang)], columns=LABEL_COLUMNS)

    # ---------------------------------------------------------------- Latent sweep
    def sweep(self, arch, seed, index, positions, values, mode, lang=DEFAULT):
        G, seed, index = self.G(arch), check_seed(seed), explore.check_index(index)
        pos, vals = explore.parse_positions(positions), explore.parse_values(values)
        base, grid, brightness, change = explore.sweep(G, seed, index, pos, vals, explore.check_mode(mode))
        op = "=" if mode == "set" else "+="
        caps = [f"z[{p}]{op}{v:g}" for p in pos for v in vals]
        stats = pd.DataFrame([{"position": f"z[{p}]", "value": v, "brightness": float(brightness[i, j]),
                               "change": float(change[i, j])}
                              for i, p in enumerate(pos) for j, v in enumerate(vals)])
        base_item = self.gallery(base[None], [t(lang, "cap.seed", seed=seed, index=index)], lang)[0]
        return base_item, self.gallery(grid.reshape(-1, *base.shape), caps, lang), stats

    def importance(self, arch, seed, index, value, mode, lang=DEFAULT):
        G, seed, index = self.G(arch), check_seed(seed), explore.check_index(index)
        value = explore.check_value(value)
        change, order, imgs = explore.importance(G, seed, index, value, explore.check_mode(mode))
        bars = pd.DataFrame({"position": np.arange(len(change)), "change": change.astype(float)})
        op = "=" if mode == "set" else "+="
        return bars, self.gallery(imgs, [f"z[{p}]{op}{value:g} · Δ {change[p]:.1f}" for p in order], lang)

    # ---------------------------------------------------------------- MLP vs CNN
    def speed_ms(self, arch, repeats: int = 20) -> float:
        """Median milliseconds for G to make 8 images (measured, not stored)."""
        G, z = self.G(arch), latents(0, N_IMAGES)
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            generate(G, z)
            times.append(1000 * (time.perf_counter() - t0))
        return float(np.median(times))

    def model_table(self, speeds: dict, lang=DEFAULT) -> pd.DataFrame:
        rows = {}
        for arch, m in self.models.items():
            s, met = m.summary, m.summary.get("metrics", {})
            rows[ARCH_NAMES[arch]] = {
                t(lang, "row.parameters"): f"{sum(p.numel() for p in m.G.parameters()):,}",
                t(lang, "row.epochs"): str(s.get("epochs", "?")),
                t(lang, "row.time"): t(lang, "row.minutes", m=s["wall_seconds"] / 60) if "wall_seconds" in s else "?",
                t(lang, "row.speed"): f"{speeds[arch]:.2f}",
                **{t(lang, f"row.{key}"): f"{met[key]:.3f}" for key in ("fd", "precision", "recall", "coverage", "is")
                   if key in met},
                t(lang, "row.weights"): m.source,
            }
        df = pd.DataFrame(rows)
        return df.reset_index(names="")

    def class_hist(self, lang=DEFAULT) -> pd.DataFrame:
        """Each model's class shares on 10k samples, a row per (class, model) in class order: 'bar'
        names the bar, so a bar plot shows the models side by side rather than stacked."""
        hists = {a: m.summary.get("metrics", {}).get("class_hist", []) for a, m in self.models.items()}
        names = [class_name(lang, i) for i in range(len(CLASSES))]
        return pd.DataFrame([{"class": c, "model": ARCH_NAMES[a], "bar": f"{c} · {ARCH_NAMES[a]}", "share": float(h[i])}
                             for i, c in enumerate(names) for a, h in hists.items() if len(h) == len(CLASSES)])

    def compare(self, seed, psi=1.0, lang=DEFAULT):
        """One strip per model for the same seed, and a table with a row of labels per model."""
        seed, psi = check_seed(seed), check_psi(psi)
        imgs = {arch: sample(self.G(arch), seed, N_IMAGES, psi) for arch in ARCH_NAMES}
        labels = pd.DataFrame([[ARCH_NAMES[a], *self.labels(x, lang)] for a, x in imgs.items()],
                              columns=[t(lang, "axis.model"), *LABEL_COLUMNS])
        return (*(self.strip(x) for x in imgs.values()), labels)

    # ---------------------------------------------------------------- Interpolate
    def interpolate(self, arch, seed_a, index_a, seed_b, index_b, steps, method, lang=DEFAULT):
        G = self.G(arch)
        seed_a, seed_b = check_seed(seed_a), check_seed(seed_b)
        index_a, index_b = explore.check_index(index_a), explore.check_index(index_b)
        imgs = explore.interpolate(G, seed_a, index_a, seed_b, index_b, explore.check_steps(steps), method)
        n = len(imgs)
        ends = {0: t(lang, "cap.seed", seed=seed_a, index=index_a), n - 1: t(lang, "cap.seed", seed=seed_b, index=index_b)}
        caps = [f"{i}/{n - 1}" + (f" · {ends[i]}" if i in ends else "") for i in range(n)]
        frames = np.concatenate([imgs, imgs[::-1][1:-1]])  # there and back: a smooth loop
        gif = self.store_file(gif_bytes([upscale(f, 4) for f in frames]), ".gif")
        return self.gallery(imgs, caps, lang), gif

    # ---------------------------------------------------------------- How it learned
    def epochs(self, arch) -> int:
        return len(self.models[check_arch(arch)].history)

    def learned(self, arch, epoch, lang=DEFAULT):
        """The fixed-seed 8x8 grid after `epoch`, and the loss / FD curves of the whole run."""
        m = self.models[check_arch(arch)]
        if not m.history:
            raise InputError("no_history", arch=arch)
        epoch = whole(epoch, "epoch", 1, len(m.history))
        path = Path(m.folder) / "samples" / f"epoch_{epoch:03d}.png"
        from PIL import Image
        grid = np.asarray(Image.open(path).convert("L"))
        curves = pd.DataFrame([{"epoch": h["epoch"], "curve": t(lang, f"curve.{key}"), "value": float(h[key])}
                               for h in m.history for key in ("d_loss", "g_loss")])
        fd = pd.DataFrame([{"epoch": h["epoch"], "FD": float(h["fd"])} for h in m.history if h.get("fd") is not None])
        return self.store(upscale(grid, 2)), curves, fd

    # ---------------------------------------------------------------- Nearest training images
    def nearest(self, arch, seed, index, lang=DEFAULT):
        """The seed's image #index and its 5 nearest indexed training images, in pixel space and in
        the classifier's feature space, with distances."""
        seed, index = check_seed(seed), explore.check_index(index)
        img = sample(self.G(arch), seed, N_IMAGES)[index]
        found = nearest.query(self.index, self.classifier, img[None], k=5)
        out = [self.gallery(img[None], [t(lang, "cap.generated", seed=seed, index=index)], lang)]
        for space in ("pixels", "features"):
            idx, dist = found[space][0][0], found[space][1][0]
            imgs = self.index["images"][idx].numpy()
            caps = [t(lang, "cap.train", i=int(self.index["train_index"][i]), space=t(lang, f"space.{space}"), d=d)
                    for i, d in zip(idx, dist)]
            out.append(self.gallery(imgs, caps, lang))
        return tuple(out)

    # ---------------------------------------------------------------- Train it yourself
    def train(self, arch, recipe, epochs, seed, lang=DEFAULT):
        """A live training job (gan.live): streams (8x8 grid, losses, D outputs, FD per epoch,
        class histogram, stats, the model .zip path once done, else None)."""
        cfg = live.check_job(arch, recipe, epochs, seed)
        images, feats = live.subset(self.index, cfg.arch)

        def curves(u, keys):
            return pd.DataFrame([{"epoch": c["epoch"], "curve": t(lang, f"curve.{k}"), "value": c[k]}
                                 for c in u.curves for k in keys], columns=["epoch", "curve", "value"])
        for u in live.job(cfg, images, feats, self.classifier, self.train_cap_s):
            names = [class_name(lang, i) for i in range(len(CLASSES))]
            hist = pd.DataFrame({"class": names, "share": u.shares or [0.0] * len(CLASSES)})
            stats = dict(u.stats, class_shares=u.shares and dict(zip(names, u.shares)))
            yield (self.store(upscale(u.grid, 2)), curves(u, ("d_loss", "g_loss")), curves(u, ("d_real", "d_fake")),
                   pd.DataFrame(u.fd, columns=["epoch", "FD"]), hist, stats,
                   u.model and self.store_file(u.model, ".zip"))

    def trained(self, model, seed, lang=DEFAULT):
        """A Train job's model .zip and a seed -> its 8 images, the bundled model's for the same
        latents, and the classifier's labels of both."""
        seed = check_seed(seed)
        G, arch = live.read_zip(model)
        imgs = {"yours": sample(G, seed, N_IMAGES), "bundled": sample(self.G(arch), seed, N_IMAGES)}
        labels = pd.DataFrame([[t(lang, f"train.{who}"), *self.labels(x, lang)] for who, x in imgs.items()],
                              columns=[t(lang, "axis.model"), *LABEL_COLUMNS])
        return self.strip(imgs["yours"]), self.strip(imgs["bundled"]), labels

    # ---------------------------------------------------------------- Your own garment
    def invert(self, arch, image, lang=DEFAULT):
        """An image (file path; a drawing or an upload) -> the Fashion-MNIST-like target, the
        generator's closest image, and {"latent", "mse", "target_label", "reconstruction_label"}."""
        space = self.space(arch)
        if image is None:
            raise InputError("empty_image")
        target = upload.fashion_mnist_like(upload.load_image(image))
        z, recon, mse = space.invert(target)
        target_label, recon_label = self.labels(np.stack([target, recon]), lang)
        info = {"latent": [round(float(v), 5) for v in z], "mse": round(mse, 6), "target_label": target_label,
                "reconstruction_label": recon_label}
        return self.store(upscale(target, UPSCALE)), self.store(upscale(recon, UPSCALE)), info

    def edit(self, arch, latent, direction, amounts, lang=DEFAULT):
        """A latent (JSON list or 'SEED/INDEX') moved along a direction (a class name or pc1..pc10)
        by each amount: a gallery of the images, the classifier's label under each."""
        space = self.space(arch)
        z = parse_latent(latent, space.G.z_dim)
        direction = choice(direction, "direction", garment.DIRECTIONS)
        amounts = garment.parse_amounts(amounts)
        imgs = to_uint8(generate(space.G, space.edit(z, direction, amounts)))
        return self.gallery(imgs, [f"{a:+g}" for a in amounts], lang)
