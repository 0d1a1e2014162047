"""A real browser (Debian's chromium, driven by playwright, headless) uses every tab. Each test
opens its own page, so one failure cannot leave the next test on a broken page."""
import io
import json
import os
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import expect

from conftest import first_outputs
from gan import text, weights
from gan.demo import STRIP_PAD, STRIP_UPSCALE
from gan.limits import SEED_MAX, TRAIN_MAX_EPOCHS
from gan.sampling import latents, tiles
from test_app import render

WAIT_MS = 60_000
SCREENSHOTS = os.environ.get("GAN_SCREENSHOTS")  # a folder: the README's pictures are saved there


@pytest.fixture(scope="module")
def context(browser):
    """One browser context for the module's pages: they share its HTTP cache, so a page after the
    first loads the app's scripts from it (each test still gets a page of its own)."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-US")
    yield context
    context.close()


@pytest.fixture
def page(context, server):
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    page.goto(server, wait_until="domcontentloaded")
    page.get_by_role("button", name="Generate 8 images").wait_for()
    yield page
    page.close()


def images_in(page, elem_id, n):
    """Wait until #elem_id shows at least n loaded images; return their count."""
    page.wait_for_function(
        """([id, n]) => [...document.querySelectorAll(`#${id} img`)]
                         .filter(img => img.complete && img.naturalWidth > 0).length >= n""",
        arg=[elem_id, n], timeout=WAIT_MS)
    return page.locator(f"#{elem_id} img").count()


def srcs(page, elem_id) -> list:
    return page.evaluate("(id) => [...document.querySelectorAll(`#${id} img`)].map(img => img.src)", elem_id)


def click_and_wait(page, target, elem_id: str) -> int:
    """Click `target` (a button's name, or a locator), then wait until #elem_id shows images, all
    loaded, that are not the ones it showed before (each tab opens with a result, so "some images"
    would prove nothing); return how many it shows."""
    before = srcs(page, elem_id)
    (page.get_by_role("button", name=target) if isinstance(target, str) else target).click()
    page.wait_for_function(
        """([id, before]) => { const imgs = [...document.querySelectorAll(`#${id} img`)];
             return imgs.length > 0 && imgs.every(img => img.complete && img.naturalWidth > 0)
                    && JSON.stringify(imgs.map(img => img.src)) !== JSON.stringify(before); }""",
        arg=[elem_id, before], timeout=WAIT_MS)
    return page.locator(f"#{elem_id} img").count()


def text_in(page, elem_id, text):
    page.wait_for_function("([id, t]) => (document.getElementById(id)?.innerText || '').includes(t)",
                           arg=[elem_id, text], timeout=WAIT_MS)


def marks(page, elem_id, kind, n):
    """Wait until the plot #elem_id has drawn at least n marks of `kind` (Vega's SVG: one path per
    bar, one path per line); return how many it drew."""
    selector = f"#{elem_id} g.mark-{kind}.role-mark path"
    page.wait_for_function("([s, n]) => document.querySelectorAll(s).length >= n", arg=[selector, n], timeout=WAIT_MS)
    return page.locator(selector).count()


def screenshot(page, name: str, width: int = 900):
    """With GAN_SCREENSHOTS set (GAN_SCREENSHOTS=tests/screenshots pytest tests/test_browser.py),
    save what the page shows as a small PNG for the README."""
    if not SCREENSHOTS:
        return
    # a picture of results, not of spinners: every visible Gradio status tracker idle (hidden), the
    # page-load event that puts a Chinese page's words in place included
    page.wait_for_function("""() => [...document.querySelectorAll('[data-testid="status-tracker"]')]
                               .every(e => e.classList.contains('hide') || e.offsetParent === null)""",
                           timeout=WAIT_MS)
    img = Image.open(io.BytesIO(page.screenshot())).convert("RGB")
    img = img.resize((width, round(img.height * width / img.width)), Image.LANCZOS)
    Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
    img.quantize(64).save(Path(SCREENSHOTS) / f"{name}.png", optimize=True)


