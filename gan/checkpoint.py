"""Checkpoints and stopping: what a run saves (train.py each epoch, atomically; the Train tab at each
epoch end and pause), how --resume and the tab read one back, and the stop request of Ctrl-C,
SIGTERM or another thread.

A checkpoint is one safetensors file: the tensors of G, D, the EMA copy, both optimizers' states
and the training noise's RNG, and as metadata (JSON) the arch, the settings, where the run is and
its history. No pickle: the tab takes checkpoints from strangers, so reading one runs no code,
and every tensor is checked against the run's own names, shapes and dtypes before any is used.
"""
import dataclasses
import json
import os
import signal
import threading
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load, save

from gan.config import RESUMABLE

CHECKPOINT = "checkpoint.safetensors"
FORMAT = "fashion-mnist-gan-checkpoint/1"  # metadata["format"]: what this module writes and reads
MAX_BYTES = 64 * 2**20  # a checkpoint of the CNN, the larger model, is about 13 MB


class CheckpointError(ValueError):
    """Not a checkpoint this run can go on from: says why (the tab turns it into InputError)."""


class ResumeError(Exception):
    """--resume cannot go on: no checkpoint there, or one of the other model (train.py: a usage error)."""


def settings(cfg) -> dict:
    """What a run trains, as resolved flags: all but the RESUMABLE ones."""
    return {k: v for k, v in dataclasses.asdict(cfg).items() if k not in RESUMABLE}


def to_bytes(run) -> bytes:
    """Everything a training.Run must get back to go on exactly, as safetensors bytes."""
    tensors, meta = {"noise_rng": run.noise.get_state()}, {}
    for name in ("G", "D", "ema"):
        tensors |= {f"{name}.{k}": v.detach().cpu().contiguous() for k, v in getattr(run, name).state_dict().items()}
    for name in ("opt_g", "opt_d"):  # the per-parameter state; the settings are the run's (restore)
        state = getattr(run, name).state_dict()
        tensors |= {f"{name}.{i}.{k}": v.cpu().contiguous() for i, s in state["state"].items() for k, v in s.items()
                    if isinstance(v, torch.Tensor)}
    meta |= {"format": FORMAT, "arch": run.cfg.arch, "settings": settings(run.cfg), "epoch": run.epoch,
             "step": run.step, "wall": run.wall, "history": run.history,
             "data_sha256": (run.data or {}).get("sha256")}  # own data (train.py --data): the files it was
    return save(tensors, {k: json.dumps(v) for k, v in meta.items()})


def save_checkpoint(path: Path, data: bytes) -> None:
    """A checkpoint's bytes (to_bytes) to a temp file, fsync, rename: a crash leaves the previous
    checkpoint intact."""
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:  # disk full, killed mid-write: the previous checkpoint stays as it was
        tmp.unlink(missing_ok=True)
        raise


def read(data: bytes) -> tuple:
    """safetensors bytes -> (tensors, metadata decoded); CheckpointError if they are not a checkpoint."""
    if len(data) > MAX_BYTES:
        raise CheckpointError("larger than any checkpoint")
    try:
        tensors = load(data)
        with_meta = json.loads(data[8:8 + int.from_bytes(data[:8], "little")])  # the header safetensors wrote
        meta = {k: json.loads(v) for k, v in with_meta.get("__metadata__", {}).items()}
    except (SafetensorError, ValueError, TypeError, OverflowError, RecursionError, AttributeError):
        raise CheckpointError("not a safetensors file") from None
    if meta.get("format") != FORMAT or not isinstance(meta.get("settings"), dict):
        raise CheckpointError(f"not a {FORMAT} file")
    return tensors, meta


def load_checkpoint(path) -> dict:
    """A checkpoint file as a dict, for a look: its metadata, and its tensors by part
    ({"G": G's state_dict, ..., "opt_g": {"<param>.<state>": tensor}, "noise_rng": tensor})."""
    tensors, meta = read(Path(path).read_bytes())
    parts = {"noise_rng": tensors.pop("noise_rng")}
    for key, v in tensors.items():
        part, name = key.split(".", 1)
        parts.setdefault(part, {})[name] = v
    return {**meta, **parts}


