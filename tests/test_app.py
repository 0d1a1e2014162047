"""The Space: every endpoint through gradio_client on a live server, checked against values the
test computes itself (the generator and classifier called directly, files read from disk)."""
import concurrent.futures as cf
import json
import re
import subprocess

import numpy as np
import pytest
import torch
from PIL import Image

from conftest import CALL_TIMEOUT, api_client, call, free_port
from gan import weights
from gan.data import CLASSES
from gan.demo import STRIP_PAD, STRIP_UPSCALE
from gan.sampling import latents, tiles

SEED_ERROR = "seed must be a whole number from 0 to 4294967295"


@pytest.fixture(scope="module")
def G():
    return {a: weights.load_generator(a) for a in ("mlp", "cnn")}


def render(G, z: torch.Tensor) -> np.ndarray:
    """uint8 (N, 28, 28) for latents z, computed here: G in eval mode, [-1, 1] -> 0..255."""
    with torch.no_grad():
        x = G(z)
    return (x * 127.5 + 128).clamp(0, 255).to(torch.uint8)[:, 0].numpy()


def pixels(item, factor=8) -> np.ndarray:
    """A gallery item or image path from gradio_client -> uint8 (28, 28) (undo the 8x upscale)."""
    path = item["image"] if isinstance(item, dict) else item
    img = np.asarray(Image.open(path).convert("L"))
    assert img.shape == (28 * factor, 28 * factor)
    return img[::factor, ::factor]


def strip_pixels(path, n=8) -> np.ndarray:
    """The /sample or /compare strip from gradio_client -> uint8 (n, 28, 28), as a client splits it."""
    img = np.asarray(Image.open(path).convert("L"))
    assert img.shape == (STRIP_UPSCALE * (28 + 2 * STRIP_PAD), STRIP_UPSCALE * (n * (28 + STRIP_PAD) + STRIP_PAD))
    return tiles(img, n, cols=n, pad=STRIP_PAD, factor=STRIP_UPSCALE)


def expected_labels(images_u8) -> list:
    """'Trouser 97%' per image, from the bundled classifier called here."""
    clf = weights.load_classifier()
    with torch.no_grad():
        p = torch.softmax(clf(torch.from_numpy(images_u8).float().unsqueeze(1) / 127.5 - 1), 1)
    return [f"{CLASSES[i]} {100 * v:.0f}%" for v, i in zip(*p.max(1))]


def plot_rows(plot) -> list:
    """A LinePlot / BarPlot value from gradio_client -> list of row dicts."""
    return [dict(zip(plot["columns"], row)) for row in plot["data"]]


def test_the_public_endpoints(client):
    public = set(client.view_api(print_info=False, return_format="dict")["named_endpoints"])
    assert public == {f"/{name}" for name in ("sample", "sweep", "importance", "compare", "interpolate", "learned",
                                              "nearest", "invert", "edit", "train", "train_data", "trained", "lab",
                                              "lab_latent", "control")}


def test_sample_endpoint(client, G):
    strip, table = call(client, "cnn", 114514, api_name="/sample")
    expected = render(G["cnn"], latents(114514, 8))
    assert np.array_equal(strip_pixels(strip), expected)
    assert table["headers"] == [f"#{i}" for i in range(8)]
    assert table["data"][0] == expected_labels(expected)
    again, _ = call(client, "cnn", 114514, api_name="/sample")
    assert np.array_equal(strip_pixels(again), expected)


@pytest.fixture(scope="module")
def https_server(tmp_path_factory):
    """The app (app.py's demo, launched in this process: one interpreter and one idle server fewer
    than a process of its own) over HTTPS with a self-signed certificate: (url, certificate)."""
    d = tmp_path_factory.mktemp("tls")
    cert, key = d / "cert.pem", d / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True, timeout=60)
    import app
    port = free_port()
    app.demo.launch(server_name="127.0.0.1", server_port=port, ssl_certfile=str(cert), ssl_keyfile=str(key),
                    ssl_verify=False, prevent_thread_lock=True, quiet=True)
    try:
        yield f"https://127.0.0.1:{port}/", cert
    finally:
        app.demo.close()


def test_client_with_one_ssl_context(https_server, G):
    """README's tip for scripts: gradio_client given one SSL context uses it for every request. The
    server's certificate is self-signed, so only a client whose context trusts it gets through."""
    import ssl
    from gradio_client import Client
    url, cert = https_server
    with pytest.raises(Exception, match="CERTIFICATE_VERIFY_FAILED"):
        Client(url, verbose=False, httpx_kwargs={"timeout": CALL_TIMEOUT})  # default: certifi's CAs
    fast = Client(url, verbose=False, ssl_verify=ssl.create_default_context(cafile=str(cert)),
                  httpx_kwargs={"timeout": CALL_TIMEOUT})
    strip, table = call(fast, "cnn", 2024, api_name="/sample")
    assert np.array_equal(strip_pixels(strip), render(G["cnn"], latents(2024, 8)))
    assert len(table["data"][0]) == 8


