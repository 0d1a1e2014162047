"""Your own garment: an image made to look like Fashion-MNIST, found in a generator's latent space
(GAN inversion), and latents moved along directions that mean something.

The image comes from gan.upload, made as Fashion-MNIST's own pipeline made the dataset, each step
for a reason: a light background negated and the background made black (the dataset's images are
light garments on 0); an integer upscale of a 28x28 image taken back to it, and an image already
trimmed, fitted and centred kept as it is (resampling again would blur a garment that is already
28 pixels tall); anything else trimmed to the garment (the dataset's 5% threshold), its longer side
fitted to 28 pixels (the dataset's size) and centred (where the dataset puts it).

Inversion: Adam on z for pixel MSE, from the bank latents whose images are closest to the target
(the bank: BANK samples per model, made once), side by side for WARM steps; then the best go on
(SCHEDULE) and the best result is kept. Pixel MSE is the loss because "closest"
means closest in pixels here, and it is what the result is judged by (benchmarks/garment.md).
Deterministic: a fixed bank, fixed steps, no randomness.

Directions (unit vectors in z, so an amount is in units of the prior's standard deviation):
- class c: fitted once per model (fit_class_directions, `python -m gan.garment`) and stored in its
  folder (weights.save_directions): the direction d for which the classifier calls z + 6 d class c,
  over bank latents of other classes. A folder without the file gets the start of that fit: the
  mean bank latent the classifier calls c minus the mean of all bank latents;
- pc1..pc10: GANSpace's principal directions of the first layer. That layer is linear in z, so the
  PCA of its outputs over z ~ N(0, I) is exact: the right singular vectors of its weight.
"""
import argparse
import json
import re
import time

import numpy as np
import torch
import torch.nn.functional as F

from gan import weights
from gan.checks import InputError, number_list
from gan.explore import check_index
from gan.data import CLASSES, to_float
from gan.metrics import classify
from gan.models import CNNGenerator
from gan.limits import MAX_ABS_VALUE, MAX_AMOUNT, MAX_ITEMS, N_IMAGES
from gan.sampling import check_seed, generate, latents, to_uint8
from gan.upload import SIZE

BANK, BANK_SEED = 2048, 20_251_127  # latents the inversions start from and class directions average
WARM = 20                          # steps all starts run, side by side
# per model: (starts, how many of them go on after WARM steps, for how many steps, Adam's learning
# rate). The MLP's image has many local minima in z, so all its starts go on; a CNN step costs more,
# so the best of fewer starts goes on alone (the trade-offs: benchmarks/garment.md)
SCHEDULE = {"mlp": (8, 8, 600, 0.3), "cnn": (4, 1, 350, 0.15)}
FIT_AMOUNT, FIT_STEPS, FIT_BATCH, FIT_LR = 6.0, 100, 256, 0.05  # fit_class_directions
N_PCS = 10
DIRECTIONS = (*CLASSES, *(f"pc{i + 1}" for i in range(N_PCS)))
DEFAULT_LATENT, DEFAULT_DIRECTION, DEFAULT_AMOUNTS = "114514/3", "Trouser", "-6, -3, 0, 3, 6"  # the tab's


# ----------------------------------------------------------------------------- a model's latent space

