"""Demo's handlers of the Your own garment tab: a drawing or upload inverted, a latent edited, and
the example the tab opens with. A mixin of gan.demo.Demo, which supplies the models, the garment
spaces and directions, store, tile, labels and gallery."""
import json
from pathlib import Path

import numpy as np
from gan import examples, garment, upload
from gan.checks import InputError, choice
from gan.sampling import generate, to_uint8


def composite(value):
    """A Sketchpad's value (type numpy) -> its composite RGBA image, or None while it is blank."""
    layers = (value or {}).get("layers") or []
    return value["composite"] if any(l is not None and l[..., 3].any() for l in layers) else None


class GarmentTab:
    def drawing(self, value):
        """The Sketchpad's value -> the file to invert: its composite, or None while it is blank."""
        drawn = composite(value)
        return None if drawn is None else self.store(drawn)

    def invert(self, arch, image):
        """An image (a file path, or a file as the app's event sends it, {"path": ...}; a drawing or
        an upload) -> the Fashion-MNIST-like target, the generator's closest image, and {"latent",
        "mse", "target_label", "reconstruction_label"}."""
        space = self.space(arch)
        if isinstance(image, dict):  # as the page or a client sends it: a file that was uploaded here
            image = self.uploaded(image.get("path"))
        if image is None:
            raise InputError("empty_image")
        target = upload.fashion_mnist_like(upload.load_image(image))
        return self.inverted(target, *space.invert(target))

    def inverted(self, target, z, recon, mse):
        """An inversion as the tab shows it: the target, the reconstruction, and its info."""
        target_label, recon_label = self.labels(np.stack([target, recon]))
        info = {"latent": [round(float(v), 5) for v in z], "mse": round(mse, 6), "target_label": target_label,
                "reconstruction_label": recon_label}
        return self.tile(target), self.tile(recon), info

    def uploaded(self, path) -> Path:
        """A file named by a visitor: only one in the app's upload folder (the event hands the name
        over as sent, so it is checked here, not by Gradio); None stays None."""
        if path is None:
            return None
        found = Path(path).resolve() if isinstance(path, str) else None
        if found is None or self.uploads is None or not found.is_relative_to(self.uploads):
            raise InputError("not_uploaded")
        return found

    def garment_example(self, arch):
        """What the tab opens with: the example drawing (a file to invert), its inversion as /invert
        returns it (the latent found once, by gan.examples), and that latent edited by the tab's
        default direction and amounts."""
        G, target, z = self.G(arch), examples.target(), examples.inversion(arch)
        recon = to_uint8(generate(G, z[None]))[0]
        mse = float((((recon.astype(np.float32) - target) / 255) ** 2).mean())
        shown = self.inverted(target, z, recon, mse)
        latent = self.latent_text(shown[2])
        strip = self.edit(arch, latent, garment.DEFAULT_DIRECTION, garment.DEFAULT_AMOUNTS)
        return (self.store_file(examples.DRAWING.read_bytes(), ".png"), *shown, latent, strip)

    def edit(self, arch, latent, direction, amounts):
        """A latent (JSON list or 'SEED/INDEX') moved along a direction (a class name or pc1..pc10)
        by each amount: a gallery of the images, the classifier's label under each."""
        G = self.G(arch)
        z = garment.parse_latent(latent, G.z_dim)
        direction = choice(direction, "direction", garment.DIRECTIONS)
        amounts = garment.parse_amounts(amounts)
        imgs = to_uint8(generate(G, garment.move(z, self.directions(arch)[direction], amounts)))
        return self.gallery(imgs, [f"{a:+g}" for a in amounts])

    @staticmethod
    def latent_text(info: dict) -> str:
        """/invert's info -> its latent as the JSON list /edit takes."""
        return json.dumps(info["latent"])
