"""The Train tab's presets that teach: four named recipes, each showing one way a GAN fails, each
with the fix one click away, and the meters that judge them (the metric classifier's, not the loss).

Each preset is a Train-tab job on the MLP: a recipe, Config overrides ("settings") and epochs; its
"fix" is the one setting that differs in the fixed run. Three of them break one setting of the same
healthy base (textbook's loop, Adam at 5e-3 for both nets on batches of 32, so it learns within two
epochs); the range mismatch is the report's own recipe, its SGD sped up the same way. Every fix
undoes the one broken setting. Each preset names the meter that shows its failure ("shows"):
    ("fd", T):      FD of the final samples at least T (the samples are far from real garments);
    ("entropy", T): the entropy of their class shares at most T bits (a few garments crowd out the
                    rest; log2 10 bits is every class alike).
T lies about midway between the failure and its fix as measured, over several training seeds
(benchmarks/presets.md); tests/test_presets.py runs each preset and its fix through gan.live.job.
"""
import math
from collections import OrderedDict

from gan.config import Config

SEED = 0            # the training seed the presets' test runs (the failures show at every seed tried)
CLASS_FLOOR = 0.05  # a class counts as drawn when it holds more than this share of the samples
BASE = dict(batch_size=32, lr_g=5e-3, lr_d=5e-3)  # on the textbook recipe: Adam, beta1 0.5, no EMA, no R1

PRESETS = OrderedDict([
    # D learns ten times faster than G: D wins every round, G's samples stay smudges.
    ("d_too_strong", dict(arch="mlp", recipe="textbook", epochs=2, settings=dict(BASE, lr_g=5e-4),
                          fix=dict(lr_g=5e-3), shows=("fd", 80.0))),
    # G takes five steps on every batch to D's one: it overshoots whatever fools D at that moment.
    ("g_too_fast", dict(arch="mlp", recipe="textbook", epochs=2, settings=dict(BASE, g_steps=5),
                        fix=dict(g_steps=1), shows=("fd", 58.0))),
    # The report's recipe: real images in [0, 1], G's tanh in [-1, 1]; D tells them apart by range.
    ("range_mismatch", dict(arch="mlp", recipe="report", epochs=2, settings=dict(batch_size=32, lr_g=0.1, lr_d=0.1),
                            fix={"real_range": "-1..1"}, shows=("fd", 100.0))),
    # Adam's momentum at 0.9 (its usual default): G keeps rushing towards a few garments.
    ("mode_collapse", dict(arch="mlp", recipe="textbook", epochs=2, settings=dict(BASE, beta1=0.9),
                           fix=dict(beta1=0.5), shows=("entropy", 2.0))),
])


def config(name: str, fixed: bool = False, seed: int = SEED) -> Config:
    """The preset's training configuration (with its fix applied when fixed), resolved for the CPU."""
    p = PRESETS[name]
    settings = {**p["settings"], **(p["fix"] if fixed else {})}
    return Config(arch=p["arch"], recipe=p["recipe"], epochs=p["epochs"], seed=seed, device="cpu",
                  **settings).resolved()


def collapse(shares) -> tuple:
    """Class shares (a dict class -> share, or a sequence of shares summing to 1) -> (their entropy
    in bits, the number of classes above CLASS_FLOOR). Ten equal classes: (log2 10, 10); one: (0, 1)."""
    values = list(shares.values()) if isinstance(shares, dict) else list(shares)
    entropy = -sum(s * math.log2(s) for s in values if s > 0)
    return entropy + 0.0, sum(s > CLASS_FLOOR for s in values)  # + 0.0: no -0.0 for one class


def shows(name: str, stats: dict) -> bool:
    """Whether a finished job's stats (gan.live's last Update: "fd", "class_shares") show the
    preset's failure on its meter."""
    meter, threshold = PRESETS[name]["shows"]
    if meter == "fd":
        return stats["fd"] >= threshold
    return collapse(stats["class_shares"])[0] <= threshold
