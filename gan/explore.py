"""The report's latent experiments as pure functions: uint8 images and numbers, no UI.

z is a seed's latent row `index` (0..7, the report's 8 images); an edit sets z[p] = v (the
report's experiment) or adds v to it. Brightness is the mean pixel (0..255); change is the mean
absolute pixel difference to the unedited base image.
"""

import numpy as np
import torch

from gan.checks import choice, number, number_list, whole
from gan.limits import MAX_ABS_VALUE, MAX_ITEMS, MAX_STEPS, MIN_STEPS, N_IMAGES, TOP_POSITIONS, Z_POSITIONS
from gan.sampling import generate, latents, to_uint8

MODES = ("set", "add")
DEFAULT_POSITIONS = "10, 60, 80"                     # the report's positions
DEFAULT_VALUES = "-10, -3, -0.3, 0, 0.3, 3, 10"      # small (0.3) to large (10), both signs
DEFAULT_IMPORTANCE_VALUE = 10.0
REPORT_VALUES = "0.3, 10"                          # the report's small and large value for z[p]


def parse_positions(text) -> list:
    return number_list(text, "positions", int, 0, Z_POSITIONS - 1, MAX_ITEMS)


def parse_values(text) -> list:
    return number_list(text, "values", float, -MAX_ABS_VALUE, MAX_ABS_VALUE, MAX_ITEMS)


def check_index(index) -> int:
    return whole(index, "index", 0, N_IMAGES - 1)


def check_value(value) -> float:
    """One edit value: a finite number with |v| <= 1000 (text is parsed like `values`)."""
    return number(value, "value", -MAX_ABS_VALUE, MAX_ABS_VALUE)


def check_mode(mode) -> str:
    return choice(mode, "mode", MODES)


def base_latent(seed, index, z_dim: int) -> torch.Tensor:
    """The seed's latent number `index` (1, z_dim): the same row Sample shows as #index."""
    return latents(seed, N_IMAGES, z_dim)[check_index(index)].unsqueeze(0)


def edited(z: torch.Tensor, positions, values, mode: str) -> torch.Tensor:
    """(P*V, z_dim): row p*V + v is z with z[positions[p]] set to (or increased by) values[v]."""
    P, V = len(positions), len(values)
    zs = z.repeat(P * V, 1)
    pos = torch.tensor(positions).repeat_interleave(V)
    val = torch.tensor(values, dtype=z.dtype).repeat(P)
    rows = torch.arange(P * V)
    zs[rows, pos] = val if mode == "set" else zs[rows, pos] + val
    return zs


def sweep(G, seed, index, positions, values, mode: str = "set"):
    """-> base uint8 (28, 28), grid uint8 (P, V, 28, 28), brightness (P, V), change (P, V)."""
    check_mode(mode)
    z = base_latent(seed, index, G.z_dim)
    imgs = to_uint8(generate(G, torch.cat([z, edited(z, positions, values, mode)])))
    base, grid = imgs[0], imgs[1:].reshape(len(positions), len(values), *imgs.shape[1:])
    brightness = grid.mean(axis=(2, 3))
    change = np.abs(grid.astype(np.int16) - base.astype(np.int16)).mean(axis=(2, 3))
    return base, grid, brightness, change


def importance(G, seed, index, value: float, mode: str = "set", top: int = TOP_POSITIONS):
    """Change caused by editing each of the 100 positions to `value`:
    -> change (100,), the top positions (descending), their images uint8 (top, 28, 28)."""
    _, grid, _, change = sweep(G, seed, index, list(range(G.z_dim)), [value], mode)
    change = change[:, 0]
    order = np.argsort(-change, kind="stable")[:top]
    return change, order, grid[order, 0]


METHODS = ("slerp", "lerp")


def check_steps(steps) -> int:
    return whole(steps, "steps", MIN_STEPS, MAX_STEPS)


def interpolate_latents(za: torch.Tensor, zb: torch.Tensor, steps: int, method: str = "slerp") -> torch.Tensor:
    """(steps, z_dim) from za to zb inclusive. slerp follows the great circle, keeping the norm
    typical of Gaussian latents; lerp is the straight line (its midpoints have smaller norm)."""
    choice(method, "method", METHODS)
    t = torch.linspace(0, 1, check_steps(steps)).unsqueeze(1)
    za, zb = za.reshape(1, -1).double(), zb.reshape(1, -1).double()
    if method == "lerp":
        return ((1 - t) * za + t * zb).float()
    cos = (za * zb).sum() / (za.norm() * zb.norm())
    omega = torch.arccos(cos.clamp(-1, 1))
    if omega.abs() < 1e-6:  # (anti)parallel edge case: slerp degenerates to lerp
        return ((1 - t) * za + t * zb).float()
    return ((torch.sin((1 - t) * omega) * za + torch.sin(t * omega) * zb) / torch.sin(omega)).float()


def interpolate(G, seed_a, index_a, seed_b, index_b, steps, method="slerp") -> np.ndarray:
    """uint8 (steps, 28, 28): from image #index_a of seed_a to #index_b of seed_b."""
    za, zb = base_latent(seed_a, index_a, G.z_dim), base_latent(seed_b, index_b, G.z_dim)
    return to_uint8(generate(G, interpolate_latents(za, zb, steps, method)))
