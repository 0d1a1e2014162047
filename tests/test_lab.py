"""The Latent lab: what /lab hands the browser, the server's fallback rendering, and the tab in a
real browser (onnxruntime-web, and without WebAssembly), each against values computed here."""
import json

import numpy as np
import pytest
import torch

from conftest import CALL_TIMEOUT, call
from gan import examples, explore, export, garment, weights
from gan.checks import InputError
from gan.data import CLASSES
from gan.demo_lab import DEFAULT_POSITIONS
from gan.limits import LAB_RANGE
from gan.sampling import latents
from test_app import SEED_ERROR, G, pixels, render  # noqa: F401 (G: a fixture)
from test_browser import WAIT_MS

START = latents(114514, 8)[0]  # what the lab tab opens with: the page's seed, image #0


def rendered(G, z) -> np.ndarray:
    """uint8 (28, 28): G's image of one latent, computed here (test_app.render)."""
    return render(G, torch.as_tensor(z, dtype=torch.float32)[None])[0]


def test_lab_hands_over_the_latent_directions_and_fresh_files(server, client, G):
    """/lab hands over the seed's latent, each model's directions, those /edit moves along (its
    image of the latent moved by 4 along each is G's, drawn here from the direction handed over),
    and the bundled model.onnx files (exported from the bundled weights), as the browser gets them."""
    import httpx
    state = call(client, 2024, 5, api_name="/lab")
    assert state["latent"] == latents(2024, 8)[5].tolist()  # exactly: float32 values survive JSON
    z = torch.tensor(state["latent"])
    for arch in ("mlp", "cnn"):
        got = state["models"][arch]["directions"]
        assert set(got) == set(garment.DIRECTIONS)
        for name, d in got.items():
            want = render(G[arch], (z + 4 * torch.tensor(d))[None])[0]  # float32, as /edit moves
            assert np.array_equal(edit_image(client, arch, "2024/5", name, 4), want), (arch, name)
        r = httpx.get(server + state["models"][arch]["onnx"], timeout=CALL_TIMEOUT)  # decoded as a browser does
        assert r.status_code == 200 and r.content == export.fresh(weights.bundled_dir(arch)).read_bytes(), arch
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
    with pytest.raises(InputError, match="arch must be one of mlp, cnn, got 'gan'"):
        demo.lab_render({"gan": z.tolist()})


@pytest.mark.parametrize("data, lang, message", [
    ({"gan": "[0]"}, "en", "arch must be one of mlp, cnn, got 'gan'"),
    ([1, 2], "en", "arch must be one of mlp, cnn, got a list"),
    ({"mlp": "[1, 2]"}, "zh-CN", "潜在向量必须有 100 个数，收到了 2 个"),
    ({"cnn": "nope"}, "zh-CN", "潜在向量必须是 100 个数的 JSON 列表，或“种子/序号”，例如 114514/3"),
])
def test_the_lab_server_function_answers_bad_input_in_the_visitors_language(server, data, lang, message):
    """The fallback's server function (what latent_lab.js calls without WebAssembly), called as the
    browser calls it: bad input is answered with the project's message, as {"error": ...}, which
    the lab shows; a good latent right after is drawn as torch draws it."""
    import urllib.request
    config = json.loads(urllib.request.urlopen(server + "config", timeout=CALL_TIMEOUT).read())
    lab = next(c["id"] for c in config["components"] if c["props"].get("elem_id") == "lab")

    def ask(value):
        body = {"session_hash": "lab-test", "component_id": lab, "fn_name": "lab_render", "data": value}
        request = urllib.request.Request(server + "gradio_api/component_server", json.dumps(body).encode(),
                                         {"Content-Type": "application/json", "Accept-Language": lang})
        return json.loads(urllib.request.urlopen(request, timeout=CALL_TIMEOUT).read())
    assert ask(data) == {"error": message}
    z = latents(5, 8)[1]
    assert ask({"mlp": json.dumps(z.tolist())})["mlp"]["pixels"] == rendered(weights.load_generator("mlp"), z).reshape(-1).tolist()


