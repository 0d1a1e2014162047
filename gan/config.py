"""Training configuration: the three recipes and Config, whose fields are train.py's flags.

`report` is the course template the report ran (plain SGD at 0.03 for both nets, batch 64, 10
epochs, BCE on D's sigmoid output, real images scaled to [0, 1] by ToTensor alone while G's tanh
draws [-1, 1]); `textbook` is the DCGAN paper's loop (Adam 2e-4, beta1 0.5, BCE, batch 128, no
EMA); `tuned` raises the learning rate (1e-3 MLP, 2e-3 CNN), saves an exponential moving average
(EMA) of G with BatchNorm statistics recalibrated for it, and for the MLP uses batch 256 and an R1
gradient penalty on real images. All three take one D step then one G step per batch. The
architecture never changes. How the recipes were chosen, and every variant tried, is in
benchmarks/sweep-results.md.
"""
import dataclasses
import math
from dataclasses import dataclass, field

import torch

from gan.data import CLASS_SIZE, CLASSES
from gan.limits import HISTORY_FD_N, SEED_MAX

STEPS_MAX = 5  # D or G steps per batch, at most
REPEAT_MAX = 10_000  # passes over the images per epoch, at most: 16 images -> 160,000 an epoch
LR_MIN, LR_MAX = 1e-6, 1.0  # a learning rate outside these trains nothing, or only blows up (Adam or SGD)
R1_MAX = 1000.0  # the R1 weight, at most: far past any that trains
BETA_MAX = 0.9999  # Adam's betas, at most: torch refuses 1

# Per-recipe values of the flags left at None.
TEXTBOOK = dict(lr_g=2e-4, lr_d=2e-4, beta1=0.5, beta2=0.999, batch_size=128, ema_decay=0.0, r1_gamma=0.0, epochs=20,
                optimizer_g="adam", optimizer_d="adam", real_range="-1..1", loss="ns-logits", d_steps=1, g_steps=1,
                label_smoothing=0.0)
REPORT = dict(TEXTBOOK, optimizer_g="sgd", optimizer_d="sgd", lr_g=0.03, lr_d=0.03, batch_size=64, epochs=10,
              real_range="0..1", loss="bce-sigmoid")
RECIPES = {
    "report": {"mlp": dict(REPORT), "cnn": dict(REPORT)},
    "textbook": {"mlp": dict(TEXTBOOK), "cnn": dict(TEXTBOOK)},
    "tuned": {"mlp": dict(TEXTBOOK, lr_g=1e-3, lr_d=1e-3, batch_size=256, ema_decay=0.999, r1_gamma=10.0, epochs=250),
              "cnn": dict(TEXTBOOK, lr_g=2e-3, lr_d=2e-3, ema_decay=0.999, epochs=15)},
}
# train.py's argparse choices
CHOICES = {"arch": ("mlp", "cnn"), "recipe": tuple(RECIPES), "optimizer_g": ("adam", "sgd"),
           "optimizer_d": ("adam", "sgd"), "real_range": ("-1..1", "0..1"),
           "loss": ("bce-sigmoid", "ns-logits", "lsgan", "hinge"), "device": ("auto", "cpu", "cuda"),
           "data_source": ("auto", "local", "hub")}
BCE_LOSSES = ("bce-sigmoid", "ns-logits")  # the losses with targets that label smoothing moves
# The numbers each flag takes, checked once the recipe has filled them in: (lowest, highest, lowest excluded).
RANGES = {"epochs": (1, None, False), "batch_size": (1, None, False), "seed": (0, SEED_MAX, False),
          "limit": (0, None, False), "per_class": (0, CLASS_SIZE, False), "stop_after": (0, None, False),
          "repeat": (1, REPEAT_MAX, False),
          "threads": (0, None, False),
          "eval_every": (0, None, False), "eval_n": (2, None, False), "lr_g": (LR_MIN, LR_MAX, False),
          "lr_d": (LR_MIN, LR_MAX, False), "beta1": (0, BETA_MAX, False), "beta2": (0, BETA_MAX, False),
          "ema_decay": (0, 1, False),
          "r1_gamma": (0, R1_MAX, False),
          "d_steps": (0, STEPS_MAX, False), "g_steps": (0, STEPS_MAX, False), "label_smoothing": (0, 0.5, False)}
