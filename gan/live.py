"""Live training for the app's Train tab: a job's own loop (gan.training's steps) on a small,
fixed, class-balanced subset of the training set, as a stream of progress updates.

The Space has no dataset at run time, so the subset comes from the bundled index of training
images (gan.nearest: 800 per class): the MLP trains on all 8,000, the CNN, about 20x slower per
image, on the first 300 of each class (train.py --per-class picks the same ones). The epochs are
gan.training.epoch_steps, train.py's own, so a job's configuration (gan.cockpit.check_job) trains
here as in train.py (tests/test_live.py checks the weights are the same), to bit-identical weights
on the same machine and thread count.

Every update carries the 8x8 grid of 64 fixed latents (gan.training.GRID_SEED) as G draws them
now and every meter of gan.meters (losses, D's accuracies, the collapse meter, D's verdicts,
alarms); every epoch end adds FD on TRAIN_FD_N samples against the subset's classifier features
(bundled with the index). A class's jobs take turns on the cores (Places).
"""
import collections
import contextlib
import io
import json
import logging
import tempfile
import secrets
import threading
import time
import weakref
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from gan import training, weights
from gan.checkpoint import StopRequest
from gan import checkpoint, meters
from gan.checks import InputError, choice
from gan.config import Config, class_list
from gan.data import CLASSES
from gan.ema import sampling_copy
from gan.limits import TRAIN_FD_N, TRAIN_MAX_EPOCHS, TRAIN_PLACES
from gan.metrics import classify, frechet_distance
from gan.sampling import generate, grid, latents, to_uint8

log = logging.getLogger(__name__)


class Places:
    """n places to train in, handed out in turn: first come, first served, and a place given
    back goes straight to the longest waiting (a threading.Semaphore lets the thread that gave it
    back take it again at once, so one job could keep it while the others starve)."""

    def __init__(self, n: int):
        self.free, self.waiting, self.lock = n, collections.deque(), threading.Lock()

    @contextlib.contextmanager
    def held(self):
        with self.lock:
            turn = None if self.free and not self.waiting else threading.Event()
            if turn is None:
                self.free -= 1
            else:
                self.waiting.append(turn)
        if turn is not None:
            turn.wait()
        try:
            yield
        finally:
            with self.lock:
                if self.waiting:
                    self.waiting.popleft().set()  # handed over: it stays taken
                else:
                    self.free += 1


class Control:
    """A job's time, as other requests move it (/control, the tab's buttons): pause; one-off steps
    of D, G or both while paused; resume; stop. The job asks plan() before each step and halted()
    after it; its stream waits (holding no place) while it is halted."""

    def __init__(self):
        self.cond, self.paused, self.stopped, self.steps = threading.Condition(), False, False, collections.deque()

    def act(self, action: str) -> None:
        """pause, resume, stop, or step_d / step_g / step_both (paused only: one step of that)."""
        with self.cond:
            if action.startswith("step_"):
                if not self.paused:
                    raise InputError("not_paused")
                self.steps.append(STEPS[action])
            else:
                self.paused = action == "pause" or (self.paused and action != "resume")
                self.stopped |= action == "stop"
                self.steps.clear()
            self.cond.notify_all()

    def plan(self):
        """(d_steps, g_steps) of the next step: a one-off step asked for while paused, else None."""
        with self.cond:
            return self.steps.popleft() if self.paused and self.steps else None

    def halted(self) -> bool:
        with self.cond:
            return self.paused and not self.steps and not self.stopped

    def may_go(self, timeout: float) -> bool:
        """Whether the job may compute its next update: at once if it is not halted, else once it
        is resumed or a step is asked for; False when it is stopped, or still halted after timeout."""
        with self.cond:
            self.cond.wait_for(lambda: not (self.paused and not self.steps) or self.stopped, timeout)
            return not self.stopped and not (self.paused and not self.steps)


