"""Recipe search: many train.py runs side by side, scored with the same metrics, one table.

Each run is `python train.py --arch A <flags> --out ROOT/NAME`; runs go in parallel (--jobs),
in the order listed, and each one's summary (10k-sample metrics) and FD curve are appended to
ROOT/results.jsonl as it finishes, so a sweep cut short keeps what it finished. ROOT/results.md
is the table. This is how the tuned recipes in gan/training.py were chosen (README.md).

Examples:
  python benchmarks/sweep.py --only cnn --jobs 2 --root runs/sweep          # on 2 CPU cores: hours
  python benchmarks/sweep.py --device cuda --jobs 12 --threads 1 --root /tmp/sweep
"""
import argparse
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CNN_EPOCHS = 12   # about 30 min on the 2-core CPU at the tuned loop's speed (benchmarks/results.md)
MLP_EPOCHS = 250  # likewise for the MLP

EMA = ["--ema-decay", "0.999", "--r1-gamma", "0"]
# name -> (arch, flags); cnn-textbook-20 is the reference row (the MLP's textbook row: weights/mlp-textbook)
RUNS = {
    "cnn-textbook-20": ("cnn", ["--recipe", "textbook", "--epochs", "20"]),
    "cnn-ema": ("cnn", ["--recipe", "textbook", *EMA]),
    "cnn-ema-decay": ("cnn", ["--recipe", "textbook", *EMA, "--lr-decay"]),
    "cnn-ema-ttur": ("cnn", ["--recipe", "textbook", *EMA, "--lr-d", "4e-4", "--lr-decay"]),
    "cnn-ema-lr5e-4": ("cnn", ["--recipe", "textbook", *EMA, "--lr-g", "5e-4", "--lr-d", "5e-4", "--lr-decay"]),
    "cnn-ema-smooth": ("cnn", ["--recipe", "textbook", *EMA, "--label-smooth", "0.9", "--lr-decay"]),
    "cnn-ema-noise": ("cnn", ["--recipe", "textbook", *EMA, "--inst-noise", "0.1", "--lr-decay"]),
    "cnn-ema-bs64": ("cnn", ["--recipe", "textbook", *EMA, "--batch-size", "64", "--lr-decay"]),
    "cnn-ema-bs256": ("cnn", ["--recipe", "textbook", *EMA, "--batch-size", "256", "--lr-g", "4e-4",
                              "--lr-d", "4e-4", "--lr-decay"]),
    "cnn-ema.99": ("cnn", ["--recipe", "textbook", "--ema-decay", "0.99", "--lr-decay"]),
    "cnn-tuned-r1": ("cnn", ["--recipe", "textbook", "--ema-decay", "0.999", "--r1-gamma", "0.1", "--r1-every", "4"]),
    "cnn-r1-b2": ("cnn", ["--recipe", "tuned", "--beta1", "0", "--beta2", "0.99", "--r1-gamma", "0.1",
                          "--lr-decay"]),
    # second round: the CNN is still improving at 12 epochs, so what gets there fastest?
    "cnn2-textbook-12": ("cnn", ["--recipe", "textbook"]),
    "cnn2-lr5e-4": ("cnn", ["--recipe", "textbook", "--lr-g", "5e-4", "--lr-d", "5e-4"]),
    "cnn2-lr1e-3": ("cnn", ["--recipe", "textbook", "--lr-g", "1e-3", "--lr-d", "1e-3"]),
    "cnn2-bs64": ("cnn", ["--recipe", "textbook", "--batch-size", "64"]),
    "cnn2-ema-warm": ("cnn", ["--recipe", "textbook", "--ema-decay", "0.999"]),
    "cnn2-ema-warm-lr5e-4": ("cnn", ["--recipe", "textbook", "--ema-decay", "0.999", "--lr-g", "5e-4", "--lr-d", "5e-4"]),
    "cnn2-bs256-lr5e-4": ("cnn", ["--recipe", "textbook", "--batch-size", "256", "--lr-g", "5e-4", "--lr-d", "5e-4"]),
    "cnn2-g4e-4": ("cnn", ["--recipe", "textbook", "--lr-g", "4e-4"]),
    "mlp-tuned": ("mlp", ["--recipe", "tuned"]),
    "mlp-decay": ("mlp", ["--recipe", "tuned", "--lr-decay"]),
    "mlp-r1-30": ("mlp", ["--recipe", "tuned", "--r1-gamma", "30", "--lr-decay"]),
    "mlp-lr2e-3": ("mlp", ["--recipe", "tuned", "--lr-g", "2e-3", "--lr-d", "2e-3", "--lr-decay"]),
    "mlp-b0": ("mlp", ["--recipe", "tuned", "--beta1", "0", "--beta2", "0.99", "--lr-decay"]),
    "mlp-ttur": ("mlp", ["--recipe", "tuned", "--lr-g", "5e-4", "--lr-d", "2e-3", "--lr-decay"]),
    "mlp-noise": ("mlp", ["--recipe", "tuned", "--inst-noise", "0.1", "--lr-decay"]),
    # third round (2 CPU cores, 100 epochs each, against the tuned run's epoch-100 snapshot)
    "mlp3-bs64": ("mlp", ["--recipe", "tuned", "--batch-size", "64", "--epochs", "100"]),
    "mlp3-bs1024": ("mlp", ["--recipe", "tuned", "--batch-size", "1024", "--lr-g", "2e-3", "--lr-d", "2e-3",
                            "--epochs", "100"]),
    "mlp3-hinge": ("mlp", ["--recipe", "tuned", "--loss", "hinge", "--epochs", "100"]),
    "mlp3-ema.9999": ("mlp", ["--recipe", "tuned", "--ema-decay", "0.9999", "--epochs", "100"]),
    # fourth round (H200): one change each to the tuned CNN recipe (lr 2e-3, EMA 0.999), 15 epochs as on the CPU
    **{f"cnn4-{name}": ("cnn", ["--recipe", "tuned", "--epochs", "15", *flags]) for name, flags in {
        "tuned": [], "b0": ["--beta1", "0", "--beta2", "0.99"], "b2": ["--beta2", "0.99"],
        "b0-lr1e-3": ["--beta1", "0", "--beta2", "0.99", "--lr-g", "1e-3", "--lr-d", "1e-3"],
        "hinge": ["--loss", "hinge"], "joint-bn": ["--d-bn", "joint"],
        "r1-0.1": ["--r1-gamma", "0.1", "--r1-every", "4"], "r1-1": ["--r1-gamma", "1", "--r1-every", "4"],
        "ema.9995": ["--ema-decay", "0.9995"], "ema.99": ["--ema-decay", "0.99"], "smooth": ["--label-smooth", "0.9"],
        "bs64": ["--batch-size", "64"], "bs64-lr1e-3": ["--batch-size", "64", "--lr-g", "1e-3", "--lr-d", "1e-3"],
        "bs256-lr4e-3": ["--batch-size", "256", "--lr-g", "4e-3", "--lr-d", "4e-3"],
        "decay": ["--lr-decay"], "lr3e-3-decay": ["--lr-g", "3e-3", "--lr-d", "3e-3", "--lr-decay"],
        "joint-bn-hinge": ["--d-bn", "joint", "--loss", "hinge"],
    }.items()},
    "cnn4-tuned-30": ("cnn", ["--recipe", "tuned", "--epochs", "30"]),
    # fifth round (H200): the four best of round 4 again with seeds 1 and 2, to see past run-to-run noise
    **{f"cnn5-{name}-s{seed}": ("cnn", ["--recipe", "tuned", "--epochs", "15", "--seed", str(seed), *flags])
       for name, flags in {"tuned": [], "r1-0.1": ["--r1-gamma", "0.1", "--r1-every", "4"],
                           "hinge": ["--loss", "hinge"], "ema.99": ["--ema-decay", "0.99"], "smooth": ["--label-smooth", "0.9"],
                           "r1-0.1-hinge": ["--r1-gamma", "0.1", "--r1-every", "4", "--loss", "hinge"]}.items()
       for seed in (1, 2)},
    # sixth round (2 CPU cores, 100 epochs, as round 3): the relativistic pairing loss of R3GAN, whose
    # paper reports that it (with R1 and R2) keeps modes that the plain loss drops
    "mlp6-rpgan": ("mlp", ["--recipe", "tuned", "--loss", "rpgan", "--epochs", "100"]),
    "mlp6-rpgan-r2": ("mlp", ["--recipe", "tuned", "--loss", "rpgan", "--r2-gamma", "10", "--epochs", "100"]),
    # seventh round (2 CPU cores, 100 epochs, as round 3): G faster than D; Adam beta2 0.99
    "mlp7-g2e-3": ("mlp", ["--recipe", "tuned", "--lr-g", "2e-3", "--epochs", "100"]),
    "mlp7-b2": ("mlp", ["--recipe", "tuned", "--beta2", "0.99", "--epochs", "100"]),
    # eighth round (DiffAugment, bCR, top-k G loss) ran at commit 3d50970, whose train.py has those flags
    # (`git checkout 3d50970`, then `--only cnn8` on a GPU or `--only mlp8`); none helped, so they were removed.
    # ninth round (2 CPU cores, 100 epochs, as round 3): a stronger R1 penalty for the MLP's recall
    "mlp9-r1-20": ("mlp", ["--recipe", "tuned", "--r1-gamma", "20", "--epochs", "100"]),
    "mlp9-r1-40": ("mlp", ["--recipe", "tuned", "--r1-gamma", "40", "--epochs", "100"]),
}


