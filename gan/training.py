"""Training: a config dataclass, one loop, atomic checkpoints, exact resume.

The recipe (`--recipe tuned`, the default) changes the DCGAN textbook loop (`--recipe textbook`:
Adam 2e-4, beta1 0.5, BCE, batch 128, no EMA) to: learning rate 1e-3 (MLP) or 2e-3 (CNN), an
exponential moving average (EMA) of G that is what gets saved (BatchNorm statistics recalibrated
for it), and for the MLP batch 256 and an R1 gradient penalty on real images (RECIPES below).
Losses are on D's logits (softplus form of BCE: stable where sigmoid saturates; `--loss hinge`
and `--loss rpgan` for the hinge and relativistic pairing losses, kept because the recipe search
in benchmarks/sweep-results.md tried them). The architecture never changes. Numbers per recipe
are in README.md.
"""
import copy
import dataclasses
import os
import platform
import signal
import time
from dataclasses import dataclass
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

# Per-recipe defaults; a flag left at None takes the recipe's value.
TEXTBOOK = dict(lr_g=2e-4, lr_d=2e-4, beta1=0.5, beta2=0.999, batch_size=128, loss="bce", ema_decay=0.0, r1_gamma=0.0,
                r2_gamma=0.0, r1_every=1, label_smooth=1.0, inst_noise=0.0, lr_decay=False, d_bn="split", epochs=20)
RECIPES = {
    "textbook": {"mlp": dict(TEXTBOOK), "cnn": dict(TEXTBOOK)},
    "tuned": {"mlp": dict(TEXTBOOK, lr_g=1e-3, lr_d=1e-3, batch_size=256, ema_decay=0.999, r1_gamma=10.0, epochs=250),
              "cnn": dict(TEXTBOOK, lr_g=2e-3, lr_d=2e-3, ema_decay=0.999, epochs=15)},
}
# The flags that take one of a few values (train.py's argparse choices; Config.resolved checks them too).
CHOICES = {"arch": tuple(RECIPES["tuned"]), "recipe": tuple(RECIPES), "loss": ("bce", "hinge", "rpgan"),
           "d_bn": ("split", "joint")}


