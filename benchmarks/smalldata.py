"""Small data, measured: each GAN trained on 200 and on 2,000 Fashion-MNIST training images of one
class and of all classes, against the bundled models trained on all 60,000. Does it copy its
training images (nearest-training-image distance of its samples), and how good is it (FD)?

  python -m benchmarks.smalldata                  # the runs (~30 CPU minutes; see the .md), then the metrics
  python -m benchmarks.smalldata --only mlp       # one arch's runs (and the 60,000 rows)

Each run is train.py's own training: gan.training.setup (the flags' subset), then its epochs step
by step through gan.training.epoch_steps, then the EMA's sampling copy, as gan.live.job does; it
skips train.py's per-epoch work (sample grid, snapshot, checkpoint: a 200-image set takes thousands
of one-step epochs), which draws no random numbers, so the printed train.py command trains the same
weights. Trained models are kept in runs/smalldata/ and reused (--retrain to train again).
Writes benchmarks/smalldata.json and benchmarks/smalldata.md (dated). One torch thread.
"""
import argparse
import dataclasses
import datetime
import json
import time

import numpy as np
import torch

from benchmarks.common import ROOT, machine
from gan import data as fmnist
from gan import training, weights
from gan.config import Config, class_list
from gan.ema import sampling_copy
from gan.metrics import EVAL_SEED, classify, frechet_distance
from gan.sampling import generate, latents, to_uint8

ONE_CLASS = 7          # Sneaker: the one class of the one-class runs
SIZES = (200, 2000)    # training images of a run
N = 1000               # samples per model, for FD and the distances alike (a class has 1,000 test images)
STEPS = {"mlp": 5000, "cnn": 1200}  # gradient steps per run, equal within an arch (the CNN is far slower a step)
SAME_STEPS_60K = ("mlp",)  # archs also trained on all 60,000 for STEPS: less data apart from less training
LONGER = {"mlp": 4}  # archs also trained on 200 images of the one class for this many times STEPS
SEED = 0               # train.py's --seed of every run
COPY_Q = 5             # "copies": samples nearer a training image than this percentile of held-out images
OUT = "runs/smalldata"  # the runs' folders, under the repository root
JSON, MD = ROOT / "benchmarks" / "smalldata.json", ROOT / "benchmarks" / "smalldata.md"


# ----------------------------------------------------------------------------- the metric (pure)

def nearest_distances(queries: torch.Tensor, refs: torch.Tensor, chunk: int = 500) -> torch.Tensor:
    """For each query (N, D), the L2 distance to its nearest row of refs (M, D): (N,) float64.
    float64 so an exact copy reads 0 (cdist's matrix-product form loses that in float32)."""
    q, r = queries.double(), refs.double()
    return torch.cat([torch.cdist(q[i:i + chunk], r).min(1).values for i in range(0, len(q), chunk)])


def memorisation(d_samples: torch.Tensor, d_heldout: torch.Tensor, q: float = COPY_Q) -> dict:
    """Samples' and held-out real images' nearest-training-image distances -> the medians, their
    ratio, and "copies": the share of samples nearer a training image than q% of held-out images."""
    cut = torch.quantile(d_heldout, q / 100)
    med_s, med_h = d_samples.median().item(), d_heldout.median().item()
    return {"median_samples": med_s, "median_heldout": med_h, "ratio": med_s / med_h,
            "copies": (d_samples < cut).double().mean().item()}


def flat(images_u8: torch.Tensor) -> torch.Tensor:
    """uint8 (N, [1,] 28, 28) -> (N, 784) float in [0, 1]: the pixel space of every distance here."""
    return images_u8.reshape(len(images_u8), -1).float() / 255


# ----------------------------------------------------------------------------- runs