def test_every_word_the_browser_code_says_is_handed_to_it():
    """latent_lab.js says words by key from what lab() hands it: each key it names is among them (a
    missing one would show "undefined" on the page)."""
    import re
    from gan.demo_lab import LAB_JS, TEMPLATES, WORDS
    src = LAB_JS.read_text()
    used = set(re.findall(r'(?:said|word)\("([a-z_.]+)"\)', src)) | set(re.findall(r'"(lab\.[a-z_]+)"', src))
    assert {"lab.ready", "lab.copied", "lab.reset", "label", "fallback"} <= used
    assert used <= set(WORDS) | set(TEMPLATES), used - set(WORDS) - set(TEMPLATES)


def max_age(cache_control: str) -> int:
    return next((int(d.split("=")[1]) for d in cache_control.split(",") if d.strip().startswith("max-age=")), 0)


def test_lab_files_go_compressed_as_accepted_whole_and_for_good(tmp_path):
    """Each of the lab's files comes as the request accepts it (brotli before gzip, neither: the
    file itself), decoding to the very bytes on disk; its address holds for a year (immutable) and
    its ETag gets a 304 without a body; any other name or address is not served. A browser with gzip
    alone gets all of them within the first open's budget."""
    import brotli
    import gzip
    from starlette.applications import Starlette
    from starlette.testclient import TestClient
    from gan.demo_lab import ORT_FILES
    from gan.limits import LAB_FIRST_OPEN_BYTES
    from gan.serve_lab import lab_files
    onnx = {a: export.fresh(weights.bundled_dir(a)) for a in ("mlp", "cnn")}
    files = lab_files({**onnx, "classifier": export.fresh(weights.CLASSIFIER_DIR)}, tmp_path)
    client = TestClient(Starlette(routes=[files.route()]))

    def get(url, accept, **headers):
        with client.stream("GET", "/" + url, headers={"accept-encoding": accept, **headers}) as r:
            return r, b"".join(r.iter_raw())  # the bytes on the wire, not decoded

    mjs = ORT_FILES[1]
    for accept, encoding, decode in [("gzip, deflate, br, zstd", "br", brotli.decompress), ("*", "br", brotli.decompress),
                                     ("gzip", "gzip", gzip.decompress), ("br;q=0, gzip", "gzip", gzip.decompress),
                                     ("", None, bytes), ("identity", None, bytes), ("br;q=0", None, bytes)]:
        r, raw = get(files.url("ort", mjs.name), accept)
        assert r.status_code == 200 and r.headers.get("content-encoding") == encoding, accept
        assert decode(raw) == mjs.read_bytes() and int(r.headers["content-length"]) == len(raw)
        assert r.headers["content-type"].startswith("text/javascript") and "Accept-Encoding" in r.headers["vary"]
        assert "immutable" in r.headers["cache-control"] and max_age(r.headers["cache-control"]) >= 30 * 86400
        again, body = get(files.url("ort", mjs.name), accept, **{"if-none-match": r.headers["etag"]})
        assert again.status_code == 304 and body == b"", accept
    wire = 0
    for key, path in [("ort", p) for p in ORT_FILES] + [(k, p) for k, p in onnx.items()]:
        r, raw = get(files.url(key, path.name), "gzip")
        assert gzip.decompress(raw) == path.read_bytes(), path
        wire += len(raw)
    assert wire <= LAB_FIRST_OPEN_BYTES
    assert get(files.url("ort", ORT_FILES[2].name), "")[0].headers["content-type"] == "application/wasm"
    d = files.url("cnn")
    for url in (d + "model.safetensors", d + "config.json", files.url("ort") + "NOTICE.md", d + "..%2F..%2Fapp.py",
                "gradio_api/lab-files/0123456789abcdef0123/model.onnx", d + "../../../app.py"):
        r, raw = get(url, "gzip")
        assert r.status_code == 404 and b"import" not in raw, url