class Space:
    """One generator's bank, class directions and principal directions; read-only once built."""

    def __init__(self, G, classifier, fitted: dict = None):
        """fitted: class name -> unit direction (directions.safetensors); None: mean differences."""
        self.G = G.requires_grad_(False)  # gradients flow to z only; G is shared, read-only
        self.forward = frozen_forward(G)
        self.z = latents(BANK_SEED, BANK, G.z_dim)
        images = generate(G, self.z)                                  # (BANK, 1, 28, 28) in [-1, 1]
        self.x = images.flatten(1)
        _, probs = classify(classifier, images)
        self.labels = labels = torch.from_numpy(probs.argmax(1))
        mean = self.z.mean(0)
        self.directions = {}
        for c, name in enumerate(CLASSES):
            d = self.z[labels == c].mean(0) - mean if (labels == c).any() else torch.zeros(G.z_dim)
            self.directions[name] = d / d.norm().clamp_min(1e-8)
        self.directions.update(fitted or {})
        for i, v in enumerate(first_layer_pcs(G)):
            self.directions[f"pc{i + 1}"] = v

    def invert(self, target_u8: np.ndarray) -> tuple:
        """uint8 (28, 28) -> (z (z_dim,), reconstruction uint8 (28, 28), mse on [0, 1] pixels)."""
        target = to_float(torch.from_numpy(target_u8)[None, None]).flatten(1)   # (1, 784) in [-1, 1]
        starts, keep, steps, lr = SCHEDULE["cnn" if isinstance(self.G, CNNGenerator) else "mlp"]
        start = torch.cdist(target, self.x).view(-1).topk(starts, largest=False).indices
        z, loss = self._descend(self.z[start], target, WARM, lr)
        z, _ = self._descend(z[loss.topk(keep, largest=False).indices], target, steps, lr)
        images = generate(self.G, z)
        best = int((images.flatten(1) - target).pow(2).mean(1).argmin())
        pixels = to_uint8(images[best:best + 1])[0]
        return z[best], pixels, float((((pixels.astype(np.float32) - target_u8) / 255) ** 2).mean())

    def _descend(self, z, target, steps: int, lr: float) -> tuple:
        """Adam on each row of z for pixel MSE to target, side by side, with a cosine-decayed rate;
        -> (z, each row's last loss)."""
        z = z.clone().requires_grad_(True)
        opt = torch.optim.Adam([z], lr=lr)
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)
        for _ in range(steps):
            opt.zero_grad(set_to_none=True)
            loss = (self.forward(z) - target).pow(2).mean(1)  # one loss per row: rows do not interact
            loss.sum().backward()
            opt.step()
            sched.step()
        return z.detach(), loss.detach()

    def edit(self, z: torch.Tensor, direction: str, amounts: list) -> torch.Tensor:
        return move(z, self.directions[direction], amounts)


def move(z: torch.Tensor, d: torch.Tensor, amounts: list) -> torch.Tensor:
    """(len(amounts), z_dim): z moved by each amount along the unit direction d, in float32 (the
    Latent lab's browser code repeats this arithmetic: gan/static/latent_lab.js)."""
    return torch.stack([z + a * d for a in amounts])


def directions(G, fitted: dict = None) -> dict:
    """name -> unit direction without a bank: the fitted class directions and the principal ones
    (what Space.directions holds when the folder has fitted ones); None without fitted ones."""
    if not fitted:
        return None
    return {**fitted, **{f"pc{i + 1}": v for i, v in enumerate(first_layer_pcs(G))}}


def frozen_forward(G):
    """z (N, z_dim) -> G(z) flattened to (N, 784), for gradients with respect to z only; equal to
    G(z) in eval mode up to float rounding (tests/test_garment.py). For the CNN each layer is laid
    out once as one matmul (+ F.fold, col2im, for the stride-2 transposed convolutions), with
    BatchNorm's running statistics folded into a scale and a shift: a step on one latent is several
    times faster on one CPU thread than through the modules (benchmarks/garment.md)."""
    if not isinstance(G, CNNGenerator):
        return lambda z: G(z).flatten(1)
    m = G.main  # ConvT(100,128,7), BN, ReLU, ConvT(128,64,4,2,1), BN, ReLU, ConvT(64,1,4,2,1), Tanh

    def scale_shift(bn):  # eval-mode BatchNorm as y = x * scale + shift, per channel: (C, 1) each
        scale = bn.weight / (bn.running_var + bn.eps).sqrt()
        return scale[:, None].detach(), (bn.bias - bn.running_mean * scale)[:, None].detach()

    w1 = m[0].weight.detach().flatten(1)                # (100, 128*7*7): a 1x1 input makes it a matmul
    w2 = m[3].weight.detach().flatten(1).T.contiguous()  # (64*4*4, 128): columns for F.fold
    w3 = m[6].weight.detach().flatten(1).T.contiguous()  # (1*4*4, 64)
    (s1, b1), (s2, b2) = scale_shift(m[1]), scale_shift(m[4])

    def forward(z):
        n = z.size(0)
        x = torch.relu((z @ w1).view(n, 128, 49) * s1 + b1)                # (N, 128, 7*7)
        x = F.fold(w2 @ x, (14, 14), 4, stride=2, padding=1)                # (N, 64, 14, 14)
        x = torch.relu(x.view(n, 64, 196) * s2 + b2)                        # (N, 64, 14*14)
        x = F.fold(w3 @ x, (28, 28), 4, stride=2, padding=1)                # (N, 1, 28, 28)
        return torch.tanh(x).flatten(1)
    return forward


