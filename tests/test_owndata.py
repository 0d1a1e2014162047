"""train.py --data: your own images, a folder or a .zip of one (gan.owndata): mixed formats and
modes, nested class folders and junk give the expected images, labels, pixels and skip counts;
each hostile zip is refused with the project's message, and nothing is written anywhere; train.py
trains on a folder and records its source and hash in the model folder."""
import hashlib
import io
import json
import os
import stat
import tempfile
import zipfile

import numpy as np
import pytest
import torch
from PIL import Image, ImageDraw

from gan import data as fmnist
from gan import limits, owndata, text
from gan.checks import InputError
from gan.upload import fashion_mnist_like, load_image

MB = 2**20
# The folder the tests build: class "bags" (label 0) holds one file of each format and mode, class
# "shoes" (label 1) Fashion-MNIST test images two folders down; the rest is junk.
FORMATS = {"fm.png": None, "rgb.jpg": "RGB", "gray.bmp": "L", "wide.tiff": "I;16", "rgba.png": "RGBA", "cmyk.jpg": "CMYK"}
SHOES = [f"shoes/left/deep/{i:02d}.png" for i in range(12)]
IMAGES = sorted([f"bags/{name}" for name in FORMATS] + SHOES)  # 18 images, in the order they are read
JUNK = {"notes.txt": "not_image", "bags/empty.png": "empty_file", "bags/cut.png": "not_image",
        "bags/black.png": "empty_image", ".DS_Store": "hidden"}


@pytest.fixture(scope="module")
def fm_test():
    """Fashion-MNIST test images (uint8 (N, 28, 28)), read from the idx file."""
    return fmnist.load("test")[0][:, 0].numpy()


def garment(mode: str) -> Image.Image:
    """A dark coat on a light ground (RGBA: on a transparent one), 90x60, in `mode`."""
    img = Image.new("RGBA", (90, 60), (0, 0, 0, 0) if mode == "RGBA" else (235, 235, 235, 255))
    ImageDraw.Draw(img).rectangle((20, 8, 70, 52), fill=(40, 30, 20, 255))
    if mode == "I;16":
        return Image.fromarray((np.asarray(img.convert("L"), dtype=np.uint16) * 257))
    return img if mode == "RGBA" else img.convert(mode)