def test_lab_files_without_room_for_their_copies_go_as_they_are(tmp_path):
    """Where the compressed copy cannot be stored (here its folder is a file; a full disk alike),
    a request still gets the file, as it is, not an error."""
    from starlette.applications import Starlette
    from starlette.testclient import TestClient
    from gan.demo_lab import ORT_FILES
    from gan.serve_lab import LabFiles
    (tmp_path / "store").write_text("not a folder")
    files = LabFiles({"ort": ORT_FILES}, tmp_path / "store")
    files.compress_all()  # what the side thread at start does: it gives up, saying so
    r = TestClient(Starlette(routes=[files.route()])).get("/" + files.url("ort", ORT_FILES[0].name),
                                                          headers={"accept-encoding": "gzip, br"})
    assert r.status_code == 200 and "content-encoding" not in r.headers and r.content == ORT_FILES[0].read_bytes()


def test_lab_files_forget_the_copies_of_files_no_longer_served(tmp_path):
    """A retrained model is served at a new address; the compressed copies of its old file are
    deleted when the app starts storing the new ones, so restarts do not fill the disk."""
    from gan.demo_lab import ORT_FILES
    from gan.serve_lab import LabFiles
    old = tmp_path / "store" / "0123456789abcdef0123"
    old.mkdir(parents=True)
    (old / "model.onnx.br").write_bytes(b"an older model")
    files = LabFiles({"ort": ORT_FILES[:1]}, tmp_path / "store")
    files.compress_all()
    served = files.url("ort").split("/")[-2]  # gradio_api/lab-files/<digest>/
    assert [p.name for p in (tmp_path / "store").iterdir()] == [served]
    assert sorted(p.name for p in (tmp_path / "store" / served).iterdir()) == [ORT_FILES[0].name + ".br",
                                                                               ORT_FILES[0].name + ".gz"]


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
        page.wait_for_function("!ganLab.busy")  # a render still under way (the page's first) would count below
        n, renders = len(requests), page.evaluate("ganLab.renders")
        drag(page, page.locator("#lab .pc input").first)
        page.wait_for_function("(n) => ganLab.renders > n && !ganLab.busy", arg=renders)  # the release's one render
        assert len([u for u in requests[n:] if "component_server" in u]) == 1
        for arch in ("mlp", "cnn"):  # the moved latent's image (pc1 at its right end), not the start's
            moved = rendered(G[arch], garment.move(START, garment.first_layer_pcs(G[arch])[0], [LAB_RANGE])[0])
            assert shown(page, arch)["pixels"] == moved.reshape(-1).tolist()
            assert not np.array_equal(moved, rendered(G[arch], START))
        put(page, CONTROLS["together"])  # every kind of control at once, drawn by the server
        for arch in ("mlp", "cnn"):
            want = expected(G[arch], arch, CONTROLS["together"])
            assert shown(page, arch)["latent"] == want.tolist()
            assert shown(page, arch)["pixels"] == rendered(G[arch], want).reshape(-1).tolist()
    finally:
        context.close()


# ----------------------------------------------------------------------------- each control, against torch

# A setting of the lab's controls; any control it leaves out stays as the tab opens (mode set, rows
# at the report's positions and off, every amount 0, the second class, psi 1). typed: {row: (position,
# value)}, both typed into the row; presets: {row: value}, the report's value clicked at the row's
# position; pcs: {k: amount of pc(k+1)}.
CONTROLS = {
    "set": {"typed": {0: (42, "3.7")}, "presets": {1: 10}},
    "add": {"mode": "add", "typed": {0: (10, "-1.3")}, "presets": {2: 0.3}},
    "psi": {"psi": 0.5},
    "class": {"cls": "Bag", "amount": 4.5},
    "pcs": {"pcs": {1: -3.5, 6: 1.5}},
    "together": {"psi": 0.75, "mode": "add", "typed": {0: (10, "2.1")}, "pcs": {0: 1.5}, "cls": "Sneaker",
                 "amount": -2.5},
}


