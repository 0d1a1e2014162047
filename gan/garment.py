"""Your own garment: an image made to look like Fashion-MNIST, found in a generator's latent space
(GAN inversion), and latents moved along directions that mean something.

Preprocessing follows Fashion-MNIST's own: grayscale, a light garment on a dark ground (a light
background is inverted), cropped to the garment, its longer side scaled to 28 pixels, centred.

Inversion: Adam on z for pixel MSE, from the STARTS bank latents whose images are closest to
the target, side by side (the bank: BANK samples per model, made once); the best is kept. Pixel
MSE is the loss because "closest" means closest in pixels here, and it is what the result is
judged by (benchmarks/garment.md). Deterministic: a fixed bank, fixed steps, no randomness.

Directions (unit vectors in z, so an amount is in units of the prior's standard deviation):
- class c: the mean bank latent the classifier calls c minus the mean of all bank latents;
- pc1..pc10: GANSpace's principal directions of the first layer. That layer is linear in z, so the
  PCA of its outputs over z ~ N(0, I) is exact: the right singular vectors of its weight.
"""
import io

import numpy as np
import torch

from gan.checks import InputError, number_list
from gan.data import CLASSES, to_float
from gan.metrics import classify
from gan.models import CNNGenerator
from gan.sampling import generate, latents, to_uint8
from gan.training import g_forward

SIZE = 28
BANK, BANK_SEED = 2048, 20_251_127  # latents the inversions start from and class directions average
STARTS, LR = 8, 0.1
STEPS = {"mlp": 300, "cnn": 100}   # the CNN's step costs ~30x the MLP's (benchmarks/garment.md)
N_PCS = 10
MAX_PIXELS = 25_000_000            # larger uploads are refused before they are decoded (~100 MB as RGBA)
MAX_SIDE = 1024                    # an accepted image is reduced to this before any float copy
MAX_AMOUNTS, MAX_AMOUNT = 16, 100.0
DIRECTIONS = (*CLASSES, *(f"pc{i + 1}" for i in range(N_PCS)))


# ----------------------------------------------------------------------------- preprocessing

def load_image(source) -> np.ndarray:
    """A file path, bytes or array -> float grayscale (H, W) in [0, 1], a transparent background
    counted as white (a sketchpad's). Big files are refused from their header, before decoding."""
    from PIL import Image, UnidentifiedImageError
    if isinstance(source, np.ndarray):
        img = Image.fromarray(source if source.dtype == np.uint8 else np.clip(source, 0, 255).astype(np.uint8))
    else:
        try:
            img = Image.open(io.BytesIO(source) if isinstance(source, bytes) else source)  # reads the header only
        except Image.DecompressionBombError:  # PIL's own limit, far above ours
            raise InputError("too_big", most=f"{MAX_PIXELS:,}") from None
        except (UnidentifiedImageError, OSError, ValueError, TypeError):
            raise InputError("not_image") from None
        if img.width * img.height > MAX_PIXELS:
            raise InputError("too_big", most=f"{MAX_PIXELS:,}")
    try:
        img.thumbnail((MAX_SIDE, MAX_SIDE))  # decoded once, then reduced: 28x28 is the goal
        rgba = np.asarray(img.convert("RGBA"), dtype=np.float32) / 255
    except (OSError, ValueError, Image.DecompressionBombError):
        raise InputError("not_image") from None
    gray = rgba[..., :3] @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    return gray * rgba[..., 3] + (1 - rgba[..., 3])  # transparent -> white


def fashion_mnist_like(gray: np.ndarray) -> np.ndarray:
    """float (H, W) in [0, 1] -> uint8 (28, 28): light garment on black, cropped, fitted, centred."""
    from PIL import Image
    background = float(np.median(np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])))
    if background > 0.5:  # a light background: Fashion-MNIST's is black
        gray, background = 1 - gray, 1 - background
    gray = np.clip((gray - background) / max(1 - background, 1e-6), 0, 1)  # the background to 0
    if gray.max() < 0.05:
        raise InputError("empty_image")
    mask = gray > 0.1 * gray.max()
    rows, cols = np.flatnonzero(mask.any(1)), np.flatnonzero(mask.any(0))
    crop = gray[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    h, w = crop.shape
    scale = SIZE / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    small = np.asarray(Image.fromarray((crop * 255).astype(np.uint8)).resize(size, Image.LANCZOS))
    out = np.zeros((SIZE, SIZE), np.uint8)
    top, left = (SIZE - small.shape[0]) // 2, (SIZE - small.shape[1]) // 2
    out[top:top + small.shape[0], left:left + small.shape[1]] = small
    return out


# ----------------------------------------------------------------------------- a model's latent space

class Space:
    """One generator's bank, class directions and principal directions; read-only once built."""

    def __init__(self, G, classifier):
        self.G = G.requires_grad_(False)  # gradients flow to z only; G is shared, read-only
        self.z = latents(BANK_SEED, BANK, G.z_dim)
        images = generate(G, self.z)                                  # (BANK, 1, 28, 28) in [-1, 1]
        self.x = images.flatten(1)
        _, probs = classify(classifier, images)
        labels = torch.from_numpy(probs.argmax(1))
        mean = self.z.mean(0)
        self.directions = {}
        for c, name in enumerate(CLASSES):
            d = self.z[labels == c].mean(0) - mean if (labels == c).any() else torch.zeros(G.z_dim)
            self.directions[name] = d / d.norm().clamp_min(1e-8)
        for i, v in enumerate(first_layer_pcs(G)):
            self.directions[f"pc{i + 1}"] = v

    def invert(self, target_u8: np.ndarray) -> tuple:
        """uint8 (28, 28) -> (z (z_dim,), reconstruction uint8 (28, 28), mse on [0, 1] pixels)."""
        target = to_float(torch.from_numpy(target_u8)[None, None]).flatten(1)   # (1, 784) in [-1, 1]
        start = torch.cdist(target, self.x).view(-1).topk(STARTS, largest=False).indices
        z = self.z[start].clone().requires_grad_(True)
        opt = torch.optim.Adam([z], lr=LR)
        steps = STEPS["cnn" if isinstance(self.G, CNNGenerator) else "mlp"]
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)
        for _ in range(steps):
            opt.zero_grad(set_to_none=True)
            # one loss per start, optimized side by side; g_forward: G(z), faster for the CNN on CPU
            loss = (g_forward(self.G, z).flatten(1) - target).pow(2).mean(1)
            loss.sum().backward()
            opt.step()
            sched.step()
        z = z.detach()
        with torch.no_grad():
            errors = (generate(self.G, z).flatten(1) - target).pow(2).mean(1)
        best = int(errors.argmin())
        pixels = to_uint8(generate(self.G, z[best:best + 1]))[0]
        return z[best], pixels, float((((pixels.astype(np.float32) - target_u8) / 255) ** 2).mean())

    def edit(self, z: torch.Tensor, direction: str, amounts: list) -> torch.Tensor:
        """(len(amounts), z_dim): z moved by each amount along the unit direction."""
        d = self.directions[direction]
        return torch.stack([z + a * d for a in amounts])


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


def parse_amounts(text) -> list:
    return number_list(text, "amounts", float, -MAX_AMOUNT, MAX_AMOUNT, MAX_AMOUNTS)
