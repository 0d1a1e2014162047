"""Score a generator, train the metric classifier, or make the reference rows that give each
metric its scale (--reference), from the command line.

Examples:
  python -m gan.evaluate --arch cnn                          # bundled CNN, 10k samples
  python -m gan.evaluate --arch mlp --weights runs/mlp-tuned --json mlp.json
  python -m gan.evaluate --train-classifier                  # rebuild weights/classifier
  python -m gan.evaluate --reference --json weights/reference.json   # the README's results table
"""
import argparse
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

from gan import data as fmnist
from gan import weights
from gan.data import CLASSES
from gan.metrics import Evaluator, train_classifier
from gan.hub import resolve_repo
from gan.io import write_json

ROWS = [("fd", "FD (lower is better)"), ("precision", "precision k=3"), ("recall", "recall k=3"),
        ("density", "density k=5"), ("coverage", "coverage k=5"), ("is", "classifier IS"),
        ("kl_uniform", "class KL to uniform"), ("unsure", "share unsure (p<0.5)")]


def _blur(x: torch.Tensor, sigma: float) -> torch.Tensor:
    r = int(3 * sigma)
    k = torch.exp(-torch.arange(-r, r + 1).float() ** 2 / (2 * sigma ** 2))
    k = k / k.sum()
    x = F.conv2d(F.pad(x, (r, r, 0, 0), mode="replicate"), k.view(1, 1, 1, -1))
    return F.conv2d(F.pad(x, (0, 0, r, r), mode="replicate"), k.view(1, 1, -1, 1))


def reference_rows(evaluator: Evaluator, data_dir=None, n: int = 10_000, subsets: int = 3, seed: int = 0) -> dict:
    """Metrics of real and corrupted real images against the same real test features, so every
    metric has a scale: real train vs test (mean and std over `subsets` draws), then a ladder. The
    real side is the first n test images, as for a generator's n samples (Evaluator.generator), so
    every column of the table is measured against the same set."""
    g = torch.Generator().manual_seed(seed)
    x, y = fmnist.load("train", data_dir)
    x = fmnist.to_float(x)
    rows, real = {}, []
    for _ in range(subsets):
        real.append(evaluator.images(x[torch.randperm(len(x), generator=g)[:n]], n))
    keys = [k for k in real[0] if isinstance(real[0][k], float)]
    rows["real train vs test"] = {**{k: float(np.mean([r[k] for r in real])) for k in keys},
                                  **{k + "_std": float(np.std([r[k] for r in real])) for k in keys},
                                  "class_hist": real[0]["class_hist"], "n": n}
    base = x[torch.randperm(len(x), generator=g)[:n]]
    for sigma in (0.1, 0.3):
        noisy = (base + sigma * torch.randn(base.shape, generator=g)).clamp(-1, 1)
        rows[f"real + noise σ={sigma}"] = evaluator.images(noisy, n)
    rows["real, blurred σ=1px"] = evaluator.images(_blur(base, 1.0), n)
    for keep in (5, 1):
        idx = torch.nonzero(y < keep).view(-1)
        pick = idx[torch.randint(len(idx), (n,), generator=g)]
        rows[f"real, only {keep} class{'es' if keep > 1 else ''}"] = evaluator.images(x[pick], n)
    return rows


def table(results: dict) -> str:
    """results: name -> metrics dict; a markdown table, one column per name."""
    names = list(results)
    lines = ["| metric | " + " | ".join(names) + " |", "|---" * (len(names) + 1) + "|"]
    for key, label in ROWS:
        lines.append(f"| {label} | " + " | ".join(f"{results[n][key]:.3f}" for n in names) + " |")
    for c, cls in enumerate(CLASSES):
        lines.append(f"| % {cls} | " + " | ".join(f"{100 * results[n]['class_hist'][c]:.1f}" for n in names) + " |")
    return "\n".join(lines)


def evaluate_folder(arch: str, folder=None, n: int = 10_000, data_dir=None) -> dict:
    G = weights.load_generator(arch, folder)
    ev = Evaluator(weights.load_classifier(), data_dir)
    t0 = time.time()
    result = ev.generator(G, n)
    result["seconds"] = round(time.time() - t0, 1)
    return result


