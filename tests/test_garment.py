"""Your own garment: preprocessing, inversion, directions, truncation, and the /invert and /edit
endpoints, each against what the test computes itself."""
import json

import numpy as np
import pytest
import torch
from PIL import Image

from conftest import call
from gan import data as fmnist
from gan import garment, weights
from gan.data import CLASSES, to_float
from gan.metrics import classify
from gan.sampling import generate, latents, sample, to_uint8
from test_app import G, pixels, strip_pixels  # noqa: F401 (G: a fixture)


@pytest.fixture(scope="module")
def spaces():
    clf = weights.load_classifier()
    return {a: garment.Space(weights.load_generator(a), clf) for a in ("mlp", "cnn")}


def label(img_u8) -> str:
    _, p = classify(weights.load_classifier(), to_float(torch.from_numpy(img_u8.copy())[None, None]))
    return CLASSES[p[0].argmax()]


@pytest.mark.parametrize("arch, most", [("mlp", 0.002), ("cnn", 0.01)])
def test_inverting_a_generated_image_finds_it_again(spaces, arch, most):
    G = spaces[arch].G
    target = sample(G, 114514)[3]
    z, recon, mse = spaces[arch].invert(target)
    assert mse < most and mse == pytest.approx(((recon / 255.0 - target / 255.0) ** 2).mean(), rel=1e-5)
    assert np.array_equal(recon, to_uint8(generate(G, z[None]))[0])  # the latent it reports draws it
    assert label(recon) == label(target)


@pytest.mark.parametrize("arch", ["mlp", "cnn"])
def test_the_inversion_starts_nearest_and_keeps_the_best(spaces, arch, monkeypatch):
    """On a real test image, where the restarts end apart: the starts are the bank latents whose
    images are nearest the target (brute force here), the lowest-loss ones after the side-by-side
    steps go on (MLP all 8, CNN the best of 4), and the result is the best of those that went on."""
    space, (starts, keep, _, _) = spaces[arch], garment.SCHEDULE[arch]
    target = fmnist.load("test")[0][17, 0].numpy()
    calls = []
    descend = garment.Space._descend
    monkeypatch.setattr(garment.Space, "_descend", lambda self, z, *a: calls.append((z, descend(self, z, *a))) or calls[-1][1])
    z, recon, mse = space.invert(target)
    want = to_float(torch.from_numpy(target)).flatten()  # pixel distances as the inversion measures them
    bank = (generate(space.G, space.z).flatten(1) - want).pow(2).sum(1)
    assert torch.equal(calls[0][0], space.z[bank.argsort(stable=True)[:starts]])
    (_, (warm_z, warm_loss)), (second_z, (final_z, _)) = calls
    assert torch.equal(second_z, warm_z[warm_loss.argsort()[:keep]])
    finals = to_uint8(generate(space.G, final_z))
    mses = (((finals.astype(np.float64) - target) / 255) ** 2).mean((1, 2))
    assert mse == pytest.approx(mses.min(), abs=1e-6) and torch.equal(z, final_z[mses.argmin()])
    if keep > 1:
        assert mses.max() > mses.min() + 1e-3  # the restarts end apart: keeping another would show


def test_every_direction_is_a_unit_vector(spaces):
    """An amount is in units of the prior's standard deviation: mean differences, the bundled
    fitted directions and the principal ones all have length 1."""
    fitted = garment.Space(spaces["mlp"].G, weights.load_classifier(),
                           weights.load_directions(weights.bundled_dir("mlp"), 100))
    for space in (*spaces.values(), fitted):
        assert set(space.directions) == set(garment.DIRECTIONS)
        for name, d in space.directions.items():
            assert float(d.norm()) == pytest.approx(1, abs=1e-5), name


def test_principal_directions_are_the_first_layers_top_eigenvectors(spaces):
    """GANSpace on a linear first layer: the top eigenvectors of W^T W (computed here with eigh)."""
    for arch, space in spaces.items():
        layer = space.G.fc1.weight if arch == "mlp" else space.G.main[0].weight.flatten(1).T
        w = layer.detach().double()
        vals, vecs = torch.linalg.eigh(w.T @ w)
        for k in range(garment.N_PCS):
            want = vecs[:, -1 - k].float()
            got = space.directions[f"pc{k + 1}"]
            assert abs(float(got @ want)) == pytest.approx(1, abs=1e-4), (arch, k)


def test_without_fitted_directions_class_directions_are_mean_latent_differences(spaces):
    space = spaces["cnn"]  # built without a directions file
    _, probs = classify(weights.load_classifier(), generate(space.G, space.z))
    picked = space.z[torch.from_numpy(probs.argmax(1) == 1)]  # what the classifier calls Trouser
    want = picked.mean(0) - space.z.mean(0)
    assert torch.allclose(space.directions["Trouser"], want / want.norm(), atol=1e-5)


