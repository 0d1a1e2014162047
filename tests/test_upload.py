"""What visitors give the Your own garment tab, made Fashion-MNIST-like (gan.upload: load_image
and fashion_mnist_like, the /invert handler's first steps): the dataset's own images come out as
they are, however an image viewer saved them; drawings and photos come out trimmed, fitted and
centred, with the box and brightness worked out here from how each image was made."""
import io

import numpy as np
import pytest
import torch
from PIL import Image, ImageDraw

from gan import data as fmnist
from gan import upload
from gan.checks import InputError


@pytest.fixture(scope="module")
def test_images():
    """24 Fashion-MNIST test images, a fixed random pick: narrow, wide, faint-edged garments."""
    x, _ = fmnist.load("test")
    return x[torch.randperm(len(x), generator=torch.Generator().manual_seed(3))[:24], 0].numpy()


def made_like_fashion_mnist(path) -> np.ndarray:
    return upload.fashion_mnist_like(upload.load_image(str(path)))


@pytest.mark.parametrize("negative", [False, True], ids=["light-on-dark", "dark-on-white"])
@pytest.mark.parametrize("factor, resample, fmt, most", [
    (1, "nearest", "PNG", 0), (2, "nearest", "PNG", 0), (3, "nearest", "PNG", 0), (4, "nearest", "PNG", 0),
    (7, "nearest", "PNG", 0), (10, "nearest", "PNG", 0),
    (2, "bilinear", "PNG", 1e-3), (4, "bilinear", "PNG", 1e-3), (5, "bilinear", "PNG", 1e-3),
    (10, "bilinear", "PNG", 1e-3), (1, "nearest", "JPEG", 1e-3), (4, "nearest", "JPEG", 1e-3),
    (2, "bilinear", "JPEG", 1e-3), (3, "bilinear", "JPEG", 1e-3), (8, "bilinear", "JPEG", 1e-3),
])
def test_fashion_mnist_images_come_out_as_they_are(test_images, tmp_path, negative, factor, resample, fmt, most):
    """A test image saved as a file, as is or an integer upscale, lossless or JPEG at quality 90,
    or its negative: equal pixels when lossless and nearest, else MSE <= 0.001 (on [0, 1])."""
    path = tmp_path / f"garment.{fmt.lower()}"
    for img in test_images:
        saved = Image.fromarray(255 - img if negative else img)
        saved.resize((28 * factor, 28 * factor), getattr(Image, resample.upper())).save(path, fmt, quality=90)
        out = made_like_fashion_mnist(path)
        mse = (((out.astype(np.float64) - img) / 255) ** 2).mean()
        assert (np.array_equal(out, img) if most == 0 else mse <= most), f"MSE {mse:.5f}"


def test_any_image_mode_reads_as_the_same_garment(test_images, tmp_path):
    """Palette, grey + alpha, RGB, CMYK, 16-bit and float files of one image: the same pixels."""
    img = test_images[0]
    files = {"P.png": Image.fromarray(img).convert("P"), "LA.png": Image.fromarray(img).convert("LA"),
             "RGB.png": Image.fromarray(img).convert("RGB"), "CMYK.tiff": Image.fromarray(img).convert("CMYK"),
             "16bit.png": Image.fromarray(img.astype(np.uint16) * 257),  # mode I;16
             "float.tiff": Image.fromarray(img.astype(np.float32) / 255)}
    for name, im in files.items():
        im.save(tmp_path / name)
        assert np.array_equal(made_like_fashion_mnist(tmp_path / name), img), name


def box(img_u8, level=128) -> tuple:
    """(top, bottom, left, right), inclusive, of the pixels above level."""
    rows, cols = np.flatnonzero((img_u8 > level).any(1)), np.flatnonzero((img_u8 > level).any(0))
    return rows[0], rows[-1], cols[0], cols[-1]


