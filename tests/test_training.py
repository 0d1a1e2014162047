"""train.py end to end on small slices: the dry run, flags, resume == uninterrupted, the losses."""
import json

import pytest
import torch

from gan import weights
from gan.checkpoint import CHECKPOINT, load_checkpoint
from gan.config import Config
from gan.training import train


# the recipe's values, written out here rather than read from gan.config.RECIPES
RECIPE_VALUES = {("mlp", "tuned"): dict(lr_g=1e-3, lr_d=1e-3, batch_size=256, ema_decay=0.999, r1_gamma=10.0),
                 ("cnn", "textbook"): dict(lr_g=2e-4, lr_d=2e-4, beta1=0.5, batch_size=128, ema_decay=0.0, r1_gamma=0.0)}
# (the report recipe end to end: tests/test_live.py trains it through the app; its values: below)


@pytest.mark.slow
@pytest.mark.parametrize("arch,recipe", list(RECIPE_VALUES))
def test_train_py_dry_run(tmp_path, capsys, arch, recipe):
    """`python train.py --dry-run` (its main, in this process): two epochs written as promised."""
    import numpy as np
    from PIL import Image
    from gan.sampling import grid, latents
    from gan.training import GRID_SEED
    from test_app import render
    out = tmp_path / arch
    code, _, err = run_main(["--arch", arch, "--recipe", recipe, "--dry-run", "--out", str(out)], capsys)
    assert code == 0, err[-2000:]
    history = json.loads((out / "history.json").read_text())
    assert [h["epoch"] for h in history] == [1, 2]
    assert all(0 < h["d_real"] < 1 and 0 < h["d_fake"] < 1 and h["d_loss"] > 0 for h in history)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["arch"] == arch and summary["recipe"] == recipe and summary["epochs"] == 2
    assert {k: summary["config"][k] for k in RECIPE_VALUES[arch, recipe]} == RECIPE_VALUES[arch, recipe]
    # the exported folder holds what the checkpoint holds: the EMA generator and D
    ck = load_checkpoint(out / CHECKPOINT)
    G, D = weights.load_generator(arch, out), weights.load_discriminator(arch, out)
    assert not G.training
    assert all(torch.equal(v, ck["D"][k]) for k, v in D.state_dict().items())
    if arch == "mlp" or recipe != "tuned":  # no BatchNorm recalibration: G is the EMA (or G) itself
        assert all(torch.equal(v, ck["ema"][k]) for k, v in G.state_dict().items())
    from gan import export
    assert export.fresh(out) == out / weights.ONNX_FILE  # the Latent lab's copy, of these weights
    # the epoch grid is the saved generator on the fixed latents, pixel for pixel
    png = np.asarray(Image.open(out / "samples" / "epoch_002.png"))
    assert np.array_equal(png, grid(render(G, latents(GRID_SEED, 64))))


def run_main(argv, capsys):
    """train.py's main() in this process (what `python train.py ARGV` runs, without 8 s of start-up):
    (exit code, stdout, stderr)."""
    from train import main
    try:
        code = main(argv)
    except SystemExit as e:
        code = e.code
    out, err = capsys.readouterr()
    return code, out, err


def test_help_explains_every_flag(capsys):
    """Every Config field is a flag with a one-line help text of its own (defined next to the field)."""
    import dataclasses
    from train import parser
    actions = {a.dest: a for a in parser()._actions}
    for f in dataclasses.fields(Config):
        assert actions[f.name].help == f.metadata["help"] and len(f.metadata["help"]) > 15, f.name
    code, out, _ = run_main(["--help"], capsys)
    assert code == 0
    assert "--r1-gamma R1_GAMMA" in out and "weight of the R1 penalty" in out
    assert "--loss {bce-sigmoid,ns-logits,lsgan,hinge}" in out and "--optimizer-d {adam,sgd}" in out
    assert all(f in out for f in ("--d-steps D_STEPS", "--g-steps G_STEPS", "--label-smoothing", "--classes CLASSES"))
    assert "python train.py --arch cnn --resume" in out  # the worked examples stay


