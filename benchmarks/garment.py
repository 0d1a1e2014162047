"""Your own garment, measured on inputs the models never trained on: inversion of Fashion-MNIST
test images, class edits of samples, and truncation's precision / recall / FD per psi.

  python -m benchmarks.garment                    # everything, ~10 minutes on 2 cores
  python -m benchmarks.garment --only invert      # one section: invert | classes | fit | psi

Writes benchmarks/garment.json and benchmarks/garment.md (dated). One torch thread, as the app.
"""
import argparse
import io
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from benchmarks.common import run_sections
from gan import data as fmnist
from gan import garment, weights
from gan.demo import UPSCALE, Demo
from gan.metrics import EVAL_SEED, Evaluator, classify, metrics
from gan.sampling import generate, latents, to_uint8

ARCHS = ("mlp", "cnn")


def space_of(arch, clf) -> garment.Space:
    """The app's Space: the bundled generator with its fitted class directions."""
    G = weights.load_generator(arch)
    return garment.Space(G, clf, weights.load_directions(weights.bundled_dir(arch), G.z_dim))


def step_ms(forward, z_dim: int = 100, repeats: int = 200) -> float:
    """ms per inversion step on one latent: forward, backward to z, an Adam step."""
    z = torch.zeros(1, z_dim, requires_grad=True)
    opt, target = torch.optim.Adam([z], lr=0.1), torch.zeros(1, 784)
    for i in range(repeats + 20):  # 20 warm-up steps
        if i == 20:
            t0 = time.perf_counter()
        opt.zero_grad()
        (forward(z) - target).pow(2).mean().backward()
        opt.step()
    return round((time.perf_counter() - t0) / repeats * 1000, 2)


def labels_of(clf, images_u8) -> np.ndarray:
    return classify(clf, fmnist.to_float(torch.from_numpy(images_u8).unsqueeze(1)))[1].argmax(1)


def png_upscale(img_u8: np.ndarray, factor: int = 4) -> bytes:
    """A test image as a visitor has it: saved from an image viewer, `factor` times upscaled."""
    from PIL import Image
    buf = io.BytesIO()
    Image.fromarray(img_u8).resize((28 * factor, 28 * factor), Image.NEAREST).save(buf, "PNG")
    return buf.getvalue()


def bench_invert(n: int = 200, n_random: int = 10_000) -> dict:
    """n test images (a fixed random pick), inverted on the visitor's path: each saved as a 4x
    upscaled PNG file and given to Demo.invert (the /invert handler: the file read, made
    Fashion-MNIST-like, inverted; the reconstruction read back from the image it returns). Beside
    it, the raw 28x28 arrays straight into Space.invert. Both are judged against the original test
    image: does the reconstruction beat the nearest of n_random random samples in pixel MSE, by
    how much, and does it keep the classifier's label of the original?"""
    demo = Demo.load()
    clf = demo.classifier
    x, _ = fmnist.load("test")
    pick = torch.randperm(len(x), generator=torch.Generator().manual_seed(0))[:n]
    targets = x[pick, 0].numpy()
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        files = []
        for i, t in enumerate(targets):
            files.append(Path(tmp) / f"test_{int(pick[i])}.png")
            files[-1].write_bytes(png_upscale(t))
        for arch in ARCHS:
            space = demo.space(arch)
            rnd = to_uint8(generate(space.G, latents(12_345, n_random))).reshape(n_random, -1).astype(np.float32) / 255
            nearest = np.array([float(((rnd - t.reshape(-1).astype(np.float32) / 255) ** 2).mean(1).min())
                                for t in targets])

            def upload(i):  # the returned image is the reconstruction upscaled: every UPSCALE-th pixel is it
                return demo.invert(arch, str(files[i]))[1][::UPSCALE, ::UPSCALE]
            for path, invert in (("upload", upload), ("raw array", lambda i: space.invert(targets[i])[1])):
                recons, secs = [], []
                for i in range(n):
                    t0 = time.perf_counter()
                    recons.append(invert(i))
                    secs.append(time.perf_counter() - t0)
                recons = np.stack(recons)
                mses = (((recons.astype(np.float32) - targets) / 255) ** 2).mean((1, 2))
                kept = labels_of(clf, targets) == labels_of(clf, recons)
                out[f"{arch}, {path}"] = {
                    "images": n, "beats_nearest_random": float((mses < nearest).mean()),
                    "mean_mse": round(float(mses.mean()), 5), "mean_mse_nearest_random": round(float(nearest.mean()), 5),
                    "mse_ratio": round(float(mses.mean() / nearest.mean()), 3), "label_kept": float(kept.mean()),
                    "p50_s": round(statistics.median(secs), 2), "p95_s": round(float(np.percentile(secs, 95)), 2)}
            out[f"{arch}, upload"].update(step_ms_modules=step_ms(lambda z: space.G(z).flatten(1)),
                                          step_ms_frozen=step_ms(space.forward))
    return out