@pytest.mark.parametrize("arch", ["mlp", "cnn"])
def test_frozen_forward_is_g(spaces, arch):
    """The inversion's forward pass computes G(z): same images, same gradients with respect to z."""
    G = spaces[arch].G
    z = latents(7, 4)
    weigh = torch.linspace(-1, 1, 4 * 784).view(4, 784)  # weighs every pixel differently
    grads = []
    for fn in (lambda z: G(z).flatten(1), garment.frozen_forward(G)):
        zz = z.clone().requires_grad_(True)
        x = fn(zz)
        (x * weigh).sum().backward()
        grads.append((x.detach(), zz.grad))
    assert torch.allclose(grads[0][0], grads[1][0], atol=1e-5)
    assert torch.allclose(grads[0][1], grads[1][1], atol=1e-4, rtol=1e-4)


def test_bundled_fitted_directions_move_what_the_linear_means_do_not(spaces):
    """The MLP's bundled Dress direction (weights/mlp/directions.safetensors) turns held-out
    samples of other classes into what the classifier calls Dress, where the mean difference
    turns few (benchmarks/garment.md: 0.95 and 0.19 of 1,000)."""
    clf = weights.load_classifier()
    G = spaces["mlp"].G
    fitted = weights.load_directions(weights.bundled_dir("mlp"), G.z_dim)
    space = garment.Space(G, clf, fitted)
    z = latents(99, 400)
    dress = CLASSES.index("Dress")
    others = z[torch.from_numpy(classify(clf, generate(G, z))[1].argmax(1) != dress)][:200]

    def share(direction):
        return (classify(clf, generate(G, others + 6 * direction))[1].argmax(1) == dress).mean()
    assert torch.equal(space.directions["Dress"], fitted["Dress"])
    assert share(space.directions["Dress"]) > 0.8 and share(spaces["mlp"].directions["Dress"]) < 0.4


@pytest.mark.slow
def test_fitting_class_directions_is_seeded_and_raises_the_class_probability(spaces):
    """Five small steps: the same result twice, and Dress's direction (the MLP's weakest mean
    difference) made more Dress for bank latents of other classes."""
    clf = weights.load_classifier()
    space = spaces["mlp"]
    one = garment.fit_class_directions(space, clf, steps=5, batch=64)
    two = garment.fit_class_directions(space, clf, steps=5, batch=64)
    assert two.keys() == one.keys() and all(torch.equal(one[k], two[k]) for k in one)
    assert set(one) == set(CLASSES) and all(abs(float(v.norm()) - 1) < 1e-5 for v in one.values())
    dress = CLASSES.index("Dress")
    others = space.z[space.labels != dress][:256]

    def p_dress(d):
        return classify(clf, generate(space.G, others + garment.FIT_AMOUNT * d))[1][:, dress].mean()
    assert p_dress(one["Dress"]) > p_dress(space.directions["Dress"]) + 0.1


@pytest.mark.slow
def test_the_fit_command_writes_a_folders_directions(tmp_path, capsys):
    """python -m gan.garment --arch mlp --folder F (what train.py runs after training): F gains a
    directions file the app loads, one step away from the mean differences it starts from."""
    weights.copy_folder(weights.bundled_dir("mlp"), tmp_path)
    (tmp_path / weights.DIRECTIONS_FILE).unlink()
    garment.main(["--arch", "mlp", "--folder", str(tmp_path), "--steps", "1"])
    assert f"wrote {tmp_path / weights.DIRECTIONS_FILE}" in capsys.readouterr().out
    fitted = weights.load_directions(tmp_path, 100)
    start = garment.Space(weights.load_generator("mlp", tmp_path), weights.load_classifier()).directions
    for name in CLASSES:
        assert 0.5 < float(fitted[name] @ start[name]) < 0.9999, name  # moved, not far


def test_directions_files_are_checked(tmp_path):
    """Missing: none. Written: read back. Wrong names, shapes or values, or not safetensors: an
    error naming the file. Fitted for other weights (the folder retrained since): not used."""
    (tmp_path / weights.MODEL_FILE).write_bytes((weights.bundled_dir("mlp") / weights.MODEL_FILE).read_bytes())
    assert weights.load_directions(tmp_path, 100) is None  # none: mean differences
    good = {c: torch.ones(100) / 10 for c in CLASSES}
    weights.save_directions(tmp_path, good)
    loaded = weights.load_directions(tmp_path, 100)
    assert loaded.keys() == good.keys() and all(torch.equal(v, good[k]) for k, v in loaded.items())
    (tmp_path / weights.MODEL_FILE).write_bytes((weights.bundled_dir("mlp-report") / weights.MODEL_FILE).read_bytes())
    assert weights.load_directions(tmp_path, 100) is None  # stale: fitted for the weights replaced
    for bad in ({**good, "Dress": torch.ones(99)}, {k: v for k, v in good.items() if k != "Bag"},
                {**good, "Bag": torch.full((100,), float("nan"))}):
        weights.save_directions(tmp_path, bad)
        with pytest.raises(weights.WeightsError, match="directions.safetensors does not hold"):
            weights.load_directions(tmp_path, 100)
    (tmp_path / weights.DIRECTIONS_FILE).write_bytes(b"not safetensors")
    with pytest.raises(weights.WeightsError, match="could not be read"):
        weights.load_directions(tmp_path, 100)


