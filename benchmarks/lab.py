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
- wire (--only wire): bytes on the wire, as Chromium counts them (CDP's encodedDataLength, headers
  included), when one browser opens the tab twice: the lab's files (onnxruntime-web, the three
  model.onnx), the page, and everything; and the lab's files fetched by httpx with Accept-Encoding
  gzip alone and with none. `--only wire_before --url URL` measures an app already running at URL
  (the code before the lab's files were compressed and cached) the same way.
Writes benchmarks/lab.json and benchmarks/lab.md (dated).
"""
import argparse
import datetime
import statistics
import time

from benchmarks.common import free_port, percentile, run_sections, start_app
from gan.limits import LAB_FIRST_OPEN_BYTES

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
    out = {"first_image_ms": [round(v, 1) for v in firsts], "drag": stats(drags), "server_edit": stats(server),
           "date": datetime.date.today().isoformat()}  # each section keeps its own (--only runs one)
    out["server_over_lab_p50"] = round(out["server_edit"]["p50_ms"] / out["drag"]["p50_ms"], 1)
    return out


def lab_file(url: str) -> bool:
    """One of the lab's files: at its address now (lab-files/), or as Gradio's static file before."""
    return "/lab-files/" in url or ("/file=" in url and ("/static/ort/" in url or url.endswith("model.onnx")))


def open_twice(url: str) -> dict:
    """The tab opened twice in one browser (one context: one HTTP cache), each open's bytes on the wire."""
    from playwright.sync_api import sync_playwright
    out = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True)
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        for visit in ("first", "second"):
            page = context.new_page()
            cdp, seen = context.new_cdp_session(page), {}
            cdp.on("Network.requestWillBeSent", lambda e: seen.setdefault(e["requestId"], {"url": e["request"]["url"]}))
            cdp.on("Network.responseReceived", lambda e: seen.get(e["requestId"], {}).update(
                encoding={k.lower(): v for k, v in e["response"]["headers"].items()}.get("content-encoding", "none")))
            cdp.on("Network.loadingFinished", lambda e: seen.get(e["requestId"], {}).update(wire=e["encodedDataLength"]))
            cdp.send("Network.enable")
            page.goto(url, wait_until="domcontentloaded")
            page.locator("#sample-seed").wait_for(timeout=60_000)
            page.get_by_role("tab", name="Latent lab").click()
            page.wait_for_function("window.ganLab && ganLab.renders > 0", timeout=60_000)
            assert page.evaluate("ganLab.mode") == "browser", page.evaluate("ganLab.why")
            page.wait_for_timeout(1000)  # the last network events
            rows = [r for r in seen.values() if not r["url"].startswith("data:")]
            lab = [r for r in rows if lab_file(r["url"])]
            out[visit] = {"lab_files": sum(r.get("wire", 0) for r in lab),
                          "lab_fetched": sum(r.get("wire", 0) > 0 for r in lab), "lab_n": len(lab),
                          "fetched": sorted(r["url"].rsplit("/", 1)[1] for r in lab if r.get("wire", 0) > 0),
                          "lab_encodings": sorted({r.get("encoding", "none") for r in lab}),
                          "page": sum(r.get("wire", 0) for r in rows if r["url"] == url),
                          "all": sum(r.get("wire", 0) for r in rows), "urls": sorted(r["url"] for r in lab)}
            page.close()
        browser.close()
    return out


def measure_wire(url: str) -> dict:
    import httpx
    out = open_twice(url)
    for accept in ("gzip", "identity"):  # a browser without brotli; a client that accepts no encoding
        total = 0
        for u in out["first"]["urls"]:
            with httpx.stream("GET", u, headers={"Accept-Encoding": accept}, timeout=60) as r:
                total += sum(len(chunk) for chunk in r.iter_raw())
        out[f"lab_files_{accept}"] = total  # bodies alone
    return {**out, "date": datetime.date.today().isoformat()}


def bench_wire() -> dict:
    port = free_port()
    proc, _ = start_app(port)
    try:
        return measure_wire(f"http://127.0.0.1:{port}/")
    finally:
        proc.terminate()
        proc.wait(10)


def mb(n: int) -> str:
    return f"{n / 1e6:.2f} MB"


def wire_rows(w: dict, what: str) -> list:
    f, s = w["first"], w["second"]
    return [f"| {what}, first open | {mb(f['lab_files'])} ({f['lab_fetched']} of {f['lab_n']} fetched; "
            f"{', '.join(f['lab_encodings'])}) | {mb(f['page'])} | {mb(f['all'])} | "
            f"{mb(w['lab_files_gzip'])} / {mb(w['lab_files_identity'])} |",
            f"| {what}, second open | {mb(s['lab_files'])} ({s['lab_fetched']} of {s['lab_n']} fetched) | "
            f"{mb(s['page'])} | {mb(s['all'])} | |"]


def wire_markdown(res: dict) -> list:
    if "wire" not in res:
        return []
    before = res.get("wire_before")
    rows = wire_rows(before, f"before (5aca0c2, {before['date']})") if before else []
    w = res["wire"]
    after = [f"Now the first open brings the lab's files in {mb(w['first']['lab_files'])} (the limit, gan/limits.py: "
             f"{mb(LAB_FIRST_OPEN_BYTES)}), stored compressed at start and sent as the browser accepts (brotli, else "
             f"gzip); the second open fetches {w['second']['lab_fetched']} of them: they come from the browser's "
             "cache without a request (their addresses name their content; Cache-Control: immutable)."]
    if before:
        again = ", ".join(before["second"]["fetched"]) or "none"
        after.append(f"Before, every file went as it is, with no Cache-Control; on the second open {again} came "
                     "again whole, the others were kept only by the browser's own guess from their Last-Modified.")
    return ["## Bytes on the wire (`python -m benchmarks.lab --only wire`)", "",
            "The app as `python app.py` starts it (benchmarks.serve), on loopback; one headless Chromium context",
            "(one HTTP cache) opens the page and the Latent lab tab, waits for its first image, then does it again",
            "in a new page. Bytes as Chromium counts them (CDP `Network.loadingFinished` encodedDataLength:",
            "headers and the body as sent).",
            "The lab's files: onnxruntime-web's two scripts and its wasm, the MLP's, the CNN's and the classifier's",
            "model.onnx. Last column: the same files fetched by httpx with `Accept-Encoding: gzip` alone, and with",
            "`identity` (bodies only).", "",
            "| open | the lab's files | the page (`/`) | everything | gzip only / no encoding |",
            "|---|---|---|---|---|", *rows, *wire_rows(w, f"now ({w['date']})"), "", " ".join(after), ""]


def markdown(res: dict) -> str:
    r = res["lab"]
    d, s = r["drag"], r["server_edit"]
    return "\n".join([
        "# The Latent lab, measured (`python -m benchmarks.lab`)", "",
        f"{r.get('date', res['date'])}, {res['machine']}; headless Chromium (Debian), onnxruntime-web 1.30.0 (WebAssembly, one thread).",
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
        "shows them); every move of the drags is counted, the start's own render is not a move.", "",
        *wire_markdown(res)])


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--only", choices=["lab", "wire", "wire_before"], help="one section; the others' results are kept")
    p.add_argument("--url", help="wire_before: the app to measure, already running")
    args = p.parse_args()
    sections = {"lab": bench_lab, "wire": bench_wire, "wire_before": lambda: measure_wire(args.url)}
    if args.only != "wire_before":
        del sections["wire_before"]
    run_sections("lab", sections, args.only, markdown)
