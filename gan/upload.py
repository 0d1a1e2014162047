"""An uploaded or drawn image made to look like Fashion-MNIST: what the Your own garment tab
inverts (gan.garment). load_image reads any file a visitor gives (size checked from the header,
before decoding); fashion_mnist_like runs the dataset's own pipeline on it, in an order that
leaves Fashion-MNIST's own images as they are, however an image viewer saved them
(tests/test_upload.py).
"""
import io

import numpy as np

from gan.checks import InputError
from gan.limits import MAX_PIXELS

SIZE = 28
FORMATS = ("PNG", "JPEG", "GIF", "BMP", "TIFF", "WEBP", "PPM")  # what cameras, phones and viewers save (a
# phone's multi-picture JPEG is read by PIL's JPEG opener); not PIL's every reader: its EPS one runs Ghostscript
MAX_SIDE = 1024                    # an accepted image is reduced to this before any float copy
WIDE_MODES = ("I;16", "I;16B", "I;16L", "I;16N", "I", "F")  # PIL's grayscale modes wider than 8 bits
# in [0, 1] intensities, the background made 0
EMPTY = 0.05                       # an image whose brightest pixel is dimmer shows nothing
TRIM = 0.05                        # Fashion-MNIST's trim: 5% of the intensity range
MAX_UPSCALE = 10                   # a 28k x 28k image, k up to this, may be an upscale of a 28x28 one
UPSCALE_RMS = 0.03                 # it is one if re-upscaling explains its pixels this well (JPEG noise)
LEVELS = (1.5 / 255, 0.025, 0.05, 0.1, 0.2)  # on the 28x28 grid, garment is above one of these...
FITTED = 26                        # ...and a garment spanning this many of the 28 pixels is fitted


def load_image(source) -> np.ndarray:
    """A file path, bytes or array -> float grayscale (H, W) in [0, 1], a transparent background
    counted as white (a sketchpad's). Big files are refused from their header, before decoding."""
    from PIL import Image, UnidentifiedImageError
    if isinstance(source, np.ndarray):
        img = Image.fromarray(source if source.dtype == np.uint8 else np.clip(source, 0, 255).astype(np.uint8))
    else:
        try:
            img = Image.open(io.BytesIO(source) if isinstance(source, bytes) else source, formats=FORMATS)  # the header
        except Image.DecompressionBombError:  # PIL's own limit, far above ours
            raise InputError("too_big", most=f"{MAX_PIXELS:,}") from None
        except (UnidentifiedImageError, OSError, ValueError, TypeError):
            raise InputError("not_image") from None
        if img.width * img.height > MAX_PIXELS:
            raise InputError("too_big", most=f"{MAX_PIXELS:,}")
    try:
        img.thumbnail((MAX_SIDE, MAX_SIDE))  # decoded once, then reduced: 28x28 is the goal
        if img.mode in WIDE_MODES:  # 16-bit, 32-bit or float grayscale: RGBA would clip it at 255
            gray = np.asarray(img, dtype=np.float32)
            gray = np.where(np.isfinite(gray), gray, 0)  # a float file's NaN or inf is no intensity: black
            return np.clip(gray / wide_range(img.mode, float(gray.max())), 0, 1)
        rgba = np.asarray(img.convert("RGBA"), dtype=np.float32) / 255
    except (OSError, ValueError, Image.DecompressionBombError):
        raise InputError("not_image") from None
    gray = rgba[..., :3] @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    return gray * rgba[..., 3] + (1 - rgba[..., 3])  # transparent -> white


def wide_range(mode: str, top: float) -> float:
    """The white of a wide grayscale mode: 16-bit files use 0..65535; a 32-bit integer or float
    image holding 8-bit or [0, 1] values is taken at that range."""
    if mode.startswith("I;16") or top > 255:
        return 65535.0
    return 1.0 if mode == "F" and top <= 1 else 255.0


def fashion_mnist_like(gray: np.ndarray) -> np.ndarray:
    """float (H, W) in [0, 1] -> uint8 (28, 28): the image as Fashion-MNIST would have it.

    The dataset's own pipeline (its README) made each image from a product photo, a garment on a
    light ground: trim the edges close to the corners' colour (5% of the intensity range), resize
    the longest side to 28, extend the shorter side to 28 with the garment centred, negate, 8-bit
    grayscale. The same steps here, in an order that leaves the dataset's own images as they are:
    1. background: the corners' colour (what the trim compares with). A light one is negated
       (the dataset's negation), then it is made 0: a light garment on black and a dark one on
       white come out the same;
    2. a k-times upscale of a 28x28 image (what an image viewer saves) is taken back to that
       image (grid_of): resampling it again would blur a garment that is already 28 pixels tall;
    3. an image on that grid already trimmed, fitted and centred (every Fashion-MNIST image is)
       is kept as it is;
    4. anything else (a drawing, a photo, off-centre, with margins): trim, fit the longer side
       to 28, centre."""
    gray = on_black(gray)
    grid = grid_of(gray)
    if grid is not None and is_fitted(grid):
        return to_u8(grid)
    return to_u8(centred(fitted(trimmed(gray))))