def test_a_sketchpad_drawing_is_trimmed_fitted_and_centred(tmp_path):
    """The page's Sketchpad: black ink, antialiased, on a transparent 800x600 canvas, a T-shirt
    drawn off-centre. Its box is 361 wide and 301 tall: fitted to 28 columns it is
    round(301 * 28 / 361) = 23 rows tall, centred from row (28 - 23) // 2 = 2; light on black."""
    canvas = Image.new("RGBA", (800, 600), (0, 0, 0, 0))
    pen = ImageDraw.Draw(canvas)
    pen.rectangle((120, 100, 480, 180), fill=(0, 0, 0, 255))   # shoulders and sleeves: x 120..480, y 100..180
    pen.rectangle((200, 100, 400, 400), fill=(0, 0, 0, 255))   # the body: down to y 400
    pen.line((120, 100, 480, 100), fill=(0, 0, 0, 128), width=3)  # a soft, half-transparent edge
    canvas.save(tmp_path / "sketch.png")
    out = made_like_fashion_mnist(tmp_path / "sketch.png")
    top, bottom, left, right = box(out)
    assert (left, right) == (0, 27) and abs(top - 2) <= 1 and abs(bottom - 24) <= 1
    body = out[top + 8:bottom - 1, 10:18]   # inside the body: x 200..400 is columns 6.2..21.7
    assert body.min() > 240                 # black ink on transparent: white on black
    assert out[:top - 1].max() == 0 and out[bottom + 2:].max() == 0    # black ground above and below
    assert out[top + 8:, :4].max() < 20 and out[top + 8:, 24:].max() < 20  # beside the body, below the sleeves


def test_a_photo_on_a_light_noisy_background_with_margins(tmp_path):
    """A grey dress (level 70) on a light, noisy ground (level 230, sigma 4 levels), 480x640 with
    wide margins, off-centre: its box (x 60..239, y 200..559: 180x360) fitted to 28 rows is 14
    columns wide, centred from column 7; the background is made black and the garment
    (230 - 70) / 230 of white, as Fashion-MNIST shows a dark garment."""
    rng = np.random.default_rng(0)
    photo = np.clip(rng.normal(230, 4, (640, 480)), 0, 255)
    photo[200:560, 60:240] = 70
    Image.fromarray(photo.astype(np.uint8)).convert("RGB").save(tmp_path / "photo.jpg", quality=95)
    out = made_like_fashion_mnist(tmp_path / "photo.jpg")
    assert box(out) == (0, 27, 7, 20)
    assert abs(float(out[2:26, 9:19].mean()) - 255 * 160 / 230) < 6
    assert out[:, :6].max() < 16 and out[:, 22:].max() < 16  # the ground stays near black


def test_an_off_centre_fashion_mnist_image_is_centred_again(test_images):
    """A test image moved 4 pixels right on its 28x28 canvas (its empty columns cut off on one
    side) is centred again: its box sits where the original's does, within a pixel."""
    img = next(i for i in test_images if (i.max(0) == 0)[-6:].all())  # one with 6 empty columns at the right
    moved = np.roll(img, 4, axis=1)
    out = upload.fashion_mnist_like(moved / 255)
    assert np.abs(np.array(box(out, 30)) - np.array(box(img, 30))).max() <= 1


def test_a_drawing_on_white_and_a_transparent_stroke(tmp_path):
    """A black T drawn on white, off-centre on a wide canvas: inverted to light on black, cropped
    to the T (320x160 pixels), its longer side fitted to 28 pixels (so 28x14), centred."""
    img = np.full((300, 600, 4), 255, np.uint8)
    img[40:80, 200:520, :3] = 0    # the bar
    img[80:200, 330:390, :3] = 0   # the stem
    path = tmp_path / "t.png"
    Image.fromarray(img).save(path)
    out = upload.fashion_mnist_like(upload.load_image(str(path)))
    assert out.dtype == np.uint8 and out.shape == (28, 28)
    rows, cols = np.flatnonzero(out.max(1) > 128), np.flatnonzero(out.max(0) > 128)
    assert (cols[0], cols[-1]) == (0, 27) and (rows[0], rows[-1]) == (7, 20)
    assert out[7:10].mean() > 200 and out[0].max() == 0 and out[27].max() == 0  # light bar, black ground
    transparent = np.zeros((100, 100, 4), np.uint8)  # a sketchpad: strokes on a transparent canvas
    transparent[20:80, 45:55] = (0, 0, 0, 255)
    stroke = upload.fashion_mnist_like(upload.load_image(transparent))
    assert stroke[:, 12:16].min() > 200 and stroke[:, :9].max() == 0  # a light bar, centred, on black


