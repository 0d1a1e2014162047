"""Demo's handlers of the Train it yourself tab: a live job streamed, its example, the model it
made beside the bundled one. A mixin of gan.demo.Demo, which supplies the models, the classifier,
the index, store, strip and label_table."""
import pandas as pd

from gan import examples, live
from gan.checks import InputError
from gan.data import CLASSES
from gan.limits import N_IMAGES
from gan.sampling import check_seed, sample, upscale
from gan.text import Words


class TrainTab:
    def train(self, arch, recipe, epochs, seed):
        """A live training job (gan.live): streams (8x8 grid, losses, D outputs, FD per epoch,
        class histogram, stats, the model .zip path once done, else None)."""
        cfg = live.check_job(arch, recipe, epochs, seed)
        images, feats = live.subset(self.index, cfg.arch)
        for u in live.one_at_a_time(live.job(cfg, images, feats, self.classifier, self.train_cap_s)):
            yield self.shown(u)

    def train_example(self):
        """What the tab opens with: the last update of a finished job of its default inputs
        (gan.examples: MLP, report, 10 epochs, seed 0), without its model."""
        return self.shown(examples.train_update())

    def shown(self, u: live.Update) -> tuple:
        """A job's update as the tab's outputs."""
        def curves(keys):
            return pd.DataFrame([{"epoch": c["epoch"], "curve": Words(f"curve.{k}"), "value": c[k]}
                                 for c in u.curves for k in keys], columns=["epoch", "curve", "value"])
        names = [Words(f"class.{i}") for i in range(len(CLASSES))]
        hist = pd.DataFrame({"class": names, "share": u.shares or [0.0] * len(CLASSES)})
        stats = dict(u.stats, class_shares=u.shares and dict(zip(CLASSES, u.shares)))
        return (self.store(upscale(u.grid, 2)), curves(("d_loss", "g_loss")), curves(("d_real", "d_fake")),
                pd.DataFrame(u.fd, columns=["epoch", "FD"]), hist, stats, u.model and self.store_file(u.model, ".zip"))

    def claim(self, running: bool) -> bool:
        """The Train button on a page whose job is running: a message, not a second place in the queue."""
        if running:
            raise InputError("busy")
        return True

    def trained(self, model, seed):
        """A Train job's model .zip and a seed -> its 8 images, the bundled model's for the same
        latents, and the classifier's labels of both."""
        seed = check_seed(seed)
        G, arch = live.read_zip(model)
        imgs = {Words("train.yours"): sample(G, seed, N_IMAGES), Words("train.bundled"): sample(self.G(arch), seed, N_IMAGES)}
        yours, bundled = (self.strip(x) for x in imgs.values())
        return yours, bundled, self.label_table(imgs)