STEPS = {"step_d": (1, 0), "step_g": (0, 1), "step_both": (1, 1)}  # a one-off step: (D's updates, G's)
ACTIONS = ("pause", "resume", "stop", *STEPS)
JOBS = weakref.WeakValueDictionary()  # job id (stats["job"]) -> its Control, while the job lives


def control(job_id, action) -> None:
    """Another request's action on a running job (its id is in every update's stats)."""
    action = choice(action, "action", ACTIONS)
    found = JOBS.get(job_id) if isinstance(job_id, str) else None
    if found is not None:
        found.act(action)
    elif action != "stop":  # stopping a job that has ended already is no mistake
        raise InputError("no_job")


# app.py's queue lets TRAIN_JOBS_AT_ONCE jobs under way; each computes its updates holding one of these
# places, a second of training at a time (one_at_a_time), so a class's jobs take turns on the cores.
PLACES = Places(TRAIN_PLACES)
EVAL_SEED = 10_000_019     # their latents: the same every epoch, as gan.metrics uses
UPDATE_S = 1.0             # seconds of training between two updates (a Stop lands between them)
PAUSE_MAX_S = 600.0        # a job paused this long ends (its page may be gone: nothing else would end it)
CHECKPOINT_EVERY_S = 10.0  # seconds of training between two checkpoints of pauses (epoch ends: each has one)
CURVE_EVERY = 10           # steps per point of the loss curves (their mean)


def subset(index: dict, cfg) -> tuple:
    """(images uint8 (N, 1, 28, 28), classifier features (N, 128) float64): the first
    cfg.per_class images of each of cfg.classes of the bundled index (it holds them class by
    class, as fmnist.balanced picks them: train.py --per-class trains on the same ones)."""
    labels = index["labels"]
    pick = torch.cat([torch.nonzero(labels == c).view(-1)[:cfg.per_class] for c in class_list(cfg.classes)])
    return index["images"][pick].unsqueeze(1).contiguous(), index["features"][pick].double().numpy()


def real_row(images_u8: torch.Tensor) -> torch.Tensor:
    """Indices of the fixed row of real images D's view shows: REAL_ROW spread over the subset (it
    runs class by class, so across the classes)."""
    return torch.linspace(0, len(images_u8) - 1, meters.REAL_ROW).long()


@dataclass
class Update:
    """One step of the stream: what the tab shows."""
    stats: dict                # every meter by name (gan.meters), the progress, the alarms
    grid: np.ndarray           # uint8 8x8 grid of the 64 fixed latents
    curves: list               # {"epoch" (fractional), *training.KEYS} so far, a point per CURVE_EVERY steps
    fd: list                   # {"epoch", "FD"} at each epoch end so far
    shares: list = None        # class shares behind the collapse meter (stats["meter_n"] samples)
    model: bytes = None        # the finished model, zipped, in the last update only
    reals: np.ndarray = None   # uint8 (REAL_ROW, 28, 28): the real images D's verdicts (stats) are on
    checkpoint: bytes = None   # at each epoch end and pause: gan.checkpoint's file, to go on or fork from