def shown_strip(page, elem_id) -> np.ndarray:
    """The 8 images of the strip the page shows, fetched as the browser fetched them."""
    src = page.locator(f"#{elem_id} img").first.get_attribute("src")
    img = np.asarray(Image.open(io.BytesIO(page.request.get(src).body())).convert("L"))
    return tiles(img, 8, cols=8, pad=STRIP_PAD, factor=STRIP_UPSCALE)


# each tab (a gan.text key) and what it opens with: {elem_id: images shown}
TAB_RESULTS = (("tab.sample", {"sample-strip": 1}), ("tab.sweep", {"sweep-grid": 21, "importance-top": 8}),
               ("tab.lab", {}), ("tab.compare", {"compare-mlp": 1, "compare-cnn": 1}),
               ("tab.interpolate", {"interp-strip": 10}),
               ("tab.nearest", {"nearest-pixels": 5, "nearest-features": 5}), ("tab.learned", {"learned-grid": 1}),
               ("tab.garment", {"garment-target": 1, "garment-recon": 1, "edit-strip": 5}),
               ("tab.train", {"train-grid": 1}))


def every_tab_shows_a_result(page, lang: str, prefix: str):
    """Open each tab in `lang`'s words and wait for the result it opens with; with GAN_SCREENSHOTS
    set, photograph it as {prefix}1.png..{prefix}9.png for the README."""
    words = text.page(lang)
    for i, (tab, shown) in enumerate(TAB_RESULTS):
        page.get_by_role("tab", name=words[tab]).click()
        for elem_id, n in shown.items():
            assert images_in(page, elem_id, n) == n, (tab, elem_id)
        if tab == "tab.lab":  # canvases, drawn in the browser (tests/test_lab.py checks their pixels)
            page.wait_for_function("window.ganLab && ganLab.renders > 0", timeout=WAIT_MS)
        screenshot(page, f"{prefix}{i + 1}")


def test_every_tab_shows_a_result_before_any_click(page):
    """The page opens with each tab's default result already there (computed once at start-up),
    the two newest tabs too: the example drawing inverted and edited, a finished example job; then
    its words, results and errors are English, as the en-US browser asks. With
    GAN_SCREENSHOTS set, each tab is photographed for the README (the Chinese page's: the test
    of a zh-CN browser below)."""
    every_tab_shows_a_result(page, "en", "tab-")
    assert marks(page, "train-losses", "line", 2) == 2 and marks(page, "train-hist", "rect", 10) == 10
    text_in(page, "train-stats", '"done"')
    page.get_by_role("tab", name="How it learned").click()
    assert marks(page, "learned-losses", "line", 2) == 2
    page.get_by_role("tab", name="Sample").click()
    assert np.array_equal(shown_strip(page, "sample-strip"), render(weights.load_generator("cnn"), latents(114514, 8)))
    speaks(page, "en")  # an en-US browser: English everywhere (a zh-CN one: the test below)


def test_the_reports_seeds_are_one_click_examples(page):
    """Sample: the example 810 shows seed 810's images. Latent sweep: the example 30 runs the report's
    experiment, z[10], z[60], z[80] set to 0.3 and to 10: 3 rows of 2 images."""
    assert click_and_wait(page, page.get_by_role("gridcell", name="810", exact=True).first, "sample-strip") == 1
    assert page.locator("#sample-seed input").input_value() == "810"
    assert np.array_equal(shown_strip(page, "sample-strip"), render(weights.load_generator("cnn"), latents(810, 8)))
    page.get_by_role("tab", name="Latent sweep").click()
    assert click_and_wait(page, page.get_by_role("gridcell", name="30", exact=True).first, "sweep-grid") == 6
    assert page.get_by_label("values (|v| ≤ 1000, up to 16)").input_value() == "0.3, 10"
    assert page.get_by_label("positions (0-99, up to 16)").input_value() == "10, 60, 80"


