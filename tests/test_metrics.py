"""Metrics against known answers, the bundled classifier's accuracy, and the evaluate CLI."""
import json
import subprocess
import sys

import numpy as np
import pytest
import torch
from torch import nn

from gan import metrics as ev
from gan import weights


@pytest.fixture(scope="module")
def gauss():
    rng = np.random.default_rng(0)
    return rng.normal(size=(4000, 8)), rng.normal(size=(4000, 8))


def test_fd_identical_and_shift(gauss):
    a, b = gauss
    assert abs(ev.frechet_distance(a, a)) < 1e-9
    assert ev.frechet_distance(a, b) < 0.05                 # same distribution: ~0
    shift = np.zeros(8)
    shift[:2] = [3.0, 4.0]                                   # |mu| = 5 -> FD = 25
    assert ev.frechet_distance(a, a + shift) == pytest.approx(25.0, abs=1e-6)
    # b = 2a: |mu_a - 2 mu_a|^2 + Tr(S + 4S - 2 (4 S^2)^1/2) = |mu_a|^2 + Tr(S)
    expected = (a.mean(0) ** 2).sum() + np.trace(np.cov(a, rowvar=False))
    assert ev.frechet_distance(a, 2 * a) == pytest.approx(expected, rel=1e-6)


def test_coverage_and_density_same_distribution(gauss):
    a, b = gauss
    density, coverage = ev.density_coverage(a, b, k=5)
    assert coverage == pytest.approx(1 - 2 ** -5, abs=0.02)  # Naeem et al.: 1 - 2^-k
    assert density == pytest.approx(1.0, abs=0.1)


def test_density_and_coverage_of_a_small_case_by_hand():
    """Real points 0, 1, 2, 3, 10 on a line, k = 1: each one's ball reaches its nearest neighbour,
    radius 1, 1, 1, 1, 7. Fakes 0.5 (in the balls of 0 and 1), 1.5 (of 1 and 2), 10.5 (of 10), 20
    (in none): density = (2 + 2 + 1 + 0) / (k * 4 fakes) = 1.25; the balls holding a fake are those
    of 0, 1, 2 and 10, coverage 4 / 5."""
    real = np.array([[0.0], [1.0], [2.0], [3.0], [10.0]])
    fake = np.array([[0.5], [1.5], [10.5], [20.0]])
    density, coverage = ev.density_coverage(real, fake, k=1)
    assert density == pytest.approx(1.25) and coverage == pytest.approx(0.8)


def test_mode_dropping_lowers_recall_not_precision():
    rng = np.random.default_rng(1)
    centres = rng.normal(scale=10, size=(10, 8))
    def mixture(n, modes):
        return centres[rng.choice(modes, n)] + rng.normal(size=(n, 8))
    real = mixture(3000, range(10))
    full = ev.precision_recall(real, mixture(3000, range(10)))
    dropped = ev.precision_recall(real, mixture(3000, range(3)))
    assert dropped[0] >= full[0] - 0.05           # precision stays
    assert dropped[1] < 0.5 and full[1] > 0.7     # recall falls with 7 of 10 modes gone


def test_inception_score_and_class_stats():
    uniform_confident = np.eye(10)[np.arange(1000) % 10]
    assert ev.inception_score(uniform_confident)[0] == pytest.approx(10, rel=1e-3)
    hist, kl, unsure = ev.class_stats(uniform_confident)
    assert hist == [0.1] * 10 and kl == pytest.approx(0) and unsure == 0
    one_class = np.full((100, 10), 0.01)
    one_class[:, 3] = 0.91
    hist, kl, _ = ev.class_stats(one_class)
    assert hist[3] == 1.0 and kl == pytest.approx(np.log(10))
    assert ev.class_stats(np.full((10, 10), 0.1))[2] == 1.0   # all unsure


