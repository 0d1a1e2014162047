"""What the Your own garment and Train it yourself tabs open with, kept as data: an example drawing
with each model's inversion of it, and a finished Train job. `python -m gan.examples` makes them
as the app does (the inversion and the job are deterministic); start-up reads them in
milliseconds instead of running seconds of inversion and a minute of training. tests/test_examples.py
checks that they still are what the code makes.
"""
import argparse
import json

import numpy as np
import torch
from PIL import Image, ImageDraw

from gan import cockpit, garment, live, nearest, upload, weights
from gan.io import write_json, write_png

DRAWING = weights.EXAMPLES_DIR / "drawing.png"          # a T-shirt, as the Sketchpad would hold it
INVERSIONS = weights.EXAMPLES_DIR / "inversions.json"   # {arch: the latent /invert finds for it}
TRAIN_JOB = cockpit.DEFAULT_JOB                         # the Train tab's default inputs
TRAIN_RUN = weights.EXAMPLES_DIR / "train-run.json"     # that job's last update, but its grid and model
TRAIN_GRID = weights.EXAMPLES_DIR / "train-grid.png"    # ...its 8x8 grid


def draw() -> np.ndarray:
    """A T-shirt in black ink on a transparent 600x600 canvas, RGBA: sleeves, body, a neckline."""
    canvas = Image.new("RGBA", (600, 600), (0, 0, 0, 0))
    pen = ImageDraw.Draw(canvas)
    outline = [(215, 110), (250, 95), (300, 130), (350, 95), (385, 110), (500, 190), (455, 265), (405, 235),
               (410, 505), (190, 505), (195, 235), (145, 265), (100, 190)]
    pen.polygon(outline, fill=(0, 0, 0, 255))
    pen.line(outline + outline[:1], fill=(0, 0, 0, 255), width=14, joint="curve")
    return np.asarray(canvas)


def target() -> np.ndarray:
    """The example drawing as /invert sees it: uint8 (28, 28)."""
    return upload.fashion_mnist_like(upload.load_image(str(DRAWING)))


def inversion(arch: str) -> torch.Tensor:
    """The latent /invert finds for the example drawing with the bundled `arch`."""
    return torch.tensor(json.loads(INVERSIONS.read_text())[arch])


def train_update() -> live.Update:
    """The example Train job's last update (its model left out: the tab offers none to download)."""
    run = json.loads(TRAIN_RUN.read_text())
    grid = np.asarray(Image.open(TRAIN_GRID).convert("L"))
    return live.Update(run["stats"], grid, run["curves"], run["fd"], run["shares"])  # its real row: the subset's


def make() -> None:
    """Draw the example, invert it with each bundled model, run the example job; write them all."""
    write_png(DRAWING, draw())
    classifier = weights.load_classifier()
    latents = {}
    for arch in ("mlp", "cnn"):
        G = weights.load_generator(arch)
        space = garment.Space(G, classifier, weights.load_directions(weights.bundled_dir(arch), G.z_dim))
        latents[arch] = [round(float(v), 5) for v in space.invert(target())[0]]
    write_json(INVERSIONS, latents)
    cfg = cockpit.check_job(**TRAIN_JOB)
    images, feats = live.subset(nearest.load_index(weights.NEAREST_INDEX), cfg)
    torch.set_num_threads(1)  # as the app runs it
    last = list(live.job(cfg, images, feats, classifier, cap_s=float("inf")))[-1]
    write_png(TRAIN_GRID, last.grid)
    write_json(TRAIN_RUN, {"job": TRAIN_JOB, "stats": last.stats, "curves": last.curves, "fd": last.fd,
                           "shares": last.shares})


def main(argv=None):
    """Make the examples the Garment and Train tabs open with (weights/examples/)."""
    argparse.ArgumentParser(prog="python -m gan.examples", description=main.__doc__).parse_args(argv)
    make()
    print(f"wrote {DRAWING}, {INVERSIONS}, {TRAIN_RUN}, {TRAIN_GRID}")


if __name__ == "__main__":
    main()
