"""Gradio's cache, kept bounded on a Space that runs for months: every result (gan.io.cached_file,
in the app's own folder) and every visitor's upload (Gradio's, one folder per file hash) is deleted
once it has not been handed out for CACHE_AGE_S, and the oldest first while they hold more than
CACHE_MAX_BYTES, by a sweep every CACHE_SWEEP_S on a thread of its own. What the page itself shows
(the defaults its tabs open with) stays: those files were written, or touched, while the app was
built, before it served anyone.

Not Gradio's own delete_cache: in Gradio 6.31 its scheduled sweep stops for good once requests come
in at the same time (benchmarks/cache.md: the cache grew exactly as without it), as it walks sets
that the request threads are adding to. This sweep walks the disk, and a failed one is logged and
tried again at the next.
"""
import logging
import re
import threading
import time
from pathlib import Path

log = logging.getLogger(__name__)
UPLOAD_DIR = re.compile(r"[0-9a-f]{64}")  # Gradio keeps each upload in a folder named by its hash


def swept_files(root: Path, results: Path):
    """The files a sweep may delete: the app's results and the visitors' uploads (nothing else of
    Gradio's, nor the lab's compressed copies, which gan.serve_lab looks after)."""
    yield from (p for p in results.glob("*") if p.is_file())
    for folder in root.glob("*"):
        if folder.is_dir() and UPLOAD_DIR.fullmatch(folder.name):
            yield from (p for p in folder.rglob("*") if p.is_file())


def sweep(root: Path, results: Path, keep: set, age_s: float, now: float, max_bytes: float = float("inf")) -> int:
    """Delete every swept file not in keep whose ctime is more than age_s before now (a file
    handed out again was touched: gan.io.cached_file), then, while the rest hold more than
    max_bytes, the oldest of them (a class's checkpoints can outrun the age); and upload folders
    left empty; -> count."""
    deleted, left = 0, []
    for path in list(swept_files(root, results)):
        try:
            st = path.stat()
            if path in keep:
                continue
            if now - st.st_ctime > age_s:
                path.unlink()
                deleted += 1
            else:
                left.append((st.st_ctime, st.st_size, path))
        except FileNotFoundError:  # written anew and renamed, or deleted, meanwhile
            pass
    total = sum(size for _, size, _ in left)
    for _, size, path in sorted(left, key=lambda f: f[0]):
        if total <= max_bytes:
            break
        path.unlink(missing_ok=True)
        total, deleted = total - size, deleted + 1
    for folder in root.glob("*"):
        if folder.is_dir() and UPLOAD_DIR.fullmatch(folder.name) and not any(folder.iterdir()):
            try:
                folder.rmdir()
            except OSError:  # an upload arrived meanwhile
                pass
    return deleted


class Sweeper(threading.Thread):
    """sweep() every every_s seconds, for ever. The files under root touched since `since` (the
    process's start: the page's defaults, made while the app was built) are kept."""

    def __init__(self, root, results, since: float, age_s: float, every_s: float, max_bytes: float = float("inf")):
        super().__init__(name="cache-sweeper", daemon=True)
        self.root, self.results, self.age_s, self.every_s = Path(root), Path(results), age_s, every_s
        self.max_bytes = max_bytes
        # a second's slack: some file systems keep coarse times
        self.keep = {p for p in swept_files(self.root, self.results) if p.stat().st_ctime >= since - 1}

    def run(self):
        while True:
            time.sleep(self.every_s)
            try:
                sweep(self.root, self.results, self.keep, self.age_s, time.time(), self.max_bytes)
            except Exception:  # a bug, not a reason to stop sweeping for the months ahead
                log.exception("the cache sweep failed; the next one tries again")