def default_epochs(arch, flags):
    return [] if "--epochs" in flags else ["--epochs", str(CNN_EPOCHS if arch == "cnn" else MLP_EPOCHS)]


def run_one(name, arch, flags, args):
    out = Path(args.root) / name
    cmd = [sys.executable, str(ROOT / "train.py"), "--arch", arch, *flags, *default_epochs(arch, flags),
           "--out", str(out), "--device", args.device, "--threads", str(args.threads),
           "--eval-n", str(args.eval_n), *args.extra.split()]
    t0 = time.time()
    with open(Path(args.root) / f"{name}.log", "w") as log:
        rc = subprocess.run(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, check=False).returncode
    row = {"name": name, "arch": arch, "flags": " ".join(flags), "rc": rc, "seconds": round(time.time() - t0, 1)}
    if rc == 0:
        summary = json.loads((out / "summary.json").read_text())
        history = json.loads((out / "history.json").read_text())
        row.update(metrics=summary["metrics"], config=summary["config"], img_per_s=summary["img_per_s"],
                   fd_curve=[(h["epoch"], h["wall"], h["fd"]) for h in history if "fd" in h])
    with open(Path(args.root) / "results.jsonl", "a") as f:
        f.write(json.dumps(row) + "\n")
    print(f"{name}: rc={rc} {row['seconds']}s " + (f"FD {row['metrics']['fd']:.2f} P {row['metrics']['precision']:.3f} "
          f"R {row['metrics']['recall']:.3f}" if rc == 0 else ""), flush=True)
    return row


