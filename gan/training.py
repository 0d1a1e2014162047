"""Training: one loop, from train.py and from the app's Train tab (gan.live), with exact resume.

The loop reads top to bottom, as pytorch/examples dcgan/main.py does:
    train() -> setup() [-> checkpoint.resume()] -> for each epoch:
        run_epoch() (epoch_steps: train_step, (1) Update D, (2) Update G) -> end_epoch() (samples,
        FD, checkpoint) -> summarize()
The recipes and flags are gan.config's, the losses gan.loss's, the checkpoint files gan.checkpoint's.
"""
import copy
import dataclasses
import math
import os
import platform
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch
from tqdm import tqdm

from gan import data as fmnist
from gan import owndata, weights
from gan.checks import InputError
from gan.checkpoint import CHECKPOINT, StopRequest, resume, save_checkpoint, to_bytes
from gan.config import Config, class_list
from gan.ema import ema_update, sampling_copy
from gan.io import write_json, write_png
from gan.limits import EPOCH_MAX_IMAGES, EVAL_N
from gan.loss import d_loss_fn, g_forward, g_loss_fn
from gan.models import build
from gan.sampling import generate, grid, latents, to_uint8

GRID_SEED = 2024  # the fixed latents of the per-epoch 8x8 sample grid
INIT_LOCK = threading.Lock()  # see new_run


def init_weights(m):
    """DCGAN init: conv weights N(0, 0.02), BatchNorm scale N(1, 0.02)."""
    if isinstance(m, (torch.nn.Conv2d, torch.nn.ConvTranspose2d)):
        torch.nn.init.normal_(m.weight, 0.0, 0.02)
    elif isinstance(m, torch.nn.BatchNorm2d):
        torch.nn.init.normal_(m.weight, 1.0, 0.02)
        torch.nn.init.zeros_(m.bias)


def epoch_perm(seed: int, epoch: int, n: int) -> torch.Tensor:
    """The data order of an epoch depends only on (seed, epoch): resume needs no data RNG state."""
    return torch.randperm(n, generator=torch.Generator().manual_seed(seed * 1_000_003 + epoch))


