"""Your own images as a training set (train.py --data): a folder, a .zip of one, or a Hub dataset
of image files (gan.hubdata fetches it as a folder), read into
uint8 images (N, 1, 28, 28) and labels, each image made Fashion-MNIST-like by the very pipeline
an upload goes through (gan.upload: load_image, then fashion_mnist_like).

Classes: the first folder under the data's root is an image's class, labels 0, 1, ... in the
sorted order of the folder names; images at the root (a flat folder) are class "" (label 0). A
root holding nothing but one folder (a zipped folder: mydata/shoes/a.png) is stepped into first,
so a folder and its .zip give the same classes, order and hash.
What cannot be read is skipped and counted by reason, never a crash: hidden files (.DS_Store,
macOS's __MACOSX/), 0-byte files, files over DATA_MAX_FILE_MB, non-images, corrupt files, images
that show nothing. A .zip is read member by member in memory, never extracted, and refused whole
(InputError) when it is over its caps (a zip bomb: checked from its directory before anything is
unpacked) or holds a link or a name that leads out of its folder.
sha256 names the training set: over the images' sorted relative paths, each with its bytes' sha256.
"""
import dataclasses
import hashlib
import os
import stat
import struct
import zipfile
import zlib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gan import hubdata, limits
from gan.checks import InputError
from gan.upload import fashion_mnist_like, load_image

MB = 2**20
UPLOAD = "upload"  # the source of files uploaded to the Train tab
FILE_BYTES = limits.DATA_MAX_FILE_MB * MB
# what a broken file may raise from PIL or zipfile; gan.upload turns most of them into InputError
BROKEN = (OSError, ValueError, EOFError, SyntaxError, IndexError, struct.error, zlib.error, RuntimeError,
          NotImplementedError, zipfile.BadZipFile)


@dataclass
class OwnData:
    images: np.ndarray   # uint8 (N, 1, 28, 28)
    labels: np.ndarray   # int64 (N,), an index into classes
    classes: list        # class folder names in label order ("" for the root's images)
    skipped: dict        # reason -> files skipped (a gan.upload InputError key, or one of this module's)
    sha256: str          # of the training set (see the module docstring)
    source: str = None   # where it was read: a path, or hf://datasets/USER/NAME@COMMIT

    def record(self) -> dict:
        """Where a model's data came from, as summary.json and config.json keep it."""
        return {"source": self.source, "images": len(self.labels), "classes": self.classes,
                "skipped": self.skipped, "sha256": self.sha256}


def load(path, source: str = "auto") -> OwnData:
    """A folder or a .zip file of images, or a Hub dataset (gan.hubdata: hf://datasets/USER/NAME, or
    USER/NAME with source "hub") -> OwnData; InputError when it cannot be trained on."""
    if hubdata.is_hub(path, source):
        folder, where = hubdata.fetch(path)
        return dataclasses.replace(read(folder_entries(folder)), source=where)
    path = Path(path)
    if path.is_dir():
        return dataclasses.replace(read(folder_entries(path)), source=str(path))
    if not (path.is_file() and path.suffix.lower() == ".zip"):
        raise InputError("data_missing")
    if path.stat().st_size > limits.DATA_MAX_ZIP_MB * MB:
        raise InputError("zip_big")
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        raise InputError("bad_zip") from None
    with archive:
        return dataclasses.replace(read(zip_entries(archive)), source=str(path))


def load_files(paths: list) -> OwnData:
    """Uploaded files (the Train tab's) -> OwnData: one .zip (as load reads it), or images, each its
    own file, all of one class; InputError when they cannot be trained on."""
    paths = [Path(p) for p in paths]
    zips = [p for p in paths if p.suffix.lower() == ".zip"]
    if zips and len(paths) > 1:
        raise InputError("data_one_zip")
    if any(not p.is_file() for p in paths):  # deleted after a job, or by the cache's sweep
        raise InputError("data_gone")
    if zips:
        return dataclasses.replace(load(zips[0]), source=UPLOAD)
    if len(paths) > limits.DATA_MAX_FILES:
        raise InputError("data_files")
    if sum(file_size(p) for p in paths) > limits.DATA_MAX_UNPACKED_MB * MB:
        raise InputError("data_big")
    return dataclasses.replace(read([(p.name, lambda p=p: file_size(p), lambda p=p: bounded(open(p, "rb")))
                                     for p in paths]), source=UPLOAD)


