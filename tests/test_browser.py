"""A real browser (Debian's chromium, driven by playwright, headless) uses every tab. Each test
opens its own page, so one failure cannot leave the next test on a broken page."""
import io
import shutil

import numpy as np
import pytest
from PIL import Image

from gan import weights
from gan.demo import STRIP_PAD, STRIP_UPSCALE
from gan.sampling import SEED_MAX, sample, tiles

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]
WAIT_MS = 60_000


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, server):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    page.goto(server, wait_until="domcontentloaded")
    page.get_by_role("button", name="Generate 8 images").wait_for()
    yield page
    context.close()


def images_in(page, elem_id, n):
    """Wait until #elem_id shows at least n loaded images; return their count."""
    page.wait_for_function(
        """([id, n]) => [...document.querySelectorAll(`#${id} img`)]
                         .filter(img => img.complete && img.naturalWidth > 0).length >= n""",
        arg=[elem_id, n], timeout=WAIT_MS)
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


def shown_strip(page, elem_id) -> np.ndarray:
    """The 8 images of the strip the page shows, fetched as the browser fetched them."""
    src = page.locator(f"#{elem_id} img").first.get_attribute("src")
    img = np.asarray(Image.open(io.BytesIO(page.request.get(src).body())).convert("L"))
    return tiles(img, 8, cols=8, pad=STRIP_PAD, factor=STRIP_UPSCALE)


def test_sample_tab_random_seed_then_generate(page):
    seed_box = page.locator("#sample-seed input")
    assert seed_box.input_value() == "114514"
    page.locator("#sample-random").click()
    page.wait_for_function("() => document.querySelector('#sample-seed input').value !== '114514'", timeout=WAIT_MS)
    seed = int(seed_box.input_value())
    assert 0 <= seed <= SEED_MAX
    page.get_by_role("button", name="Generate 8 images").click()
    images_in(page, "sample-strip", 1)
    text_in(page, "sample-labels", "%")
    assert np.array_equal(shown_strip(page, "sample-strip"), sample(weights.load_generator("cnn"), seed, 8))


def test_sweep_tab_with_its_plots(page):
    page.get_by_role("tab", name="Latent sweep").click()
    page.get_by_role("button", name="Sweep").click()
    assert images_in(page, "sweep-grid", 21) == 21
    assert marks(page, "sweep-brightness", "line", 3) == 3  # one line per position: 10, 60, 80
    page.get_by_role("button", name="Measure all 100 positions").click()
    assert images_in(page, "importance-top", 8) == 8
    assert marks(page, "importance-bars", "rect", 100) == 100  # a bar per latent position


def test_compare_tab_random_seed_and_histogram(page):
    page.get_by_role("tab", name="MLP vs CNN").click()
    assert marks(page, "compare-hist", "rect", 20) == 20  # 10 classes x 2 models
    page.locator("#compare-random").click()
    page.wait_for_function("() => document.querySelector('#compare-seed input').value !== '114514'", timeout=WAIT_MS)
    seed = int(page.locator("#compare-seed input").input_value())
    page.get_by_role("button", name="Compare").click()
    images_in(page, "compare-mlp", 1), images_in(page, "compare-cnn", 1)
    text_in(page, "compare-labels", "CNN")
    assert np.array_equal(shown_strip(page, "compare-mlp"), sample(weights.load_generator("mlp"), seed, 8))


def test_bad_input_shows_an_error_and_the_page_keeps_working(page):
    page.get_by_role("tab", name="Latent sweep").click()
    box = page.get_by_label("positions (0-99, up to 16)")
    box.fill("100")
    page.get_by_role("button", name="Sweep").click()
    page.get_by_text("positions: '100' is outside 0..99").first.wait_for()
    box.fill("10, 60, 80")
    page.get_by_role("button", name="Sweep").click()
    assert images_in(page, "sweep-grid", 21) == 21


def test_interpolate_tab(page):
    page.get_by_role("tab", name="Interpolate").click()
    page.get_by_role("button", name="Interpolate").click()
    assert images_in(page, "interp-strip", 10) == 10
    page.locator("#interp-gif").get_by_text(".gif").first.wait_for()


def test_how_it_learned_tab_with_its_curves(page):
    page.get_by_role("tab", name="How it learned").click()
    page.get_by_role("button", name="Show").click()
    images_in(page, "learned-grid", 1)
    assert marks(page, "learned-losses", "line", 2) == 2  # D loss and G loss
    assert marks(page, "learned-fd", "line", 1) == 1


def test_nearest_tab(page):
    page.get_by_role("tab", name="Nearest training images").click()
    page.get_by_role("button", name="Find nearest").click()
    assert images_in(page, "nearest-pixels", 5) == 5
    assert images_in(page, "nearest-features", 5) == 5
