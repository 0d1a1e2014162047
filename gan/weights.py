"""The one loader (and saver) of model folders, used by the app, the tests, the CLIs and training.

A model folder, as train.py writes it and the Hub serves it:
    config.json, model.safetensors      the generator (EMA weights), via PyTorchModelHubMixin
    discriminator/config.json, discriminator/model.safetensors
    summary.json                        recipe, epochs, wall time, machine, metrics
    history.json, samples/epoch_NNN.png the training story
    directions.safetensors              class directions in z (gan/garment.py), optional
    model.onnx                          the generator for onnxruntime (gan/export.py), optional
Loading is strict: a missing or unexpected key, a wrong shape, a damaged file or a folder of the
other architecture raises WeightsError naming the file.
"""
import contextlib
import copy
import io
import json
import logging
import os
import shutil
import tempfile
from pathlib import Path

import torch

from gan.data import CLASSES
from gan.metrics import Classifier
from gan.models import ARCHS

log = logging.getLogger(__name__)
WEIGHTS_DIR = Path(__file__).resolve().parent.parent / "weights"  # the bundled weights
MODEL_FILE = "model.safetensors"
CONFIG_FILE = "config.json"
D_SUBDIR = "discriminator"
DIRECTIONS_FILE = "directions.safetensors"
ONNX_FILE = "model.onnx"  # gan/export.py: tagged with the model.safetensors it was exported from
CLASSIFIER_DIR = WEIGHTS_DIR / "classifier"
NEAREST_INDEX = WEIGHTS_DIR / "nearest" / "index.safetensors"  # gan/nearest.py
EXAMPLES_DIR = WEIGHTS_DIR / "examples"  # what the Garment and Train tabs open with (gan/examples.py)


class WeightsError(RuntimeError):
    """A model folder is missing, damaged or of the wrong architecture; the message names the file."""


def bundled_dir(arch: str) -> Path:
    return WEIGHTS_DIR / arch


def _save_one(model, folder: Path, config: dict) -> None:
    """save_pretrained into a temp folder, then rename each file into place (atomic per file)."""
    folder.mkdir(parents=True, exist_ok=True)
    model = copy.deepcopy(model).to("cpu", memory_format=torch.contiguous_format)  # safetensors needs this
    with tempfile.TemporaryDirectory(dir=folder, prefix=".save-") as tmp:
        model.save_pretrained(tmp, config=config)
        for name in (MODEL_FILE, CONFIG_FILE):
            os.replace(Path(tmp) / name, folder / name)


def save(folder, arch: str, G, D=None, data: dict = None) -> Path:
    """Write G (and D) as a model folder, with where its training images came from (data: a
    training.Run's, kept in config.json); other files in it are left alone, but for model.onnx,
    removed: it is a copy of the old weights (gan.export writes the new one)."""
    folder = Path(folder)
    (folder / ONNX_FILE).unlink(missing_ok=True)
    _save_one(G, folder, {"arch": arch, "z_dim": G.z_dim} | ({"data": data} if data else {}))
    if D is not None:
        _save_one(D, folder / D_SUBDIR, {"arch": arch})
    return folder


def _load_one(cls, folder: Path, arch: str, device: str):
    model_file, config_file = folder / MODEL_FILE, folder / CONFIG_FILE
    for f in (config_file, model_file):
        if not f.is_file():
            raise WeightsError(f"{f} is missing: retrain with train.py or restore the file")
    try:
        config = json.loads(config_file.read_text())
    except (ValueError, UnicodeDecodeError) as e:
        raise WeightsError(f"{config_file} is not valid JSON ({e})") from None
    if config.get("arch") != arch:
        raise WeightsError(f"{config_file} is for arch {config.get('arch')!r}, not {arch!r}")
    try:
        with contextlib.redirect_stdout(io.StringIO()):  # the mixin prints "Loading weights from ..."
            model = cls.from_pretrained(str(folder), strict=True, map_location=device)
    except Exception as e:  # safetensors header errors, missing/unexpected keys, shape mismatches
        msg = " ".join(str(e).split())[:400] or type(e).__name__
        raise WeightsError(f"{model_file} could not be loaded into the {arch} "
                           f"{getattr(cls, 'report_name', cls.__name__).lower()}: {msg}") from None
    return model.eval()