def table(rows) -> str:
    lines = ["| run | flags | FD | precision | recall | coverage | min class | img/s |", "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        if r["rc"] != 0:
            lines.append(f"| {r['name']} | {r['flags']} | failed (rc {r['rc']}) | | | | | |")
            continue
        m = r["metrics"]
        lines.append(f"| {r['name']} | {r['flags']} | {m['fd']:.2f} | {m['precision']:.3f} | {m['recall']:.3f} | "
                     f"{m['coverage']:.3f} | {min(m['class_hist']):.3f} | {r['img_per_s']:.0f} |")
    return "\n".join(lines) + "\n"


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog="\n".join(__doc__.splitlines()[2:]))
    p.add_argument("--root", default="runs/sweep")
    p.add_argument("--only", default="", help="run only names containing this")
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--threads", type=int, default=1, help="torch threads per run")
    p.add_argument("--device", default="auto")
    p.add_argument("--eval-n", type=int, default=2000, help="samples for the in-training FD curve")
    p.add_argument("--extra", default="", help="flags added to every run, e.g. --extra=--dry-run")
    args = p.parse_args(argv)
    Path(args.root).mkdir(parents=True, exist_ok=True)
    todo = [(n, *v) for n, v in RUNS.items() if args.only in n]
    with ThreadPoolExecutor(args.jobs) as pool:
        rows = list(pool.map(lambda t: run_one(*t, args), todo))
    (Path(args.root) / "results.md").write_text(table(rows))
    print(table(rows))
    return 0 if all(r["rc"] == 0 for r in rows) else 1


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