@pytest.mark.parametrize("bad, message", [
    (["--arch", "vae"], "invalid choice: 'vae'"), (["--bce-on", "logits"], "unrecognized arguments"),
    (["--epochs", "0"], "error: --epochs must be at least 1, got 0"),
    (["--batch-size", "-8"], "error: --batch-size must be at least 1, got -8"),
    (["--limit", "-100"], "error: --limit must be at least 0, got -100"),  # it once dropped the last 100 images
    (["--eval-every", "-1"], "error: --eval-every must be at least 0, got -1"),
    (["--eval-n", "1"], "error: --eval-n must be at least 2, got 1"),
    (["--stop-after", "-2"], "error: --stop-after must be at least 0, got -2"),
    (["--threads", "-1"], "error: --threads must be at least 0, got -1"),
    (["--seed", "-5"], "error: --seed must be at least 0 and at most 4294967295, got -5"),
    (["--lr-g", "0"], "error: --lr-g must be at least 1e-06 and at most 1.0, got 0.0"),
    (["--lr-d", "nan"], "error: --lr-d must be at least 1e-06 and at most 1.0, got nan"),
    (["--lr-d", "1e9"], "error: --lr-d must be at least 1e-06 and at most 1.0, got 1000000000.0"),
    (["--beta1", "1.5"], "error: --beta1 must be at least 0 and at most 0.9999, got 1.5"),
    (["--ema-decay", "-0.1"], "error: --ema-decay must be at least 0 and at most 1, got -0.1"),
    (["--r1-gamma", "inf"], "error: --r1-gamma must be at least 0 and at most 1000.0, got inf"),
    (["--device", "tpu"], "invalid choice: 'tpu'"),
    (["--d-steps", "6"], "error: --d-steps must be at least 0 and at most 5, got 6"),
    (["--g-steps", "-1"], "error: --g-steps must be at least 0 and at most 5, got -1"),
    (["--d-steps", "0", "--g-steps", "0"], "error: --d-steps and --g-steps cannot both be 0: nothing would train"),
    (["--loss", "wgan"], "invalid choice: 'wgan'"), (["--optimizer-d", "rmsprop"], "invalid choice: 'rmsprop'"),
    (["--label-smoothing", "0.6"], "error: --label-smoothing must be at least 0 and at most 0.5, got 0.6"),
    (["--label-smoothing", "-0.1"], "error: --label-smoothing must be at least 0 and at most 0.5, got -0.1"),
    (["--loss", "hinge", "--label-smoothing", "0.1"],
     "error: --label-smoothing moves the target of bce-sigmoid and ns-logits only, not of --loss hinge"),
    (["--loss", "lsgan", "--label-smoothing", "0.1"], "only, not of --loss lsgan"),
    *[(["--classes", bad], f"error: --classes must be all, or labels 0 to 9 separated by commas (such as 0,1,7), "
                           f"got {bad!r}") for bad in ("10", "", "1;2", "-1", "1,,2", "shirts", "0,1,")],
])
def test_bad_flags_fail_fast(capsys, tmp_path, bad, message):
    """Each refused before training (a dry run, should one get through: seconds, not an hour)."""
    code, _, err = run_main(["--arch", "mlp", "--dry-run", "--out", str(tmp_path), *bad], capsys)
    assert code == 2 and message in err, (bad, err[-500:])


def test_a_bug_inside_training_is_a_traceback_not_a_usage_error(capsys, monkeypatch):
    """Only --resume's own errors are usage errors (exit 2, "error: ..."); a ValueError from deep
    inside training is a bug, and reaches the user as one."""
    import train as train_py

    def broken(cfg, scorer=None):
        raise ValueError("a bug inside the loop")
    monkeypatch.setattr(train_py, "train", broken)
    with pytest.raises(ValueError, match="a bug inside the loop"):
        train_py.main(["--arch", "mlp", "--dry-run"])


def _states(out):
    ck = load_checkpoint(out / CHECKPOINT)
    return {k: ck[k] for k in ("G", "D", "ema", "opt_g", "opt_d")}, ck


def _equal(a, b) -> bool:
    """Nested state dicts (optimizer states included) equal tensor for tensor."""
    if isinstance(a, torch.Tensor):
        return torch.equal(a, b)
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b))
    return a == b