def test_sample_and_compare_tabs_random_seed_then_generate(page):
    """Sample: Random seed, then Generate shows that seed's images and their labels. MLP vs CNN:
    the class histogram side by side; Random seed, then Compare shows the MLP's images of it."""
    seed_box = page.locator("#sample-seed input")
    assert seed_box.input_value() == "114514"
    page.locator("#sample-random").click()
    page.wait_for_function("() => document.querySelector('#sample-seed input').value !== '114514'", timeout=WAIT_MS)
    seed = int(seed_box.input_value())
    assert 0 <= seed <= SEED_MAX
    assert click_and_wait(page, "Generate 8 images", "sample-strip") == 1
    text_in(page, "sample-labels", "%")
    assert np.array_equal(shown_strip(page, "sample-strip"), render(weights.load_generator("cnn"), latents(seed, 8)))
    page.get_by_role("tab", name="MLP vs CNN").click()
    assert marks(page, "compare-hist", "rect", 20) == 20  # 10 classes x 2 models
    xs = page.evaluate("""() => [...document.querySelectorAll('#compare-hist g.mark-rect.role-mark path')]
                           .map(p => p.getAttribute('d').match(/^M([-0-9.]+)/)[1])""")
    assert len(set(xs)) == 20  # side by side: every bar at its own x (stacked bars would share 10)
    page.locator("#compare-random").click()
    page.wait_for_function("() => document.querySelector('#compare-seed input').value !== '114514'", timeout=WAIT_MS)
    seed = int(page.locator("#compare-seed input").input_value())
    assert click_and_wait(page, "Compare", "compare-mlp") == 1
    images_in(page, "compare-cnn", 1)
    text_in(page, "compare-labels", "CNN")
    assert np.array_equal(shown_strip(page, "compare-mlp"), render(weights.load_generator("mlp"), latents(seed, 8)))


def test_sweep_tab_refuses_a_bad_position_then_sweeps_with_its_plots(page):
    """A position out of range is the project's message and the page keeps working: the next
    sweep draws its grid, the brightness lines, then all 100 positions' bars."""
    page.get_by_role("tab", name="Latent sweep").click()
    box = page.get_by_label("positions (0-99, up to 16)")
    box.fill("100")
    page.get_by_role("button", name="Sweep").click()
    page.get_by_text("positions: '100' is outside 0..99").first.wait_for()
    box.fill("10, 60")
    assert click_and_wait(page, "Sweep", "sweep-grid") == 14  # 2 positions x 7 values
    assert marks(page, "sweep-brightness", "line", 2) == 2  # one line per position
    page.get_by_role("spinbutton", name="value (|v| ≤ 1000)").fill("5")
    assert click_and_wait(page, "Measure all 100 positions", "importance-top") == 8
    assert marks(page, "importance-bars", "rect", 100) == 100  # a bar per latent position
    page.locator("#sweep-grid").scroll_into_view_if_needed()


def test_interpolate_how_it_learned_and_nearest_tabs(page):
    """Interpolate: 10 images and the GIF. How it learned: the MLP's run, its grid and curves.
    Nearest: 5 training images by pixels and 5 by features."""
    page.get_by_role("tab", name="Interpolate").click()
    page.get_by_role("spinbutton", name=f"seed (0 to {SEED_MAX})").nth(1).fill("7")  # seed B (visible ones only)
    assert click_and_wait(page, "Interpolate", "interp-strip") == 10
    page.locator("#interp-gif").get_by_text(".gif").first.wait_for()
    page.get_by_role("tab", name="How it learned").click()
    page.get_by_role("radio", name="MLP").click()  # the MLP's run: the slider goes to its last epoch
    epochs = len(json.loads((weights.WEIGHTS_DIR / "mlp" / "history.json").read_text()))
    expect(page.get_by_role("spinbutton", name="epoch")).to_have_value(str(epochs))
    assert click_and_wait(page, "Show", "learned-grid") == 1
    assert marks(page, "learned-losses", "line", 2) == 2  # D loss and G loss
    assert marks(page, "learned-fd", "line", 1) == 1
    page.get_by_role("tab", name="Nearest training images").click()
    page.get_by_role("spinbutton", name=f"seed (0 to {SEED_MAX})").fill("7")
    assert click_and_wait(page, "Find nearest", "nearest-pixels") == 5
    assert images_in(page, "nearest-features", 5) == 5