def test_sweep_endpoint(client, G):
    """Each tile is the seed's latent #3 with one coordinate set; brightness and change are
    measured here from those tiles."""
    positions, values = [10, 60, 80], [-10, -0.3, 0, 10]
    base, grid, bright, change = call(client, "mlp", 114514, 3, "10, 60, 80", "-10, -0.3, 0, 10", "set",
                                      api_name="/sweep")
    z = latents(114514, 8)[3]
    want_base = render(G["mlp"], z[None])[0]
    assert len(base) == 1 and base[0]["caption"].startswith("seed 114514 · #3 · ")
    assert np.array_equal(pixels(base[0]), want_base)
    assert len(grid) == len(positions) * len(values)
    bright_rows, change_rows = plot_rows(bright), plot_rows(change)
    for k, (p, v) in enumerate([(p, v) for p in positions for v in values]):
        edited = z.clone()
        edited[p] = v
        tile = render(G["mlp"], edited[None])[0]
        assert np.array_equal(pixels(grid[k]), tile), (p, v)
        assert grid[k]["caption"].startswith(f"z[{p}]={v:g} · ")
        for rows, key, want in ((bright_rows, "brightness", tile.mean()),
                                (change_rows, "change", np.abs(tile.astype(float) - want_base).mean())):
            assert rows[k]["position"] == f"z[{p}]" and rows[k]["value"] == v
            assert rows[k][key] == pytest.approx(want, abs=1e-6)
    # an "add" sweep at value 0 is the base image, pixel for pixel
    _, grid0, _, change0 = call(client, "mlp", 114514, 3, "5, 50", "0", "add", api_name="/sweep")
    assert len(grid0) == 2 and all(np.array_equal(pixels(item), want_base) for item in grid0)
    assert [r["change"] for r in plot_rows(change0)] == [0.0, 0.0]


def test_importance_endpoint(client, G):
    """The bar for position p is the mean pixel change when z[p] is set to 10, computed here for
    all 100 positions; the gallery shows the 8 largest, largest first."""
    bars, top = call(client, "cnn", 7, 0, 10, "set", api_name="/importance")
    z = latents(7, 8)[0]
    edited = z.repeat(100, 1)
    edited[torch.arange(100), torch.arange(100)] = 10.0
    imgs = render(G["cnn"], edited)
    want = np.abs(imgs.astype(float) - render(G["cnn"], z[None])[0]).mean((1, 2))
    rows = plot_rows(bars)
    assert [r["position"] for r in rows] == list(range(100))
    np.testing.assert_allclose([r["change"] for r in rows], want, atol=1e-6)
    order = np.argsort(-want, kind="stable")[:8]
    assert [int(item["caption"].split("]")[0][2:]) for item in top] == order.tolist()
    assert all(np.array_equal(pixels(item), imgs[p]) for item, p in zip(top, order))


def test_compare_endpoint(client, G):
    mlp, cnn, table = call(client, 42, api_name="/compare")
    want = {a: render(G[a], latents(42, 8)) for a in ("mlp", "cnn")}
    assert np.array_equal(strip_pixels(mlp), want["mlp"]) and np.array_equal(strip_pixels(cnn), want["cnn"])
    assert table["data"] == [["MLP", *expected_labels(want["mlp"])], ["CNN", *expected_labels(want["cnn"])]]


def test_interpolate_endpoint(client, G):
    za, zb = latents(114514, 8)[2], latents(2024, 8)[5]
    strip, gif = call(client, "cnn", 114514, 2, 2024, 5, 6, "lerp", api_name="/interpolate")
    t = torch.linspace(0, 1, 6)[:, None]
    want = render(G["cnn"], (1 - t) * za + t * zb)  # the straight line, computed here
    got = np.stack([pixels(item) for item in strip])
    assert np.abs(got.astype(int) - want).max() <= 1  # float rounding of the line may flip a pixel
    assert np.array_equal(got[0], want[0]) and np.array_equal(got[-1], want[-1])
    frames = Image.open(gif)
    assert frames.format == "GIF" and frames.n_frames == 2 * 6 - 2  # there and back
    slerp, _ = call(client, "cnn", 114514, 2, 2024, 5, 6, "slerp", api_name="/interpolate")
    omega = torch.arccos((za / za.norm()) @ (zb / zb.norm()))
    mid = (torch.sin(0.6 * omega) * za + torch.sin(0.4 * omega) * zb) / torch.sin(omega)  # t = 0.4
    assert np.abs(pixels(slerp[2]).astype(int) - render(G["cnn"], mid[None])[0]).max() <= 1
    assert not np.array_equal(pixels(slerp[2]), got[2])


