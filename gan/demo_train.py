"""Demo's handlers of the Train it yourself tab (the training cockpit): a live job streamed with its
meters and D's view, the settings and the command that reproduces them, the example it opens
with, the model it made beside the bundled one. A mixin of gan.demo.Demo, which supplies the
models, the classifier, the index, store, strip and label_table.

One training step, from the Train button to the pixels: app.train_tab's button -> train() here ->
gan.live.job (a loop over gan.training.epoch_steps -> train_step: (1) Update D, (2) Update G) ->
gan.live.Update (grid, meters) -> shown() here -> the tab's image, plots and meters.
"""
import dataclasses
import html
import math

import numpy as np
import pandas as pd
import torch
from PIL import Image, ImageDraw, ImageFont

from gan import checkpoint, cockpit, config, examples, live, meters, nearest, owndata, presets, training
from gan import data as fmnist
from gan.checks import InputError, choice, token, whole
from gan.demo_garment import composite
from gan.data import CLASSES
from gan.io import png_bytes
from gan.limits import DATA_PREVIEW_N, N_IMAGES, TRAIN_MAX_EPOCHS, TRAIN_PER_CLASS
from gan.metrics import classify
from gan.sampling import check_seed, grid, sample, tiles, upscale
from gan.text import Said, Words, t

VIEW_SCALE = 2     # D's view: each 28x28 image at 2x, with its verdict under it
VERDICT_H = 14     # pixels of the verdict line under each image
ROW_GAP = 10       # pixels between the generated images and the row of real ones


