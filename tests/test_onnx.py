"""The ONNX copies (gan/export.py) the Latent lab runs in the browser: run in onnxruntime here, they
give torch's pixels and probabilities; a file that does not match its weights is refused."""
import json
import shutil

import numpy as np
import pytest
import torch

from gan import export, weights
from gan.data import to_float
from gan.metrics import classify
from gan.sampling import generate, latents, to_uint8

N = 512


def session(path):
    import onnxruntime as ort
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])


def assert_same_pixels(got: np.ndarray, levels: np.ndarray):
    """got (uint8) equals floor(levels) (levels: torch's x * 127.5 + 128, clamped), except where a
    level lies within 1e-3 of a whole number: float32 sums in another order (another library's
    kernels, or torch's own for another batch size) may land either side of it, and there a pixel
    may be one off. Anything else (other weights, another conversion) differs far from a step."""
    want = np.floor(levels).astype(np.int16)
    off = got.astype(np.int16) != want
    at_step = np.abs(levels - np.round(levels)) < 1e-3
    assert not (off & ~at_step).any(), f"{int((off & ~at_step).sum())} pixels differ away from a step"
    assert (np.abs(got.astype(np.int16) - want)[off] == 1).all() and off.sum() <= 4, int(off.sum())


def assert_gives_torch_pixels(folder, arch):
    """folder's model.onnx, run in onnxruntime on N latents: torch's images and pixels."""
    G, z = weights.load_generator(arch, folder), latents(7, N)
    image, pixels = session(folder / weights.ONNX_FILE).run(["image", "pixels"], {"z": z.numpy()})
    want = generate(G, z).numpy()
    assert pixels.dtype == np.uint8 and pixels.shape == (N, 28, 28)
    assert np.abs(image - want).max() < 1e-4
    assert_same_pixels(pixels, np.clip(want[:, 0].astype(np.float64) * 127.5 + 128, 0, 255))


@pytest.mark.parametrize("arch", ["mlp", "cnn"])
def test_generator_file_gives_torch_pixels(arch):
    folder = weights.bundled_dir(arch)
    assert export.fresh(folder) == folder / weights.ONNX_FILE  # the bundled file is of the bundled weights
    assert_gives_torch_pixels(folder, arch)


def test_classifier_file_gives_torch_probabilities():
    G = weights.load_generator("cnn")
    pixels = to_uint8(generate(G, latents(8, N)))
    (probs,) = session(weights.CLASSIFIER_DIR / weights.ONNX_FILE).run(["probs"], {"pixels": pixels})
    _, want = classify(weights.load_classifier(), to_float(torch.from_numpy(pixels).unsqueeze(1)))
    assert probs.shape == (N, 10) and np.abs(probs - want).max() < 1e-5
    assert export.fresh(weights.CLASSIFIER_DIR) is not None


def test_a_file_of_other_weights_is_refused(tmp_path):
    """A folder retrained after its export: the old model.onnx is no longer served (fresh() says
    None), and its pixels indeed differ from the new weights'; saving new weights removes it."""
    folder = tmp_path / "cnn"
    shutil.copytree(weights.bundled_dir("cnn"), folder)
    G = weights.load_generator("cnn", folder)
    with torch.no_grad():
        G.main[0].weight.mul_(1.01)
    old = (folder / weights.ONNX_FILE).read_bytes()
    weights.save(folder, "cnn", G)
    assert not (folder / weights.ONNX_FILE).exists()  # the copy of the old weights went with them
    (folder / weights.ONNX_FILE).write_bytes(old)     # ...and if it comes back, it is refused
    assert export.fresh(folder) is None
    (pixels,) = session(folder / weights.ONNX_FILE).run(["pixels"], {"z": latents(1, 8).numpy()})
    assert (pixels != to_uint8(generate(G, latents(1, 8)))).sum() > 100
    export.save_generator(folder, G)  # exported again: fresh, and right
    assert export.fresh(folder) == folder / weights.ONNX_FILE
    (pixels,) = session(folder / weights.ONNX_FILE).run(["pixels"], {"z": latents(1, 8).numpy()})
    assert np.array_equal(pixels, to_uint8(generate(G, latents(1, 8))))
    (folder / weights.ONNX_FILE).write_bytes(b"not onnx")
    assert export.fresh(folder) is None  # a damaged file: refused too, no traceback


def test_bundled_tag_is_the_weights_sha256():
    """export.tag reads the metadata onnx itself reads; the bundled files carry their weights' sha."""
    import hashlib
    import onnx
    for folder in (weights.bundled_dir("mlp"), weights.bundled_dir("cnn"), weights.CLASSIFIER_DIR):
        sha = hashlib.sha256((folder / weights.MODEL_FILE).read_bytes()).hexdigest()
        props = {p.key: p.value for p in onnx.load(str(folder / weights.ONNX_FILE)).metadata_props}
        assert export.tag(folder / weights.ONNX_FILE) == props[export.TAG] == sha


def test_cli_needs_a_folder(capsys):
    with pytest.raises(SystemExit) as e:
        export.main([])
    assert e.value.code == 2 and "name a folder, or give --bundled" in capsys.readouterr().err


def test_export_cli_writes_a_fresh_file(tmp_path, capsys):
    folder = tmp_path / "mlp"
    weights.save(folder, "mlp", weights.load_generator("mlp"))
    export.main([str(folder)])
    assert f"wrote {folder / weights.ONNX_FILE}" in capsys.readouterr().out
    assert export.fresh(folder) == folder / weights.ONNX_FILE
    assert json.loads((folder / weights.CONFIG_FILE).read_text())["arch"] == "mlp"
    assert_gives_torch_pixels(folder, "mlp")  # what the export code writes now, not only the bundled file