def test_learned_endpoint_every_epoch_of_both_models(client):
    """MLP epochs 1..250 and CNN 1..15: the grid is the run's samples/epoch_NNN.png; the curves
    are its history.json."""
    from gradio_client.exceptions import AppError
    for arch, epoch in (("mlp", 1), ("mlp", 100), ("mlp", 250), ("cnn", 15)):
        grid, losses, fd = call(client, arch, epoch, api_name="/learned")
        folder = weights.bundled_dir(arch)
        png = np.asarray(Image.open(folder / "samples" / f"epoch_{epoch:03d}.png").convert("L"))
        assert np.array_equal(np.asarray(Image.open(grid).convert("L"))[::2, ::2], png)
        history = json.loads((folder / "history.json").read_text())
        assert len(history) == {"mlp": 250, "cnn": 15}[arch]
        assert plot_rows(losses) == [{"epoch": h["epoch"], "curve": name, "value": pytest.approx(h[key])}
                                     for h in history for key, name in (("d_loss", "D loss"), ("g_loss", "G loss"))]
        assert plot_rows(fd) == [{"epoch": h["epoch"], "FD": pytest.approx(h["fd"])} for h in history if "fd" in h]
    with pytest.raises(AppError, match="epoch must be a whole number from 1 to 15, got 16"):
        call(client, "cnn", 16, api_name="/learned")
    with pytest.raises(AppError, match="epoch must be a whole number from 1 to 250, got 251"):
        call(client, "mlp", 251, api_name="/learned")


def test_nearest_endpoint(client, G):
    """The 5 nearest of the bundled 8,000 training images, found here by brute force."""
    from gan import nearest
    from gan.metrics import classify
    query, by_pixels, by_features = call(client, "cnn", 114514, 3, api_name="/nearest")
    img = render(G["cnn"], latents(114514, 8)[3:4])[0]
    assert np.array_equal(pixels(query[0]), img)
    index = nearest.load_index(weights.NEAREST_INDEX)
    train_ids = index["train_index"].numpy()
    pix = np.linalg.norm(index["images"].numpy().reshape(len(train_ids), -1) / 255 - img.reshape(-1) / 255, axis=1)
    feats, _ = classify(weights.load_classifier(), torch.from_numpy(img).float()[None, None] / 127.5 - 1)
    feat = np.linalg.norm(index["features"].float().numpy() - feats[0], axis=1)
    for items, dist in ((by_pixels, pix), (by_features, feat)):
        best = np.argsort(dist, kind="stable")[:5]
        assert [int(it["caption"].split("#")[1].split(" ")[0]) for it in items] == train_ids[best].tolist()
        shown = [float(it["caption"].split("distance ")[1].split(" ")[0]) for it in items]
        np.testing.assert_allclose(shown, dist[best], atol=0.006)  # captions round to 2 decimals
        assert all(np.array_equal(pixels(it), index["images"][i].numpy()) for it, i in zip(items, best))


BAD_INPUT = [
    ("/sample", ("cnn", -1), SEED_ERROR),
    ("/sample", ("cnn", 2**40), SEED_ERROR),
    ("/sample", ("cnn", 1.5), SEED_ERROR),
    ("/sample", ("gan", 1), "arch must be one of mlp, cnn, got 'gan'"),
    ("/sweep", ("mlp", 1, 9, "10", "1", "set"), "index must be a whole number from 0 to 7, got 9"),
    ("/sweep", ("mlp", 1, 0, "100", "1", "set"), r"positions: '100' is outside 0\.\.99"),
    ("/sweep", ("mlp", 1, 0, "10", "abc", "set"), "values: 'abc' is not a number"),
    ("/sweep", ("mlp", 1, 0, "10", "nan", "set"), "not a number"),
    ("/sweep", ("mlp", 1, 0, "10", "1001", "set"), r"outside -1000\.0\.\.1000\.0"),
    ("/sweep", ("mlp", 1, 0, ",".join(["1"] * 17), "1", "set"), "at most 16"),
    ("/sweep", ("mlp", 1, 0, "1", "1", "mul"), "mode must be one of set, add, got 'mul'"),
    ("/importance", ("cnn", 7, 0, 1e6, "set"), "value must be a finite number from -1000 to 1000, got 1000000.0"),
    ("/importance", ("cnn", -7, 0, 10, "set"), SEED_ERROR),
    ("/importance", ("cnn", 7, 8, 10, "set"), "index must be a whole number from 0 to 7, got 8"),
    ("/compare", (-3,), SEED_ERROR),
    ("/compare", ("abc",), SEED_ERROR),
    ("/interpolate", ("cnn", 1, 0, 2, 0, 40, "slerp"), "steps must be a whole number from 2 to 32, got 40"),
    ("/interpolate", ("cnn", 1, 0, 2, 0, 5, "cubic"), "method must be one of slerp, lerp, got 'cubic'"),
    ("/interpolate", ("cnn", 1, 0, 2**33, 0, 5, "slerp"), SEED_ERROR),
    ("/nearest", ("cnn", 1, 9), "index must be a whole number from 0 to 7, got 9"),
    ("/nearest", ("mlp", 1.25, 0), SEED_ERROR),
]