@pytest.mark.slow
@pytest.mark.parametrize("arch", ["mlp", "cnn"])
def test_resume_trains_only_the_remaining_epochs_and_equals_uninterrupted(tmp_path, monkeypatch, arch):
    """Stop after epoch 1 (as Ctrl-C), resume: the second process trains epoch 2 only (it never
    draws epoch 1's data order), keeps epoch 1's history row as the first process wrote it, and
    ends with G, D, EMA and both optimizers bit-equal to an uninterrupted run (for the CNN, with
    the BatchNorm statistics recalibrated at every epoch's end)."""
    from gan import training
    common = dict(arch=arch, limit=256, batch_size=64, threads=1, seed=3, epochs=2)
    if arch == "mlp":
        common["r1_gamma"] = 1.0  # the tuned MLP's R1 path too
    train(Config(**common, out=str(tmp_path / "straight")))
    assert train(Config(**common, stop_after=1, out=str(tmp_path / "split"))) is None
    first_row = json.loads((tmp_path / "split" / "history.json").read_text())[0]
    trained = []
    real_perm = training.epoch_perm
    monkeypatch.setattr(training, "epoch_perm", lambda seed, epoch, n: trained.append(epoch) or real_perm(seed, epoch, n))
    summary = train(Config(**common, out=str(tmp_path / "split"), resume=True))
    assert trained == [1], f"the resumed run trained epochs {[e + 1 for e in trained]}, not just 2"
    history = json.loads((tmp_path / "split" / "history.json").read_text())
    assert history[0] == first_row and [h["epoch"] for h in history] == [1, 2]
    a, ck_a = _states(tmp_path / "straight")
    b, ck_b = _states(tmp_path / "split")
    assert ck_a["epoch"] == ck_b["epoch"] == 2
    # both processes' training time is counted (the rows round to 0.01 s; the summary to 0.1 s)
    assert ck_b["wall"] >= first_row["seconds"] + history[1]["seconds"] - 0.01
    assert summary["wall_seconds"] == round(ck_b["wall"], 1)
    for part in a:
        assert _equal(a[part], b[part]), f"{part} differs after resume"
    ga, gb = weights.load_generator(arch, tmp_path / "straight"), weights.load_generator(arch, tmp_path / "split")
    assert _equal(ga.state_dict(), gb.state_dict())  # the exported generator too


def test_resume_errors_are_clear(tmp_path, capsys):
    code, _, err = run_main(["--arch", "mlp", "--resume", "--out", str(tmp_path)], capsys)
    assert code == 2 and f"--resume: no checkpoint at {tmp_path / CHECKPOINT}" in err
    train(Config(arch="mlp", limit=64, batch_size=32, epochs=1, threads=1, out=str(tmp_path)))
    code, _, err = run_main(["--arch", "cnn", "--resume", "--out", str(tmp_path)], capsys)
    assert code == 2 and "is a mlp checkpoint; run with --arch mlp" in err, err[-500:]


def test_resume_keeps_what_the_run_trains(tmp_path, capsys):
    """--resume with other training settings is refused, naming them (the optimizer's saved state
    would otherwise overrule a new learning rate, and another loss or class set would train a
    different run); more epochs are fine."""
    flags = dict(arch="mlp", dry_run=True, limit=64, batch_size=32, threads=1, out=str(tmp_path))
    train(Config(**flags, epochs=1))  # (dry runs: a missed refusal trains seconds, not an hour)
    code, _, err = run_main(["--arch", "mlp", "--dry-run", "--limit", "64", "--batch-size", "32", "--threads", "1",
                             "--out", str(tmp_path), "--epochs", "2", "--resume", "--lr-g", "0.002", "--loss", "hinge"],
                            capsys)
    assert code == 2 and f"--resume: {tmp_path / CHECKPOINT} was trained with --lr-g 0.001 (not 0.002), " \
                         "--loss ns-logits (not hinge); resume with the same settings" in err, err[-500:]
    assert train(Config(**flags, epochs=2, resume=True))["epochs"] == 2
    assert [h["epoch"] for h in json.loads((tmp_path / "history.json").read_text())] == [1, 2]


