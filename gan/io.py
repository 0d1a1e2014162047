"""Files: crash-safe writes (a temp file beside the target, fsync, then rename over it: a reader,
or a run killed at any instant, sees the old file or the new one, never half), PNG and GIF bytes,
Gradio's cache files, and the loss curves as a small SVG.
"""
import io
import json
import os
import tempfile
from pathlib import Path

import numpy as np


def atomic_write(path, data: bytes) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            os.fchmod(f.fileno(), 0o644)  # mkstemp makes 0600; these files are meant to be read
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_json(path, obj) -> Path:
    return atomic_write(path, (json.dumps(obj, indent=2, sort_keys=False) + "\n").encode())


def png_bytes(img: np.ndarray) -> bytes:
    from PIL import Image
    buf = io.BytesIO()
    # compress_level 1: faster than the default 6, and as small for these blocky images (benchmarks/speed.md)
    Image.fromarray(img).save(buf, format="PNG", compress_level=1)
    return buf.getvalue()


def write_png(path, img: np.ndarray) -> Path:
    """uint8 (H, W) grayscale image -> PNG."""
    return atomic_write(path, png_bytes(img))


def cached_file(data: bytes, folder, suffix: str) -> str:
    """A content-addressed file holding `data` in `folder` (written once, atomically), as a path.
    One handed out again is touched: gan.cache ages files from their ctime, and must not delete
    one that a page has just been given."""
    import hashlib
    path = Path(folder) / f"{hashlib.sha256(data).hexdigest()}{suffix}"
    try:
        os.utime(path)
    except FileNotFoundError:  # new, or deleted as too old
        atomic_write(path, data)
    return str(path)


def gif_bytes(frames, ms_per_frame: int = 120) -> bytes:
    """uint8 (N, H, W) frames -> an animated GIF that loops forever."""
    from PIL import Image
    images = [Image.fromarray(f) for f in frames]
    buf = io.BytesIO()
    images[0].save(buf, format="GIF", save_all=True, append_images=images[1:], duration=ms_per_frame, loop=0)
    return buf.getvalue()


def cached_png(img: np.ndarray, folder) -> str:
    """A content-addressed PNG of `img` in `folder` (written once, atomically), as a path.

    Gradio writes output images into its cache non-atomically, named by content: two requests
    returning byte-identical images race, and a client can fetch a half-written (even empty)
    file. Handing Gradio a finished file already inside its cache avoids that race, and an
    image seen before costs no write at all."""
    return cached_file(png_bytes(img), folder, ".png")


def svg_curves(history: list, width: int = 640, height: int = 240) -> str:
    """Loss (D, G) and FD per epoch as a small dependency-free SVG line chart."""
    series = [("d_loss", "#1f77b4", "D loss"), ("g_loss", "#ff7f0e", "G loss"), ("fd", "#2ca02c", "FD")]
    pad, out = 30, [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
                    f'font-family="sans-serif" font-size="11"><rect width="100%" height="100%" fill="white"/>']
    n = max(len(history), 2)
    for i, (key, colour, label) in enumerate(series):
        pts = [(h["epoch"], h[key]) for h in history if h.get(key) is not None]
        if not pts:
            continue
        lo, hi = min(v for _, v in pts), max(v for _, v in pts)
        span = (hi - lo) or 1.0
        xy = " ".join(f"{pad + (e - 1) * (width - 2 * pad) / (n - 1):.1f},"
                      f"{height - pad - (v - lo) * (height - 2 * pad) / span:.1f}" for e, v in pts)
        out.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{xy}"/>')
        out.append(f'<text x="{pad + i * 150}" y="15" fill="{colour}">{label}: {lo:.3g}..{hi:.3g}</text>')
    out.append(f'<text x="{width // 2}" y="{height - 8}" text-anchor="middle">epoch 1..{len(history)} '
               f'(each curve scaled to its own range)</text></svg>')
    return "\n".join(out)
