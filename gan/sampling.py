"""Seeds -> latents -> images. A seed is the identity of a sample.

Latents are drawn on the CPU from a local torch.Generator, so image i of seed s is the same
whatever n, batch size, device, process or caller; generators run in eval mode (BatchNorm uses
running statistics, so an image never depends on its batch) under torch.inference_mode().
"""
import numpy as np
import torch

from gan.checks import whole
from gan.limits import N_IMAGES, SEED_MAX



def check_seed(seed) -> int:
    return whole(seed, "seed", 0, SEED_MAX)


def latents(seed: int, n: int = N_IMAGES, z_dim: int = 100) -> torch.Tensor:
    """(n, z_dim) float32 standard normal on the CPU; row i depends only on (seed, i).

    Rows are drawn one randn call each, in order, from a local generator seeded with `seed`:
    one call for all n rows would not do, since torch fills a tensor whose size is not a
    multiple of 16 with a different tail, so row i would depend on n."""
    seed = check_seed(seed)
    n = whole(n, "n", 0, 2**31 - 1)
    g = torch.Generator(device="cpu").manual_seed(seed)
    rows = [torch.randn(z_dim, generator=g) for _ in range(n)]
    return torch.stack(rows) if rows else torch.empty(0, z_dim)


@torch.inference_mode()
def generate(G, z: torch.Tensor) -> torch.Tensor:
    """Images (N, 1, 28, 28) in [-1, 1] for latents z, on G's device, G in eval mode."""
    assert not G.training, "generate() needs the generator in eval mode"
    device = next(G.parameters()).device
    return G(z.to(device)).float().cpu()


def pixels(images: torch.Tensor) -> torch.Tensor:
    """The one float -> pixels conversion: [-1, 1] float (N, 1, H, W) -> uint8 (N, H, W), as a
    tensor op (gan.export puts it into the generators' ONNX graphs, so the browser gets pixels)."""
    return (images.float() * 127.5 + 128.0).clamp(0, 255).to(torch.uint8)[:, 0]


def to_uint8(images: torch.Tensor) -> np.ndarray:
    """pixels() of images anywhere, as a numpy array."""
    return pixels(images.detach().cpu()).numpy()


def sample(G, seed: int, n: int = N_IMAGES, psi: float = 1.0) -> np.ndarray:
    """uint8 (n, 28, 28): the first n images of a seed; psi < 1 truncates (latents scaled toward
    the prior's mean, 0: less variety, more typical garments; psi = 1 leaves them as drawn)."""
    return to_uint8(generate(G, latents(seed, n, G.z_dim) * psi))


def upscale(img: np.ndarray, factor: int = 8) -> np.ndarray:
    """Nearest-neighbour upscale of a uint8 (H, W) image, so 28x28 stays crisp."""
    return img.repeat(factor, axis=0).repeat(factor, axis=1)  # faster than np.kron with ones (benchmarks/speed.md)


def tiles(image: np.ndarray, n: int, cols: int = 8, pad: int = 2, factor: int = 1, size: int = 28) -> np.ndarray:
    """The inverse of upscale(grid(images, cols, pad), factor): uint8 (n, size, size) tiles back out
    of one image (how a client splits the /sample strip into its 8 images)."""
    small = np.asarray(image)[::factor, ::factor]
    rows = [divmod(i, cols) for i in range(n)]
    return np.stack([small[pad + r * (size + pad): pad + r * (size + pad) + size,
                           pad + c * (size + pad): pad + c * (size + pad) + size] for r, c in rows])


def grid(images: np.ndarray, cols: int = 8, pad: int = 2) -> np.ndarray:
    """uint8 (N, H, W) -> one uint8 image with the N tiles in rows of `cols`."""
    n, h, w = images.shape
    rows = -(-n // cols)
    out = np.zeros((rows * (h + pad) + pad, cols * (w + pad) + pad), dtype=np.uint8)
    for i, img in enumerate(images):
        r, c = divmod(i, cols)
        out[pad + r * (h + pad): pad + r * (h + pad) + h, pad + c * (w + pad): pad + c * (w + pad) + w] = img
    return out
