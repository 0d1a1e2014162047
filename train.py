"""Train one of the report's GANs on Fashion-MNIST. Flags mirror gan.training.Config.

Examples:
  python train.py --arch mlp                          # tuned recipe, writes runs/mlp-tuned/
  python train.py --arch cnn --out weights/cnn        # retrain the bundled CNN
  python train.py --arch cnn --recipe textbook        # the DCGAN textbook reference row
  python train.py --arch cnn --resume                 # continue after Ctrl-C or a crash
  python train.py --arch mlp --dry-run                # a few steps on 512 images (CI)
"""
import argparse
import dataclasses
import sys

from gan.training import CHOICES, Config, train


def parse_args(argv=None) -> Config:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog="\n".join(__doc__.splitlines()[2:]))
    for f in dataclasses.fields(Config):
        flag = "--" + f.name.replace("_", "-")
        if f.type in (bool, "bool"):  # a recipe's switch (default None) can be turned on or off
            action = argparse.BooleanOptionalAction if f.default is None else "store_true"
            p.add_argument(flag, action=action, default=f.default)
        else:
            typ = {"int": int, "float": float, "str": str}.get(f.type, f.type)
            p.add_argument(flag, type=typ, default=f.default, choices=CHOICES.get(f.name))
    cfg = Config(**vars(p.parse_args(argv)))
    try:
        cfg.resolved()  # a bad combination of flags: a usage error now, not a traceback later
    except ValueError as e:
        p.error(str(e))
    return cfg


def evaluator(data_dir):
    """FD and friends from the bundled metric classifier; None (with a note) if it is missing."""
    from gan import weights
    from gan.evaluation import Evaluator
    try:
        ev = Evaluator(weights.load_classifier(), data_dir)
    except weights.WeightsError as e:
        print(f"no evaluation: {e} (python -m gan.evaluate --train-classifier builds it)")
        return None
    return ev.generator


def main(argv=None):
    cfg = parse_args(argv)
    if cfg.push_to_hub:
        from gan.hub import require_token
        require_token()  # fail now, not after the training
    summary = train(cfg, evaluator(cfg.data_dir))
    if summary is None:
        return 130  # stopped by Ctrl-C / SIGTERM; the checkpoint is saved
    if cfg.push_to_hub:
        from gan.hub import push
        print("pushed:", push(summary["out"], cfg.push_to_hub))
    return 0


if __name__ == "__main__":
    sys.exit(main())
