"""gan/presets.py: every preset that teaches shows its failure on the metric classifier's meters
(gan.live.job on the Train tab's MLP subset, one torch thread, as the tab runs it) and its fix does
not; the fix changes only the settings it names; the collapse meter's entropy and class count."""
import dataclasses
import math

import numpy as np
import pytest
import torch

from gan import live, meters, nearest, presets, weights

RUNS = {}  # repr(config) -> the final stats: the three fixes back to the same base train once


def final_stats(cfg) -> dict:
    key = repr(cfg)
    if key not in RUNS:
        images, feats = live.subset(nearest.load_index(weights.NEAREST_INDEX), cfg)
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            RUNS[key] = list(live.job(cfg, images, feats, weights.load_classifier(), cap_s=600))[-1].stats
        finally:
            torch.set_num_threads(threads)
        assert RUNS[key]["done"] and not RUNS[key]["capped"]
    return RUNS[key]


@pytest.mark.slow
@pytest.mark.parametrize("name", list(presets.PRESETS))
def test_each_preset_shows_its_failure_and_its_fix_does_not(name):
    broken, fixed = final_stats(presets.config(name)), final_stats(presets.config(name, fixed=True))
    meters = {k: (s["fd"], s["class_entropy"], s["classes_drawn"]) for k, s in (("preset", broken), ("fix", fixed))}
    assert presets.shows(name, broken), meters
    assert not presets.shows(name, fixed), meters


@pytest.mark.parametrize("name", list(presets.PRESETS))
def test_the_fix_changes_only_the_settings_it_names(name):
    broken, fixed = (dataclasses.asdict(presets.config(name, fixed=f)) for f in (False, True))
    changed = {k for k in broken if broken[k] != fixed[k]}
    assert changed == set(presets.PRESETS[name]["fix"]) != set()
    assert broken["arch"] == "mlp" and broken["seed"] == presets.SEED


@pytest.mark.parametrize("shares, entropy, classes", [
    ([0.1] * 10, math.log2(10), 10),
    ([1.0] + [0.0] * 9, 0.0, 1),
    ([0.5, 0.5] + [0.0] * 8, 1.0, 2),
    ([0.25] * 4 + [0.0] * 6, 2.0, 4),
    ([0.9, 0.05, 0.05] + [0.0] * 7, -(0.9 * math.log2(0.9) + 0.1 * math.log2(0.05)), 1),  # 5% is not above 5%
])
def test_collapse_is_the_entropy_and_the_classes_above_five_percent(shares, entropy, classes):
    """gan.meters.collapse of samples whose classifier probabilities pick these shares of 20 samples."""
    labels = np.repeat(np.arange(10), np.round(np.array(shares) * 20).astype(int))
    got = meters.collapse(np.eye(10)[labels])
    assert (got["class_entropy"], got["classes_drawn"]) == (pytest.approx(entropy, abs=1e-3), classes)
    assert got["class_shares"] == pytest.approx(shares)
