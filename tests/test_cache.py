"""Gradio's cache on a Space that runs for months: every result is a file there (gan.io.cached_file),
deleted, as every upload is, once it has not been handed out for GAN_CACHE_AGE_S (gan.cache's sweep);
the page's own defaults stay. benchmarks/cache.md measures the size under load."""
import hashlib
import json
import os
import threading
import time
import urllib.request

import pytest

from conftest import CALL_TIMEOUT, App, api_client, call, free_port, wait_listening
from gan import cache
from gan.io import cached_file

pytestmark = pytest.mark.slow


def test_a_file_handed_out_again_starts_its_age_anew(tmp_path):
    """delete_cache ages a file from its ctime: a result handed out again is touched, so a page
    just given it keeps it for the whole age; its bytes stay as they were."""
    first = cached_file(b"pixels", tmp_path, ".png")
    before = os.stat(first).st_ctime_ns
    time.sleep(0.05)
    again = cached_file(b"pixels", tmp_path, ".png")
    assert again == first and os.stat(again).st_ctime_ns > before
    assert open(again, "rb").read() == b"pixels"
    os.remove(first)  # deleted as too old: written again when it is asked for
    assert open(cached_file(b"pixels", tmp_path, ".png"), "rb").read() == b"pixels"


def test_a_sweep_deletes_old_results_and_uploads_and_nothing_else(tmp_path):
    """Results (the app's folder) and uploads (Gradio's hash-named folders) older than the age go,
    and the upload folders they leave empty; none goes while younger; the kept files (the page's),
    Gradio's other folders and the lab's copies stay."""
    results, upload = tmp_path / "gan-explorer", tmp_path / ("ab" * 32)
    other, lab = tmp_path / "vibe_edit_history", tmp_path / "gan-explorer" / "lab-files" / "0123"
    for folder in (results, upload, other, lab):
        folder.mkdir(parents=True)
    for path in (results / "old.png", results / "page.png", upload / "mine.png", other / "gradio.json",
                 lab / "ort.wasm.br"):
        path.write_bytes(b"x")
    written = max(p.stat().st_ctime for p in tmp_path.rglob("*"))
    kept = {results / "page.png"}
    assert cache.sweep(tmp_path, results, kept, age_s=10, now=written + 5) == 0  # all younger than the age
    assert cache.sweep(tmp_path, results, kept, age_s=10, now=written + 11) == 2  # old.png, mine.png
    assert sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file()) == [
        "gan-explorer/lab-files/0123/ort.wasm.br", "gan-explorer/page.png", "vibe_edit_history/gradio.json"]
    assert not upload.exists()
    assert cache.sweep(tmp_path, results, set(), age_s=10, now=written + 11) == 1  # page.png, once no longer kept


def test_a_sweep_keeps_the_cache_within_its_bytes_deleting_the_oldest_first(tmp_path):
    """Four results of 100 bytes, none old enough for the age: over a budget of 250 bytes the two
    oldest go (by ctime: the order they were written in); the page's own file is never counted out."""
    results = tmp_path / "gan-explorer"
    results.mkdir()
    for name in ("a", "b", "c", "d", "page"):
        (results / f"{name}.safetensors").write_bytes(b"x" * 100)
        time.sleep(0.02)  # a ctime of its own
    kept = {results / "page.safetensors"}
    assert cache.sweep(tmp_path, results, kept, age_s=3600, now=time.time(), max_bytes=250) == 2
    assert sorted(p.name for p in results.iterdir()) == ["c.safetensors", "d.safetensors", "page.safetensors"]


def test_the_sweeper_goes_on_after_a_failed_sweep(tmp_path, monkeypatch):
    """A sweep that fails (a bug, a disk error) is logged; the next one runs all the same."""
    calls = []

    def sweep(*args):
        calls.append(args)
        if len(calls) == 1:
            raise OSError("the disk said no")
    monkeypatch.setattr(cache, "sweep", sweep)
    cache.Sweeper(tmp_path, tmp_path / "gan-explorer", time.time(), age_s=1, every_s=0.01).start()
    deadline = time.monotonic() + 30
    while len(calls) < 2:
        assert time.monotonic() < deadline, "no sweep after the failed one"
        time.sleep(0.01)


def files(folder) -> set:
    """The cache's files, but for the lab's compressed copies (made on a side thread at start)."""
    return {p for p in folder.rglob("*") if p.is_file() and "lab-files" not in p.parts}


def test_results_are_deleted_once_old_and_the_pages_own_stay(tmp_path):
    """An app with a 5 s age, swept every second: a sample strip, an interpolation's GIF, forty
    samples asked for by four clients at once and an uploaded file come and go; the cache ends as
    it started, and the page's default strip is still served."""
    import httpx
    cache, port = tmp_path / "cache", free_port()
    app = App(port, tmp_path / "app.log", GRADIO_TEMP_DIR=str(cache), GAN_CACHE_AGE_S="5", GAN_CACHE_SWEEP_S="1")
    try:
        wait_listening(port, app.proc.pid, app.log_path)
        url = f"http://127.0.0.1:{port}/"
        at_start = files(cache)
        client = api_client(url)
        for result in (call(client, "cnn", 7, api_name="/sample")[0],
                       call(client, "mlp", 1, 0, 2, 0, 4, "lerp", api_name="/interpolate")[1]):
            # content-addressed: named by the sha256 of what the client got
            name = hashlib.sha256(open(result, "rb").read()).hexdigest() + os.path.splitext(result)[1]
            assert name in {p.name for p in files(cache) - at_start}, name
        def samples(k):  # requests at the same time, as a class sends them
            mine = api_client(url)
            for seed in range(100 + k, 140, 4):
                call(mine, "mlp", seed, api_name="/sample")
        threads = [threading.Thread(target=samples, args=(k,)) for k in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(CALL_TIMEOUT)
        (upload,) = httpx.post(url + "gradio_api/upload", files={"files": ("mine.png", b"a visitor's file")},
                               timeout=30).json()
        assert open(upload, "rb").read() == b"a visitor's file" and str(cache) in upload
        deadline = time.monotonic() + 90  # stops a hang only: the sweep takes seconds
        while files(cache) != at_start:
            assert time.monotonic() < deadline, f"still in the cache: {sorted(str(p) for p in files(cache) - at_start)}"
            time.sleep(0.5)
        config = json.loads(urllib.request.urlopen(url + "config", timeout=30).read())
        default = next(c for c in config["components"] if c["props"].get("elem_id") == "sample-strip")["props"]["value"]
        assert urllib.request.urlopen(url + "gradio_api/file=" + default["path"], timeout=30).status == 200
    finally:
        app.stop()