@dataclass
class Config:
    """Every field is a train.py flag (--batch-size for batch_size); None = the recipe's value."""
    arch: str = "cnn"              # mlp | cnn
    recipe: str = "tuned"          # tuned | textbook (the DCGAN reference row)
    epochs: int = None
    batch_size: int = None
    lr_g: float = None
    lr_d: float = None
    beta1: float = None
    beta2: float = None
    loss: str = None               # bce (non-saturating, on logits) | hinge | rpgan (relativistic pairing)
    ema_decay: float = None        # 0 = no EMA: save G itself
    r1_gamma: float = None         # R1 penalty weight on real images; 0 = off
    r2_gamma: float = None         # the same penalty on fakes (R2; with R1 it keeps rpgan stable, R3GAN)
    r1_every: int = None           # lazy R1 (and R2): apply it (scaled up) every N D steps, as StyleGAN2 does
    label_smooth: float = None     # D's target for real images (1.0 = off; 0.9 = one-sided smoothing)
    inst_noise: float = None       # std of Gaussian noise added to D's inputs, fading linearly to 0
    lr_decay: bool = None          # fade both learning rates linearly to 0 over the run
    d_bn: str = None               # D's BatchNorm batches: split = reals and fakes apart (DCGAN example) | joint = one
    seed: int = 0
    data_dir: str = None           # Fashion-MNIST idx files; default: see gan/data.py
    out: str = None                # default: runs/<arch>-<recipe>
    resume: bool = False           # continue from <out>/checkpoint.pt
    stop_after: int = 0            # stop cleanly after this epoch, as Ctrl-C would; --resume goes on (0 = off)
    dry_run: bool = False          # a few steps on a small slice (CI smoke test)
    limit: int = 0                 # use only the first N training images (0 = all)
    device: str = "auto"           # auto = cuda when present, else cpu
    threads: int = 0               # CPU threads (0 = all cores)
    eval_every: int = 0            # FD on eval_n samples every N epochs (0 = about 10 times a run)
    eval_n: int = 2000             # samples per cheap in-training evaluation (the final one uses 10k)
    push_to_hub: str = None        # USER/REPO to publish to after training

    def _check_choices(self, names):
        for name in names:
            if getattr(self, name) not in CHOICES[name]:
                raise ValueError(f"--{name.replace('_', '-')} must be one of {', '.join(CHOICES[name])}, "
                                 f"got {getattr(self, name)!r}")

    def resolved(self) -> "Config":
        self._check_choices(("arch", "recipe"))  # they pick the recipe's defaults below
        cfg = dataclasses.replace(self)
        for k, v in RECIPES[cfg.recipe][cfg.arch].items():
            if getattr(cfg, k) is None:
                setattr(cfg, k, v)
        cfg._check_choices(("loss", "d_bn"))
        if cfg.dry_run:
            cfg.epochs, cfg.limit, cfg.eval_n = min(cfg.epochs, 2), cfg.limit or 512, min(cfg.eval_n, 256)
        if cfg.out is None:
            cfg.out = f"runs/{cfg.arch}-{cfg.recipe}" + ("-dry" if cfg.dry_run else "")
        if cfg.device == "auto":
            cfg.device = "cuda" if torch.cuda.is_available() else "cpu"
        if cfg.eval_every == 0:
            cfg.eval_every = max(1, cfg.epochs // 10)
        if cfg.loss != "bce" and cfg.label_smooth != 1.0:
            raise ValueError(f"--label-smooth is a target for the bce loss; the {cfg.loss} loss has none")
        if cfg.epochs < 1 or cfg.batch_size < 1:
            raise ValueError("--epochs and --batch-size must be at least 1")
        return cfg


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
    a matmul + col2im (F.fold); PyTorch's CPU path for these two is ~4x slower than the matmuls
    (measured on the 2 cores here: G forward+backward 81 -> 64 ms per batch of 128, a training step
    ~6% faster; at inference on 8 images it is not faster, so sampling keeps G(z)).
    Equal to G(z) up to float rounding, gradients included (tests/test_training.py)."""
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


def d_logits(D, real, fake, d_bn: str = "split"):
    """D's logits on reals and fakes: two batches (each normalized by its own BatchNorm
    statistics, as the DCGAN example does) or one joint batch (statistics of both).
    real=None: fakes only (G's step, where no real logit is needed)."""
    if real is None:
        return None, D.logits(fake)
    if d_bn == "joint":
        return D.logits(torch.cat([real, fake])).split([real.size(0), fake.size(0)])
    return D.logits(real), D.logits(fake)


def d_loss_fn(D, real, fake, r1_gamma: float, real_label: float = 1.0, loss: str = "bce", d_bn: str = "split",
              r2_gamma: float = 0.0):
    """D's GAN loss on logits (bce, hinge or rpgan); with R1 = gamma/2 * E||grad_x D(x)||^2 on
    reals and R2, the same on fakes."""
    if r1_gamma > 0:
        real = real.detach().requires_grad_(True)
    if r2_gamma > 0:
        fake = fake.detach().requires_grad_(True)
    d_real, d_fake = d_logits(D, real, fake, d_bn)
    if loss == "hinge":  # max(0, 1 - D(x)) + max(0, 1 + D(G(z))) on logits
        total = F.relu(1 - d_real).mean() + F.relu(1 + d_fake).mean()
    elif loss == "rpgan":  # relativistic pairing: -log sigmoid(D(x) - D(G(z))), each real paired with a fake
        total = F.softplus(d_fake - d_real).mean()
    else:  # = BCE(D(x), real_label) + BCE(D(G(z)), 0), in the softplus form that is stable on logits
        total = (real_label * F.softplus(-d_real) + (1 - real_label) * F.softplus(d_real)).mean() \
            + F.softplus(d_fake).mean()
    if r1_gamma > 0:
        (grad,) = torch.autograd.grad(d_real.sum(), real, create_graph=True)
        total = total + 0.5 * r1_gamma * grad.pow(2).flatten(1).sum(1).mean()
    if r2_gamma > 0:
        (grad,) = torch.autograd.grad(d_fake.sum(), fake, create_graph=True)
        total = total + 0.5 * r2_gamma * grad.pow(2).flatten(1).sum(1).mean()
    # D(x), D(G(z)) stay tensors: a .item() here would make the CPU wait for the GPU every step
    return total, torch.sigmoid(d_real).mean().detach(), torch.sigmoid(d_fake).mean().detach()


def g_loss_fn(d_fake_logits, loss: str = "bce", d_real_logits=None):
    """G's loss: non-saturating -log D(G(z)) for bce; -D(G(z)) on logits for hinge;
    -log sigmoid(D(G(z)) - D(x)) for rpgan (which needs the paired reals' logits)."""
    if loss == "hinge":
        return -d_fake_logits.mean()
    if loss == "rpgan":
        return F.softplus(d_real_logits - d_fake_logits).mean()
    return F.softplus(-d_fake_logits).mean()


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


class Stop(Exception):
    pass


def train(cfg: Config, evaluate_fn=None, final_n: int = 10_000) -> dict:
    """Train per cfg; returns the summary (None if stopped). evaluate_fn(G, n) -> metrics dict
    (optional): FD every cfg.eval_every epochs on cfg.eval_n samples, all metrics at the end."""
    cfg = cfg.resolved()
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    device = torch.device(cfg.device)
    torch.manual_seed(cfg.seed)  # only the weight init below draws from the global RNG

    images, _ = fmnist.load("train", cfg.data_dir)
    if cfg.limit:
        images = images[: cfg.limit]
    # channels_last: ~1.2x faster convolutions on CPU (benchmarks/); a no-op for the MLP's 2-D math
    fmt = torch.channels_last if cfg.arch == "cnn" else torch.contiguous_format
    reals = fmnist.to_float(images).to(device).contiguous(memory_format=fmt)  # (N, 1, 28, 28) in [-1, 1]
    n = reals.size(0)
    bs = min(cfg.batch_size, n)
    steps = n // bs  # drop the last partial batch
    if cfg.dry_run:
        steps = min(steps, 4)

    G, D = build(cfg.arch)
    G.apply(init_weights), D.apply(init_weights)
    ema = copy.deepcopy(G).to(device).eval()
    G.to(device, memory_format=fmt), D.to(device, memory_format=fmt)
    opt_g = torch.optim.Adam(G.parameters(), lr=cfg.lr_g, betas=(cfg.beta1, cfg.beta2))
    opt_d = torch.optim.Adam(D.parameters(), lr=cfg.lr_d, betas=(cfg.beta1, cfg.beta2))
    noise = torch.Generator().manual_seed(cfg.seed)  # latents for training, on the CPU
    history, start_epoch, wall = [], 0, 0.0

    ckpt_path = out / CHECKPOINT
    if cfg.resume:
        if not ckpt_path.is_file():
            raise FileNotFoundError(f"--resume: no checkpoint at {ckpt_path}")
        ck = load_checkpoint(ckpt_path)
        if ck["arch"] != cfg.arch:
            raise ValueError(f"{ckpt_path} is a {ck['arch']} checkpoint, not {cfg.arch}")
        G.load_state_dict(ck["G"]), D.load_state_dict(ck["D"]), ema.load_state_dict(ck["ema"])
        opt_g.load_state_dict(ck["opt_g"]), opt_d.load_state_dict(ck["opt_d"])
        noise.set_state(ck["noise_rng"])
        history, start_epoch, wall = ck["history"], ck["epoch"], ck["wall"]
        print(f"resumed from {ckpt_path} after epoch {start_epoch}")

    def checkpoint(epoch):
        save_checkpoint(ckpt_path, {
            "arch": cfg.arch, "epoch": epoch, "wall": wall, "history": history,
            "G": G.state_dict(), "D": D.state_dict(), "ema": ema.state_dict(),
            "opt_g": opt_g.state_dict(), "opt_d": opt_d.state_dict(), "noise_rng": noise.get_state(),
        })

    # Ctrl-C / SIGTERM: finish the current step, save the last complete epoch's state and stop.
    stop = {"flag": False}
    def _handler(signum, frame):
        stop["flag"] = True
    old_int = signal.signal(signal.SIGINT, _handler)
    old_term = signal.signal(signal.SIGTERM, _handler)
    grid_z = latents(GRID_SEED, 64, G.z_dim)
    g_needs_reals = cfg.loss == "rpgan" or cfg.d_bn == "joint"  # else G's step runs D on fakes only
    try:
        for epoch in range(start_epoch, cfg.epochs):
            G.train(), D.train()
            perm = epoch_perm(cfg.seed, epoch, n)
            t0 = time.time()
            sums = {k: torch.zeros((), device=device) for k in ("d_loss", "g_loss", "d_real", "d_fake")}
            bar = tqdm(range(steps), desc=f"{cfg.arch} epoch {epoch + 1}/{cfg.epochs}", leave=False,
                       disable=None, mininterval=1.0)
            for i in bar:
                if stop["flag"]:
                    raise Stop
                # schedules depend only on the step t, so resume needs no extra state
                t = epoch * steps + i
                progress = t / (cfg.epochs * steps)  # 0 -> 1 over the run
                if cfg.lr_decay:
                    for opt, lr in ((opt_g, cfg.lr_g), (opt_d, cfg.lr_d)):
                        opt.param_groups[0]["lr"] = lr * (1.0 - progress)
                real = reals[perm[i * bs:(i + 1) * bs]]
                z = torch.randn(bs, G.z_dim, generator=noise).to(device)
                fake = g_forward(G, z)
                d_in_real, d_in_fake = real, fake
                if cfg.inst_noise > 0:  # instance noise: blur the supports together early on
                    sigma = cfg.inst_noise * (1.0 - progress)
                    d_in_real = real + sigma * torch.randn(real.shape, generator=noise).to(device)
                    d_in_fake = fake + sigma * torch.randn(fake.shape, generator=noise).to(device)
                # (1) D step: bce maximizes log D(x) + log(1 - D(G(z))); hinge, rpgan: see d_loss_fn
                opt_d.zero_grad(set_to_none=True)
                lazy = cfg.r1_every if i % cfg.r1_every == 0 else 0  # R1/R2 every r1_every steps, scaled up
                d_loss, d_x, d_gz = d_loss_fn(D, d_in_real, d_in_fake.detach(), cfg.r1_gamma * lazy, cfg.label_smooth,
                                              cfg.loss, cfg.d_bn, cfg.r2_gamma * lazy)
                d_loss.backward()
                opt_d.step()
                # (2) G step: bce maximizes log D(G(z)) (non-saturating); hinge, rpgan: see g_loss_fn
                opt_g.zero_grad(set_to_none=True)
                D.requires_grad_(False)  # G's step needs grads through D, not of D's weights: ~10% less work
                g_real, g_fake = d_logits(D, d_in_real if g_needs_reals else None, d_in_fake, cfg.d_bn)
                g_loss = g_loss_fn(g_fake, cfg.loss, g_real)
                g_loss.backward()
                D.requires_grad_(True)
                opt_g.step()
                # EMA warm-up: a short average early on, so the EMA never lags far behind a fast-moving G
                ema_update(ema, G, min(cfg.ema_decay, (1 + t) / (10 + t)))
                for k, v in (("d_loss", d_loss), ("g_loss", g_loss), ("d_real", d_x), ("d_fake", d_gz)):
                    sums[k] += v.detach()
                if i % 20 == 0 and not bar.disable:
                    bar.set_postfix(D=f"{d_loss.item():.3f}", G=f"{g_loss.item():.3f}", Dx=f"{d_x.item():.2f}",
                                    DGz=f"{d_gz.item():.2f}", ips=f"{(i + 1) * bs / (time.time() - t0):.0f}")
            secs = time.time() - t0
            wall += secs
            row = {"epoch": epoch + 1, **{k: v.item() / steps for k, v in sums.items()},
                   "seconds": round(secs, 2), "img_per_s": round(steps * bs / secs, 1), "wall": round(wall, 1)}
            sampler = sampling_copy(ema, cfg)
            write_png(out / "samples" / f"epoch_{epoch + 1:03d}.png", grid(to_uint8(generate(sampler, grid_z))))
            weights.save(out / "snapshots" / f"epoch_{epoch + 1:03d}", cfg.arch, sampler)  # for FD curves
            if evaluate_fn and ((epoch + 1) % cfg.eval_every == 0 or epoch + 1 == cfg.epochs):
                row["fd"] = evaluate_fn(sampler, cfg.eval_n)["fd"]
            history.append(row)
            print(" ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in row.items()),
                  flush=True)
            checkpoint(epoch + 1)
            write_json(out / "history.json", history)
            weights.save(out, cfg.arch, sampler, D)
            if cfg.stop_after and epoch + 1 == cfg.stop_after < cfg.epochs:
                raise Stop
    except Stop:
        print(f"\nstopped: {ckpt_path} holds the last complete epoch; continue with --resume", flush=True)
        return None
    finally:
        signal.signal(signal.SIGINT, old_int)
        signal.signal(signal.SIGTERM, old_term)

    summary = {
        "arch": cfg.arch, "recipe": cfg.recipe,
        "config": {k: v for k, v in dataclasses.asdict(cfg).items() if k not in ("out", "data_dir", "resume", "stop_after", "push_to_hub")},
        "epochs": cfg.epochs, "wall_seconds": round(wall, 1),
        "machine": f"{machine()}, {torch.get_num_threads()} torch threads, {cfg.device}"
                   + (f" ({torch.cuda.get_device_name(device)})" if device.type == "cuda" else ""),
        "out": str(out), "torch": torch.__version__, "img_per_s": round(sum(r["img_per_s"] for r in history) / len(history), 1),
    }
    if evaluate_fn:
        sampler = sampling_copy(ema, cfg)
        summary["metrics"] = evaluate_fn(sampler, min(final_n, cfg.eval_n) if cfg.dry_run else final_n)
    write_json(out / "summary.json", summary)
    return summary