def test_d_loss_is_bce_with_r1():
    """Against torch's own BCE on D's sigmoid output, and R1 by hand for a D whose input
    gradient is known: logit = sum of pixels, so grad = all ones and ||grad||^2 = pixel count."""
    import torch.nn.functional as F
    from gan.models import build
    from gan.loss import d_loss_fn, g_loss_fn
    _, D = build("mlp")
    real, fake = torch.rand(8, 1, 28, 28) * 2 - 1, torch.rand(8, 1, 28, 28) * 2 - 1
    loss, d_x, d_gz, *_ = d_loss_fn(D, real, fake)
    p_real, p_fake = D(real), D(fake)
    want = F.binary_cross_entropy(p_real, torch.ones_like(p_real)) + F.binary_cross_entropy(p_fake, torch.zeros_like(p_fake))
    assert torch.allclose(loss, want, atol=1e-5)
    assert torch.allclose(d_x, p_real.mean()) and torch.allclose(d_gz, p_fake.mean())
    assert torch.allclose(g_loss_fn(D, fake), F.binary_cross_entropy(p_fake, torch.ones_like(p_fake)), atol=1e-5)
    as_template, *_ = d_loss_fn(D, real, fake, loss="bce-sigmoid")  # the report recipe: the same BCE, on probabilities
    assert torch.allclose(as_template, want, atol=1e-6)
    assert torch.allclose(g_loss_fn(D, fake, "bce-sigmoid"), F.binary_cross_entropy(p_fake, torch.ones_like(p_fake)), atol=1e-6)

    class SumD(torch.nn.Module):
        def logits(self, x):
            return x.flatten(1).sum(1)
    real, fake = torch.tensor([[2.0, 1.0]]), torch.tensor([[-2.0, 0.0]])
    plain, *_ = d_loss_fn(SumD(), real, fake)
    with_r1, *_ = d_loss_fn(SumD(), real, fake, r1_gamma=3.0)
    assert with_r1.item() == pytest.approx(plain.item() + 0.5 * 3.0 * 2)  # gamma/2 * ||(1, 1)||^2


@pytest.mark.parametrize("fmt", [torch.channels_last, torch.contiguous_format])
@pytest.mark.parametrize("mode", ["train", "eval"])
def test_g_forward_is_g(fmt, mode):
    """The training loop's faster CNN generator pass computes G(z): same images, same gradients
    (in float64, where the two differ only by rounding at ~1e-15). The MLP has no such pass
    (g_forward is G itself); its layers are checked in tests/test_models.py."""
    from gan.models import build
    from gan.loss import g_forward
    from gan.training import init_weights
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
        grads.append([torch.zeros_like(p) if p.grad is None else p.grad.clone() for p in G.parameters()])  # None: unused in G(z)
    torch.testing.assert_close(outs[1], outs[0])  # float64 defaults: rtol 1e-7, atol 1e-7
    for g_fast, g_ref in zip(grads[1], grads[0]):
        torch.testing.assert_close(g_fast, g_ref)


def test_report_recipe_is_the_course_template():
    """SGD at 0.03 without momentum for both nets, and real images as ToTensor leaves them, in
    [0, 1] (the other recipes scale them to [-1, 1], G's tanh range)."""
    from gan.training import new_run
    images = torch.randint(0, 256, (16, 1, 28, 28), dtype=torch.uint8)
    cfg = Config(arch="mlp", recipe="report", device="cpu").resolved()
    assert (cfg.epochs, cfg.batch_size, cfg.ema_decay, cfg.r1_gamma, cfg.loss) == (10, 64, 0.0, 0.0, "bce-sigmoid")
    assert (cfg.d_steps, cfg.g_steps, cfg.label_smoothing, cfg.classes) == (1, 1, 0.0, "all")
    run = new_run(cfg, images)
    assert torch.equal(run.reals, images.float() / 255)
    for opt in (run.opt_g, run.opt_d):
        assert type(opt) is torch.optim.SGD and opt.defaults["lr"] == 0.03 and opt.defaults["momentum"] == 0
    tuned = new_run(Config(arch="mlp", recipe="tuned", device="cpu").resolved(), images)
    assert torch.allclose(tuned.reals, images.float() / 127.5 - 1) and type(tuned.opt_g) is torch.optim.Adam


