"""Training: a config dataclass, one loop, atomic checkpoints, exact resume.

Three recipes (RECIPES): `report` is the course template the report ran (plain SGD at 0.03 for
both nets, batch 64, 10 epochs, BCE on D's sigmoid output, real images scaled to [0, 1] by
ToTensor alone while G's tanh draws [-1, 1]); `textbook` is the DCGAN paper's loop (Adam 2e-4,
beta1 0.5, BCE, batch 128, no EMA); `tuned` raises the learning rate (1e-3 MLP, 2e-3 CNN), saves an exponential moving
average (EMA) of G with BatchNorm statistics recalibrated for it, and for the MLP uses batch 256
and an R1 gradient penalty on real images. The architecture never changes. How the recipes were
chosen, and every variant tried, is in benchmarks/sweep-results.md.

The loop reads top to bottom, as pytorch/examples dcgan/main.py does:
    train() -> setup() [-> resume()] -> for each epoch: run_epoch() (train_step: (1) D, (2) G)
            -> end_epoch() (samples, FD, checkpoint) -> summarize()
"""
import copy
import dataclasses
import os
import platform
import signal
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch
import torch.nn.functional as F
from tqdm import tqdm

from gan import data as fmnist
from gan import weights
from gan.io import write_json, write_png
from gan.models import IMG_SHAPE, CNNGenerator, build
from gan.sampling import generate, grid, latents, to_uint8

GRID_SEED = 2024  # the fixed latents of the per-epoch 8x8 sample grid
CHECKPOINT = "checkpoint.pt"
INIT_LOCK = threading.Lock()  # see new_run

# Per-recipe values of the flags left at None.
TEXTBOOK = dict(lr_g=2e-4, lr_d=2e-4, beta1=0.5, beta2=0.999, batch_size=128, ema_decay=0.0, r1_gamma=0.0, epochs=20,
                optimizer="adam", real_range="-1..1", bce_on="logits")
REPORT = dict(TEXTBOOK, optimizer="sgd", lr_g=0.03, lr_d=0.03, batch_size=64, epochs=10, real_range="0..1",
              bce_on="sigmoid")
RECIPES = {
    "report": {"mlp": dict(REPORT), "cnn": dict(REPORT)},
    "textbook": {"mlp": dict(TEXTBOOK), "cnn": dict(TEXTBOOK)},
    "tuned": {"mlp": dict(TEXTBOOK, lr_g=1e-3, lr_d=1e-3, batch_size=256, ema_decay=0.999, r1_gamma=10.0, epochs=250),
              "cnn": dict(TEXTBOOK, lr_g=2e-3, lr_d=2e-3, ema_decay=0.999, epochs=15)},
}
# train.py's argparse choices
CHOICES = {"arch": ("mlp", "cnn"), "recipe": tuple(RECIPES), "optimizer": ("adam", "sgd"),
           "real_range": ("-1..1", "0..1"), "bce_on": ("logits", "sigmoid")}


def flag(default, help: str):
    """A Config field and its train.py flag: the help text lives here, once."""
    return field(default=default, metadata={"help": help})