def zipped(G, arch: str, data: dict = None) -> bytes:
    """config.json (naming own data, if any) + model.safetensors of G in a .zip: unzip, then
    Generator.from_pretrained."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = weights.save(Path(tmp) / "model", arch, G, data=data)
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            for name in (weights.CONFIG_FILE, weights.MODEL_FILE):  # a fixed date: same weights, same bytes
                z.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), (folder / name).read_bytes(),
                           compress_type=zipfile.ZIP_DEFLATED)
    return buf.getvalue()


def job(cfg: Config, images_u8: torch.Tensor, real_feats: np.ndarray, classifier,
        cap_s: float, update_s: float = UPDATE_S, clock=time.monotonic, control: Control = None, start=None,
        data: dict = None):
    """Train per cfg on images_u8 (uint8 (N, 1, 28, 28)), yielding an Update after every
    update_s seconds of training, at every epoch end and at a pause (those two with a checkpoint);
    the last Update has stats["done"] and the model. start: a checkpoint's (tensors, metadata) to
    go on from, with cfg's settings (the same ones: bit-identical to the job it came from; others: a
    fork). After cap_s seconds of training (time spent computing, not waiting between updates) the
    job ends early (stats["capped"]) with the model it has. Closing the generator (Stop, a closed
    page) ends it after the current step; control (registered in JOBS under stats["job"]) pauses it.
    data: where own images came from (gan.owndata's record), named in the model's config.json."""
    run = training.new_run(cfg, images_u8)
    run.data = data  # own images: named in its checkpoints, so it goes on only with them
    if start is not None:
        go_on_from(run, *start)
    control = control or Control()
    job_id = secrets.token_urlsafe(12)  # unguessable: only the job's own page or client can move it
    JOBS[job_id] = control
    z_grid, z_eval = latents(training.GRID_SEED, 64), latents(EVAL_SEED, TRAIN_FD_N)
    row = real_row(images_u8)
    reals_u8, reals_row = images_u8[row, 0].numpy(), run.reals[row]  # ...and as D sees them in training
    n_keys = len(training.KEYS)
    step = run.epoch * run.steps + run.step
    seen = step * run.batch
    curve, n_curve, window, n_window = torch.zeros(n_keys), 0, torch.zeros(n_keys), 0
    curves, fds, alarms, before, trained, saved_at = [], [], meters.Alarms(), None, 0.0, None
    cap = StopRequest()  # set at cap_s: the job ends after that step, with the model it has
    name = f"{cfg.arch} {cfg.recipe}, {cfg.epochs} epochs, seed {cfg.seed}"
    log.info("train job %s: started", name)
    t0 = last = clock()

    def update(G, done=False, model=None, class_probs=None, checkpoint_of=None, paused=False):
        """An Update of G's images now, the meters over the steps since the last one."""
        nonlocal window, n_window, before, trained, saved_at
        images = generate(G, z_grid)
        if class_probs is None:  # between epoch ends: the collapse meter on the first METER_N of its samples
            probs = classify(classifier, generate(G, z_eval[:meters.METER_N]))[1]
        else:
            probs = class_probs
        now, change = meters.g_change(run.G, z_grid, before)
        before = now
        losses = {k: training.mean(float(v), n_window) for k, v in zip(training.KEYS, window)} if n_window else {}
        window, n_window = torch.zeros(n_keys), 0
        shown = meters.collapse(probs)
        epoch = round(run.epoch + (step - run.epoch * run.steps) / run.steps, 4)
        trained += clock() - last
        if checkpoint_of is not None:
            saved_at = trained
        stats = {"epoch": run.epoch, "epochs": cfg.epochs, "step": step, "images_seen": seen,
                 "img_per_s": round(seen / max(trained, 1e-9), 1), "seconds": round(clock() - t0, 1),
                 "train_seconds": round(trained, 1), **losses, **shown,
                 "class_shares": dict(zip(CLASSES, shown["class_shares"])), "meter_n": len(probs),
                 "fd": fds[-1]["FD"] if fds else None,
                 "alarms": alarms.update(epoch, losses.get("d_acc_real"), losses.get("d_acc_fake"),
                                         None if paused else change,  # one-off steps of D alone: no stall
                                         meters.collapse(probs[:meters.METER_N])["classes_drawn"]),  # same count
                 "d_verdict_fakes": meters.verdicts(run.D, images),
                 "d_verdict_reals": meters.verdicts(run.D, reals_row), "done": done, "capped": cap.requested,
                 "paused": paused, "job": job_id}
        return Update(stats, grid(to_uint8(images)), list(curves), list(fds), shown["class_shares"], model, reals_u8,
                      checkpoint_of and checkpoint.to_bytes(checkpoint_of))

    try:
        while run.epoch < cfg.epochs and not cap.requested:
            for i, losses in training.epoch_steps(run, cap, control.plan):  # train.py's epochs, step by step
                step, seen = step + 1, seen + run.batch
                values = torch.stack([v.detach() for v in losses])
                curve, window, n_curve, n_window = curve + values, window + values, n_curve + 1, n_window + 1
                if n_curve == CURVE_EVERY or i == run.steps - 1:  # a point per CURVE_EVERY steps: their mean
                    curves.append({"epoch": round(run.epoch + (i + 1) / run.steps, 4),
                                   **{k: training.mean(float(v), n_curve) for k, v in zip(training.KEYS, curve)}})
                    curve, n_curve = torch.zeros(n_keys), 0
                halted = control.halted()
                if trained + clock() - last > cap_s:
                    cap.set()  # this step was the last
                elif halted and i < run.steps - 1:  # paused: the stream waits (one_at_a_time)
                    # a checkpoint at the pause, and after CHECKPOINT_EVERY_S more training: one-off steps and
                    # pause-resume clicks cannot fill the disk
                    due = saved_at is None or trained + clock() - last - saved_at >= CHECKPOINT_EVERY_S
                    yield update(run.ema, checkpoint_of=run if due else None, paused=True)
                    last = clock()
                elif clock() - last >= update_s and i < run.steps - 1:
                    yield update(run.ema)  # the EMA copy tracks G (decay 0: it is G)
                    last = clock()
            if cap.requested and run.step > 0:  # capped within the epoch (capped at its last step: it counts)
                break
            run.epoch += 1
            sampler = sampling_copy(run.ema, cfg)
            feats, probs = classify(classifier, generate(sampler, z_eval))
            fd = frechet_distance(real_feats, feats.astype(np.float64)) if np.isfinite(feats).all() else None
            fds.append({"epoch": run.epoch, "FD": None if fd is None else round(fd, 3)})  # None: G's images diverged
            if run.epoch < cfg.epochs:
                yield update(sampler, class_probs=probs, checkpoint_of=run, paused=control.halted())
                last = clock()
        if run.epoch < cfg.epochs:  # capped within an epoch: its samples were not classified yet
            sampler, probs = sampling_copy(run.ema, cfg), None
        yield update(sampler, done=True, model=zipped(sampler, cfg.arch, data), class_probs=probs, checkpoint_of=run)
    finally:  # done, capped, or closed at a yield (Stop, a closed page)
        log.info("train job %s: ended after %d steps", name, step)


def go_on_from(run, tensors: dict, meta: dict) -> None:
    """run put where a checkpoint left it, to train on with run's own settings: its optimizers'
    states kept where they are of the same kind (their learning rates and betas: run's own);
    InputError if the checkpoint is not one this run can go on from."""
    same = all(meta["settings"].get(k) == getattr(run.cfg, k) for k in ("optimizer_g", "optimizer_d"))  # a dict: read()
    try:
        checkpoint.restore(run, tensors, meta, optimizers=same)
    except checkpoint.CheckpointError:
        raise InputError("bad_checkpoint") from None
    if run.epoch >= run.cfg.epochs:
        raise InputError("no_epochs_left", done=run.epoch)
    if meta.get("data_sha256") != (run.data or {}).get("sha256"):  # own images, other ones, or Fashion-MNIST
        raise InputError("checkpoint_data")


def one_at_a_time(updates, control: Control = None):
    """updates' items, each computed while holding one of PLACES, none held between them: a
    stopped job is no longer asked for items, and the thread still computing its last one keeps
    its place until that is done, so the next job does not start training beside it. A paused job
    (control) waits here, holding no place, until it may go on; stopped, or paused for
    PAUSE_MAX_S, it ends."""
    updates = iter(updates)
    try:
        while True:
            if control is not None and not control.may_go(PAUSE_MAX_S):
                return
            with PLACES.held():
                item = next(updates, None)
            if item is None:
                return
            yield item
            if item.stats["done"]:  # the last: no wait for a pause that no longer matters
                return
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
