"""The report's latent experiments, UI-free: parsing, edits, and the report's observations measured."""
import numpy as np
import pytest
import torch

from gan import explore, weights
from gan.sampling import latents, sample
from test_app import render


def test_parse_lists():
    assert explore.parse_positions("10, 60, 80") == [10, 60, 80]
    assert explore.parse_values("-10 -0.3;3e0, .5") == [-10.0, -0.3, 3.0, 0.5]
    for bad, msg in [("", "at least one"), ("1,2,x", "'x' is not a number"), ("nan", "not a number"),
                     ("inf", "not a number"), ("1e308", "outside"), ("１２", "not a number"),
                     (",".join("1" * 17), "at most 16"), ("9" * 40, "not a number")]:
        with pytest.raises(ValueError, match=msg):
            explore.parse_values(bad)
    with pytest.raises(ValueError, match="not a whole number"):
        explore.parse_positions("1.5")
    with pytest.raises(ValueError, match="outside 0..99"):
        explore.parse_positions("-1")
    with pytest.raises(ValueError, match="must be text"):
        explore.parse_values(None)


def test_edited_latents():
    z = torch.zeros(1, 100)
    zs = explore.edited(z, [1, 5], [2.0, 3.0, 4.0], "set")
    assert zs.shape == (6, 100)
    assert zs[4, 5] == 3.0 and zs[4].abs().sum() == 3.0
    assert torch.equal(explore.edited(z + 1, [0], [0.0], "add"), z + 1)


def test_sweep_base_is_the_sample_and_add_zero_changes_nothing():
    G = weights.load_generator("mlp")
    base, grid, brightness, change = explore.sweep(G, 114514, 3, [10, 60], [0.0, 10.0], "add")
    assert np.array_equal(base, sample(G, 114514, 8)[3])
    assert np.array_equal(grid[0, 0], base) and change[:, 0].tolist() == [0.0, 0.0]
    assert grid.shape == (2, 2, 28, 28) and brightness.shape == (2, 2)


def test_report_observation_small_values_barely_change_large_ones_do():
    """The report: z[p] = 0.3 barely changes the image, z[p] = 10 changes it a lot (measured)."""
    for arch in ("mlp", "cnn"):
        G = weights.load_generator(arch)
        _, _, _, change = explore.sweep(G, 114514, 0, list(range(0, 100, 10)), [0.3, 10.0], "add")
        assert change[:, 1].mean() > 3 * change[:, 0].mean()


def test_importance_measures_every_position_set_to_the_value():
    """The change at position p is the mean absolute pixel difference between seed 7's image #0
    and that image with z[p] set to 10, computed here for all 100 positions; the top 8 are the
    largest of those, largest first (ties: the lower position), with their images."""
    G = weights.load_generator("cnn")
    change, order, imgs = explore.importance(G, 7, 0, 10.0, "set")
    z = latents(7, 8)[0]
    edited = z.repeat(100, 1)
    edited[range(100), range(100)] = 10.0  # row p: z with z[p] = 10
    images = render(G, edited).astype(np.int16)
    want = np.abs(images - render(G, z[None]).astype(np.int16)).mean(axis=(1, 2))
    np.testing.assert_allclose(change, want, rtol=0, atol=1e-9)
    top = sorted(range(100), key=lambda p: (-want[p], p))[:8]
    assert list(order) == top and np.array_equal(imgs, images[top])


def test_nearest_index_finds_training_images_themselves():
    from gan import nearest
    index = nearest.load_index(weights.NEAREST_INDEX)
    assert index["images"].shape == (8000, 28, 28) and index["features"].shape == (8000, 128)
    assert index["labels"].bincount().tolist() == [800] * 10
    clf = weights.load_classifier()
    probe = index["images"][[5, 4000]].numpy()
    found = nearest.query(index, clf, probe, k=3)
    for space in ("pixels", "features"):
        idx, dist = found[space]
        assert idx[:, 0].tolist() == [5, 4000] and np.allclose(dist[:, 0], 0, atol=0.05)
        assert (np.diff(dist, axis=1) >= 0).all()


def test_interpolation_endpoints_and_norms():
    za, zb = torch.randn(2, 1, 100, generator=torch.Generator().manual_seed(0))
    s = explore.interpolate_latents(za, zb, 5, "slerp")
    l = explore.interpolate_latents(za, zb, 5, "lerp")
    assert torch.allclose(s[0], za[0], atol=1e-5) and torch.allclose(s[-1], zb[0], atol=1e-5)
    assert torch.allclose(l[2], (za[0] + zb[0]) / 2, atol=1e-5)
    assert s[2].norm() > l[2].norm()  # slerp keeps the typical norm, lerp's midpoint shrinks
    with pytest.raises(ValueError, match="steps must be a whole number from 2 to 32"):
        explore.interpolate_latents(za, zb, 33)
    with pytest.raises(ValueError, match="method must be one of slerp, lerp"):
        explore.interpolate_latents(za, zb, 4, "cubic")


def test_nearest_build_cli_on_a_small_subset(tmp_path, capsys):
    """`python -m gan.nearest build --per-class 20` (its main, in this process): 200 training
    images, 20 per class, each stored with its own pixels, label and classifier features, and
    distinct; --per-class 0 is a usage error."""
    from gan import data, nearest
    from gan.metrics import classify
    out = tmp_path / "idx.safetensors"
    nearest.main(["build", "--per-class", "20", "--out", str(out)])
    index = nearest.load_index(out)
    x, y = data.load("train")
    ids = index["train_index"]
    assert len(set(ids.tolist())) == 200 and index["labels"].bincount().tolist() == [20] * 10
    assert torch.equal(index["images"], x[ids, 0]) and torch.equal(index["labels"], y[ids])
    feats, _ = classify(weights.load_classifier(), data.to_float(x[ids]))
    np.testing.assert_allclose(index["features"].float().numpy(), feats, rtol=2e-3, atol=2e-3)  # stored as float16
    with pytest.raises(SystemExit) as e:
        nearest.main(["build", "--per-class", "0"])
    assert e.value.code == 2 and "--per-class must be from 1 to 6000" in capsys.readouterr().err