# What --resume may change: where and how fast a run goes, not what it trains (gan.checkpoint.resume).
RESUMABLE = ("epochs", "out", "resume", "stop_after", "device", "threads", "eval_every", "eval_n", "push_to_hub",
             "data_dir", "weights_only")


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
    optimizer_g: str = flag(None, "generator's optimizer: adam, or sgd: plain SGD, no momentum, as the course "
                                  "template (recipe: report sgd)")
    optimizer_d: str = flag(None, "discriminator's optimizer (recipe: as --optimizer-g)")
    lr_g: float = flag(None, "generator's learning rate (recipe: MLP 1e-3, CNN 2e-3; textbook 2e-4; report 0.03)")
    lr_d: float = flag(None, "discriminator's learning rate (recipe: as --lr-g)")
    d_steps: int = flag(None, f"D's steps on each batch, 0 to {STEPS_MAX} (recipe: 1)")
    g_steps: int = flag(None, f"G's steps on each batch, after D's, 0 to {STEPS_MAX}; 0 trains D alone, as GAN Lab "
                              "does (recipe: 1); not both 0")
    beta1: float = flag(None, "Adam beta1 (recipe: 0.5, as DCGAN)")
    beta2: float = flag(None, "Adam beta2 (recipe: 0.999)")
    ema_decay: float = flag(None, "decay of the saved EMA copy of G; 0 saves G itself (recipe: tuned 0.999)")
    r1_gamma: float = flag(None, "weight of the R1 penalty on D's gradient at real images; 0 = off (recipe: MLP 10)")
    real_range: str = flag(None, "pixel range of real images: -1..1 matches G's tanh; 0..1 is ToTensor alone, "
                                 "the course template's mismatch (recipe: report 0..1)")
    loss: str = flag(None, "bce-sigmoid: BCE on D's sigmoid output, as the course template; ns-logits: the same, "
                           "non-saturating, on D's logits (stable); lsgan: least squares; hinge "
                           "(recipe: report bce-sigmoid, else ns-logits)")
    label_smoothing: float = flag(None, "one-sided label smoothing: real images' target 1 - S in the BCE losses, "
                                        "S at most 0.5 (recipe: 0)")
    classes: str = flag("all", "train on these classes only, e.g. 0,1,7 (labels 0-9 of gan/data.py), or all")
    seed: int = flag(0, "seed of the weight init, data order and training latents: same seed, same weights")
    data_dir: str = flag(None, "folder with the Fashion-MNIST idx files (default: see gan/data.py)")
    data: str = flag(None, "train on your own images instead: a folder of them (one subfolder per class optional), "
                           "a .zip of one, or a Hub dataset of image files (hf://datasets/USER/NAME), each made "
                           "Fashion-MNIST-like as an upload is (gan/owndata.py)")
    data_source: str = flag("auto", "where --data is: auto (hf://datasets/... on the Hub, anything else here), "
                                    "local, or hub (--data USER/NAME is a Hub dataset)")
    out: str = flag(None, "run folder (default: runs/<arch>-<recipe>)")
    resume: bool = flag(False, "continue from <out>/checkpoint.safetensors after Ctrl-C or a crash")
    stop_after: int = flag(0, "stop cleanly after this epoch, as Ctrl-C would (0 = run to the end)")
    dry_run: bool = flag(False, "smoke test: at most 2 epochs of 4 steps on 512 images")
    per_class: int = flag(0, "train on N images of each class of --classes, a seeded choice (0 = all of them); the "
                             "Train tab trains on the same ones (MLP 800, CNN 300)")
    limit: int = flag(0, "train on the first N training images of --classes only (0 = all of them)")
    repeat: int = flag(1, "pass over the training images N times an epoch: a small set (--data) gets as many steps "
                          "an epoch as a larger one (the Train tab: as its Fashion-MNIST subset)")
    device: str = flag("auto", "cpu, cuda, or auto (cuda when present)")
    threads: int = flag(0, "CPU threads for torch (0 = torch's default, all cores)")
    eval_every: int = flag(0, "FD every N epochs on --eval-n samples (0 = about 10 times a run)")
    eval_n: int = flag(HISTORY_FD_N, "samples per in-training FD (the final score uses 10,000)")
    push_to_hub: str = flag(None, "USER/REPO: publish the finished run to the Hugging Face Hub")
    weights_only: bool = flag(False, "write the model folder only: no FD during or after training, no model.onnx, "
                                     "no class directions (the Train tab's reproduce command)")

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
        for name, (lo, hi, above) in RANGES.items():
            check_range(name, getattr(cfg, name), lo, hi, above)
        if cfg.d_steps == cfg.g_steps == 0:
            raise ValueError("--d-steps and --g-steps cannot both be 0: nothing would train")
        if cfg.label_smoothing and cfg.loss not in BCE_LOSSES:
            raise ValueError(f"--label-smoothing moves the target of {' and '.join(BCE_LOSSES)} only, "
                             f"not of --loss {cfg.loss}")
        cfg.classes = ",".join(map(str, class_list(cfg.classes))) if cfg.classes != "all" else "all"
        if cfg.device == "cuda" and not torch.cuda.is_available():
            raise ValueError("--device cuda: torch sees no CUDA device here (use cpu or auto)")
        if cfg.dry_run:
            cfg.epochs, cfg.limit, cfg.eval_n = min(cfg.epochs, 2), cfg.limit or 512, min(cfg.eval_n, 256)
        if cfg.out is None:
            cfg.out = f"runs/{cfg.arch}-{cfg.recipe}" + ("-dry" if cfg.dry_run else "")
        if cfg.device == "auto":
            cfg.device = "cuda" if torch.cuda.is_available() else "cpu"
        if cfg.eval_every == 0:
            cfg.eval_every = max(1, cfg.epochs // 10)
        return cfg


def check_range(name: str, value, lo, hi, above: bool) -> None:
    """A flag's number in its range, finite; ValueError names the flag and what it takes."""
    low_ok = value > lo if above else value >= lo
    if not (math.isfinite(value) and low_ok and (hi is None or value <= hi)):
        lowest = f"above {lo}" if above else f"at least {lo}"
        raise ValueError(f"--{name.replace('_', '-')} must be {lowest}" + (f" and at most {hi}" if hi is not None else "")
                         + f", got {value!r}")


def class_list(classes: str) -> tuple:
    """'all' -> (0, ..., 9); '7,0,1' -> (0, 1, 7); ValueError for anything else."""
    if classes == "all":
        return tuple(range(len(CLASSES)))
    parts = str(classes).split(",")
    if not all(p.strip().isdigit() and int(p) < len(CLASSES) for p in parts):
        raise ValueError(f"--classes must be all, or labels 0 to {len(CLASSES) - 1} separated by commas "
                         f"(such as 0,1,7), got {classes!r}")
    return tuple(sorted({int(p) for p in parts}))
