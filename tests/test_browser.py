"""A real browser (Debian's chromium, driven by playwright, headless) uses every tab."""
import shutil

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]


@pytest.fixture(scope="module")
def page(server):
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(server, wait_until="domcontentloaded")
        page.get_by_role("button", name="Generate 8 images").wait_for(timeout=60_000)
        yield page
        browser.close()


def images_in(page, elem_id, n, timeout=60_000):
    """Wait until the gallery #elem_id shows at least n loaded images; return how many."""
    page.wait_for_function(
        """([id, n]) => [...document.querySelectorAll(`#${id} img`)]
                         .filter(img => img.complete && img.naturalWidth > 0).length >= n""",
        arg=[elem_id, n], timeout=timeout)
    return page.locator(f"#{elem_id} img").count()


def text_in(page, elem_id, text, timeout=30_000):
    """Wait until the rendered text of #elem_id contains `text`."""
    page.wait_for_function("([id, t]) => (document.getElementById(id)?.innerText || '').includes(t)",
                           arg=[elem_id, text], timeout=timeout)
    return True


def test_sample_tab(page):
    page.get_by_role("button", name="Generate 8 images").click()
    assert images_in(page, "sample-strip", 1) >= 1
    assert text_in(page, "sample-labels", "%")
    page.screenshot(path="tests/.browser-sample.png")


def test_sweep_tab(page):
    page.get_by_role("tab", name="Latent sweep").click()
    page.get_by_role("button", name="Sweep").click()
    assert images_in(page, "sweep-grid", 21) >= 21
    page.get_by_role("button", name="Measure all 100 positions").click()
    assert images_in(page, "importance-top", 8) >= 8
    page.screenshot(path="tests/.browser-sweep.png", full_page=True)


def test_compare_tab(page):
    page.get_by_role("tab", name="MLP vs CNN").click()
    page.get_by_role("button", name="Compare").click()
    assert images_in(page, "compare-mlp", 1) >= 1
    assert images_in(page, "compare-cnn", 1) >= 1
    assert text_in(page, "compare-labels", "CNN")
    page.screenshot(path="tests/.browser-compare.png", full_page=True)


def test_bad_input_shows_an_error_toast(page):
    page.get_by_role("tab", name="Latent sweep").click()
    box = page.get_by_label("positions (0-99, up to 16)")
    box.fill("100")
    page.get_by_role("button", name="Sweep").click()
    page.get_by_text("is outside 0..99").first.wait_for(timeout=30_000)
    box.fill("10, 60, 80")


def test_interpolate_tab(page):
    page.get_by_role("tab", name="Interpolate").click()
    page.get_by_role("button", name="Interpolate").click()
    assert images_in(page, "interp-strip", 10) >= 10
    page.locator("#interp-gif").get_by_text(".gif").first.wait_for(timeout=30_000)


def test_how_it_learned_tab(page):
    page.get_by_role("tab", name="How it learned").click()
    page.get_by_role("button", name="Show").click()
    assert images_in(page, "learned-grid", 1) >= 1
    page.screenshot(path="tests/.browser-learned.png", full_page=True)


def test_nearest_tab(page):
    page.get_by_role("tab", name="Nearest training images").click()
    page.get_by_role("button", name="Find nearest").click()
    assert images_in(page, "nearest-pixels", 5) >= 5
    assert images_in(page, "nearest-features", 5) >= 5
