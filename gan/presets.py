"""The Train tab's presets that teach: four named recipes, each showing one way a GAN fails, each
with the fix one click away, and the meters that judge them (the metric classifier's, not the loss).

Each preset is a Train-tab job on the MLP: a recipe, Config overrides ("settings") and epochs; its
"fix" is the one setting that differs in the fixed run. Three of them break one setting of the same
healthy base (textbook's loop, Adam at 5e-3 for both nets on batches of 32, so it learns within two
epochs); the range mismatch is the report's own recipe, its SGD sped up the same way. Every fix
undoes the one broken setting. Each preset names the meter that shows its failure ("shows"):
    ("fd", T):      FD of the final samples at least T (the samples are far from real garments);
    ("entropy", T): the entropy of their class shares at most T bits (gan.meters.collapse: a few
                    garments crowd out the rest; log2 10 bits is every class alike).
T lies about midway between the failure and its fix as measured, over several training seeds
(benchmarks/presets.md); tests/test_presets.py runs each preset and its fix through gan.live.job.
"""
from collections import OrderedDict

from gan.cockpit import check_job
from gan.config import Config

SEED = 0            # the training seed the presets' test runs (the failures show at every seed tried)
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


def job(name: str, fixed: bool = False, seed: int = SEED) -> tuple:
    """The preset as a Train job's inputs (arch, recipe, epochs, seed, settings), with its fix
    applied when fixed: what gan.cockpit.check_job and /train take."""
    p = PRESETS[name]
    return p["arch"], p["recipe"], p["epochs"], seed, {**p["settings"], **(p["fix"] if fixed else {})}


def config(name: str, fixed: bool = False, seed: int = SEED) -> Config:
    """The preset's training configuration, as the Train tab runs it (cockpit.check_job)."""
    return check_job(*job(name, fixed, seed))


def shows(name: str, stats: dict) -> bool:
    """Whether a finished job's stats (gan.live's last Update: its meters, gan.meters) show the
    preset's failure on its meter."""
    meter, threshold = PRESETS[name]["shows"]
    if meter == "fd":
        return stats["fd"] >= threshold
    return stats["class_entropy"] <= threshold