def corners(gray: np.ndarray) -> np.ndarray:
    """The median of each corner's patch, one grid pixel (1/28 of the side) square: (4,)."""
    k = max(1, min(gray.shape) // SIZE)
    return np.array([np.median(gray[r, c]) for r in (slice(0, k), slice(-k, None))
                     for c in (slice(0, k), slice(-k, None))])


def on_black(gray: np.ndarray) -> np.ndarray:
    """Step 1: light garment on a background of 0. A light background (most corners light) is
    negated; the background is then the darkest corner, since a garment can cover some of them."""
    if np.median(corners(gray)) > 0.5:
        gray = 1 - gray
    background = float(corners(gray).min())
    gray = np.clip((gray - background) / max(1 - background, 1e-6), 0, 1)
    if gray.max() < EMPTY:
        raise InputError("empty_image")
    return gray


def upscale_matrix(k: int, how: str) -> np.ndarray:
    """(28k, 28): the rows of a k-times upscale, nearest (each pixel repeated k times) or
    bilinear (as PIL's: sample j at source position (j + 0.5) / k - 0.5, edges held)."""
    if how == "nearest":
        return np.repeat(np.eye(SIZE), k, axis=0)
    pos = np.clip((np.arange(SIZE * k) + 0.5) / k - 0.5, 0, SIZE - 1)
    lo, frac = np.floor(pos).astype(int), pos - np.floor(pos)
    a = np.zeros((SIZE * k, SIZE))
    a[np.arange(SIZE * k), lo] += 1 - frac
    a[np.arange(SIZE * k), np.minimum(lo + 1, SIZE - 1)] += frac
    return a


def grid_of(gray: np.ndarray):
    """Step 2: a square image of side 28k (k <= MAX_UPSCALE) that is a k-times upscale of a 28x28
    image -> that 28x28 image, float; else None. Both usual upscales (nearest, bilinear) are
    undone by least squares; the one that explains the pixels best is kept, if it explains them
    to within UPSCALE_RMS (a lossy JPEG's noise)."""
    h, w = gray.shape
    if h != w or h % SIZE or not 1 <= h // SIZE <= MAX_UPSCALE:
        return None
    best, best_rms = None, UPSCALE_RMS
    for how in ("nearest", "bilinear"):
        a = upscale_matrix(h // SIZE, how)
        p = np.linalg.pinv(a)
        x = p @ gray @ p.T
        rms = float(np.sqrt(((a @ x @ a.T - gray) ** 2).mean()))
        if rms <= best_rms:
            best, best_rms = np.clip(x, 0, 1), rms
    return best


def box(mask: np.ndarray) -> tuple | None:
    """The bounding box of a boolean mask: (top, bottom + 1, left, right + 1); None if it is empty."""
    rows, cols = np.flatnonzero(mask.any(1)), np.flatnonzero(mask.any(0))
    if not len(rows):
        return None
    return rows[0], rows[-1] + 1, cols[0], cols[-1] + 1


def is_fitted(grid: np.ndarray) -> bool:
    """Step 3: is a 28x28 image already trimmed, fitted and centred? Its garment (any pixel above
    the background: the dataset's faint edges count) spans at least FITTED of the 28 rows or
    columns, and its box sits within a pixel of the centre on both axes (the dataset's images sit
    at (28 - size) // 2 or one more) at one of the LEVELS: a lossy file rings around the garment
    with faint pixels that move the box at the lowest ones."""
    found = box(grid > LEVELS[0])
    if found is None or max(found[1] - found[0], found[3] - found[2]) < FITTED:
        return False
    for level in LEVELS:
        if (found := box(grid > level)) is None:  # nothing this bright: the higher levels find nothing either
            return False
        top, bottom, left, right = found
        if all(abs(lo - (SIZE - (hi - lo)) / 2) <= 1 for lo, hi in ((top, bottom), (left, right))):
            return True
    return False


def trimmed(gray: np.ndarray) -> np.ndarray:
    """Step 4a: cropped to the garment's box, what is more than TRIM of its brightest above the
    background (the dataset's threshold), found on a 3x3 median so that a noisy background's
    lone pixels do not count. A garment thinner than the filter (a dot, a one-pixel line) leaves
    nothing after it: then its own pixels are the box."""
    from PIL import Image, ImageFilter
    smooth = np.asarray(Image.fromarray(gray.astype(np.float32), "F").filter(ImageFilter.MedianFilter(3)))
    top, bottom, left, right = box(smooth > TRIM * smooth.max()) or box(gray > TRIM * gray.max())
    return gray[top:bottom, left:right]


def fitted(crop: np.ndarray) -> np.ndarray:
    """Step 4b: the longer side resized to 28 (Lanczos: no aliasing when shrinking a photo)."""
    from PIL import Image
    h, w = crop.shape
    scale = SIZE / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    if size == (w, h):
        return crop
    return np.asarray(Image.fromarray(crop.astype(np.float32), "F").resize(size, Image.LANCZOS))


def centred(small: np.ndarray) -> np.ndarray:
    """Step 4c: the shorter side extended to 28 with black, the garment in the middle."""
    out = np.zeros((SIZE, SIZE), np.float32)
    top, left = (SIZE - small.shape[0]) // 2, (SIZE - small.shape[1]) // 2
    out[top:top + small.shape[0], left:left + small.shape[1]] = small
    return out


def to_u8(gray: np.ndarray) -> np.ndarray:
    return np.round(np.clip(gray, 0, 1) * 255).astype(np.uint8)
