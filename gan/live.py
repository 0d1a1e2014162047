"""Live training for the app's Train tab: a recipe's own loop (gan.training's steps) on a small,
fixed, class-balanced subset of the training set, as a stream of progress updates.

The Space has no dataset at run time, so the subset comes from the bundled index of training
images (gan.nearest: 800 per class): the MLP trains on all 8,000, the CNN, about 20x slower per
image, on the first 300 of each class, so that one of its epochs stays under ~20 s on one thread.
The epochs are gan.training.epoch_steps, train.py's own, so the recipes behave here as in
train.py (tests/test_live.py checks the weights are the same); the same
(arch, recipe, epochs, seed) gives bit-identical weights on the same machine and thread count.

Every update carries the 8x8 grid of 64 fixed latents (gan.training.GRID_SEED) as G draws them
now, the step's losses and D outputs; every epoch end adds FD on TRAIN_FD_N samples against the
subset's classifier features (bundled with the index) and the class shares of those samples,
which show a collapse that the loss hides.
"""
import io
import json
import logging
import tempfile
import threading
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from gan import training, weights
from gan.checkpoint import StopRequest
from gan.checks import InputError, choice, whole
from gan.config import CHOICES, Config
from gan.data import CLASSES
from gan.ema import sampling_copy
from gan.limits import TRAIN_FD_N, TRAIN_JOBS_AT_ONCE, TRAIN_MAX_EPOCHS, TRAIN_PER_CLASS
from gan.metrics import classify, frechet_distance
from gan.sampling import generate, grid, latents, to_uint8

log = logging.getLogger(__name__)
# Places to train in. app.py's queue starts TRAIN_JOBS_AT_ONCE jobs at a time, and frees a stopped job's place at
# once; the thread still inside that job's step keeps this place until the step is done (one_at_a_time).
PLACES = threading.BoundedSemaphore(TRAIN_JOBS_AT_ONCE)
EVAL_SEED = 10_000_019     # their latents: the same every epoch, as gan.metrics uses
UPDATE_S = 1.0             # seconds of training between two updates (a Stop lands between them)
CURVE_EVERY = 10           # steps per point of the loss curves (their mean)


def check_job(arch, recipe, epochs, seed) -> Config:
    """The job's training configuration, every value checked (InputError says what is allowed)."""
    arch = choice(arch, "arch", CHOICES["arch"])
    recipe = choice(recipe, "recipe", CHOICES["recipe"])
    epochs = whole(epochs, "epochs", 1, TRAIN_MAX_EPOCHS[arch])
    seed = whole(seed, "training_seed", 0, 2**31 - 1)
    return Config(arch=arch, recipe=recipe, epochs=epochs, seed=seed, device="cpu").resolved()


def subset(index: dict, arch: str) -> tuple:
    """(images uint8 (N, 1, 28, 28), classifier features (N, 128) float64): the first
    TRAIN_PER_CLASS[arch] images of each class of the bundled index (it holds them class by class)."""
    labels = index["labels"]
    pick = torch.cat([torch.nonzero(labels == c).view(-1)[:TRAIN_PER_CLASS[arch]] for c in range(len(CLASSES))])
    return index["images"][pick].unsqueeze(1).contiguous(), index["features"][pick].double().numpy()


@dataclass
class Update:
    """One step of the stream: what the tab shows."""
    stats: dict
    grid: np.ndarray           # uint8 8x8 grid of the 64 fixed latents
    curves: list               # {"epoch" (fractional), "d_loss", "g_loss", "d_real", "d_fake"} so far
    fd: list                   # {"epoch", "FD"} at each epoch end so far
    shares: list = None        # class shares of TRAIN_FD_N samples at the last epoch end
    model: bytes = None        # the finished model, zipped, in the last update only


