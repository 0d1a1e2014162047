"""Checkpoints and stopping: what a run saves each epoch (atomically), how --resume reads it
back, and the stop request that Ctrl-C, SIGTERM or another thread makes."""
import dataclasses
import os
import signal
import threading
from pathlib import Path

import torch

from gan.config import RESUMABLE

CHECKPOINT = "checkpoint.pt"


def save_checkpoint(path: Path, state: dict) -> None:
    """torch.save to a temp file, fsync, rename: a crash leaves the previous checkpoint intact."""
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        with open(tmp, "wb") as f:
            torch.save(state, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:  # disk full, killed mid-write: the previous checkpoint stays as it was
        tmp.unlink(missing_ok=True)
        raise


def load_checkpoint(path: Path) -> dict:
    return torch.load(path, map_location="cpu", weights_only=True)  # never unpickle code


def checkpoint_state(run) -> dict:
    """Everything a training.Run must get back to go on exactly."""
    return {"arch": run.cfg.arch, "settings": settings(run.cfg), "epoch": run.epoch, "wall": run.wall, "history": run.history,
            "G": run.G.state_dict(), "D": run.D.state_dict(), "ema": run.ema.state_dict(),
            "opt_g": run.opt_g.state_dict(), "opt_d": run.opt_d.state_dict(), "noise_rng": run.noise.get_state()}


def settings(cfg) -> dict:
    """What a run trains, as resolved flags: all but the RESUMABLE ones."""
    return {k: v for k, v in dataclasses.asdict(cfg).items() if k not in RESUMABLE}


class ResumeError(Exception):
    """--resume cannot go on: no checkpoint there, or one of the other model (train.py: a usage error)."""


def resume(run) -> None:
    """A training.Run put back where its out folder's checkpoint left it."""
    path = run.out / CHECKPOINT
    if not path.is_file():
        raise ResumeError(f"--resume: no checkpoint at {path}")
    ck = load_checkpoint(path)
    if ck["arch"] != run.cfg.arch:
        raise ResumeError(f"--resume: {path} is a {ck['arch']} checkpoint; run with --arch {ck['arch']} "
                         f"or another --out")
    was, now = ck.get("settings", settings(run.cfg)), settings(run.cfg)  # older checkpoints hold none
    changed = [f"--{k.replace('_', '-')} {was.get(k)} (not {v})" for k, v in now.items() if was.get(k) != v]
    if changed:
        raise ResumeError(f"--resume: {path} was trained with {', '.join(changed)}; resume with the same "
                          f"settings (only {', '.join('--' + k.replace('_', '-') for k in RESUMABLE)} may change) "
                          f"or use another --out")
    run.G.load_state_dict(ck["G"]), run.D.load_state_dict(ck["D"]), run.ema.load_state_dict(ck["ema"])
    run.opt_g.load_state_dict(ck["opt_g"]), run.opt_d.load_state_dict(ck["opt_d"])
    run.noise.set_state(ck["noise_rng"])
    run.history, run.epoch, run.wall = ck["history"], ck["epoch"], ck["wall"]
    print(f"resumed from {path} after epoch {run.epoch}", flush=True)


class StopRequest:
    """Set by Ctrl-C / SIGTERM (in the main thread) or by another thread calling set(); the loop
    checks it before each step, so the current step finishes and the last complete epoch's
    checkpoint stays on disk."""

    def __init__(self):
        self.requested = False
        self._old = {}

    def set(self, *_):
        self.requested = True

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():  # signals reach the main thread only
            self._old = {s: signal.signal(s, self.set) for s in (signal.SIGINT, signal.SIGTERM)}
        return self

    def __exit__(self, *exc):
        for s, handler in self._old.items():
            signal.signal(s, handler)
