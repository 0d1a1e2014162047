"""The Latent lab: what /lab hands the browser, the server's fallback rendering, and the tab in a
real browser (onnxruntime-web, and without WebAssembly), each against values computed here."""
import json

import numpy as np
import pytest
import torch

from conftest import call
from gan import examples, export, garment, weights
from gan.data import to_float
from gan.metrics import classify
from gan.sampling import generate, latents, to_uint8
from test_app import SEED_ERROR, G, pixels  # noqa: F401 (G: a fixture)
from test_browser import WAIT_MS


def rendered(G, z) -> np.ndarray:
    return to_uint8(generate(G, torch.as_tensor(z, dtype=torch.float32)[None]))[0]


def test_lab_hands_over_the_latent_directions_and_fresh_files(client, G):
    """/lab hands over the seed's latent, each model's directions, those /edit moves along (its
    image of the latent moved by 4 along each is G's, drawn here from the direction handed over),
    and the bundled model.onnx files (exported from the bundled weights)."""
    from test_app import render
    state = call(client, 2024, 5, api_name="/lab")
    assert state["latent"] == latents(2024, 8)[5].tolist()  # exactly: float32 values survive JSON
    z = torch.tensor(state["latent"])
    for arch in ("mlp", "cnn"):
        got = state["models"][arch]["directions"]
        assert set(got) == set(garment.DIRECTIONS)
        for name, d in got.items():
            want = render(G[arch], (z + 4 * torch.tensor(d))[None])[0]  # float32, as /edit moves
            assert np.array_equal(edit_image(client, arch, "2024/5", name, 4), want), (arch, name)
        assert state["models"][arch]["onnx"].endswith(f"/weights/{arch}/model.onnx")
    assert state["limits"]["positions"] == [10, 60, 80] and state["limits"]["report_values"] == [0.3, 10]
    assert state["source"] == "seed 2024 · #5" and state["words"]["label"] == "{cls} {p}%"
    pasted = call(client, "[0.5" + ", 0.25" * 99 + "]", api_name="/lab_latent")
    assert pasted["latent"] == [0.5] + [0.25] * 99 and pasted["source"] == "a latent you gave"


@pytest.mark.parametrize("endpoint,args,message", [
    ("/lab", (-1, 0), SEED_ERROR),
    ("/lab_latent", ("[1, 2]",), "latent must have 100 numbers, got 2"),
    ("/lab_latent", ("[NaN" + ", 0" * 99 + "]",), r"latent numbers must be finite, with \|z\| ≤ 1000"),
    ("/lab_latent", ("ten",), "latent must be a JSON list of 100 numbers, or SEED/INDEX"),
])
def test_lab_bad_input_is_the_projects_message(client, endpoint, args, message):
    from gradio_client.exceptions import AppError
    with pytest.raises(AppError, match=message):
        call(client, *args, api_name=endpoint)


def test_fallback_rendering_is_the_generators_and_the_classifiers(G):
    from gan.demo import Demo
    from gan.hub import load_model
    from test_app import render
    demo = Demo({a: load_model(a) for a in ("mlp", "cnn")}, weights.load_classifier())
    z = latents(3, 8)[2] * 1.5
    out = demo.lab_render({"mlp": json.dumps(z.tolist()), "cnn": z.tolist()})
    clf = weights.load_classifier().eval()
    for arch in ("mlp", "cnn"):  # G's pixels and the classifier's probabilities of them, computed here
        img = render(G[arch], z[None])[0]
        assert out[arch]["pixels"] == img.reshape(-1).tolist()
        with torch.no_grad():
            probs = torch.softmax(clf(torch.from_numpy(img)[None, None].float() / 127.5 - 1), 1)[0]
        np.testing.assert_allclose(out[arch]["probs"], probs, atol=1e-6)
    with pytest.raises(ValueError):
        demo.lab_render({"gan": z.tolist()})


def test_every_word_the_browser_code_says_is_handed_to_it():
    """latent_lab.js says words by key from what lab() hands it: each key it names is among them (a
    missing one would show "undefined" on the page)."""
    import re
    from gan.demo_lab import LAB_JS, TEMPLATES, WORDS
    src = LAB_JS.read_text()
    used = set(re.findall(r'(?:said|word)\("([a-z_.]+)"\)', src)) | set(re.findall(r'"(lab\.[a-z_]+)"', src))
    assert {"lab.ready", "lab.copied", "lab.reset", "label", "fallback"} <= used
    assert used <= set(WORDS) | set(TEMPLATES), used - set(WORDS) - set(TEMPLATES)


# ----------------------------------------------------------------------------- in a browser

def open_lab(browser, server, locale="en-US", script=None):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale=locale,
                                  permissions=["clipboard-read", "clipboard-write"])
    if script:
        context.add_init_script(script)
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    requests = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(server, wait_until="domcontentloaded")
    page.locator("#sample-seed").wait_for()
    page.get_by_role("tab", name="隐变量实验室" if locale.startswith("zh") else "Latent lab").click()
    page.wait_for_function("window.ganLab && ganLab.renders > 0", timeout=WAIT_MS)
    return context, page, requests


def shown(page, arch) -> dict:
    return page.evaluate("(a) => ganLab.shown[a]", arch)


def same_as_server(got: dict, want: np.ndarray):
    """The lab's pixels equal the server's, but where the lab's float lies within 1e-3 of a step
    between two levels (float32 sums in another order may land either side: tests/test_onnx.py)."""
    got_px = np.array(got["pixels"], dtype=np.int16).reshape(28, 28)
    off = got_px != want
    if got.get("image") is not None:
        levels = np.clip(np.array(got["image"]).reshape(28, 28) * 127.5 + 128, 0, 255)
        off &= np.abs(levels - np.round(levels)) >= 1e-3
    assert not off.any(), f"{int(off.sum())} pixels differ"