def expected(G, arch, setting) -> torch.Tensor:
    """The latent a setting asks for, each control as the server means it: the start latent times psi
    (gan.sampling.sample's truncation), then each active row in order (gan.explore.edited: set or
    add, as /sweep), then pc1..pc10 and the class direction, each garment.move (/edit's z + a * d)."""
    z = START * setting.get("psi", 1.0)
    rows = {**{i: (DEFAULT_POSITIONS[i], v) for i, v in setting.get("presets", {}).items()},
            **{i: (pos, float(v)) for i, (pos, v) in setting.get("typed", {}).items()}}
    for _, (pos, value) in sorted(rows.items()):
        z = explore.edited(z[None], [pos], [value], setting.get("mode", "set"))[0]
    pcs = garment.first_layer_pcs(G)
    for k, amount in sorted(setting.get("pcs", {}).items()):
        z = garment.move(z, pcs[k], [amount])[0]
    if setting.get("amount"):
        direction = weights.load_directions(weights.bundled_dir(arch), G.z_dim)[setting["cls"]]
        z = garment.move(z, direction, [setting["amount"]])[0]
    return z


RESET = """([positions, cls]) => {  // every control as the tab opens, through the events the lab listens to
  const box = document.querySelector("#lab .lab");
  const fire = (e, v) => { e.value = v; e.dispatchEvent(new Event("change")); };
  const set = box.querySelector("input[name=lab-mode][value=set]");
  set.checked = true;
  set.dispatchEvent(new Event("change"));
  box.querySelectorAll(".row .pos").forEach((e, i) => fire(e, positions[i]));  // a new position: the row is off
  box.querySelectorAll(".pc input, .amount").forEach((e) => fire(e, 0));
  fire(box.querySelector(".psi"), 1);
  fire(box.querySelector(".cls"), cls);
}"""


def put(page, setting):
    """The controls set as a visitor sets them (typed, clicked, chosen, slid), then waited for until
    the lab has drawn them all."""
    page.evaluate(RESET, [DEFAULT_POSITIONS, CLASSES[1]])
    lab = page.locator("#lab")
    if "mode" in setting:
        lab.locator(f"input[name=lab-mode][value={setting['mode']}]").check()
    for i, (pos, value) in setting.get("typed", {}).items():
        row = lab.locator(".row").nth(i)
        for field, text in ((".pos", str(pos)), (".num", value)):
            row.locator(field).fill(text)
            row.locator(field).dispatch_event("change")
    for i, value in setting.get("presets", {}).items():
        lab.locator(".row").nth(i).get_by_role("button", name=f"{value:g}", exact=True).click()
    for k, amount in setting.get("pcs", {}).items():
        lab.locator(".pc input").nth(k).fill(str(amount))
    if "cls" in setting:
        lab.locator(".cls").select_option(setting["cls"])
    for name in ("amount", "psi"):
        if name in setting:
            lab.locator(f".{name}").fill(str(setting[name]))
    page.wait_for_function("() => !ganLab.busy")
    assert page.evaluate("ganLab.error") is None


@pytest.fixture(scope="module")
def lab_page(browser, server):
    """One page for the control tests (a page load is the browser tests' cost): each test sets every
    control itself (put), so none depends on what another left."""
    context, page, _ = open_lab(browser, server)
    assert page.evaluate("ganLab.mode") == "browser"
    yield page
    context.close()


@pytest.mark.parametrize("name", list(CONTROLS))
def test_lab_control_draws_the_latent_torch_computes_for_it(lab_page, G, name):
    """Each control (a row's position and value in set and add mode, typed or the report's value
    clicked; psi; pc1..pc10; the class and its amount; all of them at once) moves the latent as the
    server's /sweep, /sample and /edit mean it, and the lab draws torch's pixels for that latent."""
    setting = CONTROLS[name]
    put(lab_page, setting)
    for arch in ("mlp", "cnn"):
        want = expected(G[arch], arch, setting)
        assert shown(lab_page, arch)["latent"] == want.tolist(), arch
        same_as_server(shown(lab_page, arch), rendered(G[arch], want))
    if setting.get("mode", "set") == "set":  # a row left off shows the value it leaves: the start's times psi
        for i, pos in enumerate(DEFAULT_POSITIONS):
            if i not in setting.get("typed", {}) and i not in setting.get("presets", {}):
                shown_value = float(lab_page.locator("#lab .row .num").nth(i).get_attribute("placeholder"))
                want = float(np.float32(START[pos]) * np.float32(setting.get("psi", 1.0)))
                assert abs(shown_value - want) <= 0.0005 + 1e-9, (i, shown_value, want)


