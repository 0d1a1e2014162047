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
    Image.fromarray(img).save(buf, format="PNG")
    return buf.getvalue()


def write_png(path, img: np.ndarray) -> Path:
    """uint8 (H, W) grayscale image -> PNG."""
    return atomic_write(path, png_bytes(img))
