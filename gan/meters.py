"""The Train tab's meters: what the loss hides, measured while a job trains (gan.live calls these
between steps) and the alarms they raise.

- D's accuracy on real and on generated images, separately (gan.loss.d_loss_fn counts them);
- a collapse meter: the metric classifier's classes of METER_N fixed samples, as the entropy of
  their shares (bits; log2 10 when every class is drawn equally) and the number of classes above
  CLASS_FLOOR of them;
- D's view: D's probability of "real" for each image of the live grid and of a fixed row of real
  training images;
- alarms (ALARMS), each with the epoch it began, so a learner finds the moment on the curves.
"""
import contextlib
import math

import numpy as np
import torch

from gan.data import CLASSES
from gan.metrics import classify

METER_N = 200        # fixed samples the collapse meter classifies at every update
CLASS_FLOOR = 0.05   # a class counts as drawn above this share of them
D_WINS = 0.98        # D's accuracy on both real and generated images at or above this: D wins
STALL = 1e-3         # G's mean pixel change (of 1) on the grid's latents between updates below this: G stalls
CLASS_DROP = 2       # classes drawn this many fewer than at their peak: the class count fell
ALARMS = ("d_wins", "g_stalls", "classes_fall")
REAL_ROW = 8         # real training images in D's view


@contextlib.contextmanager
def evaluating(*modules):
    """The modules in eval mode without gradients (BatchNorm reads its running statistics and
    updates none), then back in the mode they were in: a look that leaves training as it was."""
    modes = [m.training for m in modules]
    try:
        with torch.no_grad():
            yield [m.eval() for m in modules]
    finally:
        for m, mode in zip(modules, modes):
            m.train(mode)


def collapse(probs: np.ndarray) -> dict:
    """Class probabilities of samples (N, 10) -> their class shares, the entropy of the shares
    (bits) and the number of classes above CLASS_FLOOR."""
    shares = np.bincount(probs.argmax(1), minlength=len(CLASSES)) / len(probs)
    entropy = -sum(s * math.log2(s) for s in shares if s > 0)
    return {"class_shares": [round(float(s), 4) for s in shares], "class_entropy": round(entropy, 3) + 0.0,  # not -0.0
            "classes_drawn": int((shares > CLASS_FLOOR).sum())}


def verdicts(D, images: torch.Tensor) -> list:
    """D's probability of "real" for each image (N, 1, 28, 28) in [-1, 1], as seen in eval mode;
    None where it is no number (a run whose weights diverged)."""
    with evaluating(D):
        return [round(float(p), 3) if math.isfinite(p) else None for p in torch.sigmoid(D.logits(images)).view(-1)]


def g_change(G, z, before):
    """(G's images of z now (eval mode), their mean absolute pixel change from `before`, in [0, 1]
    units; None when there is no before)."""
    with evaluating(G):
        now = G(z)
    return now, None if before is None else float((now - before).abs().mean()) / 2


class Alarms:
    """The three alarms, raised and cleared as updates come: each active alarm keeps the epoch
    (fractional) at which its condition began."""

    def __init__(self):
        self.since, self.peak = {}, 0

    def update(self, epoch: float, d_acc_real, d_acc_fake, change, classes_drawn) -> list:
        """The active alarms after this update: [{"alarm": key, "since_epoch": epoch}]."""
        self.peak = max(self.peak, classes_drawn)
        on = {"d_wins": d_acc_real is not None and d_acc_fake is not None and min(d_acc_real, d_acc_fake) >= D_WINS,
              "g_stalls": change is not None and change < STALL,
              "classes_fall": classes_drawn <= self.peak - CLASS_DROP}
        for key in ALARMS:
            if not on[key]:
                self.since.pop(key, None)
            elif key not in self.since:
                self.since[key] = epoch
        return [{"alarm": k, "since_epoch": self.since[k]} for k in ALARMS if k in self.since]