def zipped(G, arch: str) -> bytes:
    """config.json + model.safetensors of G in a .zip: unzip, then Generator.from_pretrained."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = weights.save(Path(tmp) / "model", arch, G)
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            for name in (weights.CONFIG_FILE, weights.MODEL_FILE):  # a fixed date: same weights, same bytes
                z.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), (folder / name).read_bytes(),
                           compress_type=zipfile.ZIP_DEFLATED)
    return buf.getvalue()


def preview(G, z) -> np.ndarray:
    return grid(to_uint8(generate(G, z)))


def job(cfg: Config, images_u8: torch.Tensor, real_feats: np.ndarray, classifier,
        cap_s: float, update_s: float = UPDATE_S, clock=time.monotonic):
    """Train per cfg on images_u8 (uint8 (N, 1, 28, 28)), yielding an Update after every
    update_s seconds of training and at every epoch end; the last Update has stats["done"] and
    the model. At cap_s seconds of wall clock the job ends early (stats["capped"]) with the model
    it has. Closing the generator (Stop, a closed page) ends it after the current step."""
    run = training.new_run(cfg, images_u8)
    z_grid, z_eval = latents(training.GRID_SEED, 64), latents(EVAL_SEED, TRAIN_FD_N)
    keys = ("d_loss", "g_loss", "d_real", "d_fake")
    t0 = last = clock()
    step = seen = 0
    sums, n_sum, curves, fds, shares = torch.zeros(len(keys)), 0, [], [], None
    cap = StopRequest()  # set at cap_s: the job ends after that step, with the model it has
    name = f"{cfg.arch} {cfg.recipe}, {cfg.epochs} epochs, seed {cfg.seed}"
    log.info("train job %s: started", name)

    def update(G, done=False, model=None):
        secs = clock() - t0
        stats = {"epoch": run.epoch, "epochs": cfg.epochs, "step": step, "images_seen": seen,
                 "img_per_s": round(seen / max(secs, 1e-9), 1), "seconds": round(secs, 1),
                 "fd": fds[-1]["FD"] if fds else None,
                 "class_shares": dict(zip(CLASSES, shares)) if shares else None, "done": done, "capped": cap.requested}
        return Update(stats, preview(G, z_grid), list(curves), list(fds), shares, model)

    try:
        while run.epoch < cfg.epochs and not cap.requested:
            for i, losses in training.epoch_steps(run, cap):  # train.py's epochs, step by step
                step, seen = step + 1, seen + run.batch
                sums += torch.stack([v.detach() for v in losses])
                n_sum += 1
                if n_sum == CURVE_EVERY or i == run.steps - 1:  # a point per CURVE_EVERY steps: their mean
                    curves.append({"epoch": round(run.epoch + (i + 1) / run.steps, 4),
                                   **{k: training.mean(float(v), n_sum) for k, v in zip(keys, sums)}})
                    sums, n_sum = torch.zeros(len(keys)), 0
                if clock() - t0 > cap_s:
                    cap.set()  # this step was the last
                elif clock() - last >= update_s and i < run.steps - 1:
                    yield update(run.ema)  # the EMA copy tracks G (decay 0: it is G)
                    last = clock()
            if cap.requested:
                break
            run.epoch += 1
            sampler = sampling_copy(run.ema, cfg)
            feats, probs = classify(classifier, generate(sampler, z_eval))
            fds.append({"epoch": run.epoch, "FD": round(frechet_distance(real_feats, feats.astype(np.float64)), 3)})
            shares = [round(float(s), 4) for s in np.bincount(probs.argmax(1), minlength=len(CLASSES)) / TRAIN_FD_N]
            if run.epoch < cfg.epochs:
                yield update(sampler)
                last = clock()
        sampler = sampling_copy(run.ema, cfg)
        yield update(sampler, done=True, model=zipped(sampler, cfg.arch))
    finally:  # done, capped, or closed at a yield (Stop, a closed page)
        log.info("train job %s: ended after %d steps", name, step)


def one_at_a_time(updates):
    """updates' items, each computed while holding one of PLACES, none held between them: a
    stopped job is no longer asked for items, and the thread still computing its last one keeps
    its place until that is done, so the next job does not start training beside it."""
    updates = iter(updates)
    try:
        while True:
            with PLACES:
                item = next(updates, None)
            if item is None:
                return
            yield item
    finally:
        updates.close()


MAX_ZIP_MEMBER = 16 * 2**20  # the CNN generator's safetensors is ~3 MB


def read_zip(path) -> tuple:
    """A model .zip (the Train tab's) -> (generator, arch), loaded strictly; InputError otherwise."""
    if not isinstance(path, (str, Path)) or not Path(path).is_file():
        raise InputError("no_model")
    names = {weights.CONFIG_FILE, weights.MODEL_FILE}
    try:
        with zipfile.ZipFile(path) as z, tempfile.TemporaryDirectory() as tmp:
            infos = z.infolist()
            if {i.filename for i in infos} != names or any(i.file_size > MAX_ZIP_MEMBER for i in infos):
                raise ValueError("not the two files of a model folder")
            config = json.loads(z.read(weights.CONFIG_FILE))
            arch = config.get("arch") if isinstance(config, dict) else None
            if arch not in TRAIN_MAX_EPOCHS:
                raise ValueError(f"unknown arch {arch!r}")
            z.extractall(tmp, members=sorted(names))
            return weights.load_generator(arch, tmp), arch
    except (zipfile.BadZipFile, ValueError, weights.WeightsError):  # InputError is a ValueError too
        raise InputError("bad_model") from None
