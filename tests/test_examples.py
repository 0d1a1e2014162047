"""weights/examples: what the Garment and Train tabs open with is still what the code makes
(gan.examples keeps it as data so that start-up does not run an inversion and a minute of training)."""
import numpy as np
import pytest
import torch
from PIL import Image

from gan import examples, garment, live, nearest, weights
from gan.sampling import generate, to_uint8


def test_the_example_drawing_is_the_one_drawn_by_code():
    assert np.array_equal(np.asarray(Image.open(examples.DRAWING)), examples.draw())


@pytest.mark.slow
@pytest.mark.parametrize("arch", ["mlp", "cnn"])
def test_the_example_inversions_are_what_invert_finds(arch):
    """The bundled latent draws what Space.invert, run now on the example drawing, draws."""
    clf = weights.load_classifier()
    G = weights.load_generator(arch)
    space = garment.Space(G, clf, weights.load_directions(weights.bundled_dir(arch), G.z_dim))
    z, recon, _ = space.invert(examples.target())
    stored = examples.inversion(arch)
    assert torch.allclose(stored, z, atol=1e-5)
    assert np.abs(to_uint8(generate(G, stored[None]))[0].astype(int) - recon).max() <= 1


@pytest.mark.slow
def test_the_example_job_is_the_default_job(tmp_path):
    """The example's first epoch is a 1-epoch job of the same inputs, run now (a job's epoch e does
    not depend on how many follow): the same FD and the same curve points; it ran all 10 epochs."""
    run = examples.train_update()
    cfg = examples.TRAIN_JOB
    assert run.stats["done"] and run.stats["epoch"] == cfg["epochs"] == 10 and not run.stats["capped"]
    images, feats = live.subset(nearest.load_index(weights.NEAREST_INDEX), cfg["arch"])
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        first = list(live.job(live.check_job(cfg["arch"], cfg["recipe"], 1, cfg["seed"]), images, feats,
                              weights.load_classifier(), cap_s=300))[-1]
    finally:
        torch.set_num_threads(threads)
    assert run.fd[0] == first.fd[0]
    assert run.curves[:len(first.curves)] == pytest.approx(first.curves, rel=1e-6)


def test_the_garment_tab_opens_with_what_edit_returns():
    """Demo.garment_example (the tab's opening result, made without waiting for the garment
    spaces): the example drawing as the file, its target, and the strip /edit returns for its latent."""
    from gan.demo import Demo
    demo = Demo.load()
    file, target, _, info, latent, strip = demo.garment_example("cnn")
    assert open(file, "rb").read() == examples.DRAWING.read_bytes()
    assert np.array_equal(target[::8, ::8], examples.target()) and latent == Demo.latent_text(info)
    edited = demo.edit("cnn", latent, garment.DEFAULT_DIRECTION, garment.DEFAULT_AMOUNTS)
    assert len(strip) == len(edited) == 5 and all(np.array_equal(a[0], b[0]) for a, b in zip(strip, edited))