def d_view(grid_u8: np.ndarray, fakes_p: list, reals_u8: np.ndarray, reals_p: list) -> np.ndarray:
    """The 8x8 grid's images and a row of real ones, each with D's probability of "real" under it
    (a bar and the number: green above 0.5, D says real; red below): RGB uint8."""
    images = list(tiles(grid_u8, len(fakes_p))) + list(reals_u8)
    verdicts = list(fakes_p) + list(reals_p)
    size, cols = 28 * VIEW_SCALE, 8
    cell_w, cell_h = size + 4, size + VERDICT_H + 4
    rows = -(-len(fakes_p) // cols)
    canvas = Image.new("RGB", (cols * cell_w, (rows + 1) * cell_h + ROW_GAP), "white")
    pen, font = ImageDraw.Draw(canvas), ImageFont.load_default(size=11)
    for i, (img, p) in enumerate(zip(images, verdicts)):
        r, c = divmod(i, cols) if i < len(fakes_p) else (rows, i - len(fakes_p))
        x, y = c * cell_w + 2, r * cell_h + 2 + (ROW_GAP if r == rows else 0)
        canvas.paste(Image.fromarray(upscale(img, VIEW_SCALE)), (x, y))
        if p is None:  # no verdict: the weights diverged
            pen.text((x + size / 2, y + size + 4), "-", fill="grey", font=font, anchor="mt")
            continue
        colour = (30, 150, 60) if p >= 0.5 else (200, 40, 40)
        pen.rectangle((x, y + size + 1, x + round(p * (size - 1)), y + size + 3), fill=colour)
        pen.text((x + size / 2, y + size + 4), f"{p:.2f}", fill=colour, font=font, anchor="mt")
    return np.asarray(canvas)


def meter_html(stats: dict) -> Said:
    """The meters as gauges (HTML <meter>), the progress, and the alarms, in the visitor's language."""
    def said(lang):
        def gauge(key, value, top, words):
            shown = "" if value is None else f'<meter id="meter-{key}" min="0" max="{top:g}" value="{value:g}"></meter>'
            return f'<div class="gauge" data-meter="{key}">{html.escape(words)} {shown}</div>'
        def percent(key):
            v = stats.get(key)
            words = t(lang, f"meter.{key}") + (f": {100 * v:.0f}%" if v is not None else " " + t(lang, "meter.not_trained"))
            return gauge(key, v, 1, words)
        def loss(key):
            v = stats.get(key)
            return f'<div class="gauge" data-meter="{key}">{html.escape(t(lang, f"meter.{key}"))}: ' + (
                f"{v:.3f}" if v is not None else html.escape(t(lang, "meter.not_trained"))) + "</div>"
        n, fd = len(CLASSES), stats["fd"]
        progress = t(lang, "meter.progress", epoch=stats["epoch"], epochs=stats["epochs"], step=stats["step"],
                     ips=stats["img_per_s"], secs=stats["train_seconds"])
        entropy = t(lang, "meter.entropy", n=stats["meter_n"], bits=stats["class_entropy"], max_bits=math.log2(n))
        drawn = t(lang, "meter.classes", k=stats["classes_drawn"], n=n, floor=f"{100 * meters.CLASS_FLOOR:g}")
        paused = f'<div class="paused">{html.escape(t(lang, "meter.paused"))}</div>' if stats.get("paused") else ""
        parts = [f'<div class="progress">{html.escape(progress)}</div>{paused}',
                 loss("d_loss"), loss("g_loss"), percent("d_acc_real"), percent("d_acc_fake"),
                 gauge("class_entropy", stats["class_entropy"], math.log2(n), entropy),
                 gauge("classes_drawn", stats["classes_drawn"], n, drawn),
                 gauge("fd", None, 0, t(lang, "meter.fd", fd=fd) if fd is not None else t(lang, "meter.no_fd"))]
        alarms = [f'<li data-alarm="{a["alarm"]}">' + html.escape(t(lang, f"alarm.{a['alarm']}",
                                                                     epoch=f"{a['since_epoch']:.2f}")) + "</li>"
                  for a in stats["alarms"]]
        parts.append(f'<ul class="alarms">{"".join(alarms)}</ul>' if alarms else
                     f'<p class="no-alarm">{html.escape(t(lang, "meter.no_alarm"))}</p>')
        return f'<div class="meters" id="train-meters-panel">{"".join(parts)}</div>'
    return Said(said)


def data_arg(paths: list) -> str:
    """Own images as the reproduce command names them: the .zip's name, or a folder of the images."""
    return paths[0].name if len(paths) == 1 and paths[0].suffix.lower() == ".zip" else "my_images/"


def data_summary(own: owndata.OwnData) -> Said:
    """What a job will train on, in the visitor's language: the images, the classes, the files skipped."""
    def said(lang):
        names = ", ".join(c or "-" for c in own.classes)
        classes = t(lang, "data.one_class") if len(own.classes) == 1 else \
            t(lang, "data.classes", k=len(own.classes), names=names)
        skipped = ", ".join(t(lang, f"data.skip.{k}", count=v) for k, v in own.skipped.items())
        return t(lang, "data.summary", n=len(own.labels), classes=classes, skipped=skipped or t(lang, "data.none"))
    return Said(said)


class TrainTab:
    def train(self, arch, recipe, epochs, seed, settings=None, start=None, data=None):
        """A live training job (gan.live) of the recipe with settings over it (gan.cockpit), from the
        beginning or from a checkpoint (start: a file; the same settings go on bit-identically,
        others fork), on Fashion-MNIST or on the visitor's own images (data: uploaded files, see
        gan.uploads; deleted when the last job using them ends). Streams (D's view, losses, D's
        accuracies, FD per epoch, class histogram, stats with every meter, the model .zip once done
        (else None), the meters as gauges, the reproduce command, the latest checkpoint file, the
        nearest training images of 8 final images once done (else None), and this job's
        checkpoints so far as [{"label", "path"}] to go back to)."""
        paths = self.own_uploads.files(data)  # checked first: only files uploaded here are ever deleted
        with self.own_uploads.used(paths):  # ...when this job ends, however (its settings refused included)
            cfg = cockpit.check_job(arch, recipe, epochs, seed, settings)
            begin = self.checkpoint_in(start, cfg.arch)
            own = self.own_uploads.read(paths) if paths else None
            if own:  # the data's own classes (its folders), all of them; the tab's images per class
                cfg = dataclasses.replace(cfg, classes="all")
                images = torch.from_numpy(own.images)[training.chosen(cfg, torch.from_numpy(own.labels))]
                feats = classify(self.classifier, fmnist.to_float(images))[0]
                # as many steps an epoch as the Fashion-MNIST subset: 200 images would train 3 steps an epoch
                cfg = dataclasses.replace(cfg, repeat=max(1, len(CLASSES) * TRAIN_PER_CLASS[cfg.arch] // len(images)))
            else:
                images, feats = live.subset(self.index, cfg)
            command, control, saved = cockpit.command(cfg, own and data_arg(paths)), live.Control(), []
            updates = live.job(cfg, images, feats, self.classifier, self.train_cap_s, control=control, start=begin,
                               data=own.record() if own else None)
            for u in live.one_at_a_time(updates, control):
                if u.checkpoint:
                    saved.append({"label": Words("train.checkpoint_at", epoch=u.stats["epoch"], step=u.stats["step"]),
                                  "path": self.store_file(u.checkpoint, ".safetensors")})
                yield (*self.shown(u, command), saved[-1]["path"] if saved else None,
                       self.nearest_training(u.grid, images) if u.stats["done"] else None, list(saved))

    def data_preview(self, data) -> tuple:
        """The Train tab's own images -> (the first DATA_PREVIEW_N as the GAN will see them, 28x28
        each, or None; what the job will train on, in words)."""
        paths = self.own_uploads.files(data)
        if not paths:
            return None, Words("data.none_yet")
        own = self.own_uploads.read(paths)
        return self.store(upscale(grid(own.images[:DATA_PREVIEW_N, 0], cols=16), 2)), data_summary(own)

    def add_drawing(self, sketch, data) -> tuple:
        """A drawing added to the Train tab's own images (a PNG file, kept as an upload is), the
        canvas cleared; a blank canvas adds nothing."""
        drawn = composite(sketch)
        files = [f.get("path") if isinstance(f, dict) else f for f in (data or [])]
        if drawn is not None:
            files.append(str(self.own_uploads.add(png_bytes(drawn), "drawing.png")))
        return files or None, None

    def nearest_training(self, grid_u8: np.ndarray, images) -> list:
        """The first N_IMAGES of a job's grid, each beside the training image nearest to it in
        pixels, with its distance and the training images' own typical distance to their nearest
        (a model that copies its data sits well below it)."""
        finals = tiles(grid_u8, N_IMAGES)
        pool = images[:, 0].numpy()
        idx, dist = nearest.closest(finals, pool)
        typical = nearest.spacing(pool)
        imgs = np.stack([x for i, j in enumerate(idx) for x in (finals[i], pool[j])])
        caps = [c for i, d in enumerate(dist) for c in (Words("cap.final", i=i),
                                                       Words("cap.nearest", d=float(d), typical=typical))]
        return self.gallery(imgs, caps)

    def checkpoint_in(self, start, arch: str):
        """A checkpoint to start from (None; a file as a client or the page sends it, {"path": ...};
        or the path of one this app handed out) -> its (tensors, metadata), read and checked."""
        if start is None:
            return None
        path = self.uploaded(start.get("path") if isinstance(start, dict) else start)
        if path is None or not path.is_file() or path.stat().st_size > checkpoint.MAX_BYTES:
            raise InputError("bad_checkpoint")
        try:
            tensors, meta = checkpoint.read(path.read_bytes())
        except checkpoint.CheckpointError:
            raise InputError("bad_checkpoint") from None
        if meta.get("arch") != arch:
            raise InputError("checkpoint_arch", arch=token(meta.get("arch")), want=arch)
        return tensors, meta

    def control(self, job: str, action: str) -> None:
        """Pause, resume or stop a running job, or step it once (D, G or both) while paused: job is
        its id (stats["job"]), or the stats themselves (the page's)."""
        live.control(job.get("job") if isinstance(job, dict) else job, action)

    def train_example(self):
        """What the tab opens with: the last update of a finished job of its default inputs
        (gan.examples: MLP, report, 10 epochs, seed 0), without its model."""
        cfg = cockpit.check_job(**examples.TRAIN_JOB)
        images, _ = live.subset(self.index, cfg)
        update = dataclasses.replace(examples.train_update(), reals=images[live.real_row(images), 0].numpy())
        return (*self.shown(update, cockpit.command(cfg)), None, self.nearest_training(update.grid, images), [])

    def shown(self, u: live.Update, command: str) -> tuple:
        """A job's update as the tab's outputs."""
        def curves(keys):
            return pd.DataFrame([{"epoch": c["epoch"], "curve": Words(f"curve.{k}"), "value": c[k]}
                                 for c in u.curves for k in keys], columns=["epoch", "curve", "value"])
        names = [Words(f"class.{i}") for i in range(len(CLASSES))]
        hist = pd.DataFrame({"class": names, "share": u.shares or [0.0] * len(CLASSES)})
        s = u.stats
        view = d_view(u.grid, s["d_verdict_fakes"], u.reals, s["d_verdict_reals"])
        return (self.store(view), curves(("d_loss", "g_loss")), curves(("d_acc_real", "d_acc_fake")),
                pd.DataFrame(u.fd, columns=["epoch", "FD"]), hist, s, u.model and self.store_file(u.model, ".zip"),
                meter_html(s), command)

    def settings_of(self, running: bool, *values) -> tuple:
        """The Train button: the page's settings controls (cockpit.KEYS, in order) as /train's
        settings object, checked there; a page whose job is running gets a message instead of a
        second place in the queue."""
        if running:
            raise InputError("busy")
        return True, dict(zip(cockpit.KEYS, values))

    def recipe_settings(self, arch, recipe) -> tuple:
        """The settings controls' values for a recipe (what choosing it shows)."""
        return self.controls(cockpit.check_job(arch, recipe, 1, 0))[4:]

    def chosen_recipe(self, arch, recipe, epochs, seed) -> tuple:
        """The visitor's choice of a model or recipe -> the epochs (within the model's most), the
        recipe's settings, and what reproduce() gives for them."""
        arch = choice(arch, "arch", config.CHOICES["arch"])
        epochs = min(whole(epochs, "epochs", 1, max(TRAIN_MAX_EPOCHS.values())), TRAIN_MAX_EPOCHS[arch])
        shown = self.controls(cockpit.check_job(arch, recipe, epochs, seed))
        return (epochs, *shown[4:], *self.reproduce(*shown))

    def reproduce(self, arch, recipe, epochs, seed, *values) -> tuple:
        """The page's current settings -> (the train.py command that gives the tab's weights, the
        settings object /train takes, the page address's query that opens the tab with them)."""
        settings = dict(zip(cockpit.KEYS, values))
        cfg = cockpit.check_job(arch, recipe, epochs, seed, settings)
        return cockpit.command(cfg), settings, cockpit.query(cfg)

    def preset(self, name) -> tuple:
        """A preset that teaches (gan.presets) -> the tab's inputs and settings controls for it, and
        the words on what to look for."""
        name = choice(name, "preset", tuple(presets.PRESETS))
        shown = self.controls(presets.config(name))
        return (*shown, Words(f"preset.{name}.look"), *self.reproduce(*shown))

    def preset_fix(self, name, arch, recipe, epochs, seed, *values) -> tuple:
        """The settings controls with the preset's fix applied, the rest as the page has them, and
        what reproduce() gives for them."""
        name = choice(name, "preset", tuple(presets.PRESETS))
        fixed = dict(zip(cockpit.KEYS, values)) | presets.PRESETS[name]["fix"]
        shown = tuple(fixed[k] for k in cockpit.KEYS)
        return (*shown, *self.reproduce(arch, recipe, epochs, seed, *shown))

    def controls(self, cfg) -> tuple:
        """A job's configuration as the tab's inputs and settings controls (arch, recipe, epochs, seed, *KEYS)."""
        return (cfg.arch, cfg.recipe, cfg.epochs, cfg.seed,
                *(list(config.class_list(cfg.classes)) if k == "classes" else getattr(cfg, k) for k in cockpit.KEYS))

    def from_link(self, params: dict) -> tuple:
        """A shared link's query (?arch=mlp&lr_g=0.01...) -> the tab's inputs and settings
        controls, checked as a job's, and what reproduce() gives for them; None when the link holds
        no settings."""
        job = cockpit.from_query(params)
        if job is None:
            return None
        shown = self.controls(cockpit.check_job(*job))
        return (*shown, *self.reproduce(*shown))

    def trained(self, model, seed):
        """A Train job's model .zip and a seed -> its 8 images, the bundled model's for the same
        latents, and the classifier's labels of both."""
        seed = check_seed(seed)
        G, arch = live.read_zip(model)
        imgs = {Words("train.yours"): sample(G, seed, N_IMAGES), Words("train.bundled"): sample(self.G(arch), seed, N_IMAGES)}
        yours, bundled = (self.strip(x) for x in imgs.values())
        return yours, bundled, self.label_table(imgs)