def fit_class_directions(space: Space, classifier, steps: int = FIT_STEPS, batch: int = FIT_BATCH) -> dict:
    """class name -> the unit z-direction d for which the classifier calls z + FIT_AMOUNT * d class
    c, for bank latents z it calls another class: cross-entropy on the edited images, Adam on d,
    starting from the mean difference. A linear walk learnt through the generator (as in "On the
    steerability of GANs", Jahanian et al. 2020), with the classifier as its target: one direction
    per class for every latent, not a per-image search. Seeded: the same model, the same result."""
    classifier = classifier.requires_grad_(False).eval()
    out = {}
    for c, name in enumerate(CLASSES):
        pool = space.z[space.labels != c]
        v = space.directions[name].clone().requires_grad_(True)
        opt = torch.optim.Adam([v], lr=FIT_LR)
        g = torch.Generator().manual_seed(c)
        for _ in range(steps):
            z = pool[torch.randint(len(pool), (batch,), generator=g)]
            x = space.forward(z + FIT_AMOUNT * v / v.norm()).view(batch, 1, SIZE, SIZE)
            loss = F.cross_entropy(classifier.head(classifier.features(x)), torch.full((batch,), c))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        out[name] = (v / v.norm()).detach()
    return out


def first_layer_pcs(G, k: int = N_PCS) -> list:
    """GANSpace on the first layer: unit z-directions of its largest output variance, signs fixed
    so that each direction's largest component is positive."""
    if isinstance(G, CNNGenerator):
        w = G.main[0].weight.detach().flatten(1).T  # ConvTranspose2d on a 1x1 input: (128*7*7, z_dim)
    else:
        w = G.fc1.weight.detach()                   # (128, z_dim)
    _, _, vh = torch.linalg.svd(w.double(), full_matrices=False)
    out = []
    for v in vh[:k].float():
        out.append(v * torch.sign(v[v.abs().argmax()]))
    return out


def parse_latent(text, z_dim: int) -> torch.Tensor:
    """'[0.1, -2, ...]' (z_dim numbers) or 'SEED/INDEX' (image #INDEX of a seed) -> (z_dim,)."""
    if isinstance(text, str) and re.fullmatch(r"\s*\d+\s*/\s*\d+\s*", text):
        seed, index = (int(p) for p in text.split("/"))
        return latents(check_seed(seed), N_IMAGES, z_dim)[check_index(index)]
    try:
        values = json.loads(text) if isinstance(text, str) else None
    except ValueError:
        values = None
    if not isinstance(values, list) or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        raise InputError("latent_text", z=z_dim)
    if len(values) != z_dim:
        raise InputError("latent_length", z=z_dim, count=len(values))
    z = torch.tensor(values, dtype=torch.float32)
    if not torch.isfinite(z).all() or z.abs().max() > MAX_ABS_VALUE:
        raise InputError("latent_finite", most=f"{MAX_ABS_VALUE:g}")
    return z


def parse_amounts(text) -> list:
    return number_list(text, "amounts", float, -MAX_AMOUNT, MAX_AMOUNT, MAX_ITEMS)


def fit_folder(arch: str, folder, steps: int = FIT_STEPS):
    """Fit a model folder's class directions and write them into it; -> the file written."""
    classifier = weights.load_classifier()
    space = Space(weights.load_generator(arch, folder), classifier)
    return weights.save_directions(folder, fit_class_directions(space, classifier, steps))


def main(argv=None):
    """Fit a model folder's class directions and write them into it (train.py does this after training)."""
    p = argparse.ArgumentParser(prog="python -m gan.garment", description=main.__doc__,
                                epilog="example: python -m gan.garment --arch cnn --folder weights/cnn"
                                       "   # minutes on 2 cores")
    p.add_argument("--arch", required=True, choices=("mlp", "cnn"), help="the folder's architecture")
    p.add_argument("--folder", help="the model folder (default: the bundled weights/ARCH)")
    p.add_argument("--steps", type=int, default=FIT_STEPS, help="Adam steps per class (fewer: a rougher fit)")
    args = p.parse_args(argv)
    t0 = time.perf_counter()
    path = fit_folder(args.arch, args.folder or weights.bundled_dir(args.arch), args.steps)
    print(f"wrote {path} in {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
