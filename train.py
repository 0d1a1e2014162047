"""Train one of the report's GANs on Fashion-MNIST. Flags mirror gan.config.Config.

Examples:
  python train.py --arch mlp                          # tuned recipe, writes runs/mlp-tuned/
  python train.py --arch cnn --out weights/cnn        # retrain the bundled CNN
  python train.py --arch cnn --recipe textbook        # the DCGAN textbook reference row
  python train.py --arch cnn --resume                 # continue after Ctrl-C or a crash
  python train.py --arch mlp --dry-run                # a few steps on 512 images (CI)
  python train.py --arch mlp --push-to-hub USER/fashion-mnist-gan-mlp   # train, then publish
  python train.py --arch mlp --data my_shoes.zip      # your own images: a folder or a .zip (gan/owndata.py)
  python train.py --arch mlp --recipe report --per-class 800 --threads 1 --device cpu --weights-only
                                                      # the Train tab's default job: the same weights

After training it writes model.onnx (gan/export.py: the Latent lab's browser copy) and, but for
--dry-run, fits the Garment tab's class directions into the folder (gan/garment.py; minutes).
Ctrl-C or SIGTERM stops after the current step with the last complete epoch saved (exit code 130).
"""
import argparse
import dataclasses
import sys

from gan import export, garment, weights
from gan.checkpoint import ResumeError
from gan.checks import InputError
from gan.config import CHOICES, Config
from gan.metrics import Evaluator
from gan.publish import push, require_token
from gan.training import train

STOPPED = 130  # the shell's code for a run ended by Ctrl-C


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog="\n".join(__doc__.splitlines()[2:]))
    for f in dataclasses.fields(Config):
        flag, help = "--" + f.name.replace("_", "-"), f.metadata["help"]
        if f.type in (bool, "bool"):
            p.add_argument(flag, action="store_true", help=help)
        else:
            typ = {"int": int, "float": float, "str": str}.get(f.type, f.type)
            p.add_argument(flag, type=typ, default=f.default, choices=CHOICES.get(f.name), help=help,
                           metavar=None if f.name in CHOICES else f.name.upper())
    return p


def evaluator(data_dir):
    """FD and friends from the bundled metric classifier; None (with a note) if it is missing."""
    try:
        ev = Evaluator(weights.load_classifier(), data_dir)
    except weights.WeightsError as e:
        print(f"no evaluation: {e} (python -m gan.evaluate --train-classifier builds it)")
        return None
    return ev.generator


def directions(arch, folder):
    """The Garment tab's class directions for the new model (gan.garment; minutes), or a note."""
    try:
        print("class directions:", garment.fit_folder(arch, folder))
    except weights.WeightsError as e:
        print(f"no class directions: {e} (python -m gan.garment --arch {arch} --folder {folder} fits them later)")


def onnx_copy(folder):
    """model.onnx of the new model (gan.export), or a note: a missing exporter costs no training."""
    try:
        print("onnx:", export.save_generator(folder))
    except ImportError as e:
        print(f"no model.onnx: {e} (pip install onnx onnxscript; python -m gan.export {folder} writes it later)")


def main(argv=None):
    p = parser()
    cfg = Config(**vars(p.parse_args(argv)))
    try:
        cfg.resolved()  # a bad combination of flags: a usage error now, not a traceback later
    except ValueError as e:
        p.error(str(e))
    if cfg.push_to_hub:
        require_token()  # fail now, not after the training
    try:
        summary = train(cfg, None if cfg.weights_only else evaluator(cfg.data_dir))
    except (ResumeError, InputError) as e:  # --resume without a checkpoint, or of the other arch; --data that
        # cannot be trained on; anything else is a bug
        p.exit(2, f"{p.prog}: error: {e}\n")
    if summary is None:
        return STOPPED  # the checkpoint is saved; --resume goes on
    if not cfg.weights_only:
        onnx_copy(summary["out"])
    if not (cfg.dry_run or cfg.weights_only):
        directions(cfg.arch, summary["out"])
    if cfg.push_to_hub:
        print("pushed:", push(summary["out"], cfg.push_to_hub))
    return 0


if __name__ == "__main__":
    sys.exit(main())