def edit_image(client, arch, latent, direction, amount) -> np.ndarray:
    """/edit's first image for one amount, taken back to 28x28 from its 8x tile."""
    return pixels(call(client, arch, latent, direction, str(amount), api_name="/edit")[0])


def drag(page, slider, steps=40):
    slider.scroll_into_view_if_needed()
    box = slider.bounding_box()
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + 4, y)
    page.mouse.down()
    for i in range(steps + 1):  # left end to past the right end: the slider ends at its maximum
        page.mouse.move(box["x"] + 4 + i * (box["width"] + 16) / steps, y)
    page.mouse.up()


def test_lab_in_the_browser_follows_a_drag_without_the_server(browser, server, client, G):
    """onnxruntime-web draws the seed's image as /sample does; a drag of z[10] redraws it at every
    step with no request to the app; the latent and pixels then equal what the server computes
    for that latent (/edit with amount 0), and the report's 10 and a direction are as torch's."""
    context, page, requests = open_lab(browser, server)
    try:
        assert page.evaluate("ganLab.mode") == "browser"
        assert "no request to the server while you drag" in page.locator("#lab .status").inner_text()
        for arch in ("mlp", "cnn"):
            same_as_server(shown(page, arch), rendered(G[arch], latents(114514, 8)[0]))
        page.locator("#lab-take").click()  # Your own garment's latent: its example's CNN inversion
        inverted = examples.inversion("cnn").tolist()
        page.wait_for_function("(z) => JSON.stringify(ganLab.shown.mlp.latent) === JSON.stringify(z)", arg=inverted)
        assert page.locator("#lab .source").inner_text() == "a latent you gave"
        same_as_server(shown(page, "cnn"), rendered(G["cnn"], inverted))
        page.get_by_role("button", name="Start from this image").click()  # back to seed 114514, #0
        page.wait_for_function("() => ganLab.shown.cnn.latent[0] !== %r" % inverted[0])
        assert page.locator("#lab .source").inner_text() == "seed 114514 · #0"
        before, renders, n_requests = shown(page, "cnn")["pixels"], page.evaluate("ganLab.renders"), len(requests)
        drag(page, page.locator("#lab .row .val").first)
        page.wait_for_function("(n) => ganLab.renders >= n", arg=renders + 20)
        assert requests[n_requests:] == []  # nothing asked of the server while dragging
        after = shown(page, "cnn")
        assert after["latent"][10] == 10 and after["pixels"] != before  # dragged to the right end: +10
        for arch in ("mlp", "cnn"):
            z = shown(page, arch)["latent"]
            want = latents(114514, 8)[0].tolist()
            want[10] = 10.0
            assert z == want  # set mode: z[10] = 10, the rest the seed's
            same_as_server(shown(page, arch), edit_image(client, arch, json.dumps(z), "pc1", 0))
        page.locator("#lab .row .reset").first.click()
        page.locator("#lab .pc input").nth(2).fill("2.5")  # pc3 += 2.5, as /edit's float32 arithmetic
        page.locator("#lab .pc input").nth(2).dispatch_event("input")
        page.wait_for_function("() => ganLab.shown.cnn.latent[10] !== 10")
        for arch in ("mlp", "cnn"):
            same_as_server(shown(page, arch), edit_image(client, arch, "114514/0", "pc3", 2.5))
            z = garment.move(latents(114514, 8)[0], garment.first_layer_pcs(G[arch])[2], [2.5])[0]
            assert shown(page, arch)["latent"] == z.tolist()
        page.locator("#lab figure[data-arch=cnn] .copy").click()
        page.wait_for_function("() => ganLab.copied")
        assert json.loads(page.evaluate("navigator.clipboard.readText()")) == shown(page, "cnn")["latent"]
        row = page.locator("#lab .row").nth(1)
        row.locator(".num").fill("abc")
        row.locator(".num").dispatch_event("change")
        assert row.locator(".msg").inner_text() == "value: abc is not a number"
        row.locator(".pos").fill("150")
        row.locator(".pos").dispatch_event("change")
        assert row.locator(".msg").inner_text() == "position: 150 is outside 0..99"
    finally:
        context.close()


def test_lab_without_webassembly_says_so_and_the_server_draws(browser, server, G):
    """WebAssembly gone (as in a locked-down browser): the tab says so in the visitor's language
    (Chinese here) and draws through the server, one request per slider release, not per move."""
    context, page, requests = open_lab(browser, server, "zh-CN", "delete window.WebAssembly")
    try:
        assert page.evaluate("ganLab.mode") == "server"
        page.locator("#lab .status").get_by_text("这个浏览器无法运行模型").wait_for()  # once the page speaks Chinese
        for arch in ("mlp", "cnn"):
            assert shown(page, arch)["pixels"] == rendered(G[arch], latents(114514, 8)[0]).reshape(-1).tolist()
        n, renders = len(requests), page.evaluate("ganLab.renders")
        drag(page, page.locator("#lab .pc input").first)
        page.wait_for_function("(n) => ganLab.renders > n", arg=renders)  # the release's one render
        assert len([u for u in requests[n:] if "component_server" in u]) == 1
        z = shown(page, "mlp")["latent"]
        assert shown(page, "mlp")["pixels"] == rendered(G["mlp"], z).reshape(-1).tolist()
    finally:
        context.close()
