"""Live training for the app's Train tab: a recipe's own loop (gan.training's steps) on a small,
fixed, class-balanced subset of the training set, as a stream of progress updates.

The Space has no dataset at run time, so the subset comes from the bundled index of training
images (gan.nearest: 800 per class): the MLP trains on all 8,000, the CNN, about 30x slower per
image, on the first 400 of each class, so that one of its epochs takes seconds, not minutes.
The loop is gan.training.train_step, so the recipes behave here as in train.py; the same
(arch, recipe, epochs, seed) gives bit-identical weights on the same machine and thread count.

Every update carries the 8x8 grid of 64 fixed latents (gan.training.GRID_SEED) as G draws them
now, the step's losses and D outputs; every epoch end adds FD on FD_N samples against the
subset's classifier features (bundled with the index) and the class shares of those samples,
which show a collapse that the loss hides.
"""
import io
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from gan import training, weights
from gan.checks import choice, whole
from gan.data import CLASSES
from gan.metrics import classify, frechet_distance
from gan.sampling import generate, grid, latents, to_uint8

MAX_EPOCHS = {"mlp": 30, "cnn": 5}  # an epoch: MLP ~1 s, CNN ~15 s on one thread (benchmarks/)
PER_CLASS = {"mlp": 800, "cnn": 400}
FD_N = 1000                # samples per epoch-end FD and class histogram
EVAL_SEED = 10_000_019     # their latents: the same every epoch, as gan.metrics uses
UPDATE_S = 1.0             # seconds of training between two updates (a Stop lands between them)


def check_job(arch, recipe, epochs, seed) -> training.Config:
    """The job's training configuration, every value checked (InputError says what is allowed)."""
    arch = choice(arch, "arch", training.CHOICES["arch"])
    recipe = choice(recipe, "recipe", training.CHOICES["recipe"])
    epochs = whole(epochs, "epochs", 1, MAX_EPOCHS[arch])
    seed = whole(seed, "training_seed", 0, 2**31 - 1)
    return training.Config(arch=arch, recipe=recipe, epochs=epochs, seed=seed, device="cpu").resolved()


def subset(index: dict, arch: str) -> tuple:
    """(images uint8 (N, 1, 28, 28), classifier features (N, 128) float64): the first
    PER_CLASS[arch] images of each class of the bundled index (it holds them class by class)."""
    labels = index["labels"]
    pick = torch.cat([torch.nonzero(labels == c).view(-1)[:PER_CLASS[arch]] for c in range(len(CLASSES))])
    return index["images"][pick].unsqueeze(1).contiguous(), index["features"][pick].double().numpy()


@dataclass
class Update:
    """One step of the stream: what the tab shows. `rows`: the loss curves since the last update."""
    stats: dict
    grid: np.ndarray           # uint8 (8*28+..., ...) 8x8 grid
    rows: list
    shares: list = None        # class shares of FD_N samples, at epoch ends
    model: bytes = None        # the finished model, zipped, in the last update


def zipped(G, arch: str) -> bytes:
    """config.json + model.safetensors of G in a .zip: unzip, then Generator.from_pretrained."""
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        folder = weights.save(Path(tmp) / "model", arch, G)
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            for name in (weights.CONFIG_FILE, weights.MODEL_FILE):
                z.write(folder / name, name)
    return buf.getvalue()


def job(cfg: training.Config, images_u8: torch.Tensor, real_feats: np.ndarray, classifier,
        cap_s: float, update_s: float = UPDATE_S, clock=time.monotonic):
    """Train per cfg on images_u8, yielding an Update every update_s seconds of training and at
    every epoch end; the last one has stats["done"] and the model. Stops at cap_s seconds of wall
    clock (the model so far is the result). Closing the generator (the visitor's Stop) ends it
    after the current step."""
    run = training.new_run(cfg, images_u8)
    z_grid, z_eval = latents(training.GRID_SEED, 64), latents(EVAL_SEED, FD_N)
    t_start = last = clock()
    seen, fd, shares, rows, capped = 0, None, None, [], False

    def stats(done=False):
        secs = clock() - t_start
        return {"epoch": run.epoch, "epochs": cfg.epochs, "step": run.epoch * run.steps + i, "images_seen": seen,
                "img_per_s": round(seen / max(secs, 1e-9), 1), "seconds": round(secs, 1), "fd": fd,
                "class_shares": shares and dict(zip(CLASSES, shares)), "done": done, "capped": capped}

    i = 0
    while run.epoch < cfg.epochs and not capped:
        run.G.train(), run.D.train()
        perm = training.epoch_perm(cfg.seed, run.epoch, run.reals.size(0))
        for i in range(run.steps):
            losses = training.train_step(run, run.reals[perm[i * run.batch:(i + 1) * run.batch]],
                                         run.epoch * run.steps + i)
            seen += run.batch
            if i % 10 == 0:  # curves: every 10th step (a .item() per step would slow the MLP)
                rows.append({"step": run.epoch * run.steps + i,
                             **dict(zip(("d_loss", "g_loss", "d_real", "d_fake"), (v.item() for v in losses)))})
            if clock() - t_start > cap_s:
                capped = True
                break
            if clock() - last >= update_s and i < run.steps - 1:
                last = clock()
                yield Update(stats(), preview(run.ema, z_grid), rows)
                rows = []
        else:
            run.epoch += 1
            i = 0
            sampler = training.sampling_copy(run.ema, cfg)
            feats, probs = classify(classifier, generate(sampler, z_eval))
            fd = round(frechet_distance(real_feats, feats.astype(np.float64)), 3)
            shares = np.bincount(probs.argmax(1), minlength=len(CLASSES)).astype(float) / FD_N
            shares = [round(float(s), 4) for s in shares]
            if run.epoch < cfg.epochs:
                last = clock()
                yield Update(stats(), preview(sampler, z_grid), rows, shares)
                rows = []
    sampler = training.sampling_copy(run.ema, cfg)
    yield Update(stats(done=True), preview(sampler, z_grid), rows, shares, zipped(sampler, cfg.arch))


def preview(G, z) -> np.ndarray:
    return grid(to_uint8(generate(G, z)))