def lab_requests(context, page) -> dict:
    """The page's requests for the lab's files (gan/serve_lab.py's addresses), as Chromium's own
    network accounting (CDP) sees them: requestId -> {url, status, headers, cached, wire}; wire: the
    bytes received for it, headers included (none when the browser's cache answered)."""
    cdp = context.new_cdp_session(page)
    seen = {}

    def on(event, update):
        cdp.on(event, lambda e: e["requestId"] in seen and seen[e["requestId"]].update(update(e)))

    cdp.on("Network.requestWillBeSent", lambda e: "/lab-files/" in e["request"]["url"] and seen.setdefault(
        e["requestId"], {"url": e["request"]["url"], "cached": False}))
    on("Network.requestServedFromCache", lambda e: {"cached": True})
    on("Network.responseReceived", lambda e: {
        "status": e["response"]["status"], "headers": {k.lower(): v for k, v in e["response"]["headers"].items()},
        "cached": e["response"].get("fromDiskCache") or e["response"].get("fromMemoryCache") or False})
    on("Network.loadingFinished", lambda e: {"wire": e["encodedDataLength"]})
    cdp.send("Network.enable")
    return seen


def test_lab_opens_within_its_byte_budget_then_from_the_browsers_cache(browser, server, G):
    """A class on one Wi-Fi: the lab's first open brings onnxruntime-web and the three model.onnx
    in at most LAB_FIRST_OPEN_BYTES on the wire (compressed), each to be kept for good; a second
    open in the same browser takes them all from its cache, no request reaching the app; the
    page itself (the lab's first latent and directions in it) comes compressed. Both opens draw
    the server's pixels."""
    from gan.limits import LAB_FIRST_OPEN_BYTES
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        for visit in ("first", "second"):
            page = context.new_page()
            page.set_default_timeout(WAIT_MS)
            seen = lab_requests(context, page)
            document = page.goto(server, wait_until="domcontentloaded")
            page.locator("#sample-seed").wait_for()
            page.get_by_role("tab", name="Latent lab").click()
            page.wait_for_function("window.ganLab && ganLab.renders > 0")
            assert page.evaluate("ganLab.mode") == "browser", page.evaluate("ganLab.why")
            for arch in ("mlp", "cnn"):
                same_as_server(shown(page, arch), rendered(G[arch], latents(114514, 8)[0]))
            for _ in range(WAIT_MS // 50):  # Chromium's last events may come after the first image
                if all("status" in r and ("wire" in r or r["cached"]) for r in seen.values()):
                    break
                page.wait_for_timeout(50)
            names = sorted(r["url"].rsplit("/", 1)[1] for r in seen.values())
            assert names == sorted(["ort.wasm.min.mjs", "ort-wasm-simd-threaded.mjs", "ort-wasm-simd-threaded.wasm",
                                    *["model.onnx"] * 3]), names
            if visit == "first":
                assert document.headers.get("content-encoding") in ("gzip", "br")
                wire = sum(r.get("wire", 0) for r in seen.values())
                assert wire <= LAB_FIRST_OPEN_BYTES, f"{wire} bytes on the wire"
                for r in seen.values():
                    cc = r["headers"].get("cache-control", "")
                    assert "immutable" in cc and max_age(cc) >= 30 * 86400, (r["url"], cc)
            else:
                fetched = [(r["url"], r.get("status"), r["wire"]) for r in seen.values() if not r["cached"] or r.get("wire")]
                assert fetched == [], fetched
            page.close()
    finally:
        context.close()
