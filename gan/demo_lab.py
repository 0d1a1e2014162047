"""Demo's handlers of the Latent lab tab. The lab moves a latent in the visitor's browser
(gan/static/latent_lab.js, onnxruntime-web on the folders' model.onnx): one call hands it a latent and
everything it needs to move it (each model's principal and class directions, the ONNX files'
addresses, its words); while the visitor drags, the server does nothing. A browser that cannot run
the files has the images made here instead, one call per slider release (render). A mixin of
gan.demo.Demo, which supplies the models, the directions, the lab's files (gan.serve_lab) and labels'
words."""
import json
from pathlib import Path

import numpy as np
import torch

from gan import explore, garment
from gan.checks import InputError, choice, shown
from gan.data import CLASSES, to_float
from gan.limits import LAB_RANGE, N_IMAGES, N_LAB_ROWS, Z_POSITIONS
from gan.metrics import classify
from gan.models import NAMES
from gan.sampling import check_seed, generate, latents, to_uint8
from gan.text import Words

STATIC = Path(__file__).resolve().parent / "static"
ORT_DIR = STATIC / "ort"  # onnxruntime-web's wasm build, vendored (ort/NOTICE.md says which and its licence)
ORT_FILES = [ORT_DIR / n for n in ("ort.wasm.min.mjs", "ort-wasm-simd-threaded.mjs", "ort-wasm-simd-threaded.wasm")]
LAB_JS = STATIC / "latent_lab.js"
DEFAULT_POSITIONS = explore.parse_positions(explore.DEFAULT_POSITIONS)  # the report's 10, 60, 80
REPORT_VALUES = explore.parse_values(explore.REPORT_VALUES)              # its 0.3 and 10, one click away
WORDS = ("lab.loading", "lab.ready", "lab.server", "lab.report", "lab.mode", "lab.position",
         "lab.value", "lab.reset", "lab.pcs", "lab.class", "lab.amount", "lab.psi", "lab.copy", "lab.copied",
         "lab.current", *(f"class.{i}" for i in range(len(CLASSES))))
TEMPLATES = {"label": Words("cap.label", cls="{cls}", p="{p}"),   # filled in the browser
             "outside": Words("error.outside", name="{name}", got="{got}", lo="{lo}", hi="{hi}"),
             "not_number": Words("error.not_number", name="{name}", got="{got}"),
             "fallback": Words("lab.fallback", why="{why}")}


class LabTab:
    def lab(self, seed, index):
        """Image #index of a seed, as the lab starts from it: {latent, source, models: {arch: {name,
        onnx, directions}}, classifier, ort, limits, words} (the browser computes the rest)."""
        seed, index = check_seed(seed), explore.check_index(index)
        return self.lab_state(latents(seed, N_IMAGES)[index], Words("cap.seed", seed=seed, index=index))

    def lab_latent(self, text):
        """A latent given as text (a JSON list, or SEED/INDEX as /edit takes it), as lab() hands it."""
        z = garment.parse_latent(text, Z_POSITIONS)
        return self.lab_state(z, Words("lab.pasted"))

    def lab_state(self, z: torch.Tensor, source) -> dict:
        return {
            "latent": z.tolist(),  # float32 values, exactly: JSON keeps a double's every digit
            "source": source,
            "models": {arch: {"name": name, "onnx": self.lab_files.url(arch, "model.onnx"),
                              "directions": {k: v.tolist() for k, v in self.directions(arch).items()}}
                       for arch, name in NAMES.items() if arch in self.models},
            "classifier": self.lab_files.url("classifier", "model.onnx"), "ort": self.lab_files.url("ort"),
            "limits": {"range": LAB_RANGE, "z": Z_POSITIONS, "rows": N_LAB_ROWS, "positions": DEFAULT_POSITIONS,
                       "report_values": REPORT_VALUES, "modes": list(explore.MODES), "classes": list(CLASSES),
                       "pcs": garment.N_PCS},
            "words": {**{k: Words(k) for k in WORDS}, **TEMPLATES},
        }

    def lab_render(self, latents_json: dict) -> dict:
        """The fallback: {arch: latent as a JSON list} -> {arch: {"pixels": 784 uint8 values row by
        row, "probs": the classifier's 10}}, what the browser would have computed."""
        if not isinstance(latents_json, dict):
            raise InputError("choice", name="arch", allowed=", ".join(self.models), got=shown(latents_json))
        for arch in latents_json:
            choice(arch, "arch", tuple(self.models))
        out = {}
        for arch, text in latents_json.items():
            z = garment.parse_latent(text if isinstance(text, str) else json.dumps(text), Z_POSITIONS)
            img = to_uint8(generate(self.G(arch), z[None]))
            _, probs = classify(self.classifier, to_float(torch.from_numpy(img).unsqueeze(1)))
            out[arch] = {"pixels": img[0].reshape(-1).tolist(), "probs": np.round(probs[0], 6).tolist()}
        return out
