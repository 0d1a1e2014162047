"""A seed is the identity of a sample: same pixels whatever n, batch, call order or caller."""
import numpy as np
import pytest
import safetensors.torch
import torch

from gan import sampling, weights
from gan.models import ARCHS


def test_latents_prefix_stable_and_local():
    torch.manual_seed(1)
    a = sampling.latents(7, 3)
    torch.manual_seed(999)  # the global RNG plays no part
    b = sampling.latents(7, 16)
    assert torch.equal(a, b[:3])
    assert not torch.equal(sampling.latents(8, 3), a)
    assert sampling.latents(2**32 - 1, 1).shape == (1, 100)


@pytest.mark.parametrize("bad", [-1, 2**32, 1.5, "7", None, True, float("nan")])
def test_bad_seeds(bad):
    with pytest.raises(ValueError, match="seed must be a whole number from 0 to 4294967295"):
        sampling.latents(bad, 1)


@pytest.mark.parametrize("arch", list(ARCHS))
def test_image_i_independent_of_n_and_order(arch):
    G = weights.load_generator(arch)
    eight = sampling.sample(G, 114514, 8)
    sampling.sample(G, 1, 64)  # another call in between changes nothing
    two = sampling.sample(G, 114514, 2)
    assert np.array_equal(eight[:2], two)
    # one image at a time (batch of 1) equals the batch
    z = sampling.latents(114514, 8)
    singles = np.concatenate([sampling.to_uint8(sampling.generate(G, z[i:i + 1])) for i in range(8)])
    assert np.array_equal(singles, eight)


def test_to_uint8_and_grid():
    x = torch.tensor([-1.0, 0.0, 1.0, 2.0]).view(1, 1, 1, 4)
    assert sampling.to_uint8(x).tolist() == [[[0, 128, 255, 255]]]
    g = sampling.grid(np.full((10, 28, 28), 200, np.uint8), cols=8)
    assert g.shape == (2 * 30 + 2, 8 * 30 + 2)
    assert sampling.upscale(np.array([[1, 2], [3, 4]], np.uint8), 2).tolist() == \
        [[1, 1, 2, 2], [1, 1, 2, 2], [3, 3, 4, 4], [3, 3, 4, 4]]


@pytest.mark.parametrize("arch", list(ARCHS))
def test_bundled_weights_load_strictly_and_give_finite_images(arch):
    G = weights.load_generator(arch)
    x = sampling.generate(G, sampling.latents(0, 16))
    assert torch.isfinite(x).all() and x.std() > 0.05  # not a blank image
    D = weights.load_discriminator(arch)  # what the file holds, read here without the loader
    want = safetensors.torch.load_file(weights.bundled_dir(arch) / weights.D_SUBDIR / weights.MODEL_FILE)
    assert D.state_dict().keys() == want.keys() and all(torch.equal(v, want[k]) for k, v in D.state_dict().items())
    assert (weights.bundled_dir(arch) / "summary.json").is_file()


def test_row_i_independent_of_n_for_every_n():
    """torch's randn fills sizes that are not a multiple of 16 differently at the tail: the
    latents must not inherit that (row i depends on seed and i alone)."""
    full = sampling.latents(114514, 40)
    for n in range(1, 40):
        assert torch.equal(sampling.latents(114514, n), full[:n]), n


def test_tiles_undo_grid_and_upscale():
    imgs = np.random.default_rng(0).integers(0, 256, (8, 28, 28), dtype=np.uint8)
    for cols, factor in ((8, 6), (3, 1), (4, 2)):
        big = sampling.upscale(sampling.grid(imgs, cols=cols, pad=2), factor)
        assert np.array_equal(sampling.tiles(big, 8, cols=cols, pad=2, factor=factor), imgs)