# each tab, a button and a label on it (gan.text keys)
TAB_WORDS = (("tab.sample", "sample.go", "sample.strip"), ("tab.sweep", "sweep.go", "sweep.positions"),
             ("tab.lab", "lab.go", "lab.paste"),
             ("tab.compare", "compare.go", "compare.models"), ("tab.interpolate", "interp.go", "interp.steps"),
             ("tab.nearest", "nearest.go", "nearest.pixels"), ("tab.learned", "learned.go", "learned.epoch"),
             ("tab.garment", "garment.go", "garment.draw"), ("tab.train", "train.go", "train.recipe"))
CJK = "[\u4e00-\u9fff]"


ERRORS = {"zh-CN": "随机数种子必须是 0 到 4294967295 之间的整数，收到的是 -1",
          "en": "seed must be a whole number from 0 to 4294967295, got -1"}


def speaks(page, lang: str):
    """Tab names, buttons and labels on every tab, the report's seeds' table headers, results (class
    labels, axis names) and a bad seed's error message are in `lang` (last: the seed box is left at -1)."""
    words, chinese = text.page(lang), lang != "en"
    for tab, button, label in TAB_WORDS:
        for key in (tab, button, label):
            assert bool(re.search(CJK, words[key])) == chinese, key  # really Chinese / really not
        page.get_by_role("tab", name=words[tab]).click()
        page.get_by_role("button", name=words[button], exact=True).wait_for()  # hidden tabs' buttons don't count
        page.get_by_text(words[label]).locator("visible=true").first.wait_for()
    page.get_by_role("tab", name=words["tab.sweep"]).click()
    page.locator("#sweep-brightness svg").get_by_text(words["axis.brightness"], exact=True).first.wait_for()
    page.get_by_role("tab", name=words["tab.sample"]).click()
    for key in ("model", "seed", "psi"):  # the report's seeds' table, headed by the inputs' labels
        page.get_by_role("columnheader", name=words[key], exact=True).locator("visible=true").first.wait_for()
    page.wait_for_function("([re, chinese]) => new RegExp(re).test(document.getElementById('sample-labels')"
                           ".innerText) === chinese", arg=[CJK, chinese], timeout=WAIT_MS)
    page.locator("#sample-seed input").fill("-1")
    page.get_by_role("button", name=words["sample.go"]).click()
    page.get_by_text(ERRORS[lang]).first.wait_for()