def build(root, fm_test):
    """The folder above, under root; returns root."""
    for name, mode in FORMATS.items():
        path = root / "bags" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        (Image.fromarray(fm_test[0]) if mode is None else garment(mode)).save(path, quality=90)
    for i, rel in enumerate(SHOES):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(fm_test[1 + i]).save(root / rel)
    png = io.BytesIO()
    Image.fromarray(fm_test[20]).save(png, "PNG")
    (root / "notes.txt").write_text("a shopping list, not an image")
    (root / "bags" / "empty.png").write_bytes(b"")
    (root / "bags" / "cut.png").write_bytes(png.getvalue()[: len(png.getvalue()) // 2])
    Image.new("L", (28, 28)).save(root / "bags" / "black.png")
    (root / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")
    return root


def files_hash(root, rels) -> str:
    """The promised hash, worked out here: sha256 over the sorted paths, each with its bytes' sha256."""
    h = hashlib.sha256()
    for rel in sorted(rels):
        h.update(f"{rel}\0{hashlib.sha256((root / rel).read_bytes()).hexdigest()}\n".encode())
    return h.hexdigest()


def zipped(path, members: dict, top: str = "") -> str:
    """A .zip of name -> bytes (or ZipInfo -> bytes), names under `top`; returns its path."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name if isinstance(name, zipfile.ZipInfo) else top + name, data)
    return str(path)


def tree(folder) -> list:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def test_a_folder_of_mixed_images_and_junk(tmp_path, fm_test):
    """18 images in 6 formats and modes (16-bit TIFF, RGBA on transparent, CMYK JPEG), nested;
    labels from the class folders; each junk file skipped under its reason; pixels as an upload's."""
    root = build(tmp_path / "mine", fm_test)
    own = owndata.load(root)
    assert own.images.shape == (len(IMAGES), 1, 28, 28) and own.images.dtype == np.uint8
    assert own.classes == ["bags", "shoes"]
    assert own.labels.tolist() == [0 if rel.startswith("bags/") else 1 for rel in IMAGES]
    want_skipped = {}
    for reason in JUNK.values():
        want_skipped[reason] = want_skipped.get(reason, 0) + 1
    assert own.skipped == want_skipped
    for name in ("cmyk.jpg", "wide.tiff", "rgba.png"):
        assert np.array_equal(own.images[IMAGES.index(f"bags/{name}"), 0],
                              fashion_mnist_like(load_image(str(root / "bags" / name)))), name
    assert np.array_equal(own.images[IMAGES.index("bags/fm.png"), 0], fm_test[0])  # the dataset's own: as it is
    assert np.array_equal(own.images[IMAGES.index(SHOES[0]), 0], fm_test[1])
    assert own.sha256 == files_hash(root, IMAGES)


def test_a_zip_of_the_folder_reads_the_same_and_writes_nothing(tmp_path, fm_test, monkeypatch):
    """The folder zipped under its own name (mydata/...): the same images, labels and hash, read
    in memory: the temp folder, the working folder and the zip's own folder stay as they were."""
    root = build(tmp_path / "mine", fm_test)
    path = zipped(tmp_path / "mine.zip", {p.relative_to(root).as_posix(): p.read_bytes()
                                          for p in sorted(root.rglob("*")) if p.is_file()}, top="mydata/")
    scratch, cwd = tmp_path / "scratch", tmp_path / "cwd"
    scratch.mkdir(), cwd.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    monkeypatch.chdir(cwd)
    before = tree(tmp_path)
    own, from_folder = owndata.load(path), owndata.load(root)
    assert tree(tmp_path) == before and not os.listdir(scratch) and not os.listdir(cwd)
    assert np.array_equal(own.images, from_folder.images) and np.array_equal(own.labels, from_folder.labels)
    assert own.classes == ["bags", "shoes"] and own.skipped == from_folder.skipped
    assert own.sha256 == files_hash(root, IMAGES)


def png(img) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, "PNG")
    return buf.getvalue()


def link(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info


def bomb(path) -> str:
    """One member of 200 MB of zeros, streamed in: it deflates to a fraction of a megabyte."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z, z.open("bomb.png", "w") as f:
        for _ in range(200):
            f.write(bytes(MB))
    return str(path)


def lying(path, good: dict) -> str:
    """A small zip whose directory says each member unpacks to just under the cap on one file:
    more than the cap on all of them together."""
    data = bytearray(open(zipped(path, good), "rb").read())
    assert len(good) * (limits.DATA_MAX_FILE_MB - 1) > limits.DATA_MAX_UNPACKED_MB
    at = data.find(b"PK\x01\x02")
    while at >= 0:
        data[at + 24:at + 28] = ((limits.DATA_MAX_FILE_MB - 1) * MB).to_bytes(4, "little")  # its uncompressed size
        at = data.find(b"PK\x01\x02", at + 4)
    path.write_bytes(bytes(data))
    return str(path)


def sparse(path, size: int) -> str:
    with open(path, "wb") as f:
        f.truncate(size)
    return str(path)


@pytest.mark.parametrize("case, key", [
    ("bomb", "zip_bomb"), ("declared", "zip_bomb"), ("dotdot", "zip_unsafe"), ("backslash", "zip_unsafe"),
    ("absolute", "zip_unsafe"), ("symlink", "zip_unsafe"), ("members", "data_files"), ("few", "data_few"),
    ("many", "data_many"), ("classes", "data_classes"), ("big", "zip_big"), ("not_zip", "bad_zip"),
    ("missing", "data_missing")])
def test_each_hostile_or_unusable_zip_is_refused(tmp_path, fm_test, monkeypatch, case, key):
    """Refused whole with the project's message (English and Chinese), nothing written anywhere."""
    good = {f"ok/{i:02d}.png": png(fm_test[i]) for i in range(limits.DATA_MIN_IMAGES)}
    path = tmp_path / "data.zip"
    made = {"bomb": lambda: bomb(path), "declared": lambda: lying(path, {**good, **{f"more/{i}.png": good["ok/00.png"] for i in range(4)}}),
            "dotdot": lambda: zipped(path, {**good, "../evil.png": good["ok/00.png"]}),
            "backslash": lambda: zipped(path, {**good, "ok\\..\\..\\evil.png": good["ok/00.png"]}),
            "absolute": lambda: zipped(path, {**good, "/abs.png": good["ok/00.png"]}),
            "symlink": lambda: zipped(path, {**good, link("ok/link.png"): b"/etc/passwd"}),
            "members": lambda: zipped(path, {f"{i}.txt": b"" for i in range(limits.DATA_MAX_FILES + 1)}),
            "few": lambda: zipped(path, {**dict(list(good.items())[1:]), "readme.txt": b"hello"}),
            "many": lambda: zipped(path, {**good, "ok/16.png": png(fm_test[16])}),  # one over, the cap lowered below
            "classes": lambda: zipped(path, {f"c{i % (limits.DATA_MAX_CLASSES + 1)}/{i}.png": png(fm_test[i])
                                             for i in range(2 * limits.DATA_MAX_CLASSES + 2)}),
            "big": lambda: sparse(path, limits.DATA_MAX_ZIP_MB * MB + 1),
            "not_zip": lambda: path.write_text("not a zip") and str(path),
            "missing": lambda: str(tmp_path / "nowhere")}[case]()
    if case == "many":  # the cap, lowered to what a test can afford to read (the message keeps the real one)
        monkeypatch.setattr(limits, "DATA_MAX_IMAGES", limits.DATA_MIN_IMAGES)
    scratch, cwd = tmp_path / "scratch", tmp_path / "cwd"
    scratch.mkdir(), cwd.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    monkeypatch.chdir(cwd)
    before = tree(tmp_path)
    with pytest.raises(InputError) as e:
        owndata.load(made)
    assert e.value.key == key
    params = {"few": {"count": limits.DATA_MIN_IMAGES - 1}, "classes": {"count": limits.DATA_MAX_CLASSES + 1}}.get(case, {})
    assert str(e.value) == text.t("en", f"error.{key}", **params)
    assert text.message("zh-CN", e.value) == text.t("zh-CN", f"error.{key}", **params)
    assert tree(tmp_path) == before and not (tmp_path.parent / "evil.png").exists()


def test_classes_and_per_class_pick_among_the_class_folders(tmp_path, fm_test):
    """--classes 1 trains on the second folder's images alone; --per-class 5 on 5 of each."""
    from gan.config import Config
    from gan.training import setup
    root = build(tmp_path / "mine", fm_test)
    base = dict(arch="mlp", data=str(root), device="cpu", out=str(tmp_path / "out"))
    shoes = setup(Config(**base, classes="1").resolved())
    assert shoes.reals.shape[0] == len(SHOES) and shoes.data["trained_on"] == len(SHOES)
    assert np.array_equal(((shoes.reals[0, 0] + 1) * 127.5).round().to(torch.uint8).numpy(), fm_test[1])
    assert setup(Config(**base, per_class=5).resolved()).reals.shape[0] == 10
    with pytest.raises(InputError, match="found 0"):
        setup(Config(**base, classes="7").resolved())


def test_train_py_trains_on_a_folder_and_records_it(tmp_path, fm_test):
    """`python train.py --data FOLDER --dry-run --weights-only` (its main): a model folder whose summary.json
    names the folder, its image and skip counts and its hash; a folder it cannot train on: exit 2."""
    import train as train_py  # its main, in this process (a subprocess would import torch again)
    root, out = build(tmp_path / "mine", fm_test), tmp_path / "out"
    assert train_py.main(["--arch", "mlp", "--dry-run", "--weights-only", "--device", "cpu", "--threads", "1",
                          "--out", str(out), "--data", str(root)]) == 0
    data = json.loads((out / "summary.json").read_text())["data"]
    assert data == {"source": str(root), "images": len(IMAGES), "classes": ["bags", "shoes"],
                    "skipped": owndata.load(root).skipped, "sha256": files_hash(root, IMAGES),
                    "trained_on": len(IMAGES)}
    assert json.loads((out / "config.json").read_text())["data"] == data  # the model folder names its data
    assert (out / "model.safetensors").is_file()
    assert len(json.loads((out / "history.json").read_text())) == 2
    from gan.card import own_data
    assert files_hash(root, IMAGES) in own_data(data) and "`mine`" in own_data(data)

def test_train_py_refuses_data_it_cannot_train_on(tmp_path, fm_test, capsys):
    """train.py's main (what `python train.py` runs) on a folder of 6 images: a usage error, exit 2."""
    import train as train_py
    root = build(tmp_path / "mine", fm_test)
    with pytest.raises(SystemExit) as e:
        train_py.main(["--arch", "mlp", "--dry-run", "--weights-only", "--device", "cpu", "--out", str(tmp_path / "out"),
                       "--data", str(root / "bags")])
    assert e.value.code == 2 and text.t("en", "error.data_few", count=len(FORMATS)) in capsys.readouterr().err


def test_resume_refuses_data_whose_files_changed(tmp_path, fm_test, capsys):
    """--resume after one of the images was replaced: a usage error naming both hashes; with the
    files as they were, it goes on to the end."""
    import train as train_py
    root, out = build(tmp_path / "mine", fm_test), tmp_path / "out"
    args = ["--arch", "mlp", "--dry-run", "--weights-only", "--device", "cpu", "--out", str(out), "--data", str(root)]
    assert train_py.main(args + ["--stop-after", "1"]) == train_py.STOPPED
    before, shoe = files_hash(root, IMAGES), root / SHOES[0]
    kept = shoe.read_bytes()
    Image.fromarray(fm_test[30]).save(shoe)
    with pytest.raises(SystemExit) as e:
        train_py.main(args + ["--resume"])
    err = capsys.readouterr().err
    assert e.value.code == 2 and "was trained on other files" in err
    assert f"sha256 {before}, now {files_hash(root, IMAGES)}" in err
    shoe.write_bytes(kept)
    assert train_py.main(args + ["--resume"]) == 0
    assert len(json.loads((out / "history.json").read_text())) == 2
