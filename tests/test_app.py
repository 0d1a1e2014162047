"""The Space: Blocks build, every endpoint through gradio_client on a live server, bad input, concurrency."""
import concurrent.futures as cf

import numpy as np
import pytest
from PIL import Image

from gan import weights
from gan.demo import STRIP_PAD, STRIP_UPSCALE
from gan.sampling import sample, tiles


@pytest.fixture(scope="session")
def client(server):
    from gradio_client import Client
    return Client(server, verbose=False)


def pixels(item) -> np.ndarray:
    """A gallery item or image path from gradio_client -> uint8 (28, 28) (undo the 8x upscale)."""
    path = item["image"] if isinstance(item, dict) else item
    img = np.asarray(Image.open(path).convert("L"))
    assert img.shape == (224, 224)
    return img[::8, ::8]


def strip_pixels(path, n=8) -> np.ndarray:
    """The /sample or /compare strip from gradio_client -> uint8 (n, 28, 28), as a client splits it."""
    img = np.asarray(Image.open(path).convert("L"))
    assert img.shape == (STRIP_UPSCALE * (28 + 2 * STRIP_PAD), STRIP_UPSCALE * (n * (28 + STRIP_PAD) + STRIP_PAD))
    return tiles(img, n, cols=n, pad=STRIP_PAD, factor=STRIP_UPSCALE)


def labels_of(table) -> list:
    """The one row of /sample's label table, as gradio_client returns it."""
    return table["data"][0]


def test_blocks_build_without_launch():
    import app
    import gradio as gr
    assert isinstance(app.demo, gr.Blocks)
    names = {d.api_name for d in app.demo.fns.values() if d.api_name}
    assert {"sample", "sweep", "importance", "compare", "interpolate", "learned", "nearest"} <= names


def test_sample_endpoint(client):
    strip, table = client.predict("cnn", 114514, api_name="/sample")
    assert table["headers"] == [f"#{i}" for i in range(8)]
    labels = labels_of(table)
    assert len(labels) == 8 and all(label.endswith("%") for label in labels)
    expected = sample(weights.load_generator("cnn"), 114514, 8)
    assert np.array_equal(strip_pixels(strip), expected)
    again, _ = client.predict("cnn", 114514, api_name="/sample")
    assert np.array_equal(strip_pixels(again), expected)


def test_client_with_one_ssl_context(server):
    """README's tip for scripts: gradio_client reusing one SSL context gets the same answers."""
    import ssl

    import certifi
    from gradio_client import Client
    fast = Client(server, verbose=False, ssl_verify=ssl.create_default_context(cafile=certifi.where()))
    strip, table = fast.predict("cnn", 2024, api_name="/sample")
    assert np.array_equal(strip_pixels(strip), sample(weights.load_generator("cnn"), 2024, 8))
    assert len(labels_of(table)) == 8


def test_sweep_endpoint_grid_and_base(client):
    base, grid, bright, change = client.predict("mlp", 114514, 3, "10, 60, 80", "-10, -3, -0.3, 0, 0.3, 3, 10",
                                                "set", api_name="/sweep")
    assert len(grid) == 3 * 7
    assert grid[0]["caption"].startswith("z[10]=-10") and grid[-1]["caption"].startswith("z[80]=10")
    samples = strip_pixels(client.predict("mlp", 114514, api_name="/sample")[0])
    assert len(base) == 1 and base[0]["caption"].startswith("seed 114514 · #3 · ")
    assert np.array_equal(pixels(base[0]), samples[3])
    # an "add" sweep at value 0 is the base image, and equals Sample and Compare pixel for pixel
    _, grid0, _, _ = client.predict("mlp", 114514, 3, "5, 50", "0", "add", api_name="/sweep")
    mlp_cmp, _, _ = client.predict(114514, api_name="/compare")
    for item in grid0:
        assert np.array_equal(pixels(item), samples[3])
    assert np.array_equal(strip_pixels(mlp_cmp)[3], samples[3])


def test_importance_endpoint(client):
    bars, top = client.predict("cnn", 7, 0, 10, "set", api_name="/importance")
    assert len(top) == 8 and top[0]["caption"].startswith("z[")