def odd_images(rng):
    """Degenerate and random small images, (name, uint8 array): empty, full, a dot, a line, a
    corner, noise, a checkerboard, on sizes from 1x1 to extreme aspect ratios."""
    for h, w in [(1, 1), (1, 2), (2, 1), (3, 3), (1, 700), (700, 1), (5, 200), (28, 28), (27, 29), (84, 84), (100, 100)]:
        blank = np.zeros((h, w), np.uint8)
        yield f"empty {h}x{w}", blank
        yield f"white {h}x{w}", blank + 255
        yield f"noise {h}x{w}", rng.integers(0, 256, (h, w)).astype(np.uint8)
        yield f"faint noise {h}x{w}", rng.integers(0, 20, (h, w)).astype(np.uint8)
        yield f"checkerboard {h}x{w}", (np.indices((h, w)).sum(0) % 2 * 255).astype(np.uint8)
        faint = blank.copy()  # tall enough to count as fitted, off-centre, dimmer than the upper LEVELS
        faint[:max(1, h - 1), :max(1, w // 3)] = 25
        yield f"faint band {h}x{w}", faint
        for v in (255, 40, 3):
            dot, corner, row, col = blank.copy(), blank.copy(), blank.copy(), blank.copy()
            dot[rng.integers(h), rng.integers(w)] = v
            corner[0, 0], row[h // 2, :], col[:, w // 2] = v, v, v
            yield from ((f"{what} of {v} {h}x{w}", a) for what, a in
                        (("dot", dot), ("corner dot", corner), ("row", row), ("column", col)))


def encoded(a: np.ndarray):
    """The image as a visitor's file might hold it: bytes of several formats and modes."""
    f = a.astype(np.float32) / 255
    nan = f.copy()
    nan.flat[0] = np.nan
    for name, im, fmt in (("png", Image.fromarray(a), "PNG"), ("gif", Image.fromarray(a), "GIF"),
                          ("jpeg", Image.fromarray(a), "JPEG"), ("webp", Image.fromarray(a), "WEBP"),
                          ("transparent", Image.fromarray(np.dstack([a, a, a, 0 * a])), "PNG"),
                          ("1-bit", Image.fromarray(a).convert("1"), "PNG"),
                          ("16-bit", Image.fromarray(a.astype(np.uint16) * 257), "PNG"),
                          ("float", Image.fromarray(f), "TIFF"), ("float with NaN", Image.fromarray(nan), "TIFF")):
        buf = io.BytesIO()
        try:
            im.save(buf, fmt)
        except (OSError, ValueError):  # a format that cannot hold this size (WebP: none of 700 pixels is fine)
            continue
        yield name, buf.getvalue()


def test_any_upload_gives_an_image_or_the_projects_message():
    """Every odd image, in every encoding, whole, cut short or with a byte flipped: either a 28x28
    uint8 image or InputError, never another exception (which /invert would show as Gradio's
    generic error)."""
    rng = np.random.default_rng(0)
    seen = {"made": 0, "refused": 0}
    for name, a in odd_images(rng):
        for encoding, data in encoded(a):
            flipped = bytearray(data)
            flipped[len(data) // 2] ^= 0xFF
            for how, file in (("whole", data), ("cut short", data[:len(data) // 2]), ("a byte flipped", bytes(flipped))):
                try:
                    out = upload.fashion_mnist_like(upload.load_image(file))
                except InputError:
                    seen["refused"] += 1
                    continue
                except Exception as e:
                    pytest.fail(f"{name}, {encoding}, {how}: {type(e).__name__}: {e}")
                assert out.shape == (28, 28) and out.dtype == np.uint8, (name, encoding, how)
                seen["made"] += 1
    assert seen["made"] > 500 and seen["refused"] > 500, seen  # both outcomes were met, many times


@pytest.mark.parametrize("shape, at, expected_rows", [((100, 100), (50, slice(None)), [13]),  # a row: 100x1 -> 28x1
                                                     ((100, 100), (slice(None), 50), None),   # a column: 1x100 -> 1x28
                                                     ((40, 60), (7, 9), None)])               # a dot: 1x1 -> 28x28
def test_a_dot_or_a_line_is_cropped_and_fitted_like_any_garment(shape, at, expected_rows):
    """Thinner than the trim's 3x3 median filter, so that filter leaves nothing of it: its own
    pixels are its box. A one-pixel row fitted to 28 columns is one row tall, centred at row
    (28 - 1) // 2 = 13; a column, column 13; a dot fills the 28x28 square."""
    img = np.zeros(shape, np.uint8)
    img[at] = 255
    out = upload.fashion_mnist_like(upload.load_image(img))
    expected = np.zeros((28, 28), np.uint8)
    if at[0] == slice(None):
        expected[:, 13] = 255
    elif at[1] == slice(None):
        expected[13, :] = 255
    else:
        expected[:] = 255
    assert np.array_equal(out, expected)