def runs(arch: str) -> list:
    """The runs of an arch: (name, its folder's name, --classes, --per-class, steps), 200 and 2,000
    images of one class and of all, and for SAME_STEPS_60K all 60,000 images for the same steps;
    then, for 200 images of the one class, LONGER times the steps, and train.py's default epochs
    (steps None: the recipe's epochs, what `train.py --data` on 200 images of your own does)."""
    rows = []
    for size in SIZES:
        rows.append((f"{arch}, class {ONE_CLASS}, {size}", str(ONE_CLASS), size))
        rows.append((f"{arch}, all classes, {size}", "all", size // len(fmnist.CLASSES)))
    if arch in SAME_STEPS_60K:
        rows.append((f"{arch}, all classes, 60000", "all", 0))
    rows = [(name, name.replace(", ", "-").replace(" ", ""), classes, per_class, STEPS[arch])
            for name, classes, per_class in rows]
    one = f"{arch}, class {ONE_CLASS}, {SIZES[0]}"
    slug = f"{arch}-class{ONE_CLASS}-{SIZES[0]}"
    if arch in LONGER:
        rows.append((f"{one}, {LONGER[arch]}x steps", f"{slug}-x{LONGER[arch]}", str(ONE_CLASS), SIZES[0],
                     LONGER[arch] * STEPS[arch]))
    rows.append((f"{one}, the recipe's epochs", f"{slug}-recipe", str(ONE_CLASS), SIZES[0], None))
    return rows


def config(arch: str, classes: str, per_class: int, slug: str, steps) -> Config:
    """The run's Config: the tuned recipe, its epochs set so the run takes about `steps` steps (None:
    the recipe's epochs)."""
    cfg = Config(arch=arch, classes=classes, per_class=per_class, seed=SEED, threads=1, weights_only=True,
                 out=f"{OUT}/{slug}")
    if steps is not None:
        n = len(train_indices(classes, per_class))
        cfg.epochs = max(1, round(steps / (n // min(cfg.resolved().batch_size, n))))
    return cfg


def command(cfg: Config) -> str:
    return (f"python train.py --arch {cfg.arch} --classes {cfg.classes} "
            + (f"--per-class {cfg.per_class} " if cfg.per_class else "")
            + (f"--epochs {cfg.epochs} " if cfg.epochs else "")
            + f"--seed {cfg.seed} --threads 1 --weights-only --out {cfg.out}")


def train(cfg: Config) -> tuple:
    """train.py's training of cfg without its per-epoch files: (the sampling G, steps, CPU s, wall s)."""
    cpu0, wall0 = time.process_time(), time.perf_counter()
    run = training.setup(dataclasses.replace(cfg, out=str(ROOT / cfg.out)).resolved())
    while run.epoch < run.cfg.epochs:
        for _ in training.epoch_steps(run):
            pass
        run.epoch += 1
    G = sampling_copy(run.ema, run.cfg)
    weights.save(run.out, cfg.arch, G)
    return G, run.epoch * run.steps, time.process_time() - cpu0, time.perf_counter() - wall0


# ----------------------------------------------------------------------------- measuring

def samples(G, classifier, classes: tuple, pick: bool) -> torch.Tensor:
    """N samples (uint8 (N, 28, 28)) of the EVAL_SEED latents; pick: of a model of all classes in a
    one-class row (the 60,000 model), the first N the classifier puts in those classes."""
    if not pick:
        return torch.from_numpy(to_uint8(generate(G, latents(EVAL_SEED, N, G.z_dim))))
    z = latents(EVAL_SEED, 20 * N, G.z_dim)
    kept = []
    for i in range(0, len(z), N):
        imgs = torch.from_numpy(to_uint8(generate(G, z[i:i + N])))
        probs = classify(classifier, fmnist.to_float(imgs.unsqueeze(1)))[1]
        kept.append(imgs[torch.isin(torch.from_numpy(probs.argmax(1)), torch.tensor(classes))])
        if sum(map(len, kept)) >= N:
            break
    return torch.cat(kept)[:N]


def real_sets(classes: tuple, train_idx: torch.Tensor):
    """(held-out: N test images of the classes, uint8; unseen: as many training-split images of the
    classes as train_idx holds, none of them in it; for all 60,000 (nothing unused): N test images,
    the training side then N of its images)."""
    x_test, y_test = fmnist.load("test")
    x, y = fmnist.load("train")
    test = fmnist.balanced(y_test, N // len(classes))
    test = test[torch.isin(y_test[test], torch.tensor(classes))]
    heldout = x_test[test]
    n_per = len(train_idx) // len(classes)
    if n_per < fmnist.CLASS_SIZE:  # the rest of balanced()'s shuffle, after the run's own per_class
        pick = fmnist.balanced(y, 2 * n_per).view(len(fmnist.CLASSES), -1)[list(classes), n_per:].reshape(-1)
        return heldout, x[pick], None
    side = fmnist.balanced(y, N // len(classes))
    side = side[torch.isin(y[side], torch.tensor(classes))]
    return heldout, heldout, x[side]


def measure(G, classifier, classes: tuple, train_idx: torch.Tensor, pick: bool = False) -> dict:
    x, _ = fmnist.load("train")
    train_px = flat(x[train_idx])
    heldout, unseen, train_side = real_sets(classes, train_idx)
    s = samples(G, classifier, classes, pick)
    feats, probs = classify(classifier, fmnist.to_float(s.unsqueeze(1)))
    real_feats = classify(classifier, fmnist.to_float(heldout))[0]
    d_s = nearest_distances(flat(s), train_px)
    m = memorisation(d_s, nearest_distances(flat(heldout), train_px))
    # the samples' nearest training image against their nearest in an equally large unseen set
    d_side = d_s if train_side is None else nearest_distances(flat(s), flat(train_side))
    m["ratio_unseen"] = d_side.median().item() / nearest_distances(flat(s), flat(unseen)).median().item()
    m["fd"] = frechet_distance(real_feats, feats)
    m["class_share"] = float(np.isin(probs.argmax(1), classes).mean())
    m["n"], m["n_real"], m["train_images"] = len(s), len(heldout), len(train_idx)
    return m


def fd_real(classifier) -> dict:
    """FD's floor at this n: N real training images of the classes (the first of gan.data.balanced's
    shuffle) against the held-out ones, for the one class and for all."""
    x, y = fmnist.load("train")
    out = {}
    for classes in ((ONE_CLASS,), tuple(range(len(fmnist.CLASSES)))):
        pick = fmnist.balanced(y, N // len(classes))
        pick = pick[torch.isin(y[pick], torch.tensor(classes))]
        heldout = real_sets(classes, pick)[0]
        out["all classes" if len(classes) > 1 else f"class {ONE_CLASS}"] = frechet_distance(
            classify(classifier, fmnist.to_float(heldout))[0], classify(classifier, fmnist.to_float(x[pick]))[0])
    return out


def train_indices(classes: str, per_class: int) -> torch.Tensor:
    """The training images a run's flags choose: gan.training.chosen, train.py's own choice."""
    _, y = fmnist.load("train")
    return training.chosen(Config(classes=classes, per_class=per_class).resolved(), y)


def bench_arch(arch: str, classifier, retrain: bool) -> dict:
    out = {}
    for name, slug, classes, per_class, steps in runs(arch):
        cfg = config(arch, classes, per_class, slug, steps)
        print(command(cfg), flush=True)
        folder = ROOT / cfg.out
        if retrain or not (folder / weights.MODEL_FILE).is_file():
            G, steps, cpu_s, wall_s = train(cfg)
            info = {"steps": steps, "cpu_s": round(cpu_s, 1), "wall_s": round(wall_s, 1)}
            (folder / "smalldata.json").write_text(json.dumps(info) + "\n")
        else:
            G, info = weights.load_generator(arch, folder), json.loads((folder / "smalldata.json").read_text())
        row = {"command": command(cfg), "epochs": cfg.resolved().epochs, **info,
               **measure(G, classifier, class_list(classes), train_indices(classes, per_class))}
        print(name, {k: v for k, v in row.items() if k != "command"}, flush=True)
        out[name] = row
        save({name: row})
    for classes in (str(ONE_CLASS), "all"):  # the bundled model, trained on all 60,000
        name = f"{arch}, {'all classes' if classes == 'all' else 'class ' + classes}, 60000 (bundled)"
        G = weights.load_generator(arch)
        summary = weights.read_json(weights.bundled_dir(arch), "summary.json", {})
        epochs, batch = summary["epochs"], summary["config"]["batch_size"]
        row = {"command": f"the bundled weights/{arch} (its summary.json)", "epochs": epochs,
               "steps": epochs * (len(train_indices("all", 0)) // batch),
               **measure(G, classifier, class_list(classes), train_indices(classes, 0), pick=classes != "all")}
        print(name, {k: v for k, v in row.items() if k != "command"}, flush=True)
        out[name] = row
        save({name: row})
    return out


def save(rows: dict) -> dict:
    """Merge rows into smalldata.json (a run at a time: an interrupted benchmark keeps what it did)."""
    res = json.loads(JSON.read_text()) if JSON.exists() else {}
    res.setdefault("rows", {}).update(rows)
    res.update(date=datetime.date.today().isoformat(), machine=machine(), n=N, steps=STEPS, one_class=ONE_CLASS)
    JSON.write_text(json.dumps(res, indent=2) + "\n")
    return res


MEANING = "## What it means"  # smalldata.md's hand-written part, from this heading on: kept when the table is rewritten


def markdown(res: dict) -> str:
    c, n, steps = fmnist.CLASSES[res["one_class"]], res["n"], res["steps"]
    lines = [f"# Small data, measured ({res['date']})", "",
             f"Machine: {res['machine']}, one torch thread, `nice -n 19`, the cores shared with other work. "
             "Regenerate: `python -m benchmarks.smalldata` (trained models are kept in runs/smalldata/ and reused; "
             "`--retrain` trains them again).", "",
             "Path: `train.py`'s own training, the tuned recipe (the default), seed 0: `gan.training.setup` (the "
             "images `--classes` and `--per-class` choose, `gan.training.chosen`), its epochs step by step through "
             "`gan.training.epoch_steps`, then the EMA's sampling copy (`gan.ema.sampling_copy`), as the Train tab's "
             "job does. It skips train.py's per-epoch files (sample grid, snapshot, checkpoint), which draw no random "
             "numbers: each row's command (in smalldata.json) trains the same weights tensor for tensor (checked on "
             "two short runs, one per arch). The 60,000 rows are the bundled models (weights/mlp, weights/cnn), "
             "trained far longer; the MLP's 60,000 row without \"(bundled)\" is trained here with the small runs' "
             "step budget, to tell less data from less training.", "",
             f"Steps: {steps['mlp']:,} per MLP run, {steps['cnn']:,} per CNN run (a CNN step costs many MLP steps: "
             "the CPU s column; the CNN gets fewer within the same CPU budget); a step is one D update and one G update on one batch "
             "(MLP 256 images, CNN 128; a 200-image set is one batch of 200 for the MLP, 128 of the 200 a step "
             "for the CNN), so the epochs follow from the set's size.", "",
             "| model, classes, training images | steps | epochs | CPU s | FD ↓ | median d(sample) | "
             "median d(held-out) | ratio | copies | unseen ratio | share in class |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    def order(item):  # by arch, one class before all, then by training images, the bundled model last
        name, r = item
        return ("cnn" in name, "all classes" in name, r["train_images"], "bundled" in name, r.get("steps", 0))
    rows = sorted(res["rows"].items(), key=order)
    for name, r in rows:
        lines.append(f"| {name} | {r.get('steps', '')} | {r['epochs']} | {r.get('cpu_s', '')} | {r['fd']:.1f} | "
                     f"{r['median_samples']:.2f} | {r['median_heldout']:.2f} | {r['ratio']:.2f} | "
                     f"{r['copies']:.1%} | {r['ratio_unseen']:.2f} | "
                     + (f"{r['class_share']:.1%}" if "all classes" not in name else "") + " |")
    if "fd_real" in res:
        lines += ["", f"FD of real images at this n ({n:,} training images of the classes against the held-out ones, "
                  "`fd_real`): " + ", ".join(f"{k} {v:.2f}" for k, v in res["fd_real"].items()) + "."]
    lines += ["", "Definitions:", "",
              f"- **One class**: {c} (label {res['one_class']}). **All classes**: `--per-class` 20 or 200 "
              "(200 or 2,000 images), class-balanced.",
              f"- **Samples**: {n:,} of each model, of the metric latents (`gan.metrics.EVAL_SEED`). For the "
              f"bundled model in the {c} row, the first {n:,} the metric classifier calls {c}, and its training set "
              f"there is the 6,000 {c} training images; in the all-classes row, all 60,000.",
              f"- **Held-out**: {n:,} Fashion-MNIST test images of the row's classes (one class: all of its test "
              "images; all classes: 100 of each, `gan.data.balanced` on the test labels). The same images are FD's "
              "real side.",
              f"- **FD**: the project's Fréchet distance in the metric classifier's 128-d feature space "
              f"(weights/classifier, `gan.metrics.frechet_distance`), {n:,} samples against the {n:,} held-out "
              f"images, the same n in every row. Small n biases FD upward, so these are not the model table's "
              f"10,000-sample FDs; a one-class FD is against that class's images only.",
              "- **d**: the L2 distance in pixels scaled to [0, 1] (784 numbers, `benchmarks.smalldata.nearest_distances`) "
              "to the nearest image of the model's own training set. **median d(sample)**: over the samples; "
              "**median d(held-out)**: over the held-out images, to the same training set: what new images of the "
              "same kind score. **ratio**: the first over the second.",
              f"- **copies**: the share of samples nearer a training image than {100 - COPY_Q}% of held-out images "
              f"are (below the held-out distances' {COPY_Q}th percentile); about {COPY_Q}% for samples as new as "
              "test images, near 100% for a model that reproduces its training images.",
              "- **unseen ratio**: the samples' median distance to their nearest training image over the same to an "
              "equally large set of training-split images of the same classes the run never saw (the next ones of "
              "`gan.data.balanced`'s shuffle). About 1: the samples are no nearer their own training images than "
              "to others of the kind; well below 1: they copy. It corrects the plain ratio for how samples differ "
              "from real images in texture (the MLP's grain, blur), which moves both distances alike. For the 60,000 rows "
              f"(no image unseen): {n:,} of the training images against the {n:,} held-out ones.",
              f"- **share in class**: the share of samples the metric classifier calls {c}.", "",
              "The runs, each `train.py` as it trains here (from the repository root):", "", "```"]
    lines += [r["command"] for _, r in rows if "bundled" not in r["command"]] + ["```", ""]
    kept = MD.read_text().split(MEANING, 1) if MD.exists() else []
    return "\n".join(lines) + ("\n" + MEANING + kept[1] if len(kept) == 2 else "")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--only", choices=["mlp", "cnn"], help="one arch's rows, keep the other's")
    p.add_argument("--retrain", action="store_true", help="train again even if runs/smalldata/ has the model")
    p.add_argument("--markdown", action="store_true", help="only rewrite smalldata.md from the json (its "
                   f"'{MEANING}' part is kept)")
    args = p.parse_args()
    torch.set_num_threads(1)
    if not args.markdown:
        classifier = weights.load_classifier()
        res = save({})
        res["fd_real"] = fd_real(classifier)
        JSON.write_text(json.dumps(res, indent=2) + "\n")
        for arch in ("mlp", "cnn"):
            if args.only in (None, arch):
                bench_arch(arch, classifier, args.retrain)
    MD.write_text(markdown(json.loads(JSON.read_text())))
    print(MD.read_text())


if __name__ == "__main__":
    main()
