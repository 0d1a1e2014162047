"""weights/examples: what the Garment and Train tabs open with is still what the code makes
(gan.examples keeps it as data so that start-up does not run an inversion and a minute of training)."""
import json

import numpy as np
import pytest
import torch
from PIL import Image
from safetensors.torch import load_file

from gan import cockpit, examples, garment, live, nearest, weights
from gan.data import to_float
from gan.metrics import classify
from gan.sampling import generate, to_uint8
from test_app import render


def test_the_example_drawing_is_the_one_drawn_by_code():
    assert np.array_equal(np.asarray(Image.open(examples.DRAWING)), examples.draw())


@pytest.mark.slow
@pytest.mark.parametrize("arch", ["mlp", "cnn"])
def test_the_example_inversions_are_what_invert_finds(arch):
    """The bundled latent draws what Space.invert, run now on the example drawing, draws: the
    same pixels on the machine that made it; elsewhere (other CPUs round differently, and 600 Adam
    steps carry it) as close to the drawing, within 10%, and the same class."""
    clf = weights.load_classifier()
    G = weights.load_generator(arch)
    space = garment.Space(G, clf, weights.load_directions(weights.bundled_dir(arch), G.z_dim))
    target = examples.target()
    _, recon, mse = space.invert(target)
    stored = to_uint8(generate(G, examples.inversion(arch)[None]))[0]
    stored_mse = (((stored.astype(np.float64) - target) / 255) ** 2).mean()
    assert stored_mse == pytest.approx(mse, rel=0.1)
    assert classify(clf, to_float(torch.from_numpy(np.stack([stored, recon]))[:, None]))[1].argmax(1).tolist() == \
        [classify(clf, to_float(torch.from_numpy(recon)[None, None]))[1].argmax()] * 2


@pytest.mark.slow
def test_the_example_job_is_the_default_job(tmp_path):
    """The example's first epoch is a 1-epoch job of the same inputs, run now (a job's epoch e does
    not depend on how many follow): the same FD and curve points; it ran all 10 epochs."""
    run = examples.train_update()
    cfg = examples.TRAIN_JOB
    assert run.stats["done"] and run.stats["epoch"] == cfg["epochs"] == 10 and not run.stats["capped"]
    job = cockpit.check_job(cfg["arch"], cfg["recipe"], 1, cfg["seed"])
    images, feats = live.subset(nearest.load_index(weights.NEAREST_INDEX), job)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        first = list(live.job(job, images, feats, weights.load_classifier(), cap_s=300))[-1]
    finally:
        torch.set_num_threads(threads)
    # bit-equal on the machine that made it; another CPU rounds differently, over 125 steps
    assert run.fd[0]["FD"] == pytest.approx(first.fd[0]["FD"], rel=0.05)
    for got, want in zip(run.curves[:len(first.curves)], first.curves):
        assert got == pytest.approx(want, rel=0.05, abs=1e-3)


def test_the_garment_tab_opens_with_the_example_inverted_and_edited():
    """Demo.garment_example (the tab's opening result, made without waiting for the garment
    spaces): the example drawing as the file, its target, the bundled latent (inversions.json) and
    G's image of it, and that latent moved along the fitted direction (directions.safetensors) by
    the tab's default amounts, each image computed here."""
    from gan.demo import Demo
    file, target, recon, info, latent, strip = Demo.load().garment_example("cnn")
    G = weights.load_generator("cnn")
    stored = json.loads(examples.INVERSIONS.read_text())["cnn"]
    z = torch.tensor(stored)
    direction = load_file(weights.bundled_dir("cnn") / "directions.safetensors")[garment.DEFAULT_DIRECTION]
    amounts = [float(a) for a in garment.DEFAULT_AMOUNTS.split(",")]
    assert open(file, "rb").read() == examples.DRAWING.read_bytes()
    assert np.array_equal(target[::8, ::8], examples.target())
    assert json.loads(latent) == info["latent"] == stored
    assert np.array_equal(recon[::8, ::8], render(G, z[None])[0])
    want = render(G, torch.stack([z + a * direction for a in amounts]))
    assert len(strip) == len(amounts) and all(np.array_equal(item[0][::8, ::8], w) for item, w in zip(strip, want))
