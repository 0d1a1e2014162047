"""The Latent lab, measured where visitors use it: the app started as `python app.py` would be,
headless Chromium opening the tab and dragging its sliders, and beside it the same edits through
the server (/edit via gradio_client), in the same run.

  python -m benchmarks.lab          # a few minutes on 2 cores

- first image: from the click on the tab to the lab's first pixels in its canvases (onnxruntime-web
  started, the three ONNX files fetched, one MLP + CNN + classifier run);
- drag: each slider move's input event (its timeStamp) to the new pixels of both models in the
  canvases (the latent made, MLP, CNN, classifier on both, drawn): what lab.js records;
- server: one /edit call with one amount, for one model, through gradio_client (the round trip a
  slider move would cost without the lab; the lab draws two models per move).
Writes benchmarks/lab.json and benchmarks/lab.md (dated).
"""
import statistics
import time

from benchmarks.common import free_port, percentile, run_sections, start_app

DRAGS = 5      # slider drags, each across its whole range
STEPS = 100    # mouse moves per drag
CALLS = 100    # /edit calls
CHROMIUM = "/usr/bin/chromium"


def stats(values: list) -> dict:
    return {"n": len(values), "p50_ms": round(statistics.median(values), 2), "p95_ms": round(percentile(values, 95), 2),
            "max_ms": round(max(values), 2)}


def bench_lab() -> dict:
    from gradio_client import Client
    from playwright.sync_api import sync_playwright
    port = free_port()
    proc, _ = start_app(port)
    url = f"http://127.0.0.1:{port}/"
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(url, wait_until="domcontentloaded")
            page.locator("#sample-seed").wait_for(timeout=60_000)
            firsts, drags = [], []
            for attempt in range(3):  # the first image, on a fresh page each time (onnxruntime started anew)
                if attempt:
                    page.reload(wait_until="domcontentloaded")
                    page.locator("#sample-seed").wait_for(timeout=60_000)
                t0 = page.evaluate("performance.now()")
                page.get_by_role("tab", name="Latent lab").click()
                page.wait_for_function("window.ganLab && ganLab.renders > 0", timeout=60_000)
                firsts.append(page.evaluate("ganLab.firstImageAt") - t0)
            assert page.evaluate("ganLab.mode") == "browser", page.evaluate("ganLab.why")
            for i in range(DRAGS):
                slider = page.locator("#lab .row .val" if i % 2 == 0 else "#lab .pc input").first
                slider.scroll_into_view_if_needed()
                box = slider.bounding_box()
                y = box["y"] + box["height"] / 2
                page.mouse.move(box["x"] + 2, y)
                page.mouse.down()
                for s in range(STEPS + 1):
                    page.mouse.move(box["x"] + 2 + s * (box["width"] - 4) / STEPS, y)
                    page.wait_for_timeout(16)  # about one frame apart, as a hand drags
                page.mouse.up()
            page.wait_for_timeout(200)
            drags = page.evaluate("ganLab.timings.slice(1)")  # after the first image
            browser.close()
        client = Client(url, verbose=False)
        server = []
        for i in range(CALLS):
            t = time.perf_counter()
            client.predict("cnn", "114514/0", "pc1", f"{(i % 20) / 2 - 5:g}", api_name="/edit")
            server.append(1000 * (time.perf_counter() - t))
    finally:
        proc.terminate()
        proc.wait(10)
    out = {"first_image_ms": [round(v, 1) for v in firsts], "drag": stats(drags), "server_edit": stats(server)}
    out["server_over_lab_p50"] = round(out["server_edit"]["p50_ms"] / out["drag"]["p50_ms"], 1)
    return out


def markdown(res: dict) -> str:
    r = res["lab"]
    d, s = r["drag"], r["server_edit"]
    return "\n".join([
        "# The Latent lab, measured (`python -m benchmarks.lab`)", "",
        f"{res['date']}, {res['machine']}; headless Chromium (Debian), onnxruntime-web 1.30.0 (WebAssembly, one thread).",
        "The app runs as `python app.py`; the browser opens the tab and drags its sliders with the mouse, a move",
        "about every 16 ms; nothing else ran on the machine.", "",
        "| what | p50 | p95 | max | n |", "|---|---|---|---|---|",
        f"| slider move -> new pixels of MLP and CNN, labels included (in the browser) | {d['p50_ms']} ms | "
        f"{d['p95_ms']} ms | {d['max_ms']} ms | {d['n']} |",
        f"| one /edit call for one model (server, gradio_client) | {s['p50_ms']} ms | {s['p95_ms']} ms | "
        f"{s['max_ms']} ms | {s['n']} |", "",
        f"A move in the lab costs 1/{r['server_over_lab_p50']:g} of one server round trip at the median, and "
        "draws two models where the round trip draws one; while dragging, the app gets no request at all.", "",
        "First image after the tab opens (onnxruntime-web started, the ONNX files fetched, the first run): "
        + ", ".join(f"{v:.0f} ms" for v in r["first_image_ms"]) + " (three fresh pages).",
        "", "A move is timed from its input event's timeStamp to the new pixels in both canvases (the next frame",
        "shows them); every move of the drags is counted, the start's own render is not a move.", ""])


if __name__ == "__main__":
    run_sections("lab", {"lab": bench_lab}, None, markdown)