def machine() -> str:
    """'AMD EPYC, 2 cores': the CPU model (Linux) and core count, for summaries and benchmarks."""
    try:
        cpu = next(l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name"))
    except (OSError, StopIteration):
        cpu = platform.processor() or platform.machine()
    return f"{cpu}, {os.cpu_count()} cores"


# ----------------------------------------------------------------------------- the loop

@dataclass
class Run:
    """Everything a checkpoint holds, plus the data and where it goes."""
    cfg: Config
    out: Path
    reals: torch.Tensor          # (N, 1, 28, 28) in [-1, 1], on the device
    G: torch.nn.Module
    D: torch.nn.Module
    ema: torch.nn.Module         # the averaged G that gets saved
    opt_g: torch.optim.Optimizer
    opt_d: torch.optim.Optimizer
    noise: torch.Generator       # training latents, drawn on the CPU
    history: list = field(default_factory=list)
    epoch: int = 0               # epochs complete
    step: int = 0                # steps done of the epoch under way (a checkpoint of a pause: above 0)
    wall: float = 0.0            # training seconds so far, over all processes
    data: dict = None            # where the images came from (summary.json's "data")

    @property
    def batch(self) -> int:
        return min(self.cfg.batch_size, self.reals.size(0))

    @property
    def steps(self) -> int:      # steps per epoch: the last partial batch is dropped
        n = self.reals.size(0) // self.batch
        return min(n, 4) if self.cfg.dry_run else n


def setup(cfg: Config) -> Run:
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    for tmp in out.rglob(".*.tmp"):  # left by a run killed mid-write (gan.io.atomic_write, save_checkpoint)
        tmp.unlink()
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    if cfg.data:  # your own images (gan.owndata): --classes and --per-class pick among its class folders
        own = owndata.load(cfg.data, cfg.data_source)
        images, labels, data = torch.from_numpy(own.images), torch.from_numpy(own.labels), own.record()
    else:
        images, labels = fmnist.load("train", cfg.data_dir)
        data = {"source": "fashion-mnist"}
    keep = chosen(cfg, labels)
    if not len(keep):  # own data whose class folders are not those of --classes
        raise InputError("data_few", count=0)
    run = new_run(cfg, images[keep], out)
    run.data = data | {"trained_on": len(keep)}
    return run


def chosen(cfg: Config, labels: torch.Tensor) -> torch.Tensor:
    """Indices of the images a run trains on, given their labels (N,): cfg.per_class of each class
    (fmnist.balanced: class by class) or all, those of cfg.classes, the first cfg.limit (0: all)."""
    keep = fmnist.balanced(labels, cfg.per_class) if cfg.per_class else torch.arange(len(labels))
    keep = keep[torch.isin(labels[keep], torch.tensor(class_list(cfg.classes)))]
    return keep[: cfg.limit] if cfg.limit else keep


def new_run(cfg: Config, images: torch.Tensor, out: Path = None) -> Run:
    """A fresh run of a resolved cfg on uint8 images (N, 1, 28, 28): models, optimizers, noise."""
    device = torch.device(cfg.device)
    # real pixels as the recipe sees them: [-1, 1] like G's tanh, or [0, 1] (ToTensor alone)
    reals = fmnist.to_float(images) if cfg.real_range == "-1..1" else images.float() / 255
    if len(images) * cfg.repeat > EPOCH_MAX_IMAGES:  # the copies below are held in memory
        raise InputError("epoch_big", count=len(images) * cfg.repeat)
    reals = reals.repeat(cfg.repeat, 1, 1, 1)  # an epoch passes over them cfg.repeat times (in one shuffled order)
    # channels_last: faster convolutions on CPU (benchmarks/results.md); a no-op for the MLP's 2-D math
    fmt = torch.channels_last if cfg.arch == "cnn" else torch.contiguous_format
    reals = reals.to(device).contiguous(memory_format=fmt)
    # The weight init draws from torch's global RNG (the MLP's Linear layers keep PyTorch's own
    # init): seeded, under a lock and a fork, so runs side by side in one process (the app's
    # Train tab) stay deterministic and leave the global RNG as it was.
    with INIT_LOCK, torch.random.fork_rng(devices=[]):
        torch.manual_seed(cfg.seed)
        G, D = build(cfg.arch)
        G.apply(init_weights), D.apply(init_weights)
    ema = copy.deepcopy(G).to(device).eval()
    G.to(device, memory_format=fmt), D.to(device, memory_format=fmt)

    def opt(name, params, lr):
        return torch.optim.Adam(params, lr=lr, betas=(cfg.beta1, cfg.beta2)) if name == "adam" \
            else torch.optim.SGD(params, lr=lr)
    return Run(cfg, out, reals, G, D, ema, opt(cfg.optimizer_g, G.parameters(), cfg.lr_g),
               opt(cfg.optimizer_d, D.parameters(), cfg.lr_d), torch.Generator().manual_seed(cfg.seed))


KEYS = ("d_loss", "g_loss", "d_real", "d_fake", "d_acc_real", "d_acc_fake")  # what a step returns, in order


def train_step(run: Run, real: torch.Tensor, t: int, d_steps: int = None, g_steps: int = None):
    """One step at global step t: d_steps updates of D, then g_steps of G (cfg's, unless given: the
    Train tab's one-off steps), on one batch of reals and one of latents. Returns KEYS as tensors
    (D loss, G loss, D(x), D(G(z)), D's accuracy on reals and on fakes), each from the last update
    of its network; NaN for a network that took no step (--g-steps 0: D alone)."""
    G, D, cfg = run.G, run.D, run.cfg
    d_steps, g_steps = cfg.d_steps if d_steps is None else d_steps, cfg.g_steps if g_steps is None else g_steps
    z = torch.randn(real.size(0), G.z_dim, generator=run.noise).to(real.device)
    fake = g_forward(G, z)
    d_loss = d_x = d_gz = acc_real = acc_fake = g_loss = torch.full((), float("nan"), device=real.device)
    # (1) Update D: maximize log D(x) + log(1 - D(G(z))) (or the --loss chosen)
    for _ in range(d_steps):
        run.opt_d.zero_grad(set_to_none=True)
        d_loss, d_x, d_gz, acc_real, acc_fake = d_loss_fn(D, real, fake.detach(), cfg.r1_gamma, cfg.loss,
                                                          cfg.label_smoothing)
        d_loss.backward()
        run.opt_d.step()
    # (2) Update G: maximize log D(G(z)) (non-saturating; or the --loss chosen)
    for k in range(g_steps):
        if k > 0:
            fake = g_forward(G, z)  # G has moved since
        run.opt_g.zero_grad(set_to_none=True)
        D.requires_grad_(False)  # G's step needs grads through D, not of D's weights: less work
        g_loss = g_loss_fn(D, fake, cfg.loss)
        g_loss.backward()
        D.requires_grad_(True)
        run.opt_g.step()
    # EMA warm-up: a short average early on, so the EMA never lags far behind a fast-moving G
    ema_update(run.ema, G, min(cfg.ema_decay, (1 + t) / (10 + t)))
    return d_loss, g_loss, d_x, d_gz, acc_real, acc_fake


def epoch_steps(run: Run, stop: StopRequest = None, plan=None):
    """Epoch run.epoch + 1, a step at a time from step run.step (0, but after a pause's checkpoint):
    yields (i, losses) after each step, in the epoch's own data order; stops before a step once stop
    is requested. plan() -> (d_steps, g_steps) of the next step, or None for cfg's (the Train tab's
    one-off steps). run_epoch (train.py) and gan.live.job (the Train tab) both go through the
    epochs this way."""
    cfg, bs = run.cfg, run.batch
    run.G.train(), run.D.train()
    perm = epoch_perm(cfg.seed, run.epoch, run.reals.size(0))
    for i in range(run.step, run.steps):
        if stop is not None and stop.requested:
            return
        d_steps, g_steps = (plan and plan()) or (None, None)
        losses = train_step(run, run.reals[perm[i * bs:(i + 1) * bs]], run.epoch * run.steps + i, d_steps, g_steps)
        run.step = i + 1
        yield i, losses
    run.step = 0  # the epoch is done; its caller counts it (end_epoch, gan.live.job)


def run_epoch(run: Run, stop: StopRequest):
    """Epoch run.epoch + 1; its history row, or None when a stop was requested before its end."""
    cfg, bs, steps = run.cfg, run.batch, run.steps - run.step  # the steps left (all, but after a pause's checkpoint)
    sums = torch.zeros(len(KEYS), device=run.reals.device)
    t0, done = time.time(), 0
    bar = tqdm(epoch_steps(run, stop), total=steps, desc=f"{cfg.arch} epoch {run.epoch + 1}/{cfg.epochs}",
               leave=False, disable=None, mininterval=1.0)
    for i, losses in bar:
        sums += torch.stack([v.detach() for v in losses])
        done += 1
        if i % 20 == 0 and not bar.disable:
            d_loss, g_loss, d_x, d_gz = (v.item() for v in losses[:4])
            bar.set_postfix(D=f"{d_loss:.3f}", G=f"{g_loss:.3f}", Dx=f"{d_x:.2f}", DGz=f"{d_gz:.2f}",
                            ips=f"{done * bs / (time.time() - t0):.0f}")
    if done < steps:
        return None
    secs = time.time() - t0
    run.wall += secs
    return {"epoch": run.epoch + 1, **{k: mean(v.item(), steps) for k, v in zip(KEYS, sums)},
            "seconds": round(secs, 2), "img_per_s": round(steps * bs / secs, 1), "wall": round(run.wall, 1)}


def mean(total: float, n: int):
    """A sum of n steps' values as their mean; None (JSON null) for NaN: a network that took no step."""
    return None if math.isnan(total) else total / n


def end_epoch(run: Run, row: dict, evaluate_fn) -> None:
    """Samples, snapshot, FD, then the checkpoint and model folder, each written atomically."""
    cfg, out = run.cfg, run.out
    run.epoch = row["epoch"]
    sampler = sampling_copy(run.ema, cfg)
    write_png(out / "samples" / f"epoch_{run.epoch:03d}.png",
              grid(to_uint8(generate(sampler, latents(GRID_SEED, 64, sampler.z_dim)))))
    weights.save(out / "snapshots" / f"epoch_{run.epoch:03d}", cfg.arch, sampler)  # for FD curves
    if evaluate_fn and (run.epoch % cfg.eval_every == 0 or run.epoch == cfg.epochs):
        row["fd"] = evaluate_fn(sampler, cfg.eval_n)["fd"]
    run.history.append(row)
    print(" ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in row.items()), flush=True)
    save_checkpoint(out / CHECKPOINT, to_bytes(run))
    write_json(out / "history.json", run.history)
    weights.save(out, cfg.arch, sampler, run.D, data=run.data if cfg.data else None)  # own data: named in config.json


def summarize(run: Run, evaluate_fn, final_n: int) -> dict:
    cfg, device = run.cfg, torch.device(run.cfg.device)
    summary = {
        "arch": cfg.arch, "recipe": cfg.recipe,
        "config": {k: v for k, v in dataclasses.asdict(cfg).items()
                   if k not in ("out", "data_dir", "resume", "stop_after", "push_to_hub")},
        "epochs": cfg.epochs, "wall_seconds": round(run.wall, 1),
        "machine": f"{machine()}, {torch.get_num_threads()} torch threads, {cfg.device}"
                   + (f" ({torch.cuda.get_device_name(device)})" if device.type == "cuda" else ""),
        "out": str(run.out), "torch": torch.__version__,
        "img_per_s": round(sum(r["img_per_s"] for r in run.history) / len(run.history), 1),
        "data": run.data,
    }
    if evaluate_fn and cfg.data:
        summary["data"] = run.data | {"note": "the metrics compare with Fashion-MNIST's test images, not with these"}
    if evaluate_fn:
        summary["metrics"] = evaluate_fn(sampling_copy(run.ema, cfg), min(final_n, cfg.eval_n) if cfg.dry_run
                                         else final_n)
    write_json(run.out / "summary.json", summary)
    return summary


def train(cfg: Config, evaluate_fn=None, final_n: int = EVAL_N, stop: StopRequest = None) -> dict:
    """Train per cfg; returns the summary, or None if stopped (Ctrl-C, SIGTERM, stop.set(),
    --stop-after). evaluate_fn(G, n) -> metrics dict (optional): FD every cfg.eval_every epochs on
    cfg.eval_n samples, all metrics at the end."""
    cfg = cfg.resolved()
    run = setup(cfg)
    if cfg.resume:
        resume(run)
    with stop or StopRequest() as stop:
        while run.epoch < cfg.epochs:
            row = run_epoch(run, stop)
            if row is None:
                break
            end_epoch(run, row, evaluate_fn)
            if run.epoch == cfg.stop_after:
                stop.set()
    if run.epoch < cfg.epochs:
        print(f"\nstopped: {run.out / CHECKPOINT} holds the last complete epoch; continue with --resume", flush=True)
        return None
    return summarize(run, evaluate_fn, final_n)
