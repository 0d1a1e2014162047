"""Gradio's cache under load: what the Space stores on disk after thousands of varied requests, with
the app's sweep (gan.cache; a short age here, GAN_CACHE_AGE_S, so minutes show what months would) and
without one (the age so long nothing is deleted: as before).

  python -m benchmarks.cache                  # two runs of 3,000 requests, ~10 minutes on 2 cores
  python -m benchmarks.cache --only sweeper   # one of them

Writes benchmarks/cache.json and benchmarks/cache.md (dated). The requests go through
gradio_client, as a script would send them; the size is of every file under GRADIO_TEMP_DIR.
"""
import argparse
import concurrent.futures
import tempfile
import threading
import time
from pathlib import Path

import httpx

from benchmarks.common import free_port, run_sections, start_app

REQUESTS = 3000
CLIENTS = 4        # scripts sending at once
AGE_S, SWEEP_S = 60, 10
EVERY_S = 2.0      # how often the cache is measured


def size(folder: Path) -> tuple:
    """(bytes, files) under folder; a file deleted while it is counted does not count."""
    total = count = 0
    for p in folder.rglob("*"):
        try:
            if p.is_file():
                total, count = total + p.stat().st_size, count + 1
        except FileNotFoundError:
            pass
    return total, count


def request(client, url, i):
    """Request i of a varied mix: mostly /sample of a new seed (one PNG), every 10th an
    interpolation (a GIF and its frames), every 20th an upload (a visitor's file)."""
    if i % 20 == 0:
        httpx.post(url + "gradio_api/upload", files={"files": (f"{i}.png", b"x" * 20_000)}, timeout=60)
    elif i % 10 == 0:
        client.predict("mlp", i, 0, i + 1, 0, 8, "slerp", api_name="/interpolate")
    else:
        client.predict("cnn" if i % 2 else "mlp", i, 1.0, api_name="/sample")


def run(age_s: int) -> dict:
    from gradio_client import Client
    with tempfile.TemporaryDirectory() as tmp:
        cache, port = Path(tmp) / "cache", free_port()
        proc, _ = start_app(port, GRADIO_TEMP_DIR=str(cache), GAN_CACHE_AGE_S=str(age_s), GAN_CACHE_SWEEP_S=str(SWEEP_S))
        url, done, samples, failed = f"http://127.0.0.1:{port}/", [0], [], []
        try:
            start_bytes, start_files = size(cache)
            t0, stop = time.perf_counter(), threading.Event()

            def measure():
                while not stop.wait(EVERY_S):
                    samples.append((round(time.perf_counter() - t0, 1), done[0], *size(cache)))
            threading.Thread(target=measure, daemon=True).start()
            clients = [Client(url, verbose=False, download_files=False) for _ in range(CLIENTS)]

            def work(k):
                for i in range(k, REQUESTS, CLIENTS):
                    try:
                        request(clients[k], url, i)
                    except Exception as e:  # counted and reported: the disk is measured either way
                        failed.append(f"{i}: {type(e).__name__}: {e}"[:200])
                    done[0] += 1
            with concurrent.futures.ThreadPoolExecutor(CLIENTS) as pool:
                list(pool.map(work, range(CLIENTS)))
            stop.set()
            end = (round(time.perf_counter() - t0, 1), done[0], *size(cache))
        finally:
            proc.terminate()
            proc.wait(30)
    peak = max(s[2] for s in samples + [end])
    return {"age_s": age_s, "sweep_s": SWEEP_S, "requests": REQUESTS, "seconds": end[0],
            "start_mb": round(start_bytes / 1e6, 2), "start_files": start_files,
            "end_mb": round(end[2] / 1e6, 2), "end_files": end[3], "peak_mb": round(peak / 1e6, 2),
            "failed": len(failed), "failures": failed[:5],
            "samples": samples + [end]}


NAMES = {"sweeper": "the app's sweep (gan.cache)", "without": "nothing deleted",
         "with_delete_cache": "Gradio's delete_cache, as at f5c982a"}


def markdown(res) -> str:
    rows = []
    for name in (n for n in NAMES if n in res):
        r = res[name]
        # the size at each quarter of the requests
        quarters = [next(s for s in r["samples"] if s[1] >= q * r["requests"] // 4) for q in (1, 2, 3, 4)]
        rows.append(f"| {NAMES[name]} (age {r['age_s']:,} s) | {r['start_mb']} MB ({r['start_files']}) | "
                    + " | ".join(f"{s[2] / 1e6:.1f} MB ({s[3]})" for s in quarters) + f" | {r['peak_mb']} MB | {r['seconds']} s | {r['failed']} |")
    return f"""# Gradio's cache under load ({res['date']})

{res['machine']}. `python -m benchmarks.cache`: the app (`python app.py`, through `benchmarks.serve`) with its
cache in a fresh folder, {REQUESTS:,} requests from {CLIENTS} `gradio_client` scripts at once (mostly `/sample` of a
new seed, every 10th an `/interpolate` with its GIF, every 20th an upload of 20 kB), the size of every file under
`GRADIO_TEMP_DIR` taken every {EVERY_S:g} s (it includes the Latent lab's compressed files, about 15 MB, made at
start). With the sweep, results and uploads not handed out for {AGE_S} s go (swept every {SWEEP_S} s; the Space's own
age is `gan.limits.CACHE_AGE_S`, 6 hours); without one, nothing ever goes, as before.

| run | at start (files) | after 1/4 | 1/2 | 3/4 | all requests | peak | time | failed requests |
|---|---|---|---|---|---|---|---|---|
{chr(10).join(rows)}

With the sweep the cache stops growing at about what the last {AGE_S} s of requests made (the rate times the age);
without one, it grows with every distinct result. On the Space the same holds with 6 hours in place of {AGE_S} s: the
disk holds about six hours of results, however long it runs. The page's own defaults (the start files) stay.

Gradio's own `delete_cache=({SWEEP_S}, {AGE_S})`, which the app used first, deleted nothing here: the cache grew exactly
as with nothing deleted. Its scheduled sweep walks sets that request threads add to at the same time; once requests
came in together it stopped for good, silently (after one quiet request, it had deleted as asked). So the app sweeps
the disk itself.
"""


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--only", choices=["sweeper", "without"])
    args = p.parse_args()
    run_sections("cache", {"sweeper": lambda: run(AGE_S), "without": lambda: run(10**9)}, args.only, markdown)