def test_compare_endpoint(client):
    mlp, cnn, table = client.predict(42, api_name="/compare")
    assert [row[0] for row in table["data"]] == ["MLP", "CNN"] and len(table["data"][1]) == 9
    strip, labels = client.predict("cnn", 42, api_name="/sample")
    assert np.array_equal(strip_pixels(cnn), strip_pixels(strip))
    assert table["data"][1][1:] == labels_of(labels)
    assert not np.array_equal(strip_pixels(mlp), strip_pixels(cnn))


@pytest.mark.parametrize("endpoint,args,message", [
    ("/sample", ("cnn", -1), "seed must be a whole number from 0 to 4294967295"),
    ("/sample", ("cnn", 2**40), "seed must be a whole number"),
    ("/sample", ("cnn", 1.5), "seed must be a whole number"),
    ("/sample", ("gan", 1), r"arch must be one of mlp, cnn|not in the list of choices: \['mlp', 'cnn'\]"),
    ("/sweep", ("mlp", 1, 9, "10", "1", "set"), "index must be a whole number from 0 to 7|greater than maximum value 7"),
    ("/sweep", ("mlp", 1, 0, "100", "1", "set"), r"positions: '100' is outside 0\.\.99"),
    ("/sweep", ("mlp", 1, 0, "10", "abc", "set"), "values: 'abc' is not a number"),
    ("/sweep", ("mlp", 1, 0, "10", "nan", "set"), "not a number"),
    ("/sweep", ("mlp", 1, 0, "10", "inf", "set"), "not a number"),
    ("/sweep", ("mlp", 1, 0, "10", "1001", "set"), r"outside -1000\.0\.\.1000\.0"),
    ("/sweep", ("mlp", 1, 0, ",".join(["1"] * 17), "1", "set"), "at most 16"),
    ("/sweep", ("mlp", 1, 0, "1", ",".join(["1"] * 17), "set"), "at most 16"),
    ("/sweep", ("mlp", 1, 0, "1", "1", "mul"), r"mode must be one of set, add|not in the list of choices: \['set', 'add'\]"),
])
def test_bad_input_is_a_clear_error_and_server_keeps_serving(client, endpoint, args, message):
    from gradio_client.exceptions import AppError
    with pytest.raises(AppError, match=message):
        client.predict(*args, api_name=endpoint)
    assert strip_pixels(client.predict("mlp", 1, api_name="/sample")[0]).shape == (8, 28, 28)


def test_16_concurrent_same_seed_calls(server):
    from gradio_client import Client
    clients = [Client(server, verbose=False) for _ in range(16)]  # connect first: the calls are the test
    def call(c):
        return strip_pixels(c.predict("cnn", 2024, api_name="/sample")[0])
    with cf.ThreadPoolExecutor(16) as pool:
        results = list(pool.map(call, clients))
    assert all(np.array_equal(r, results[0]) for r in results)


def test_interpolate_endpoint(client):
    strip, gif = client.predict("cnn", 114514, 2, 2024, 5, 6, "slerp", api_name="/interpolate")
    assert len(strip) == 6
    a = strip_pixels(client.predict("cnn", 114514, api_name="/sample")[0])[2]
    b = strip_pixels(client.predict("cnn", 2024, api_name="/sample")[0])[5]
    assert np.array_equal(pixels(strip[0]), a) and np.array_equal(pixels(strip[-1]), b)
    frames = Image.open(gif)
    assert frames.format == "GIF" and frames.n_frames == 2 * 6 - 2
    lerp, _ = client.predict("cnn", 114514, 2, 2024, 5, 6, "lerp", api_name="/interpolate")
    assert np.array_equal(pixels(lerp[0]), a)


def test_learned_endpoint(client):
    import app
    last = app.demo_state.epochs("cnn")
    grid, losses, fd = client.predict("cnn", last, api_name="/learned")
    assert Image.open(grid).size[0] > 400
    from gradio_client.exceptions import AppError
    with pytest.raises(AppError, match="epoch must be a whole number from 1 to|greater than maximum"):
        client.predict("cnn", last + 1, api_name="/learned")


def test_nearest_endpoint(client):
    query, by_pixels, by_features = client.predict("cnn", 114514, 3, api_name="/nearest")
    assert len(query) == 1 and len(by_pixels) == 5 and len(by_features) == 5
    s = strip_pixels(client.predict("cnn", 114514, api_name="/sample")[0])
    assert np.array_equal(pixels(query[0]), s[3])
    dists = [float(it["caption"].split("distance ")[1].split(" ")[0]) for it in by_pixels]
    assert dists == sorted(dists) and dists[0] > 0