def load_generator(arch: str, folder=None, device: str = "cpu"):
    """The generator of a model folder (default: the bundled one), in eval mode."""
    if arch not in ARCHS:
        raise ValueError(f"unknown arch {arch!r}: choose one of {', '.join(ARCHS)}")
    folder = Path(folder) if folder is not None else bundled_dir(arch)
    if not folder.is_dir():
        raise WeightsError(f"weights folder {folder} does not exist: train with "
                           f"`python train.py --arch {arch} --out {folder}` or restore weights/")
    return _load_one(ARCHS[arch][0], folder, arch, device)


def load_discriminator(arch: str, folder=None, device: str = "cpu"):
    folder = Path(folder) if folder is not None else bundled_dir(arch)
    return _load_one(ARCHS[arch][1], folder / D_SUBDIR, arch, device)


def fingerprint(folder) -> str:
    """sha256 of the folder's generator weights: directions belong to exactly these."""
    import hashlib
    return hashlib.sha256((Path(folder) / MODEL_FILE).read_bytes()).hexdigest()


def save_directions(folder, directions: dict) -> Path:
    """name -> (z_dim,) tensor, written atomically as the folder's directions.safetensors, tagged
    with the fingerprint of the generator they were fitted for."""
    from safetensors.torch import save_file
    path = Path(folder) / DIRECTIONS_FILE
    tmp = path.with_name(f".{DIRECTIONS_FILE}.tmp")
    save_file({k: v.contiguous() for k, v in directions.items()}, str(tmp),
              metadata={"model_sha256": fingerprint(folder)})
    os.replace(tmp, path)
    return path


def load_directions(folder, z_dim: int, names=CLASSES):
    """The folder's class directions (one finite (z_dim,) per name), or None if it has none or has
    them for other generator weights (a retrained folder before its fit: logged)."""
    from safetensors import SafetensorError, safe_open
    path = Path(folder) / DIRECTIONS_FILE
    if not path.is_file():
        return None
    try:
        with safe_open(str(path), "pt") as f:
            meta, found = f.metadata() or {}, {k: f.get_tensor(k) for k in f.keys()}
    except (SafetensorError, OSError) as e:
        raise WeightsError(f"{path} could not be read: {e}") from None
    if set(found) != set(names) or any(v.shape != (z_dim,) or not torch.isfinite(v).all() for v in found.values()):
        raise WeightsError(f"{path} does not hold one finite ({z_dim},) direction for each of {', '.join(names)}")
    if meta.get("model_sha256") != fingerprint(folder):
        log.warning("%s was fitted for other weights than %s: not used (python -m gan.garment refits it)",
                    path, Path(folder) / MODEL_FILE)
        return None
    return found


def save_classifier(model, folder=None) -> Path:
    folder = Path(folder) if folder is not None else CLASSIFIER_DIR
    (folder / ONNX_FILE).unlink(missing_ok=True)  # a copy of the old weights (gan.export writes the new one)
    _save_one(model, folder, {"arch": "classifier"})
    return folder


def load_classifier(folder=None, device: str = "cpu"):
    """The metric classifier (default: the bundled weights/classifier), in eval mode."""
    return _load_one(Classifier, Path(folder) if folder is not None else CLASSIFIER_DIR,
                     "classifier", device)


def read_json(folder, name: str, default=None):
    """A JSON side file of a model folder (summary.json, history.json), or `default`."""
    path = Path(folder) / name
    if not path.is_file():
        return default
    try:
        return json.loads(path.read_text())
    except ValueError as e:
        raise WeightsError(f"{path} is not valid JSON ({e})") from None


def copy_folder(src, dst) -> None:
    """Copy a model folder, skipping training checkpoints."""
    shutil.copytree(src, dst, dirs_exist_ok=True, ignore=shutil.ignore_patterns("checkpoint*", "snapshots", ".*"))
