"""ONNX copies of a model folder's networks, for the Latent lab (they run in the visitor's browser,
in onnxruntime-web) and for anyone with onnxruntime: model.onnx beside model.safetensors.

A generator's file: input "z" float32 (N, 100) -> outputs "image" float32 (N, 1, 28, 28) in
[-1, 1] and "pixels" uint8 (N, 28, 28), the latter through gan.sampling.pixels (the app's one
float -> pixels conversion), so a browser draws exactly what the graph hands it.
The classifier's file: input "pixels" uint8 (N, 28, 28) -> output "probs" float32 (N, 10), the
softmax gan.metrics.classify gives (so a generator's pixels go straight into it).

Each file is tagged (metadata "model_sha256") with the sha256 of the model.safetensors it was
exported from, as directions.safetensors is: fresh() refuses a file whose weights have changed
since. Export needs onnx and onnxscript (torch.onnx's exporter); reading a tag needs neither.
"""
import argparse
import contextlib
import io
import logging
import os
import time
import warnings
from pathlib import Path

import torch
from torch import nn

from gan import weights
from gan.data import to_float
from gan.models import ARCHS
from gan.sampling import pixels

TAG = "model_sha256"
OPSET = 18
log = logging.getLogger(__name__)


class GeneratorPixels(nn.Module):
    """G as the lab runs it: z (N, z_dim) -> (image (N, 1, 28, 28), pixels uint8 (N, 28, 28))."""

    def __init__(self, G):
        super().__init__()
        self.G = G

    def forward(self, z):
        image = self.G(z)
        return image, pixels(image)


class ClassifierProbs(nn.Module):
    """The metric classifier on uint8 pixels (N, 28, 28) -> class probabilities (N, 10)."""

    def __init__(self, classifier):
        super().__init__()
        self.classifier = classifier

    def forward(self, pixels_u8):
        x = to_float(pixels_u8.unsqueeze(1))
        return torch.softmax(self.classifier.head(self.classifier.features(x)), dim=1)


def _export(module: nn.Module, example: torch.Tensor, path: Path, inputs: list, outputs: list, sha: str) -> Path:
    """torch.onnx's exporter (the batch dimension dynamic), tagged, written atomically."""
    module = module.eval()
    tmp = path.with_name(f".{path.name}.tmp")
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):  # the exporter's progress lines
        warnings.simplefilter("ignore")
        program = torch.onnx.export(module, (example,), None, input_names=inputs, output_names=outputs,
                                    dynamic_shapes=({0: torch.export.Dim("batch")},), opset_version=OPSET,
                                    dynamo=True, optimize=True, verbose=False)
    program.model.metadata_props[TAG] = sha
    program.save(str(tmp), external_data=False)  # one self-contained file: what a browser fetches
    os.replace(tmp, path)
    return path


def save_generator(folder, G=None, arch: str = None) -> Path:
    """Write folder/model.onnx for the folder's generator (G: it, already loaded)."""
    folder = Path(folder)
    if G is None:
        arch = arch or (weights.read_json(folder, weights.CONFIG_FILE, {}) or {}).get("arch")
        G = weights.load_generator(arch, folder)
    G = G.to("cpu").eval()
    return _export(GeneratorPixels(G), torch.zeros(2, G.z_dim), folder / weights.ONNX_FILE, ["z"],
                   ["image", "pixels"], weights.fingerprint(folder))


def save_classifier(folder=None, classifier=None) -> Path:
    """Write the classifier folder's model.onnx (default: the bundled weights/classifier)."""
    folder = Path(folder) if folder is not None else weights.CLASSIFIER_DIR
    classifier = (classifier or weights.load_classifier(folder)).to("cpu").eval()
    return _export(ClassifierProbs(classifier), torch.zeros(2, 28, 28, dtype=torch.uint8),
                   folder / weights.ONNX_FILE, ["pixels"], ["probs"], weights.fingerprint(folder))


def tag(path) -> str | None:
    """The model_sha256 a file was tagged with (None: no tag, or not an ONNX file), read from the
    protobuf wire format itself: ModelProto's metadata_props is field 14, each entry {1: key, 2:
    value}. (Importing onnx to read one string would add a second to the app's start-up.)"""
    try:
        for field, entry in _fields(Path(path).read_bytes()):
            if field == 14 and (props := dict(_fields(entry))).get(1) == TAG.encode():
                return props.get(2, b"").decode()
    except (ValueError, UnicodeDecodeError):  # a damaged file: as good as none
        return None
    return None


def _fields(buf: bytes):
    """(field number, bytes) of a protobuf message's length-delimited fields; the others skipped."""
    i = 0
    while i < len(buf):
        key, i = _varint(buf, i)
        field, wire = key >> 3, key & 7
        if wire == 0:
            _, i = _varint(buf, i)
        elif wire in (1, 5):
            i += 8 if wire == 1 else 4
        elif wire == 2:
            n, i = _varint(buf, i)
            if i + n > len(buf):
                raise ValueError("truncated")
            yield field, buf[i:i + n]
            i += n
        else:
            raise ValueError(f"wire type {wire}")


def _varint(buf: bytes, i: int) -> tuple:
    value = shift = 0
    while True:
        if i >= len(buf) or shift > 63:
            raise ValueError("bad varint")
        b = buf[i]
        value, shift, i = value | (b & 0x7F) << shift, shift + 7, i + 1
        if b < 0x80:
            return value, i


def fresh(folder) -> Path | None:
    """folder/model.onnx if it exists and was exported from the folder's model.safetensors as it
    is now; else None (a stale file is logged, never served)."""
    path = Path(folder) / weights.ONNX_FILE
    if not path.is_file():
        return None
    if tag(path) != weights.fingerprint(folder):
        log.warning("%s was exported from other weights than %s: not used (python -m gan.export refreshes it)",
                    path, Path(folder) / weights.MODEL_FILE)
        return None
    return path


def main(argv=None):
    """Write model.onnx into model folders (train.py does this at the end of a run)."""
    p = argparse.ArgumentParser(prog="python -m gan.export", description=main.__doc__,
                                epilog="example: python -m gan.export --bundled   # weights/mlp, cnn, classifier")
    p.add_argument("folders", nargs="*", help="generator folders (config.json + model.safetensors) to export")
    p.add_argument("--bundled", action="store_true", help="export the bundled weights/mlp, weights/cnn and "
                                                          "weights/classifier")
    args = p.parse_args(argv)
    if not args.folders and not args.bundled:
        p.error("name a folder, or give --bundled")
    for folder in [*args.folders, *((weights.bundled_dir(a) for a in ARCHS) if args.bundled else ())]:
        t0 = time.perf_counter()
        print(f"wrote {save_generator(folder)} in {time.perf_counter() - t0:.1f} s")
    if args.bundled:
        print(f"wrote {save_classifier()}")


if __name__ == "__main__":
    main()