def bench_classes(n: int = 1000, amount: float = garment.FIT_AMOUNT) -> dict:
    """For each class c: of n samples the classifier calls another class, the share it calls c
    after an edit of `amount` toward c; and the precision of all edited images (are they still
    garments: inside the real test images' feature manifold). Two kinds of direction: the bundled
    fitted ones (fitted on the bank's latents; these samples are other latents) and the mean
    differences the fit starts from."""
    clf = weights.load_classifier()
    real_feats, radii = Evaluator(clf).real()
    out = {}
    for arch in ARCHS:
        fitted = space_of(arch, clf)
        for kind, space in (("fitted", fitted), ("mean difference", garment.Space(fitted.G, clf))):
            z = latents(EVAL_SEED + 1, 4 * n)
            before = labels_of(clf, to_uint8(generate(space.G, z)))
            shares, edited = {}, []
            for c, name in enumerate(garment.CLASSES):
                zc = z[torch.from_numpy(before != c)][:n] + amount * space.directions[name]
                imgs = generate(space.G, zc)
                edited.append(imgs[:100])
                shares[name] = round(float((classify(clf, imgs)[1].argmax(1) == c).mean()), 3)
            feats, probs = classify(clf, torch.cat(edited))
            out[f"{arch}, {kind}"] = {
                "amount": amount, "shares": shares, "mean_share": round(statistics.mean(shares.values()), 3),
                "lowest_share": min(shares.values()),
                "precision_edited": round(metrics(real_feats, feats, probs, radii)["precision"], 3)}
    return out


def bench_fit(steps: int = 10) -> dict:
    """Seconds per step of fit_class_directions (all ten classes), timed over `steps` steps; the
    full fit takes FIT_STEPS of them."""
    clf = weights.load_classifier()
    out = {}
    for arch in ARCHS:
        space = space_of(arch, clf)
        t0 = time.perf_counter()
        garment.fit_class_directions(space, clf, steps)
        per_step = (time.perf_counter() - t0) / steps
        out[arch] = {"s_per_step": round(per_step, 2), "steps": garment.FIT_STEPS,
                     "minutes": round(per_step * garment.FIT_STEPS / 60, 1)}
    return out


def bench_psi(psis=(1.0, 0.9, 0.8, 0.7, 0.5)) -> dict:
    """Precision, recall and FD on 10k samples per psi (latents scaled toward 0)."""
    ev = Evaluator(weights.load_classifier())
    out = {}
    for arch in ARCHS:
        G = weights.load_generator(arch)
        z = latents(EVAL_SEED, 10_000)
        for psi in psis:
            imgs = torch.cat([generate(G, z[i:i + 1000] * psi) for i in range(0, 10_000, 1000)])
            m = ev.images(imgs)
            out[f"{arch} psi={psi:g}"] = {k: round(m[k], 3) for k in ("fd", "precision", "recall", "coverage")}
    return out


def markdown(res: dict) -> str:
    lines = [f"# Your own garment, measured ({res['date']})", "", f"Machine: {res['machine']}, one torch thread. "
             "Regenerate: `python -m benchmarks.garment`.", ""]
    if "invert" in res:
        lines += ["## Inversion of Fashion-MNIST test images (never trained on)", "",
                  "`upload`: the visitor's path, each test image saved as a 4x upscaled PNG and given to "
                  "`Demo.invert` (the `/invert` handler: file read, made Fashion-MNIST-like, inverted). `raw array`: "
                  "the 28x28 array straight into `Space.invert`. Both judged against the original test image.", "",
                  "| model, path | images | beats the nearest of 10k random samples | mean pixel MSE | nearest random's | "
                  "ratio | label kept | p50 s | p95 s | ms per step: G(z) / frozen_forward |",
                  "|---|---|---|---|---|---|---|---|---|---|"]
        lines += [f"| {a} | {v['images']} | {v['beats_nearest_random']:.1%} | {v['mean_mse']} | "
                  f"{v['mean_mse_nearest_random']} | {v['mse_ratio']} | {v['label_kept']:.1%} | {v['p50_s']} | "
                  f"{v['p95_s']} | " + (f"{v['step_ms_modules']} / {v['step_ms_frozen']}" if "step_ms_frozen" in v else "") + " |"
                  for a, v in res["invert"].items()]
        lines += ["", "A step: one latent's forward, backward and Adam update. The schedule: gan/garment.py "
                  "(SCHEDULE).", ""]
    if "classes" in res:
        names = list(next(iter(res["classes"].values()))["shares"])
        lines += ["## Class edits: share of other-class samples called class c after the edit toward c", "",
                  "| model | amount | " + " | ".join(names) + " | mean | lowest | precision of the edited |",
                  "|---|---|" + "---|" * (len(names) + 3)]
        lines += [f"| {a} | {v['amount']:g} | " + " | ".join(f"{v['shares'][n]:.2f}" for n in names) +
                  f" | {v['mean_share']:.3f} | {v['lowest_share']:.2f} | {v['precision_edited']} |"
                  for a, v in res["classes"].items()] + [""]
    if "fit" in res:
        lines += ["## Fitting the class directions (`python -m gan.garment`, train.py after training)", "",
                  "| model | s per step (10 classes x 256 latents) | steps | minutes |", "|---|---|---|---|"]
        lines += [f"| {a} | {v['s_per_step']} | {v['steps']} | {v['minutes']} |" for a, v in res["fit"].items()]
        lines += ["", "Timed over 10 steps, one thread.", ""]
    if "psi" in res:
        lines += ["## Truncation: 10k samples per psi", "", "| model, psi | FD ↓ | precision ↑ | recall ↑ | coverage ↑ |",
                  "|---|---|---|---|---|"]
        lines += [f"| {k} | {v['fd']} | {v['precision']} | {v['recall']} | {v['coverage']} |"
                  for k, v in res["psi"].items()] + [""]
    return "\n".join(lines)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--only", choices=["invert", "classes", "fit", "psi"],
                   help="run one section, keep the others' results")
    p.add_argument("--n", type=int, default=200, help="test images to invert")
    args = p.parse_args()
    torch.set_num_threads(1)
    run_sections("garment", {"invert": lambda: bench_invert(args.n), "classes": bench_classes, "fit": bench_fit,
                  "psi": bench_psi},
                 args.only, markdown)


if __name__ == "__main__":
    main()