class SumD(torch.nn.Module):
    """A D whose logit is the sum of its input's values: losses computable by hand."""
    def logits(self, x):
        return x.flatten(1).sum(1)


def test_each_loss_by_hand():
    """Every --loss, D's and G's, against the formulas worked out here in plain floats, on two
    reals with logits 3, -1 and two fakes with logits -2, 1.5; one-sided label smoothing moves
    the BCE losses' real target to 1 - S; R1 adds gamma/2 * ||(1, 1)||^2 to each."""
    import math
    from gan.loss import d_loss_fn, g_loss_fn
    real, fake = torch.tensor([[2.0, 1.0], [0.0, -1.0]]), torch.tensor([[-2.0, 0.0], [1.0, 0.5]])
    lr, lf = (3.0, -1.0), (-2.0, 1.5)
    sig = lambda v: 1 / (1 + math.exp(-v))
    mean = lambda f, vs: sum(map(f, vs)) / len(vs)
    bce = lambda t: mean(lambda v: -(t * math.log(sig(v)) + (1 - t) * math.log(1 - sig(v))), lr) + \
        mean(lambda v: -math.log(1 - sig(v)), lf)
    want = {  # (D's loss, G's loss)
        "bce-sigmoid": (bce(1.0), mean(lambda v: -math.log(sig(v)), lf)),
        "ns-logits": (bce(1.0), mean(lambda v: -math.log(sig(v)), lf)),
        "lsgan": (0.5 * mean(lambda v: (v - 1) ** 2, lr) + 0.5 * mean(lambda v: v ** 2, lf),
                  0.5 * mean(lambda v: (v - 1) ** 2, lf)),
        "hinge": (mean(lambda v: max(0, 1 - v), lr) + mean(lambda v: max(0, 1 + v), lf), -mean(lambda v: v, lf)),
    }
    for loss, (d_want, g_want) in want.items():
        d, d_x, d_gz, _, _ = d_loss_fn(SumD(), real, fake, loss=loss)
        assert d.item() == pytest.approx(d_want, rel=1e-6), loss
        assert g_loss_fn(SumD(), fake, loss).item() == pytest.approx(g_want, rel=1e-6), loss
        assert (d_x.item(), d_gz.item()) == pytest.approx((mean(sig, lr), mean(sig, lf)), rel=1e-6)
        with_r1, *_ = d_loss_fn(SumD(), real, fake, r1_gamma=3.0, loss=loss)
        assert with_r1.item() == pytest.approx(d_want + 0.5 * 3.0 * 2, rel=1e-6), loss
    for loss in ("bce-sigmoid", "ns-logits"):
        smoothed, *_ = d_loss_fn(SumD(), real, fake, loss=loss, smoothing=0.2)
        assert smoothed.item() == pytest.approx(bce(0.8), rel=1e-6), loss


def tiny_run(**flags):
    """A fresh MLP run on 64 random images, batches of 32: two steps an epoch."""
    from gan.training import new_run
    images = torch.randint(0, 256, (64, 1, 28, 28), dtype=torch.uint8, generator=torch.Generator().manual_seed(1))
    return new_run(Config(arch="mlp", recipe="textbook", batch_size=32, device="cpu", **flags).resolved(), images)


@pytest.mark.parametrize("d_steps, g_steps", [(3, 2), (1, 0), (0, 1)])
def test_d_and_g_steps_per_batch(d_steps, g_steps):
    """An epoch of two batches takes 2 * d_steps optimizer steps of D and 2 * g_steps of G; a
    network with 0 steps keeps its weights and reports no loss (None in the history row)."""
    from gan.training import StopRequest, run_epoch
    run = tiny_run(d_steps=d_steps, g_steps=g_steps)
    counts = {"D": 0, "G": 0}
    for name, opt in (("D", run.opt_d), ("G", run.opt_g)):
        step = opt.step
        opt.step = lambda *a, name=name, step=step: counts.__setitem__(name, counts[name] + 1) or step(*a)
    before = {name: [p.detach().clone() for p in net.parameters()] for name, net in (("D", run.D), ("G", run.G))}
    row = run_epoch(run, StopRequest())
    assert counts == {"D": 2 * d_steps, "G": 2 * g_steps}
    for name, net, steps in (("D", run.D, d_steps), ("G", run.G, g_steps)):
        same = all(torch.equal(a, b) for a, b in zip(before[name], net.parameters()))
        assert same == (steps == 0), name
    assert (row["d_loss"] is None, row["d_real"] is None) == (d_steps == 0,) * 2
    assert (row["g_loss"] is None) == (g_steps == 0)
    assert all(isinstance(row[k], float) for k, steps in (("d_loss", d_steps), ("g_loss", g_steps)) if steps)