def folder_entries(root: Path) -> list:
    """(relative path, size, read) of each file under root; links to folders are not followed."""
    entries = []
    for folder, subfolders, names in os.walk(root):
        subfolders.sort()
        for name in names:
            full = Path(folder) / name
            entries.append((full.relative_to(root).as_posix(), lambda full=full: file_size(full),
                            lambda full=full: bounded(open(full, "rb"))))
            if len(entries) > limits.DATA_MAX_FILES:
                raise InputError("data_files")
    return entries


def file_size(full: Path) -> int:
    return full.stat().st_size


def bounded(f) -> bytes:
    """A file's bytes, at most FILE_BYTES + 1 of them read (one more: its size was wrong)."""
    with f:
        return f.read(FILE_BYTES + 1)


def zip_entries(archive: zipfile.ZipFile) -> list:
    """(relative path, size, read) of each file member, once the whole directory is checked: the
    member count, each one's and the total unpacked size, no link, no name out of the folder."""
    members = archive.infolist()
    if len(members) > limits.DATA_MAX_FILES:
        raise InputError("data_files")
    for m in members:
        parts = m.filename.replace("\\", "/").split("/")
        if m.filename.startswith(("/", "\\")) or ".." in parts or ":" in parts[0] \
                or stat.S_ISLNK(m.external_attr >> 16):
            raise InputError("zip_unsafe")
        if m.file_size > FILE_BYTES:
            raise InputError("zip_bomb")
    if sum(m.file_size for m in members) > limits.DATA_MAX_UNPACKED_MB * MB:
        raise InputError("zip_bomb")
    return [(m.filename.replace("\\", "/"), lambda m=m: m.file_size, lambda m=m: bounded(archive.open(m)))
            for m in members if not m.is_dir()]


def hidden(rel: str) -> bool:
    return any(part.startswith(".") or part == "__MACOSX" for part in rel.split("/"))


def common_folders(rels: list) -> int:
    """How many leading folders every path shares: a root holding nothing but one folder."""
    parts, k = [r.split("/") for r in rels], 0
    while parts and all(len(p) > k + 1 for p in parts) and len({p[k] for p in parts}) == 1:
        k += 1
    return k


def read(entries: list) -> OwnData:
    """(relative path, size, read) of each file -> OwnData, the files taken in sorted path order."""
    skipped = Counter(hidden=sum(hidden(rel) for rel, _, _ in entries))
    entries = sorted((e for e in entries if not hidden(e[0])), key=lambda e: e[0])
    strip = common_folders([rel for rel, _, _ in entries])
    images, names, digest = [], [], hashlib.sha256()
    for rel, size, fetch in entries:
        rel = "/".join(rel.split("/")[strip:])
        try:
            n = size()
            data = fetch() if 0 < n <= FILE_BYTES else b""
        except BROKEN:
            skipped["unreadable"] += 1
            continue
        if n == 0 or n > FILE_BYTES or len(data) != n:
            skipped["empty_file" if n == 0 else "too_big" if n > FILE_BYTES else "unreadable"] += 1
            continue
        try:
            image = fashion_mnist_like(load_image(data))
        except InputError as e:  # not_image, too_big (pixels), empty_image
            skipped[e.key] += 1
            continue
        except BROKEN:
            skipped["not_image"] += 1
            continue
        images.append(image)
        names.append(rel.split("/")[0] if "/" in rel else "")
        digest.update(f"{rel}\0{hashlib.sha256(data).hexdigest()}\n".encode())
        if len(images) > limits.DATA_MAX_IMAGES:
            raise InputError("data_many")
    if len(images) < limits.DATA_MIN_IMAGES:
        raise InputError("data_few", count=len(images))
    classes = sorted(set(names))
    if len(classes) > limits.DATA_MAX_CLASSES:
        raise InputError("data_classes", count=len(classes))
    label = {name: i for i, name in enumerate(classes)}
    return OwnData(np.stack(images)[:, None], np.array([label[c] for c in names], dtype=np.int64), classes,
                   dict(sorted((k, v) for k, v in skipped.items() if v)), digest.hexdigest())