def test_a_chinese_browser_gets_chinese_words(browser, server):
    """A zh-CN browser (a context of its own) sees every tab open with its result, and Chinese
    everywhere; the English side is checked on the English page of
    test_every_tab_shows_a_result_before_any_click. With GAN_SCREENSHOTS set, the Chinese page's
    tabs are photographed for the README's Chinese section."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    try:
        page.goto(server, wait_until="domcontentloaded")
        every_tab_shows_a_result(page, "zh-CN", "zh-tab-")
        speaks(page, "zh-CN")
    finally:
        context.close()


def settled(page, elem_id, quiet_s: float = 1.0, timeout_s: float = 30):
    """Wait until #elem_id's text has not changed for quiet_s (the events a drawing fires, one per
    stroke update, are answered one after another)."""
    import time
    last, since, deadline = None, time.monotonic(), time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        now = page.locator(f"#{elem_id}").inner_text()
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet_s:
            return now
        page.wait_for_timeout(100)
    raise AssertionError(f"#{elem_id} kept changing for {timeout_s} s")


def test_train_tab_starts_a_job_shows_it_learn_and_stops_it(page, client, live_app):
    """The report's recipe on the MLP (30 epochs, the most the tab allows): a double click starts
    one job, and the grid changes as it learns; a second Train from the page is refused; Stop ends
    the job and a new one can start: the page's second, then a script's. The app's log counts the
    page's jobs (no second one of the double click)."""
    page.get_by_role("tab", name="Train it yourself").click()
    epochs = page.get_by_label(text.t("en", "train.epochs")).first  # the slider's number box: 30 epochs,
    epochs.fill(str(TRAIN_MAX_EPOCHS["mlp"]))                       # a minute: only Stop ends it sooner
    epochs.press("Enter")
    train = page.get_by_role("button", name="Train", exact=True)
    started = "train job mlp report, 30 epochs, seed 0: started"
    page_jobs = live_app[1].read_text().count(started)
    for attempt in range(2):
        if attempt == 0:
            shown = srcs(page, "train-grid")
            train.dblclick()
            page.wait_for_function("([id, before]) => JSON.stringify([...document.querySelectorAll(`#${id} img`)]"
                                   ".map(i => i.src)) !== JSON.stringify(before)", arg=["train-grid", shown],
                                   timeout=WAIT_MS)
        else:
            assert click_and_wait(page, train, "train-grid") == 1
        before = srcs(page, "train-grid")
        page.wait_for_function("([id, before]) => JSON.stringify([...document.querySelectorAll(`#${id} img`)]"
                               ".map(i => i.src)) !== JSON.stringify(before)", arg=["train-grid", before],
                               timeout=WAIT_MS)  # it learns: a newer grid
        if attempt == 0:
            train.click()
            page.get_by_text("a training job from this page is already running").first.wait_for()
        page.locator("#train-stop").click()
        # a script's job starts while the page's minute-long one would still run
        job = client.submit("mlp", "report", 1, 0, api_name="/train")
        assert first_outputs(job, 1, timeout=20)
        job.cancel()
        assert live_app[1].read_text().count(started) == page_jobs + attempt + 1


def stroke(page, elem_id):
    """A vertical stroke down the middle of the sketchpad #elem_id, with its brush."""
    page.locator(f"#{elem_id}").get_by_role("button", name="Brush").click()
    box = page.locator(f"#{elem_id} canvas").first.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] * 0.2
    page.mouse.move(x, y)
    page.mouse.down()
    for i in range(1, 21):
        page.mouse.move(x, y + i * box["height"] * 0.6 / 20)
    page.mouse.up()


