"""benchmarks/fid.py, the Inception FID of the papers' protocol, on small inputs with known
answers (the real network is 87 MB and minutes of CPU per set: benchmarks only)."""
import numpy as np
import pytest
import torch

from benchmarks import fid
from gan.metrics import frechet_stats


def test_the_resize_is_tf1s_resize_bilinear():
    """2 -> 4 pixels, worked out by hand from TF1's rule (sample j at j * 2 / 4, the last pixel
    held): x0, (x0 + x1) / 2, x1, x1. 28 -> 299 keeps a flat image flat."""
    want = torch.tensor([[1, 0], [0.5, 0.5], [0, 1], [0, 1]])
    assert torch.equal(fid.tf_resize_matrix(2, 4), want)
    flat = fid.network_input(torch.full((1, 1, 28, 28), 200, dtype=torch.uint8))
    assert flat.shape == (1, 3, 299, 299) and torch.allclose(flat, torch.tensor((200 - 128) / 128))


def test_frechet_distance_of_gaussians_is_the_closed_form():
    """S1 = I, S2 = R diag(4, 9) R^T (R a rotation): Tr(S1 + S2 - 2 (S1 S2)^1/2) = 2 + 13 - 2 (2 + 3) = 5;
    the means 0 and (3, 4) add 25. A set against itself: 0."""
    c, s = np.cos(0.3), np.sin(0.3)
    r = np.array([[c, -s], [s, c]])
    s2 = r @ np.diag([4.0, 9.0]) @ r.T
    assert frechet_stats(np.zeros(2), np.eye(2), np.array([3.0, 4.0]), s2) == pytest.approx(30, abs=1e-9)
    assert frechet_stats(np.ones(2), s2, np.ones(2), s2) == pytest.approx(0, abs=1e-9)


def test_stats_of_one_set_twice_give_zero_and_a_brighter_set_does_not(tmp_path):
    """With a stand-in network (the mean of each channel in 4 quadrants, TorchScript like the real
    one): the pipeline's FID of a set against itself is ~0, against the same set brightened > 0."""
    class Quadrants(torch.nn.Module):
        def forward(self, x):
            return torch.nn.functional.adaptive_avg_pool2d(x, 2).flatten(1)
    net = torch.jit.script(Quadrants())
    images = torch.randint(0, 200, (64, 1, 28, 28), generator=torch.Generator().manual_seed(0), dtype=torch.uint8)
    a, b = fid.stats(net, images, batch=16), fid.stats(net, images + 50, batch=16)
    assert frechet_stats(*a, *a) == pytest.approx(0, abs=1e-9)
    assert frechet_stats(*a, *b) > 0.1


def test_a_missing_or_wrong_network_file_is_named_in_a_clear_message(tmp_path, capsys):
    missing = tmp_path / "inception.pt"
    with pytest.raises(SystemExit, match=f"the Inception network {missing} is missing: run `python -m benchmarks.fid --fetch`"):
        fid.main(["--network", str(missing)])
    missing.write_bytes(b"not the network")
    with pytest.raises(SystemExit, match=f"the Inception network {missing} has sha256 [0-9a-f]{{64}}, not {fid.NETWORK['sha256']}"):
        fid.main(["--network", str(missing)])
