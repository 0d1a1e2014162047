"""Crash-safe file writes: write a temp file beside the target, fsync, then rename over it.

A reader (or a run killed at any instant) sees either the old file or the new one, never half.
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
    """A content-addressed file holding `data` in `folder` (written once, atomically), as a path."""
    import hashlib
    path = Path(folder) / f"{hashlib.sha256(data).hexdigest()}{suffix}"
    if not path.exists():
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