@pytest.mark.parametrize("endpoint,args,message", BAD_INPUT)
def test_bad_input_is_a_clear_error_and_server_keeps_serving(client, G, endpoint, args, message):
    from gradio_client.exceptions import AppError
    with pytest.raises(AppError, match=message):
        call(client, *args, api_name=endpoint)
    strip, _ = call(client, "mlp", 1, api_name="/sample")
    assert np.array_equal(strip_pixels(strip), render(G["mlp"], latents(1, 8)))


LEFT_TO_THE_PROJECT = {"Radio": ("nope", "'nope'"), "Dropdown": ("nope", "'nope'"), "Slider": (10**6, "1000000")}
ANSWERS = {"en": r"must be .*, got {}", "zh-CN": r"必须是.*，收到的是 {}"}  # gan.text's error.choice/whole/number


@pytest.mark.parametrize("lang", list(ANSWERS))
def test_every_choice_and_slider_is_left_to_the_projects_check(server, lang):
    """Every endpoint's radios, dropdowns and sliders hand a value not offered to the handler (each
    event passes its inputs as sent, preprocess=False): the project's message answers, in the client's
    language, never Gradio's English 'not in the list of choices' or 'greater than maximum value'.
    The other inputs keep their defaults; files none."""
    from gradio_client.exceptions import AppError
    client = api_client(server, headers={"Accept-Language": lang})
    endpoints = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    checked = []
    for endpoint, spec in endpoints.items():
        params = spec["parameters"]
        defaults = [None if p["component"] == "File" else p["parameter_default"] for p in params]
        for i, p in enumerate(params):
            if p["component"] in LEFT_TO_THE_PROJECT:
                bad, shown = LEFT_TO_THE_PROJECT[p["component"]]  # a value not offered, as a message shows it
                args = [*defaults[:i], bad, *defaults[i + 1:]]
                with pytest.raises(AppError, match=ANSWERS[lang].format(re.escape(shown))):
                    call(client, *args, api_name=endpoint)
                checked.append(f"{endpoint} {p['parameter_name']}")
    assert len(checked) == 25, checked  # the app's radios, dropdowns and sliders, in each endpoint


def test_16_concurrent_same_seed_calls(server, G):
    clients = [api_client(server) for _ in range(16)]
    with cf.ThreadPoolExecutor(16) as pool:
        results = list(pool.map(lambda c: strip_pixels(call(c, "cnn", 2024, api_name="/sample")[0]), clients))
    want = render(G["cnn"], latents(2024, 8))
    assert all(np.array_equal(r, want) for r in results)


ZH_CLASSES = dict(zip(CLASSES, ("T恤/上衣", "裤子", "套头衫", "连衣裙", "外套", "凉鞋", "衬衫", "运动鞋", "包", "短靴")))


def test_a_client_asking_for_chinese_gets_chinese_words_and_the_same_pixels(server, client, G):
    """Accept-Language: zh-CN (what a Chinese browser sends) -> labels, headers, curve names and
    errors in Chinese; pixels as for everyone. The default client above gets English."""
    from gradio_client.exceptions import AppError
    zh = api_client(server, headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    strip, table = call(zh, "cnn", 114514, api_name="/sample")
    expected = render(G["cnn"], latents(114514, 8))
    assert np.array_equal(strip_pixels(strip), expected)
    zh_labels = [f"{ZH_CLASSES[label.rsplit(' ', 1)[0]]} {label.rsplit(' ', 1)[1]}" for label in expected_labels(expected)]
    assert table["data"][0] == zh_labels
    _, _, compared = call(zh, 114514, api_name="/compare")
    assert compared["headers"][0] == "模型" and compared["data"][1] == ["CNN", *zh_labels]
    _, losses, _ = call(zh, "cnn", 1, api_name="/learned")
    assert [row["curve"] for row in plot_rows(losses)][:2] == ["判别器损失", "生成器损失"]  # epoch 1
    with pytest.raises(AppError, match="随机数种子必须是 0 到 4294967295 之间的整数，收到的是 -1"):
        call(zh, "cnn", -1, api_name="/sample")
    with pytest.raises(AppError, match="模型必须是 mlp, cnn 之一，收到的是 'gan'"):  # a choice not offered
        call(zh, "gan", 1, api_name="/sample")
    with pytest.raises(AppError, match=SEED_ERROR):  # the same server, asked without a language
        call(client, "cnn", -1, api_name="/sample")