def test_the_classifiers_pooling_is_torchs_bit_for_bit():
    """MaxPool2x2 against nn.MaxPool2d(2): values (ties, an odd size, infinities and NaN among them)
    with and without gradients, and the gradient itself, ties included."""
    g = torch.Generator().manual_seed(0)
    x = torch.randn(64, 8, 14, 14, generator=g).relu().round(decimals=1)   # many ties (zeros and equal tenths)
    x[0, 0, 0, :4] = torch.tensor([float("inf"), float("-inf"), float("nan"), 1.0])
    odd = torch.randn(5, 3, 7, 7, generator=g)                             # 7x7 -> 3x3: the last row and column dropped
    for t in (x, odd):
        with torch.inference_mode():
            assert torch.equal(ev.MaxPool2x2()(t).nan_to_num(7.5), nn.MaxPool2d(2)(t).nan_to_num(7.5))
        a, b = t.clone().requires_grad_(True), t.clone().requires_grad_(True)
        w = torch.randn(nn.MaxPool2d(2)(t).shape, generator=g)
        assert torch.equal((ev.MaxPool2x2()(a) * w).nan_to_num(7.5), (nn.MaxPool2d(2)(b) * w).nan_to_num(7.5))
        (ev.MaxPool2x2()(a) * w).nan_to_num(0).sum().backward()
        (nn.MaxPool2d(2)(b) * w).nan_to_num(0).sum().backward()
        assert torch.equal(a.grad, b.grad)


def test_bundled_classifier_accuracy():
    model = weights.load_classifier()
    assert ev.test_accuracy(model) >= 0.92


@pytest.mark.slow
def test_cli_scores_the_hub_model_it_is_given(tmp_path, root):
    """--weights USER/REPO (as train.py --push-to-hub makes it), served by the stand-in Hub: the
    textbook MLP there must score as its own summary says (FD ~51), not as the bundled MLP (~16)."""
    import os
    from hubstub import Hub
    folder = weights.WEIGHTS_DIR / "mlp-textbook"
    out = tmp_path / "m.json"
    with Hub() as hub:
        sha = hub.add_commit("me/fm-mlp", {p.relative_to(folder).as_posix(): p.read_bytes()
                                           for p in folder.rglob("*") if p.is_file()})
        env = {**os.environ, "HF_ENDPOINT": hub.url, "HF_HUB_OFFLINE": "0", "HF_HUB_CACHE": str(tmp_path / "cache")}
        r = subprocess.run([sys.executable, "-m", "gan.evaluate", "--arch", "mlp", "--weights", "me/fm-mlp", "--n", "1000",
                            "--json", str(out)], cwd=root, env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    assert f"weights: hub me/fm-mlp@{sha[:12]}" in r.stdout and "FD (lower is better)" in r.stdout
    res = json.loads(out.read_text())
    summary = json.loads((folder / "summary.json").read_text())["metrics"]
    assert res["n"] == 1000 and abs(sum(res["class_hist"]) - 1) < 1e-9
    assert res["fd"] == pytest.approx(summary["fd"], abs=4)  # 1k samples vs the run's 10k: a little higher


def test_cli_with_an_unreachable_repo_says_so(tmp_path, hub_env, capsys):
    """`python -m gan.evaluate --weights USER/REPO` (its main, in this process) offline, with no
    cached copy: a usage error naming the repo, not the bundled model scored in its place."""
    from gan.evaluate import main
    hub_env(HF_HUB_CACHE=str(tmp_path), HF_HUB_OFFLINE="1")
    with pytest.raises(SystemExit) as stop:
        main(["--arch", "mlp", "--weights", "someone/fm-mlp"])
    err = capsys.readouterr().err
    assert stop.value.code == 2 and "--weights someone/fm-mlp: not a local folder, and the Hub has not got it" in err


@pytest.mark.slow
def test_cli_reference_table_has_its_scale(tmp_path, capsys):
    """`python -m gan.evaluate --reference` (its main, in this process) on 500 images, each against
    the first 500 test images: real data scores near 0, each corruption worse than the lighter one,
    and the bundled models in the order their summaries give."""
    from gan.evaluate import main
    out = tmp_path / "ref.json"
    main(["--reference", "--n", "500", "--json", str(out)])
    r = capsys.readouterr()
    fd = {k: v["fd"] for k, v in json.loads(out.read_text()).items()}
    assert fd["real train vs test"] < 5 < fd["real + noise σ=0.1"] < fd["real + noise σ=0.3"]
    assert fd["real, only 5 classes"] < fd["real, only 1 class"]
    assert fd["cnn (tuned)"] < fd["mlp (tuned)"] < fd["mlp-textbook (textbook)"]
    assert "| FD (lower is better) | " in r.out