def test_draw_a_garment_invert_it_and_edit_it(page):
    """A stroke on the sketchpad becomes the file to invert (in place of the example drawing the
    tab opens with); Find it -> the target is that stroke, a light vertical bar on black, and the
    reconstruction, the latent handed to Edit and, chained, the edit strip all change."""
    page.get_by_role("tab", name="Your own garment").click()
    images_in(page, "edit-strip", 5)
    example = {id_: srcs(page, id_) for id_ in ("garment-recon", "edit-strip")}
    latent_box = page.get_by_label("latent: a JSON list of 100 numbers, or SEED/INDEX such as 114514/3")
    example_latent, example_file = latent_box.input_value(), page.locator("#garment-image").inner_text()
    stroke(page, "garment-sketch")
    page.wait_for_function("(before) => { const t = document.getElementById('garment-image').innerText;"
                           " return t.includes('.png') && t !== before; }", arg=example_file, timeout=WAIT_MS)
    settled(page, "garment-image")  # the stroke's change events have all been answered
    assert click_and_wait(page, "Find it in latent space", "garment-target") == 1
    target = np.asarray(Image.open(io.BytesIO(page.request.get(srcs(page, "garment-target")[0]).body())).convert("L"))
    target = target[::target.shape[0] // 28, ::target.shape[1] // 28][:28, :28]  # the 28x28 target, upscaled
    assert target[:, 12:16].max(1).min() > 150 and target[:, :8].max() < 30 and target[:, 20:].max() < 30  # rows 0-27
    for id_, before in example.items():  # the reconstruction and the chained edit are the stroke's
        page.wait_for_function("([id, before]) => JSON.stringify([...document.querySelectorAll(`#${id} img`)]"
                               ".map(i => i.src)) !== JSON.stringify(before)", arg=[id_, before], timeout=WAIT_MS)
    latent = json.loads(latent_box.input_value())
    assert len(latent) == 100 and latent != json.loads(example_latent)  # the inverted latent, handed to Edit
    text_in(page, "garment-info", "reconstruction_label")


def open_train_tab(page, settings=True):
    page.get_by_role("tab", name="Train it yourself").click()
    if settings:
        page.get_by_text(text.t("en", "train.settings")).click()


def command_shown(page, *parts, timeout_s: float = WAIT_MS / 1000) -> str:
    """The reproduce command once it holds every one of parts (it follows the settings controls)."""
    page.wait_for_function("([parts]) => { const t = document.querySelector('#train-command textarea');"
                           " return t && parts.every(p => t.value.includes(p)); }", arg=[list(parts)],
                           timeout=timeout_s * 1000)
    return page.locator("#train-command textarea").input_value()


def test_every_train_setting_reaches_the_command_the_address_and_the_job(page):
    """A recipe and a model chosen: the command names no setting (the recipe's own), and the CNN's
    epochs and subset. Then each settings control of the Train tab, set in the page: the reproduce
    command names each value as train.py takes it, the page's address holds it, and a job trains
    with it (its stats and its meters, as gauges, after it ends)."""
    open_train_tab(page)
    tail = "--threads=1 --device=cpu --weights-only"
    page.locator("#train-recipe").get_by_text("textbook", exact=True).click()  # the recipe's own settings: no flags
    command_shown(page, f"python train.py --arch=mlp --recipe=textbook --epochs=10 --seed=0 --per-class=800 {tail}")
    page.locator("#train-arch").get_by_text("CNN", exact=True).click()  # at most 5 epochs; 300 images a class
    command_shown(page, f"python train.py --arch=cnn --recipe=textbook --epochs=5 --seed=0 --per-class=300 {tail}")
    page.locator("#train-arch").get_by_text("MLP", exact=True).click()
    page.locator("#train-recipe").get_by_text("report", exact=True).click()
    command_shown(page, f"python train.py --arch=mlp --recipe=report --epochs=5 --seed=0 --per-class=800 {tail}")

    def box(key, value):  # a number box, or a slider's own number box
        field = page.locator(f"#train-{key} input[type=number]").first
        field.fill(str(value))
        field.press("Enter")

    def pick(key, value):
        page.locator(f"#train-{key}").get_by_text(value, exact=True).click()
    box("d_steps", 2), box("g_steps", 3), pick("loss", "ns-logits"), pick("real_range", "-1..1")
    pick("optimizer_g", "adam"), box("lr_g", 0.002), pick("optimizer_d", "adam"), box("lr_d", 0.001)
    box("beta1", 0.6), box("batch_size", 50), box("label_smoothing", 0.1), box("ema_decay", 0.9), box("r1_gamma", 1)
    for name in ("Coat", "Bag"):
        page.locator("#train-classes").get_by_text(name, exact=True).click()
    expected = ("--d-steps=2", "--g-steps=3", "--loss=ns-logits", "--real-range=-1..1", "--optimizer-g=adam",
                "--lr-g=0.002", "--optimizer-d=adam", "--lr-d=0.001", "--beta1=0.6", "--batch-size=50",
                "--label-smoothing=0.1", "--ema-decay=0.9", "--r1-gamma=1.0", "--classes=0,1,2,3,5,6,7,9")
    command_shown(page, *expected)
    for part in ("d_steps=2", "lr_g=0.002", "beta1=0.6", "classes=0%2C1%2C2%2C3%2C5%2C6%2C7%2C9"):
        assert part in page.url, (part, page.url)
    epochs = page.get_by_label(text.t("en", "train.epochs")).first
    epochs.fill("1")
    epochs.press("Enter")
    page.get_by_role("button", name="Train", exact=True).click()
    text_in(page, "train-meters", "epoch 1 of 1 ·")  # a 1-epoch job says so at its end only
    for key in ("d_acc_real", "d_acc_fake", "class_entropy", "classes_drawn"):
        value = float(page.locator(f"#meter-{key}").get_attribute("value"))
        assert 0 <= value <= float(page.locator(f"#meter-{key}").get_attribute("max")), key
    assert page.locator("#train-meters .alarms li, #train-meters .no-alarm").count() >= 1
    assert page.locator("#train-settings").inner_text().count('"lr_g"') == 1
    assert marks(page, "train-dacc", "line", 2) == 2


def test_a_preset_its_fix_and_a_shared_link(page, context, server):
    """Mode collapse, then its fix, one click each: the words on what to look for, and the
    command that follows (beta1 0.9, then the recipe's own 0.5). The page's address then opens the
    Train tab with those settings in a new page; a link with a bad value gets the project's message."""
    open_train_tab(page, settings=False)
    page.locator("#train-preset").get_by_text("Mode collapse", exact=True).click()
    page.locator("#train-look").get_by_text("Adam's momentum at 0.9").wait_for()
    command_shown(page, "--recipe=textbook", "--epochs=2", "--beta1=0.9", "--lr-g=0.005", "--batch-size=32")
    page.get_by_role("button", name="Apply the fix").click()
    page.wait_for_function("() => !document.querySelector('#train-command textarea').value.includes('--beta1')")
    fixed = command_shown(page, "--lr-g=0.005", "--batch-size=32")
    assert "beta1" not in page.url and "lr_g=0.005" in page.url
    shared = context.new_page()
    try:
        shared.goto(page.url, wait_until="domcontentloaded")
        assert command_shown(shared, fixed) == fixed  # the Train tab, open, with the same settings
        shared.goto(server + "?arch=mlp&lr_g=0", wait_until="domcontentloaded")
        shared.get_by_text("lr_g (G's learning rate) must be a finite number from 1e-06 to 1, got 0").first.wait_for()
    finally:
        shared.close()


def test_train_tab_pause_step_resume_and_go_back(page, live_app):
    """The page's own buttons: Pause a CNN job (the meters say so, and the step stops moving), one
    step of D (one step more), Resume (it moves on); then go back to its first checkpoint and go on
    from there: a new job, which the app's log shows started, and whose first update is past that
    checkpoint's step."""
    open_train_tab(page, settings=False)
    page.locator("#train-arch").get_by_text("CNN", exact=True).click()
    page.get_by_role("button", name="Train", exact=True).click()
    text_in(page, "train-meters", "of 5 ·")  # the job's first update: the CNN's 5 epochs

    def step_shown():
        return int(re.search(r"step (\d+)", page.locator("#train-meters .progress").inner_text()).group(1))

    def wait_step(ok):  # until the step the meters show passes ok
        for _ in range(WAIT_MS // 100):
            if ok(step_shown()):
                return
            page.wait_for_timeout(100)
        raise AssertionError(f"the step shown stayed at {step_shown()}")
    page.locator("#train-pause").click()
    text_in(page, "train-meters", "Paused:")
    paused = step_shown()
    page.wait_for_timeout(1500)
    assert step_shown() == paused
    page.locator("#train-step_d").click()
    wait_step(lambda n: n == paused + 1)
    page.locator("#train-resume").click()
    wait_step(lambda n: n > paused + 1)
    page.locator("#train-pause").click()  # the dropdown lists the checkpoints so far; go back to the first
    text_in(page, "train-meters", "Paused:")
    page.locator("#train-fork-from input").click()
    first = page.get_by_role("option").first
    back_to = int(re.search(r"step (\d+)", first.inner_text()).group(1))
    first.click()
    ended = live_app[1].read_text().count("train job cnn report, 5 epochs, seed 0: ended")
    page.locator("#train-stop").click()
    for _ in range(WAIT_MS // 100):  # until the page's job has ended: then the page may start another
        if live_app[1].read_text().count("train job cnn report, 5 epochs, seed 0: ended") > ended:
            break
        page.wait_for_timeout(100)
    started = live_app[1].read_text().count("train job cnn report")
    page.locator("#train-fork").click()
    wait_step(lambda n: n > back_to and not page.locator("#train-meters .paused").count())
    assert live_app[1].read_text().count("train job cnn report") > started
    page.locator("#train-stop").click()


def value_in(page, elem_id, text):
    """Wait until the text box #elem_id holds text (a textarea's value is not its innerText)."""
    page.wait_for_function("([id, t]) => (document.querySelector(`#${id} textarea`)?.value || '').includes(t)",
                           arg=[elem_id, text], timeout=WAIT_MS)


def test_train_on_your_own_images_uploaded_and_drawn(page, tmp_path):
    """20 images uploaded and a drawing added: the preview shows them as the GAN will and says how
    many; Train: the command names them, each nearest training image shown at the end is one of
    them (as the preview shows them), and when the job ends the files leave the page (Fashion-MNIST
    again; test_train_data checks the server deletes them)."""
    x = __import__("gan.data", fromlist=["load"]).load("test")[0][:20, 0].numpy()
    files = []
    for i, img in enumerate(x):
        files.append(tmp_path / f"{i:02d}.png")
        Image.fromarray(img).save(files[-1])
    open_train_tab(page, settings=False)
    page.get_by_text(text.t("en", "train.own")).click()
    page.locator("#train-data input[type=file]").set_input_files([str(f) for f in files])
    value_in(page, "train-data-summary", "20 readable images, one class.")
    stroke(page, "train-sketch")
    page.get_by_role("button", name=text.t("en", "train.add_drawing")).click()
    value_in(page, "train-data-summary", "21 readable images, one class.")
    images_in(page, "train-data-preview", 1)  # the 21, as the GAN sees them: 16 a row, 2 px apart, at 2x
    preview = np.asarray(Image.open(io.BytesIO(page.request.get(srcs(page, "train-data-preview")[0]).body())).convert("L"))
    seen = tiles(preview, 21, cols=16, factor=2)
    assert sum(any(np.array_equal(s, u) for s in seen) for u in x) == 20  # the uploads, as they are
    epochs = page.get_by_label(text.t("en", "train.epochs")).first
    epochs.fill("1")
    epochs.press("Enter")
    command_shown(page, "--epochs=1")
    before = srcs(page, "train-nearest")  # the example job's
    page.get_by_role("button", name="Train", exact=True).click()
    value_in(page, "train-data-summary", text.t("en", "data.none_yet"))  # the job has ended: its files are gone
    assert "--data=my_images/" in command_shown(page, "--data=")
    page.locator("#train-nearest").scroll_into_view_if_needed()  # its images load once in view
    page.wait_for_function(
        """([id, before]) => { const imgs = [...document.querySelectorAll(`#${id} img`)];
             return imgs.length == 16 && imgs.every(img => img.complete && img.naturalWidth > 0)
                    && JSON.stringify(imgs.map(img => img.src)) !== JSON.stringify(before); }""",
        arg=["train-nearest", before], timeout=WAIT_MS)
    for src in srcs(page, "train-nearest")[1::2]:  # final, nearest, ...: the nearest are uploaded images
        shown = np.asarray(Image.open(io.BytesIO(page.request.get(src).body())).convert("L"))[::8, ::8]
        assert any(np.array_equal(shown, s) for s in seen), "a nearest image that was not a training image"
