"""train.py end to end on small slices: the dry run, and resume == uninterrupted."""
import json
import subprocess
import sys

import pytest
import torch

from gan import weights
from gan.training import CHECKPOINT, Config, load_checkpoint, train


@pytest.mark.parametrize("arch", ["mlp", "cnn"])
def test_train_py_dry_run(tmp_path, root, arch):
    out = tmp_path / arch
    r = subprocess.run([sys.executable, "train.py", "--arch", arch, "--dry-run", "--out", str(out)],
                       cwd=root, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    history = json.loads((out / "history.json").read_text())
    assert [h["epoch"] for h in history] == [1, 2]
    assert all(k in history[0] for k in ("d_loss", "g_loss", "d_real", "d_fake", "seconds", "img_per_s"))
    assert (out / "samples" / "epoch_002.png").is_file()
    summary = json.loads((out / "summary.json").read_text())
    assert summary["arch"] == arch and summary["recipe"] == "tuned"
    G = weights.load_generator(arch, out)
    assert not G.training
    assert weights.load_discriminator(arch, out) is not None


def test_help_lists_the_config_flags(root):
    r = subprocess.run([sys.executable, "train.py", "--help"], cwd=root, capture_output=True, text=True)
    for flag in ("--arch", "--epochs", "--batch-size", "--lr-g", "--lr-d", "--seed", "--data-dir", "--out",
                 "--resume", "--dry-run", "--device", "--recipe"):
        assert flag in r.stdout


def test_bad_flags_fail_fast(root):
    for bad in (["--arch", "vae"], ["--loss", "wasserstein"], ["--d-bn", "none"]):
        r = subprocess.run([sys.executable, "train.py", *bad], cwd=root, capture_output=True, text=True)
        assert r.returncode != 0 and "invalid choice" in r.stderr
    r = subprocess.run([sys.executable, "train.py", "--epochs", "0"], cwd=root, capture_output=True, text=True)
    assert r.returncode == 2 and "error: --epochs and --batch-size must be at least 1" in r.stderr
    assert "Traceback" not in r.stderr


def _states(out):
    ck = load_checkpoint(out / CHECKPOINT)
    return {k: ck[k] for k in ("G", "D", "ema")}, ck


@pytest.mark.parametrize("arch,knobs", [
    ("mlp", {}), ("cnn", {}),
    # the schedules (lr decay, fading instance noise, EMA warm-up) depend only on the step
    ("mlp", dict(lr_decay=True, inst_noise=0.1, label_smooth=0.9, ema_decay=0.999, r1_gamma=1.0, r1_every=2)),
    ("mlp", dict(loss="hinge", r1_gamma=1.0)),
    ("mlp", dict(loss="rpgan", r1_gamma=1.0, r2_gamma=1.0)),
])
def test_resume_equals_uninterrupted(tmp_path, arch, knobs):
    common = dict(arch=arch, limit=256, batch_size=64, threads=1, seed=3, **knobs)
    train(Config(**common, epochs=3, out=str(tmp_path / "straight")))
    assert train(Config(**common, epochs=3, stop_after=1, out=str(tmp_path / "split"))) is None  # as Ctrl-C
    train(Config(**common, epochs=3, out=str(tmp_path / "split"), resume=True))
    a, ck_a = _states(tmp_path / "straight")
    b, ck_b = _states(tmp_path / "split")
    assert ck_a["epoch"] == ck_b["epoch"] == 3
    for part in a:
        assert a[part].keys() == b[part].keys()
        for k in a[part]:
            assert torch.equal(a[part][k], b[part][k]), f"{part}.{k} differs after resume"
    # and the exported weights are the same too
    ga, gb = weights.load_generator(arch, tmp_path / "straight"), weights.load_generator(arch, tmp_path / "split")
    assert all(torch.equal(x, y) for x, y in zip(ga.state_dict().values(), gb.state_dict().values()))


@pytest.mark.parametrize("loss", ["hinge", "rpgan"])
def test_label_smoothing_needs_bce(loss):
    with pytest.raises(ValueError, match="label-smooth"):
        Config(arch="mlp", loss=loss, label_smooth=0.9).resolved()


def test_resume_without_checkpoint_is_clear(tmp_path):
    with pytest.raises(FileNotFoundError, match="no checkpoint"):
        train(Config(arch="mlp", limit=64, epochs=1, out=str(tmp_path), resume=True))


def test_d_loss_is_bce_on_logits_with_the_real_label():
    import torch.nn.functional as F
    from gan.models import build
    from gan.training import d_loss_fn
    _, D = build("mlp")
    real, fake = torch.rand(8, 1, 28, 28) * 2 - 1, torch.rand(8, 1, 28, 28) * 2 - 1
    for label in (1.0, 0.9):
        loss, _, _ = d_loss_fn(D, real, fake, 0.0, label)
        p_real, p_fake = D(real), D(fake)
        want = F.binary_cross_entropy(p_real, torch.full_like(p_real, label)) + \
            F.binary_cross_entropy(p_fake, torch.zeros_like(p_fake))
        assert torch.allclose(loss, want, atol=1e-5)


class SumD(torch.nn.Module):
    """A stand-in D whose logit is the sum of the pixels: losses easy to check by hand, and its
    input gradient is all ones."""
    def logits(self, x):
        return x.flatten(1).sum(1)


def test_hinge_loss_on_logits():
    from gan.training import d_loss_fn, g_loss_fn
    real, fake = torch.tensor([[2.0], [0.5]]), torch.tensor([[-2.0], [0.0]])
    loss, _, _ = d_loss_fn(SumD(), real, fake, 0.0, loss="hinge")
    assert loss.item() == pytest.approx((0 + 0.5) / 2 + (0 + 1) / 2)  # relu(1 - D(x)) + relu(1 + D(G(z)))
    assert g_loss_fn(fake.sum(1), "hinge").item() == pytest.approx(1.0)  # -D(G(z))
    assert g_loss_fn(fake.sum(1), "bce").item() == pytest.approx(  # -log sigmoid(D(G(z)))
        -torch.log(torch.sigmoid(torch.tensor([-2.0, 0.0]))).mean().item())


def test_rpgan_loss_and_r2_on_logits():
    from gan.training import d_loss_fn, g_loss_fn
    real, fake = torch.tensor([[2.0], [0.5]]), torch.tensor([[-2.0], [0.0]])
    pair = -torch.nn.functional.logsigmoid(torch.tensor([4.0, 0.5])).mean().item()  # D(x) - D(G(z)) per pair
    loss, _, _ = d_loss_fn(SumD(), real, fake, 0.0, loss="rpgan")
    assert loss.item() == pytest.approx(pair)
    with_r2, _, _ = d_loss_fn(SumD(), real, fake, 0.0, loss="rpgan", r2_gamma=3.0)
    assert with_r2.item() == pytest.approx(pair + 0.5 * 3.0 * 1.0)  # gamma/2 * ||grad||^2, one pixel
    g = g_loss_fn(fake.sum(1), "rpgan", real.sum(1))  # -log sigmoid(D(G(z)) - D(x))
    assert g.item() == pytest.approx(-torch.nn.functional.logsigmoid(torch.tensor([-4.0, -0.5])).mean().item())


def test_joint_d_batchnorm_normalizes_reals_and_fakes_together():
    from gan.models import build
    from gan.training import d_logits
    torch.manual_seed(0)
    real, fake = torch.rand(4, 1, 28, 28) * 2 - 1, torch.rand(4, 1, 28, 28) - 1  # fakes: darker
    _, D = build("cnn")
    D.train()
    joint = torch.cat(d_logits(D, real, fake, "joint"))
    assert torch.allclose(joint, D.logits(torch.cat([real, fake])))
    assert not torch.allclose(joint, torch.cat(d_logits(D, real, fake, "split")), atol=1e-3)
    _, D = build("mlp")  # no BatchNorm: the two ways are one
    assert torch.allclose(torch.cat(d_logits(D, real, fake, "joint")), torch.cat(d_logits(D, real, fake, "split")))


@pytest.mark.parametrize("fmt", [torch.channels_last, torch.contiguous_format])
@pytest.mark.parametrize("mode", ["train", "eval"])
def test_g_forward_is_g(fmt, mode):
    """The training loop's faster CNN generator pass computes G(z): same images, same gradients
    (in float64, where the two differ only by rounding at ~1e-15)."""
    from gan.models import build
    from gan.training import g_forward, init_weights
    torch.manual_seed(0)
    G, _ = build("cnn")
    G.apply(init_weights)
    G.to(torch.float64).to(memory_format=fmt).train(mode == "train")
    z = torch.randn(16, G.z_dim, dtype=torch.float64)
    outs, grads = [], []
    for fn in (G, lambda z: g_forward(G, z)):
        G.zero_grad()
        x = fn(z)
        (x * torch.linspace(-1, 1, x.numel(), dtype=x.dtype).view_as(x)).sum().backward()  # weighs every pixel
        outs.append(x.detach())
        grads.append([p.grad.clone() for p in G.parameters()])
    torch.testing.assert_close(outs[1], outs[0])  # float64 defaults: rtol 1e-7, atol 1e-7
    for g_fast, g_ref in zip(grads[1], grads[0]):
        torch.testing.assert_close(g_fast, g_ref)
    mlp, _ = build("mlp")
    z = z.float()
    assert torch.equal(g_forward(mlp, z), mlp(z))
