"""Your own garment: preprocessing, inversion, directions, truncation, and the /invert and /edit
endpoints, each against what the test computes itself."""
import json

import numpy as np
import pytest
import torch
from PIL import Image

from conftest import CALL_TIMEOUT, call
from gan import garment, weights
from gan.checks import InputError
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


def test_preprocessing_makes_a_drawing_look_like_fashion_mnist(tmp_path):
    """A black T drawn on white, off-centre on a wide canvas: inverted to light on black, cropped
    to the T (320x160 pixels), its longer side fitted to 28 pixels (so 28x14), centred."""
    img = np.full((300, 600, 4), 255, np.uint8)
    img[40:80, 200:520, :3] = 0    # the bar
    img[80:200, 330:390, :3] = 0   # the stem
    path = tmp_path / "t.png"
    Image.fromarray(img).save(path)
    out = garment.fashion_mnist_like(garment.load_image(str(path)))
    assert out.dtype == np.uint8 and out.shape == (28, 28)
    rows, cols = np.flatnonzero(out.max(1) > 128), np.flatnonzero(out.max(0) > 128)
    assert (cols[0], cols[-1]) == (0, 27) and (rows[0], rows[-1]) == (7, 20)
    assert out[7:10].mean() > 200 and out[0].max() == 0 and out[27].max() == 0  # light bar, black ground
    transparent = np.zeros((100, 100, 4), np.uint8)  # a sketchpad: strokes on a transparent canvas
    transparent[20:80, 45:55] = (0, 0, 0, 255)
    stroke = garment.fashion_mnist_like(garment.load_image(transparent))
    assert stroke[:, 12:16].min() > 200 and stroke[:, :9].max() == 0  # a light bar, centred, on black


@pytest.mark.parametrize("arch, most", [("mlp", 0.002), ("cnn", 0.01)])
def test_inverting_a_generated_image_finds_it_again(spaces, arch, most):
    G = spaces[arch].G
    target = sample(G, 114514)[3]
    z, recon, mse = spaces[arch].invert(target)
    assert mse < most and mse == pytest.approx(((recon / 255.0 - target / 255.0) ** 2).mean(), rel=1e-5)
    assert np.array_equal(recon, to_uint8(generate(G, z[None]))[0])  # the latent it reports draws it
    assert label(recon) == label(target)


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


def test_class_directions_are_mean_latent_differences(spaces):
    space = spaces["cnn"]
    _, probs = classify(weights.load_classifier(), generate(space.G, space.z))
    picked = space.z[torch.from_numpy(probs.argmax(1) == 1)]  # what the classifier calls Trouser
    want = picked.mean(0) - space.z.mean(0)
    assert torch.allclose(space.directions["Trouser"], want / want.norm(), atol=1e-5)


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
    assert all(np.abs(pixels(item).astype(int) - w).max() <= 1 for item, w in zip(as_list, want))


def test_invert_endpoint(client, tmp_path):
    img = np.full((200, 120), 255, np.uint8)
    img[20:180, 20:55] = 30   # two dark legs on white: trousers
    img[20:180, 65:100] = 30
    img[20:40, 20:100] = 30
    path = tmp_path / "trousers.png"
    Image.fromarray(img).save(path)
    from gradio_client import handle_file
    target, recon, info = call(client, "cnn", handle_file(str(path)), api_name="/invert")
    t, r = pixels(target), pixels(recon)
    assert np.array_equal(t, garment.fashion_mnist_like(garment.load_image(str(path))))
    assert len(info["latent"]) == 100 and info["mse"] == pytest.approx(((t / 255 - r / 255) ** 2).mean(), abs=1e-5)
    assert info["target_label"].split(" ")[0] == label(t) and info["reconstruction_label"].split(" ")[0] == label(r)
    G = weights.load_generator("cnn")
    assert np.abs(to_uint8(generate(G, torch.tensor([info["latent"]])))[0].astype(int) - r).max() <= 1
    again = call(client, "cnn", handle_file(str(path)), api_name="/invert")  # deterministic
    assert again[2] == info


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
    ("/edit", ("cnn", "114514/3", "Hat", "1"), "is not in the list of choices"),
    ("/edit", ("cnn", "114514/3", "pc1", ", ".join(["1"] * 17)), "amounts: at most 16 numbers, got 17"),
    ("/edit", ("cnn", "114514/3", "pc1", "101"), "amounts: '101' is outside -100.0..100.0"),
    ("/sample", ("cnn", 1, 1.5), "psi must be a finite number from 0 to 1|greater than maximum value 1"),
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