def rescore(arch: str, folder, n: int = 10_000, data_dir=None, history_n: int = 2000) -> dict:
    """Recompute a run's metrics with the current classifier: summary.json's final metrics
    (n samples) and, where snapshots/epoch_NNN exist, history.json's FD (history_n samples)."""
    ev = Evaluator(weights.load_classifier(), data_dir)
    history = weights.read_json(folder, "history.json", []) or []
    for row in history:  # the epochs that were scored during training
        snap = folder / "snapshots" / f"epoch_{row['epoch']:03d}"
        if "fd" in row and snap.is_dir():
            row["fd"] = ev.generator(weights.load_generator(arch, snap), history_n)["fd"]
    if history:
        write_json(folder / "history.json", history)
    summary = weights.read_json(folder, "summary.json", {}) or {}
    summary["metrics"] = ev.generator(weights.load_generator(arch, folder), n)
    write_json(folder / "summary.json", summary)
    return summary["metrics"]


def reference_table(n: int, data_dir=None) -> dict:
    """Reference rows, then each bundled model folder (weights/<name> with a config.json arch)."""
    ev = Evaluator(weights.load_classifier(), data_dir)
    results = reference_rows(ev, data_dir, n)
    for folder in sorted(weights.WEIGHTS_DIR.iterdir()):
        arch = (weights.read_json(folder, weights.CONFIG_FILE, {}) or {}).get("arch")
        if arch in ("mlp", "cnn"):
            results[f"{folder.name} ({(weights.read_json(folder, 'summary.json', {}) or {}).get('recipe', '?')})"] = \
                ev.generator(weights.load_generator(arch, folder), n)
    return results


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0], epilog="\n".join(__doc__.splitlines()[2:]),
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--arch", choices=["mlp", "cnn"], help="which generator to score")
    p.add_argument("--weights", help="model folder or Hub repo id (default: the bundled weights/<arch>)")
    p.add_argument("--n", type=int, default=10_000, help="generated samples (and real test images)")
    p.add_argument("--json", help="also write the results here")
    p.add_argument("--data-dir", help="folder with the Fashion-MNIST idx files (default: see gan/data.py)")
    p.add_argument("--train-classifier", action="store_true", help="train and save weights/classifier")
    p.add_argument("--epochs", type=int, default=10, help="classifier epochs")
    p.add_argument("--rescore", action="store_true",
                   help="rewrite the metrics in --weights' summary.json (and FD in history.json from its "
                        "snapshots/) with the current classifier")
    p.add_argument("--reference", action="store_true",
                   help="score real data, a corruption ladder and every folder in weights/ (the README table)")
    args = p.parse_args(argv)
    if args.train_classifier:
        model, acc = train_classifier(epochs=args.epochs, data_dir=args.data_dir)
        folder = weights.save_classifier(model)
        write_json(folder / "summary.json", {"test_accuracy": acc, "epochs": args.epochs,
                                             "torch": torch.__version__})
        print(f"saved {folder} (test accuracy {acc:.4f})")
        return 0
    if args.reference:
        results = reference_table(args.n, args.data_dir)
        print(table(results))
        if args.json:
            write_json(args.json, results)
        return 0
    if not args.arch:
        p.error("--arch is required (or --train-classifier, --reference)")
    if not 2 <= args.n <= 10_000:
        p.error("--n must be between 2 and 10000 (the test split has 10k images)")
    if args.rescore:
        if not args.weights:
            p.error("--rescore needs --weights RUN_DIR")
        print(table({args.arch: rescore(args.arch, weights.Path(args.weights), args.n, args.data_dir)}))
        return 0
    folder = args.weights
    if folder and not weights.Path(folder).exists():  # a Hub repo id, as train.py --push-to-hub makes
        folder, source = resolve_repo(args.arch, folder)
        if source.startswith("bundled"):
            p.exit(2, f"{p.prog}: error: --weights {args.weights}: not a local folder, and the Hub has not "
                      f"got it (offline, unreachable, or no such model repo); nothing was scored\n")
        print(f"weights: {source}")
    result = evaluate_folder(args.arch, folder, args.n, args.data_dir)
    print(table({args.arch: result}))
    if args.json:
        write_json(args.json, {"arch": args.arch, "weights": str(folder or weights.bundled_dir(args.arch)), **result})
    return 0


if __name__ == "__main__":
    sys.exit(main())
