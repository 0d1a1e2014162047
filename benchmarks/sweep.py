"""Recipe search: many train.py runs side by side, scored with the same metrics, one table.

Each run is `python train.py --arch A <flags> --out ROOT/NAME`; runs go in parallel (--jobs),
in the order listed, and each one's summary (10k-sample metrics) and FD curve are appended to
ROOT/results.jsonl as it finishes, so a sweep cut short keeps what it finished. ROOT/results.md
is the table. This is how the tuned recipes in gan/config.py were chosen (README.md).

Examples:
  python -m benchmarks.sweep --only cnn --jobs 2 --root runs/sweep          # on 2 CPU cores: hours
  python -m benchmarks.sweep --device cuda --jobs 12 --threads 1 --root /tmp/sweep
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

# name -> (arch, flags): the runs that train.py's current flags can still express. Every run of
# rounds 1-7 and 9, those with the flags removed after the search too (--loss, --r2-gamma,
# --r1-every, --label-smooth, --inst-noise, --lr-decay, --d-bn), runs at commit cc70068
# (`git checkout cc70068`); round 8 at 3d50970. Results of all rounds: benchmarks/sweep-results.md.
RUNS = {
    # round 1 (H200, CNN, 12 epochs)
    "cnn-textbook-20": ("cnn", ["--recipe", "textbook", "--epochs", "20"]),
    "cnn-ema": ("cnn", ["--recipe", "textbook", "--ema-decay", "0.999", "--r1-gamma", "0"]),
    # round 2 (H200): what gets the CNN there fastest?
    "cnn2-textbook-12": ("cnn", ["--recipe", "textbook"]),
    "cnn2-lr5e-4": ("cnn", ["--recipe", "textbook", "--lr-g", "5e-4", "--lr-d", "5e-4"]),
    "cnn2-lr1e-3": ("cnn", ["--recipe", "textbook", "--lr-g", "1e-3", "--lr-d", "1e-3"]),
    "cnn2-bs64": ("cnn", ["--recipe", "textbook", "--batch-size", "64"]),
    "cnn2-ema-warm": ("cnn", ["--recipe", "textbook", "--ema-decay", "0.999"]),
    "cnn2-ema-warm-lr5e-4": ("cnn", ["--recipe", "textbook", "--ema-decay", "0.999", "--lr-g", "5e-4", "--lr-d", "5e-4"]),
    "cnn2-bs256-lr5e-4": ("cnn", ["--recipe", "textbook", "--batch-size", "256", "--lr-g", "5e-4", "--lr-d", "5e-4"]),
    "cnn2-g4e-4": ("cnn", ["--recipe", "textbook", "--lr-g", "4e-4"]),
    # MLP, 250 epochs
    "mlp-tuned": ("mlp", ["--recipe", "tuned"]),
    # round 3 (2 CPU cores, 100 epochs each, against the tuned run's epoch-100 snapshot)
    "mlp3-bs64": ("mlp", ["--recipe", "tuned", "--batch-size", "64", "--epochs", "100"]),
    "mlp3-bs1024": ("mlp", ["--recipe", "tuned", "--batch-size", "1024", "--lr-g", "2e-3", "--lr-d", "2e-3", "--epochs", "100"]),
    "mlp3-ema.9999": ("mlp", ["--recipe", "tuned", "--ema-decay", "0.9999", "--epochs", "100"]),
    # round 4 (H200): one change each to the tuned CNN recipe, 15 epochs as on the CPU
    "cnn4-tuned": ("cnn", ["--recipe", "tuned", "--epochs", "15"]),
    "cnn4-b0": ("cnn", ["--recipe", "tuned", "--epochs", "15", "--beta1", "0", "--beta2", "0.99"]),
    "cnn4-b2": ("cnn", ["--recipe", "tuned", "--epochs", "15", "--beta2", "0.99"]),
    "cnn4-b0-lr1e-3": ("cnn", ["--recipe", "tuned", "--epochs", "15", "--beta1", "0", "--beta2", "0.99", "--lr-g", "1e-3", "--lr-d", "1e-3"]),
    "cnn4-ema.9995": ("cnn", ["--recipe", "tuned", "--epochs", "15", "--ema-decay", "0.9995"]),
    "cnn4-ema.99": ("cnn", ["--recipe", "tuned", "--epochs", "15", "--ema-decay", "0.99"]),
    "cnn4-bs64": ("cnn", ["--recipe", "tuned", "--epochs", "15", "--batch-size", "64"]),
    "cnn4-bs64-lr1e-3": ("cnn", ["--recipe", "tuned", "--epochs", "15", "--batch-size", "64", "--lr-g", "1e-3", "--lr-d", "1e-3"]),
    "cnn4-bs256-lr4e-3": ("cnn", ["--recipe", "tuned", "--epochs", "15", "--batch-size", "256", "--lr-g", "4e-3", "--lr-d", "4e-3"]),
    "cnn4-tuned-30": ("cnn", ["--recipe", "tuned", "--epochs", "30"]),
    # round 5 (H200): the best of round 4 again with seeds 1 and 2, to see past run-to-run noise
    "cnn5-tuned-s1": ("cnn", ["--recipe", "tuned", "--epochs", "15", "--seed", "1"]),
    "cnn5-tuned-s2": ("cnn", ["--recipe", "tuned", "--epochs", "15", "--seed", "2"]),
    "cnn5-ema.99-s1": ("cnn", ["--recipe", "tuned", "--epochs", "15", "--seed", "1", "--ema-decay", "0.99"]),
    "cnn5-ema.99-s2": ("cnn", ["--recipe", "tuned", "--epochs", "15", "--seed", "2", "--ema-decay", "0.99"]),
    # round 7 (2 CPU cores, 100 epochs): G faster than D; Adam beta2 0.99
    "mlp7-g2e-3": ("mlp", ["--recipe", "tuned", "--lr-g", "2e-3", "--epochs", "100"]),
    "mlp7-b2": ("mlp", ["--recipe", "tuned", "--beta2", "0.99", "--epochs", "100"]),
    # round 9 (2 CPU cores, 100 epochs): a stronger R1 penalty for the MLP's recall
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