def test_edit_endpoint(client, G):
    """'SEED/INDEX' at amount 0 is the Sample tab's image; toward Trouser, the label becomes Trouser."""
    gallery = call(client, "cnn", "114514/3", "Trouser", "0, 6", api_name="/edit")
    strip, _ = call(client, "cnn", 114514, api_name="/sample")
    assert np.array_equal(pixels(gallery[0]), strip_pixels(strip)[3])
    assert gallery[1]["caption"].startswith("+6 · Trouser")
    z = latents(114514, 8)[3].tolist()
    as_list = call(client, "cnn", json.dumps(z), "pc1", "-2, 2", api_name="/edit")
    d = garment.first_layer_pcs(G["cnn"])[0]
    want = to_uint8(generate(G["cnn"], torch.stack([torch.tensor(z) - 2 * d, torch.tensor(z) + 2 * d])))
    assert len(as_list) == 2 and all(np.abs(pixels(item).astype(int) - w).max() <= 1 for item, w in zip(as_list, want))
    dress = call(client, "mlp", "114514/3", "Dress", "6", api_name="/edit")  # the bundled fitted direction
    fitted = weights.load_directions(weights.bundled_dir("mlp"), 100)["Dress"]
    want = to_uint8(generate(G["mlp"], (latents(114514, 8)[3] + 6 * fitted)[None]))[0]
    assert np.abs(pixels(dress[0]).astype(int) - want).max() <= 1 and dress[0]["caption"].startswith("+6 · Dress")


def test_invert_endpoint(client, tmp_path):
    """A Fashion-MNIST test image saved 4x upscaled, as an image viewer would: the target shown
    is that image, pixel for pixel; the reconstruction is what the latent in info draws, closer
    to it than the nearest of 1,000 random samples; the labels are the classifier's; the same
    upload, the same answer."""
    original = fmnist.load("test")[0][42, 0].numpy()
    path = tmp_path / "garment.png"
    Image.fromarray(original).resize((112, 112), Image.NEAREST).save(path)
    from gradio_client import handle_file
    target, recon, info = call(client, "cnn", handle_file(str(path)), api_name="/invert")
    t, r = pixels(target), pixels(recon)
    assert np.array_equal(t, original)
    assert len(info["latent"]) == 100 and info["mse"] == pytest.approx(((t / 255 - r / 255) ** 2).mean(), abs=1e-5)
    assert info["target_label"].split(" ")[0] == label(t) and info["reconstruction_label"].split(" ")[0] == label(r)
    G = weights.load_generator("cnn")
    assert np.abs(to_uint8(generate(G, torch.tensor([info["latent"]])))[0].astype(int) - r).max() <= 1
    randoms = to_uint8(generate(G, latents(1, 1000))).astype(np.float64)
    assert info["mse"] < (((randoms - original) / 255) ** 2).mean((1, 2)).min()
    again = call(client, "cnn", handle_file(str(path)), api_name="/invert")  # deterministic
    assert again[2] == info


def test_odd_uploads_get_a_target_or_the_projects_message(client, tmp_path):
    """Uploads that once met a bug (Gradio's generic error): a dot and a one-pixel row on black
    are cropped to themselves and fitted (the dot fills the square, the row is row 13), a float
    file with a NaN pixel is read; each is then inverted. conftest fails the test if the app met
    any exception other than the project's message meanwhile."""
    from gradio_client import handle_file
    dot, row = np.zeros((40, 60), np.uint8), np.zeros((100, 100), np.uint8)
    dot[7, 9], row[50] = 255, 255
    nan = np.zeros((28, 28), np.float32)
    nan[4:24, 8:20], nan[0, 0] = 1, np.nan
    filled, line = np.full((28, 28), 255, np.uint8), np.zeros((28, 28), np.uint8)
    line[13] = 255
    block = np.zeros((28, 28), np.uint8)  # the NaN file: its 20x12 block (the NaN pixel black) fitted to
    block[:, 5:22] = 255                  # 28x17, centred from column (28 - 17) // 2 = 5
    for name, img, expected in (("dot.png", dot, filled), ("row.png", row, line), ("nan.tiff", nan, block)):
        Image.fromarray(img).save(tmp_path / name)
        target, recon, info = call(client, "mlp", handle_file(str(tmp_path / name)), api_name="/invert")
        assert np.array_equal(pixels(target), expected), name
        assert len(info["latent"]) == 100 and pixels(recon).shape == (28, 28)