def test_a_job_of_d_alone_streams_its_curves():
    """The Train tab's job with --g-steps 0: its curves hold None for G's loss, and it ends."""
    from gan import live
    run = tiny_run()
    cfg = Config(arch="mlp", recipe="textbook", batch_size=32, epochs=1, g_steps=0, device="cpu").resolved()
    feats = torch.randn(64, 128, generator=torch.Generator().manual_seed(2)).double().numpy()
    last = list(live.job(cfg, (run.reals * 127.5 + 127.5).round().to(torch.uint8), feats,
                         weights.load_classifier(), cap_s=300))[-1]
    assert last.stats["done"] and [c["g_loss"] for c in last.curves] == [None]
    assert isinstance(last.curves[0]["d_loss"], float)


def test_the_step_uses_the_chosen_loss_and_smoothing(monkeypatch):
    """train_step hands --loss and --label-smoothing to D's loss, and --loss to G's."""
    from gan import training
    seen = []
    for name, first in (("d_loss_fn", 3), ("g_loss_fn", 2)):  # the arguments after D and its images
        real_fn = getattr(training, name)
        monkeypatch.setattr(training, name, lambda *a, real_fn=real_fn, name=name, first=first:
                            seen.append((name, a[first:])) or real_fn(*a))
    run = tiny_run(loss="bce-sigmoid", label_smoothing=0.25, r1_gamma=0.5)
    training.train_step(run, run.reals[:32], 0)
    assert seen == [("d_loss_fn", (0.5, "bce-sigmoid", 0.25)), ("g_loss_fn", ("bce-sigmoid",))]


def test_classes_pick_the_images_of_those_labels(tmp_path):
    """--classes 7,0 --limit 300: the run holds the first 300 training images labelled 0 or 7,
    in the file's order (read here with numpy from the idx file itself)."""
    import gzip
    import numpy as np
    from gan import data, training
    cfg = Config(arch="mlp", recipe="textbook", classes="7,0", limit=300, device="cpu", out=str(tmp_path)).resolved()
    assert cfg.classes == "0,7"
    run = training.setup(cfg)
    folder = data.find_dir()
    read = lambda name, skip: np.frombuffer(gzip.open(folder / f"{name}.gz").read()
                                            if (folder / f"{name}.gz").exists() else (folder / name).read_bytes(),
                                            np.uint8)[skip:]
    labels = read("train-labels-idx1-ubyte", 8)
    images = read("train-images-idx3-ubyte", 16).reshape(-1, 28, 28)
    pick = np.flatnonzero((labels == 0) | (labels == 7))[:300]
    assert run.reals.shape == (300, 1, 28, 28)
    assert set(labels[pick]) == {0, 7}
    assert torch.equal(run.reals[:, 0], torch.from_numpy(images[pick].astype(np.float32)) / 127.5 - 1)


def test_each_network_has_its_optimizer():
    """--optimizer-g sgd --optimizer-d adam: SGD at lr_g for G, Adam at lr_d for D, and the reverse."""
    run = tiny_run(optimizer_g="sgd", optimizer_d="adam", lr_g=0.05, lr_d=0.001)
    assert (type(run.opt_g), run.opt_g.defaults["lr"]) == (torch.optim.SGD, 0.05)
    assert (type(run.opt_d), run.opt_d.defaults["lr"]) == (torch.optim.Adam, 0.001)
    run = tiny_run(optimizer_g="adam", optimizer_d="sgd")
    assert (type(run.opt_g), type(run.opt_d)) == (torch.optim.Adam, torch.optim.SGD)