@dataclass
class Config:
    """Every field is a train.py flag (--batch-size for batch_size); None takes the recipe's value."""
    arch: str = flag("cnn", "which of the report's GANs: mlp or cnn")
    recipe: str = flag("tuned", "tuned (the bundled weights), textbook (DCGAN's loop) or report (the course "
                                "template the report ran); the last two are reference rows")
    epochs: int = flag(None, "passes over the training set (recipe: MLP 250, CNN 15; textbook 20; report 10)")
    batch_size: int = flag(None, "images per step (recipe: MLP 256, CNN 128; report 64)")
    optimizer: str = flag(None, "adam, or sgd: plain SGD, no momentum, as the course template (recipe: report sgd)")
    lr_g: float = flag(None, "generator's learning rate (recipe: MLP 1e-3, CNN 2e-3; textbook 2e-4; report 0.03)")
    lr_d: float = flag(None, "discriminator's learning rate (recipe: as --lr-g)")
    beta1: float = flag(None, "Adam beta1 (recipe: 0.5, as DCGAN)")
    beta2: float = flag(None, "Adam beta2 (recipe: 0.999)")
    ema_decay: float = flag(None, "decay of the saved EMA copy of G; 0 saves G itself (recipe: tuned 0.999)")
    r1_gamma: float = flag(None, "weight of the R1 penalty on D's gradient at real images; 0 = off (recipe: MLP 10)")
    real_range: str = flag(None, "pixel range of real images: -1..1 matches G's tanh; 0..1 is ToTensor alone, "
                                 "the course template's mismatch (recipe: report 0..1)")
    bce_on: str = flag(None, "BCE on D's logits (stable) or on its sigmoid output, as the course template "
                             "(recipe: report sigmoid)")
    seed: int = flag(0, "seed of the weight init, data order and training latents: same seed, same weights")
    data_dir: str = flag(None, "folder with the Fashion-MNIST idx files (default: see gan/data.py)")
    out: str = flag(None, "run folder (default: runs/<arch>-<recipe>)")
    resume: bool = flag(False, "continue from <out>/checkpoint.pt after Ctrl-C or a crash")
    stop_after: int = flag(0, "stop cleanly after this epoch, as Ctrl-C would (0 = run to the end)")
    dry_run: bool = flag(False, "smoke test: at most 2 epochs of 4 steps on 512 images")
    limit: int = flag(0, "train on the first N training images only (0 = all 60,000)")
    device: str = flag("auto", "cpu, cuda, or auto (cuda when present)")
    threads: int = flag(0, "CPU threads for torch (0 = torch's default, all cores)")
    eval_every: int = flag(0, "FD every N epochs on --eval-n samples (0 = about 10 times a run)")
    eval_n: int = flag(2000, "samples per in-training FD (the final score uses 10,000)")
    push_to_hub: str = flag(None, "USER/REPO: publish the finished run to the Hugging Face Hub")

    def resolved(self) -> "Config":
        """The recipe's values filled in and every value checked; ValueError says what is wrong."""
        cfg = dataclasses.replace(self)
        for name in CHOICES:  # arch and recipe come first: they pick the values filled in below
            if getattr(cfg, name) not in CHOICES[name]:
                raise ValueError(f"--{name} must be one of {', '.join(CHOICES[name])}, got {getattr(cfg, name)!r}")
            if name == "recipe":
                for k, v in RECIPES[cfg.recipe][cfg.arch].items():
                    if getattr(cfg, k) is None:
                        setattr(cfg, k, v)
        if cfg.dry_run:
            cfg.epochs, cfg.limit, cfg.eval_n = min(cfg.epochs, 2), cfg.limit or 512, min(cfg.eval_n, 256)
        if cfg.out is None:
            cfg.out = f"runs/{cfg.arch}-{cfg.recipe}" + ("-dry" if cfg.dry_run else "")
        if cfg.device == "auto":
            cfg.device = "cuda" if torch.cuda.is_available() else "cpu"
        if cfg.eval_every == 0:
            cfg.eval_every = max(1, cfg.epochs // 10)
        if cfg.epochs < 1 or cfg.batch_size < 1:
            raise ValueError("--epochs and --batch-size must be at least 1")
        return cfg


# ----------------------------------------------------------------------------- building blocks

def init_weights(m):
    """DCGAN init: conv weights N(0, 0.02), BatchNorm scale N(1, 0.02)."""
    if isinstance(m, (torch.nn.Conv2d, torch.nn.ConvTranspose2d)):
        torch.nn.init.normal_(m.weight, 0.0, 0.02)
    elif isinstance(m, torch.nn.BatchNorm2d):
        torch.nn.init.normal_(m.weight, 1.0, 0.02)
        torch.nn.init.zeros_(m.bias)


@torch.no_grad()
def ema_update(ema, G, decay: float):
    for pe, p in zip(ema.parameters(), G.parameters()):
        pe.lerp_(p, 1.0 - decay)
    for be, b in zip(ema.buffers(), G.buffers()):  # BatchNorm statistics follow G
        be.copy_(b)


@torch.no_grad()
def recalibrate_bn(G, z_dim: int, device, n: int = 4096, batch: int = 256):
    """Recompute BatchNorm running statistics for (EMA) weights: a cumulative average over
    fresh latents, so eval-mode sampling matches the weights actually saved."""
    bns = [m for m in G.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    if not bns:
        return G
    g = torch.Generator().manual_seed(GRID_SEED + 1)
    momenta = [m.momentum for m in bns]
    for m in bns:
        m.reset_running_stats()
        m.momentum = None  # cumulative moving average
    G.train()
    for _ in range(n // batch):
        G(torch.randn(batch, z_dim, generator=g).to(device))
    for m, mom in zip(bns, momenta):
        m.momentum = mom
    return G.eval()


def sampling_copy(ema, cfg):
    """The generator to sample from and save: an eval-mode copy with recalibrated BatchNorm."""
    G = copy.deepcopy(ema)
    return recalibrate_bn(G, G.z_dim, cfg.device) if cfg.ema_decay > 0 else G.eval()


def g_forward(G, z):
    """G(z) for training: the same function, computed faster for the CNN on CPU. Its first layer
    (ConvTranspose2d 100->128, 7x7, on a 1x1 input) is a matmul and its last (ConvTranspose2d 64->1)
    a matmul + col2im (F.fold); PyTorch's CPU kernels for these two shapes are slower than the
    matmuls (benchmarks/results.md). At inference on 8 images it gains nothing, so sampling keeps
    G(z). Equal to G(z) up to float rounding, gradients included (tests/test_training.py)."""
    if not isinstance(G, CNNGenerator):
        return G(z)
    first, last = G.main[0], G.main[6]
    k = first.kernel_size[0]                                           # 7
    x = z @ first.weight.permute(0, 2, 3, 1).reshape(z.size(1), -1)   # (N, 7*7*128) in (h, w, c) order
    x = x.view(z.size(0), k, k, -1).permute(0, 3, 1, 2)               # (N, 128, 7, 7), channels_last
    x = G.main[1:6](x)                                                 # (N, 64, 14, 14): BN, ReLU, ConvT, BN, ReLU
    cols = x.permute(0, 2, 3, 1).reshape(x.size(0), -1, x.size(1)) @ last.weight.flatten(1)  # (N, 14*14, 4*4)
    x = F.fold(cols.transpose(1, 2), IMG_SHAPE[1:], last.kernel_size, stride=last.stride,
               padding=last.padding)                                  # (N, 1, 28, 28)
    return G.main[7](x)                                                # Tanh


def d_loss_fn(D, real, fake, r1_gamma: float = 0.0, bce_on: str = "logits"):
    """D's loss, BCE(D(x), 1) + BCE(D(G(z)), 0) in the softplus form that is stable on logits
    (or, bce_on="sigmoid", nn.BCELoss on D's sigmoid output as the course template computes it);
    with R1 = gamma/2 * E||grad_x D(x)||^2 on reals. Reals and fakes go through D as two batches,
    each normalized by its own BatchNorm statistics, as the DCGAN example does."""
    if bce_on == "sigmoid":
        p_real, p_fake = D(real), D(fake)
        total = F.binary_cross_entropy(p_real, torch.ones_like(p_real)) + \
            F.binary_cross_entropy(p_fake, torch.zeros_like(p_fake))
        return total, p_real.mean().detach(), p_fake.mean().detach()
    if r1_gamma > 0:
        real = real.detach().requires_grad_(True)
    d_real, d_fake = D.logits(real), D.logits(fake)
    total = F.softplus(-d_real).mean() + F.softplus(d_fake).mean()
    if r1_gamma > 0:
        (grad,) = torch.autograd.grad(d_real.sum(), real, create_graph=True)
        total = total + 0.5 * r1_gamma * grad.pow(2).flatten(1).sum(1).mean()
    # D(x), D(G(z)) stay tensors: a .item() here would make the CPU wait for the GPU every step
    return total, torch.sigmoid(d_real).mean().detach(), torch.sigmoid(d_fake).mean().detach()


def g_loss_fn(D, fake, bce_on: str = "logits"):
    """G's non-saturating loss, -log D(G(z)), on logits (or BCE(D(G(z)), 1) on the sigmoid output)."""
    if bce_on == "sigmoid":
        p = D(fake)
        return F.binary_cross_entropy(p, torch.ones_like(p))
    return F.softplus(-D.logits(fake)).mean()


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
    wall: float = 0.0            # training seconds so far, over all processes

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
    images, _ = fmnist.load("train", cfg.data_dir)
    return new_run(cfg, images[: cfg.limit] if cfg.limit else images, out)


def new_run(cfg: Config, images: torch.Tensor, out: Path = None) -> Run:
    """A fresh run of a resolved cfg on uint8 images (N, 1, 28, 28): models, optimizers, noise."""
    device = torch.device(cfg.device)
    # real pixels as the recipe sees them: [-1, 1] like G's tanh, or [0, 1] (ToTensor alone)
    reals = fmnist.to_float(images) if cfg.real_range == "-1..1" else images.float() / 255
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
    opt = (lambda params, lr: torch.optim.Adam(params, lr=lr, betas=(cfg.beta1, cfg.beta2))) \
        if cfg.optimizer == "adam" else (lambda params, lr: torch.optim.SGD(params, lr=lr))
    return Run(cfg, out, reals, G, D, ema, opt(G.parameters(), cfg.lr_g), opt(D.parameters(), cfg.lr_d),
               torch.Generator().manual_seed(cfg.seed))


def checkpoint_state(run: Run) -> dict:
    return {"arch": run.cfg.arch, "epoch": run.epoch, "wall": run.wall, "history": run.history,
            "G": run.G.state_dict(), "D": run.D.state_dict(), "ema": run.ema.state_dict(),
            "opt_g": run.opt_g.state_dict(), "opt_d": run.opt_d.state_dict(), "noise_rng": run.noise.get_state()}


def resume(run: Run) -> None:
    path = run.out / CHECKPOINT
    if not path.is_file():
        raise FileNotFoundError(f"--resume: no checkpoint at {path}")
    ck = load_checkpoint(path)
    if ck["arch"] != run.cfg.arch:
        raise ValueError(f"--resume: {path} is a {ck['arch']} checkpoint; run with --arch {ck['arch']} "
                         f"or another --out")
    run.G.load_state_dict(ck["G"]), run.D.load_state_dict(ck["D"]), run.ema.load_state_dict(ck["ema"])
    run.opt_g.load_state_dict(ck["opt_g"]), run.opt_d.load_state_dict(ck["opt_d"])
    run.noise.set_state(ck["noise_rng"])
    run.history, run.epoch, run.wall = ck["history"], ck["epoch"], ck["wall"]
    print(f"resumed from {path} after epoch {run.epoch}", flush=True)


def train_step(run: Run, real: torch.Tensor, t: int):
    """One step at global step t; returns D loss, G loss, D(x), D(G(z)) as tensors."""
    G, D, cfg = run.G, run.D, run.cfg
    z = torch.randn(real.size(0), G.z_dim, generator=run.noise).to(real.device)
    fake = g_forward(G, z)
    # (1) Update D: maximize log D(x) + log(1 - D(G(z)))
    run.opt_d.zero_grad(set_to_none=True)
    d_loss, d_x, d_gz = d_loss_fn(D, real, fake.detach(), cfg.r1_gamma, cfg.bce_on)
    d_loss.backward()
    run.opt_d.step()
    # (2) Update G: maximize log D(G(z)) (non-saturating)
    run.opt_g.zero_grad(set_to_none=True)
    D.requires_grad_(False)  # G's step needs grads through D, not of D's weights: less work
    g_loss = g_loss_fn(D, fake, cfg.bce_on)
    g_loss.backward()
    D.requires_grad_(True)
    run.opt_g.step()
    # EMA warm-up: a short average early on, so the EMA never lags far behind a fast-moving G
    ema_update(run.ema, G, min(cfg.ema_decay, (1 + t) / (10 + t)))
    return d_loss, g_loss, d_x, d_gz


def run_epoch(run: Run, stop: StopRequest):
    """Epoch run.epoch + 1; its history row, or None when a stop was requested before its end."""
    cfg, bs, steps = run.cfg, run.batch, run.steps
    run.G.train(), run.D.train()
    perm = epoch_perm(cfg.seed, run.epoch, run.reals.size(0))
    keys = ("d_loss", "g_loss", "d_real", "d_fake")
    sums = torch.zeros(len(keys), device=run.reals.device)
    t0 = time.time()
    bar = tqdm(range(steps), desc=f"{cfg.arch} epoch {run.epoch + 1}/{cfg.epochs}", leave=False, disable=None,
               mininterval=1.0)
    for i in bar:
        if stop.requested:
            return None
        losses = train_step(run, run.reals[perm[i * bs:(i + 1) * bs]], run.epoch * steps + i)
        sums += torch.stack([v.detach() for v in losses])
        if i % 20 == 0 and not bar.disable:
            d_loss, g_loss, d_x, d_gz = (v.item() for v in losses)
            bar.set_postfix(D=f"{d_loss:.3f}", G=f"{g_loss:.3f}", Dx=f"{d_x:.2f}", DGz=f"{d_gz:.2f}",
                            ips=f"{(i + 1) * bs / (time.time() - t0):.0f}")
    secs = time.time() - t0
    run.wall += secs
    return {"epoch": run.epoch + 1, **{k: v.item() / steps for k, v in zip(keys, sums)},
            "seconds": round(secs, 2), "img_per_s": round(steps * bs / secs, 1), "wall": round(run.wall, 1)}


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
    save_checkpoint(out / CHECKPOINT, checkpoint_state(run))
    write_json(out / "history.json", run.history)
    weights.save(out, cfg.arch, sampler, run.D)


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
    }
    if evaluate_fn:
        summary["metrics"] = evaluate_fn(sampling_copy(run.ema, cfg), min(final_n, cfg.eval_n) if cfg.dry_run
                                         else final_n)
    write_json(run.out / "summary.json", summary)
    return summary


def train(cfg: Config, evaluate_fn=None, final_n: int = 10_000, stop: StopRequest = None) -> dict:
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