def test_truncation_psi(client, G):
    """psi left out = psi 1 = today's pixels; psi 0.5 = the latents halved, computed here."""
    plain, _ = call(client, "cnn", 30, api_name="/sample")
    one, _ = call(client, "cnn", 30, 1.0, api_name="/sample")
    half, _ = call(client, "cnn", 30, 0.5, api_name="/sample")
    assert np.array_equal(strip_pixels(plain), strip_pixels(one))
    assert np.array_equal(strip_pixels(plain), to_uint8(generate(G["cnn"], latents(30, 8))))
    assert np.array_equal(strip_pixels(half), to_uint8(generate(G["cnn"], latents(30, 8) * 0.5)))
    mlp, cnn, _ = call(client, 30, 0.5, api_name="/compare")
    assert np.array_equal(strip_pixels(cnn), strip_pixels(half))
    assert np.array_equal(strip_pixels(mlp), to_uint8(generate(G["mlp"], latents(30, 8) * 0.5)))


@pytest.mark.parametrize("endpoint, args, message", [
    ("/invert", ("cnn", None), "the image shows nothing"),
    ("/invert", ("cnn", "blank"), "the image shows nothing"),
    ("/invert", ("cnn", "huge"), "the image is too large: at most 25,000,000 pixels"),
    ("/invert", ("cnn", "text"), "this file is not an image"),
    ("/edit", ("cnn", "[1, 2, 3]", "Trouser", "1"), "latent must have 100 numbers, got 3"),
    ("/edit", ("cnn", "[" + ", ".join(["NaN"] * 100) + "]", "Trouser", "1"), "latent numbers must be finite"),
    ("/edit", ("cnn", "hello", "Trouser", "1"), "latent must be a JSON list of 100 numbers"),
    ("/edit", ("cnn", "114514/9", "Trouser", "1"), "index must be a whole number from 0 to 7"),
    ("/edit", ("cnn", "114514/3", "Hat", "1"), "direction must be one of T-shirt/top, .*, pc10, got 'Hat'"),
    ("/edit", ("cnn", "114514/3", "pc1", ", ".join(["1"] * 17)), "amounts: at most 16 numbers, got 17"),
    ("/edit", ("cnn", "114514/3", "pc1", "101"), "amounts: '101' is outside -100.0..100.0"),
    ("/sample", ("cnn", 1, 1.5), "psi must be a finite number from 0 to 1, got 1.5"),
])
def test_bad_input_is_a_clear_error(client, tmp_path, endpoint, args, message):
    from gradio_client import handle_file
    from gradio_client.exceptions import AppError
    files = {"blank": lambda p: Image.new("L", (64, 64), 255).save(p, "PNG"),
             "huge": lambda p: Image.new("1", (20000, 20000)).save(p, "PNG"),  # small on disk, 400 Mpx
             "text": lambda p: p.write_text("not an image")}
    if endpoint == "/invert" and args[1] in files:
        path = tmp_path / f"{args[1]}.png"
        files[args[1]](path)
        args = (args[0], handle_file(str(path)))
    with pytest.raises(AppError, match=message):
        call(client, *args, api_name=endpoint)
    assert call(client, "cnn", "114514/3", "pc2", "0", api_name="/edit")  # still serving


def test_a_file_is_taken_only_from_the_apps_upload_folder(tmp_path):
    """/invert's event hands its file over as sent ({"path": ...}): a path outside the app's upload
    folder (a link out of it too) is refused with the project's message, one inside is taken."""
    from types import SimpleNamespace
    from gan.checks import InputError
    from gan.demo_garment import GarmentTab
    uploads, outside = tmp_path / "uploads", tmp_path / "secret.png"
    (uploads / "abc").mkdir(parents=True)
    for path in (uploads / "abc" / "mine.png", outside):
        Image.new("L", (28, 28), 255).save(path)
    (uploads / "abc" / "link.png").symlink_to(outside)
    demo = SimpleNamespace(uploads=uploads.resolve())
    assert GarmentTab.uploaded(demo, str(uploads / "abc" / "mine.png")) == (uploads / "abc" / "mine.png").resolve()
    assert GarmentTab.uploaded(demo, None) is None
    for path in (str(outside), str(uploads / "abc" / ".." / ".." / "secret.png"), str(uploads / "abc" / "link.png"), 42):
        with pytest.raises(InputError, match="the file must be one uploaded to this app"):
            GarmentTab.uploaded(demo, path)
    with pytest.raises(InputError):
        GarmentTab.uploaded(SimpleNamespace(uploads=None), str(uploads / "abc" / "mine.png"))  # no folder: none