def restore(run, tensors: dict, meta: dict, optimizers: bool = True) -> None:
    """run put where the checkpoint left it; every tensor checked first against the run's own
    (names, shapes, dtypes), so a tampered or foreign file changes nothing. optimizers=False: the
    run keeps its fresh optimizers (a fork with another optimizer)."""
    if meta.get("arch") != run.cfg.arch:
        raise CheckpointError(f"a checkpoint of the {meta.get('arch')!r} model, not of {run.cfg.arch!r}")
    want = {"noise_rng": run.noise.get_state()}
    for name in ("G", "D", "ema"):
        want |= {f"{name}.{k}": v for k, v in getattr(run, name).state_dict().items()}
    opt = {k: v for k, v in tensors.items() if k.startswith(("opt_g.", "opt_d."))}
    model = {k: v for k, v in tensors.items() if k not in opt}
    if model.keys() != want.keys() or any(v.shape != want[k].shape or v.dtype != want[k].dtype
                                          for k, v in model.items()):
        raise CheckpointError("its tensors are not those of this model")
    try:
        epoch, step, wall, history = int(meta["epoch"]), int(meta["step"]), float(meta["wall"]), list(meta["history"])
        states = {name: optimizer_state(getattr(run, name), opt, name) for name in ("opt_g", "opt_d") if optimizers}
        torch.Generator().set_state(model["noise_rng"])  # an RNG state torch takes, tried on a scratch generator
    except (KeyError, TypeError, ValueError, RuntimeError, OverflowError) as e:
        raise CheckpointError(f"its metadata or states are not a run's ({e})") from None
    if not 0 <= step <= run.steps or epoch < 0:
        raise CheckpointError("it is at a step this run does not have")
    for name in ("G", "D", "ema"):
        getattr(run, name).load_state_dict({k[len(name) + 1:]: v for k, v in model.items()
                                            if k.startswith(name + ".")}, strict=True)
    for name, state in states.items():
        getattr(run, name).load_state_dict(state)
    run.noise.set_state(model["noise_rng"])
    run.epoch, run.step, run.wall, run.history = epoch, step, wall, history


# The state each optimizer keeps per parameter (SGD without momentum keeps none).
OPTIMIZER_STATE = {torch.optim.Adam: {"step", "exp_avg", "exp_avg_sq"}, torch.optim.SGD: set()}


def optimizer_state(opt, tensors: dict, name: str) -> dict:
    """opt's state_dict with the checkpoint's per-parameter state (tensors "<name>.<param>.<key>"),
    each checked: its keys are those opt keeps, each the shape and dtype of its parameter (step: one
    number). The settings (learning rate, betas, ...) stay opt's own, never a stranger's."""
    own = opt.state_dict()
    params = [p for group in opt.param_groups for p in group["params"]]
    state = {}
    for key, v in tensors.items():
        if key.startswith(name + "."):
            i, k = key[len(name) + 1:].split(".", 1)
            state.setdefault(int(i), {})[k] = v
    keys = OPTIMIZER_STATE[type(opt)]
    for i, s in state.items():
        if not 0 <= i < len(params) or set(s) != keys:
            raise ValueError(f"{name}: a state this optimizer does not keep")
        for k, v in s.items():
            want = (torch.Size([]), torch.float32) if k == "step" else (params[i].shape, params[i].dtype)
            if (v.shape, v.dtype) != want:
                raise ValueError(f"{name}: a state of another shape")
    return {"state": state, "param_groups": own["param_groups"]}


def resume(run) -> None:
    """A training.Run put back where its out folder's checkpoint left it (train.py --resume)."""
    path = run.out / CHECKPOINT
    if not path.is_file():
        raise ResumeError(f"--resume: no checkpoint at {path}")
    try:
        tensors, meta = read(path.read_bytes())
    except CheckpointError as e:
        raise ResumeError(f"--resume: {path}: {e}") from None
    if meta["arch"] != run.cfg.arch:
        raise ResumeError(f"--resume: {path} is a {meta['arch']} checkpoint; run with --arch {meta['arch']} "
                          f"or another --out")
    was, now = meta.get("settings", {}), settings(run.cfg)
    was = {f.name: f.default for f in dataclasses.fields(run.cfg) if f.name not in was} | was  # flags added since
    changed = [f"--{k.replace('_', '-')} {was.get(k)} (not {v})" for k, v in now.items() if was.get(k) != v]
    if changed:
        raise ResumeError(f"--resume: {path} was trained with {', '.join(changed)}; resume with the same "
                          f"settings (only {', '.join('--' + k.replace('_', '-') for k in RESUMABLE)} may change) "
                          f"or use another --out")
    was, now = meta.get("data_sha256"), (run.data or {}).get("sha256")
    if was != now:  # --data names the same folder, .zip or dataset, but its files changed
        raise ResumeError(f"--resume: {path} was trained on other files (sha256 {was}, now {now}); resume with the "
                          f"data it was trained on or use another --out")
    try:
        restore(run, tensors, meta)
    except CheckpointError as e:
        raise ResumeError(f"--resume: {path}: {e}") from None
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
