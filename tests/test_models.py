"""The published interface: reprs and state_dict keys as the report prints them; strict save/load."""
import re

import pytest
import torch
import torch.nn.functional as F
from safetensors.torch import load_file

from gan import weights
from gan.models import ARCHS, build

REPORT = {
    ("mlp", 1): """Discriminator(
  (fc1): Linear(in_features=784, out_features=128, bias=True)
  (nonlin1): LeakyReLU(negative_slope=0.2)
  (fc2): Linear(in_features=128, out_features=1, bias=True)
)""",
    ("mlp", 0): """Generator(
  (fc1): Linear(in_features=100, out_features=128, bias=True)
  (nonlin1): LeakyReLU(negative_slope=0.2)
  (fc2): Linear(in_features=128, out_features=784, bias=True)
)""",
    ("cnn", 1): """Discriminator(
  (main): Sequential(
    (0): Conv2d(1, 64, kernel_size=(4, 4), stride=(2, 2), padding=(1, 1), bias=False)
    (1): LeakyReLU(negative_slope=0.2, inplace=True)
    (2): Conv2d(64, 128, kernel_size=(4, 4), stride=(2, 2), padding=(1, 1), bias=False)
    (3): BatchNorm2d(128, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)
    (4): LeakyReLU(negative_slope=0.2, inplace=True)
    (5): Conv2d(128, 1, kernel_size=(7, 7), stride=(1, 1), bias=False)
    (6): Sigmoid()
  )
)""",
    ("cnn", 0): """Generator(
  (main): Sequential(
    (0): ConvTranspose2d(100, 128, kernel_size=(7, 7), stride=(1, 1), bias=False)
    (1): BatchNorm2d(128, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)
    (2): ReLU(inplace=True)
    (3): ConvTranspose2d(128, 64, kernel_size=(4, 4), stride=(2, 2), padding=(1, 1), bias=False)
    (4): BatchNorm2d(64, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)
    (5): ReLU(inplace=True)
    (6): ConvTranspose2d(64, 1, kernel_size=(4, 4), stride=(2, 2), padding=(1, 1), bias=False)
    (7): Tanh()
  )
)""",
}


@pytest.mark.parametrize("arch,role", sorted(REPORT))
def test_repr_matches_report(arch, role):
    model = build(arch)[role]
    # newer torch adds "bias=True" to BatchNorm's repr; the report's torch did not print it
    printed = re.sub(r"affine=True, bias=True,", "affine=True,", str(model))
    assert printed.splitlines() == REPORT[(arch, role)].splitlines(), (
        f"print(model) under torch {torch.__version__} is not the report's: gan.models._ReportName.__repr__ "
        f"replaces the class name torch's repr starts with (pinned: torch 2.14.1)")


def test_state_dict_keys_are_the_report_modules():
    G, D = build("cnn")
    assert list(G.state_dict())[:2] == ["main.0.weight", "main.1.weight"]
    assert set(build("mlp")[0].state_dict()) == {"fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"}


def batch_norm(x, t: dict, name: str):
    """Eval-mode BatchNorm2d from the stored tensors: (x - mean) / sqrt(var + 1e-5) * weight + bias."""
    def per_channel(key):
        return t[f"{name}.{key}"].view(1, -1, 1, 1)
    return (x - per_channel("running_mean")) / (per_channel("running_var") + 1e-5).sqrt() * per_channel("weight") \
        + per_channel("bias")


def by_hand(arch: str, g: dict, d: dict, z):
    """The report's layers written out in plain torch ops on the tensors of the safetensors files:
    z (N, 100) -> (images (N, 1, 28, 28), D's probabilities of them (N,))."""
    def leaky(h):
        return torch.where(h > 0, h, 0.2 * h)
    if arch == "mlp":
        x = torch.tanh(leaky(z @ g["fc1.weight"].T + g["fc1.bias"]) @ g["fc2.weight"].T + g["fc2.bias"])
        x = x.view(-1, 1, 28, 28)
        p = torch.sigmoid(leaky(x.view(-1, 784) @ d["fc1.weight"].T + d["fc1.bias"]) @ d["fc2.weight"].T + d["fc2.bias"])
        return x, p.view(-1)
    h = batch_norm(F.conv_transpose2d(z[:, :, None, None], g["main.0.weight"]), g, "main.1").relu()   # (N, 128, 7, 7)
    h = batch_norm(F.conv_transpose2d(h, g["main.3.weight"], stride=2, padding=1), g, "main.4").relu()  # (N, 64, 14, 14)
    x = torch.tanh(F.conv_transpose2d(h, g["main.6.weight"], stride=2, padding=1))                      # (N, 1, 28, 28)
    h = leaky(F.conv2d(x, d["main.0.weight"], stride=2, padding=1))                                       # (N, 64, 14, 14)
    h = leaky(batch_norm(F.conv2d(h, d["main.2.weight"], stride=2, padding=1), d, "main.3"))              # (N, 128, 7, 7)
    return x, torch.sigmoid(F.conv2d(h, d["main.5.weight"])).view(-1)                                   # (N,)


@pytest.mark.parametrize("arch", list(ARCHS))
def test_bundled_models_compute_the_reports_layers(arch):
    """The bundled G and D compute what the report's layers compute on their stored tensors (tanh
    images, sigmoid probabilities, LeakyReLU 0.2, eval-mode BatchNorm), written out here; D.logits
    is D before its sigmoid."""
    folder = weights.bundled_dir(arch)
    g, d = load_file(folder / "model.safetensors"), load_file(folder / "discriminator" / "model.safetensors")
    G, D = weights.load_generator(arch).eval(), weights.load_discriminator(arch).eval()
    z = torch.randn(5, 100, generator=torch.Generator().manual_seed(0))
    want_x, want_p = by_hand(arch, g, d, z)
    with torch.no_grad():
        x, p, logits = G(z), D(want_x), D.logits(want_x)
    assert x.shape == (5, 1, 28, 28) and p.shape == logits.shape == (5,)
    torch.testing.assert_close(x, want_x, rtol=0, atol=1e-5)
    torch.testing.assert_close(p, want_p, rtol=0, atol=1e-6)
    torch.testing.assert_close(torch.sigmoid(logits), want_p, rtol=0, atol=1e-6)


@pytest.mark.parametrize("arch", list(ARCHS))
def test_strict_round_trip(tmp_path, arch):
    G, D = build(arch)
    torch.nn.init.normal_(next(G.parameters()))
    weights.save(tmp_path, arch, G.eval(), D)
    G2, D2 = weights.load_generator(arch, tmp_path), weights.load_discriminator(arch, tmp_path)
    for a, b in ((G, G2), (D, D2)):
        sa, sb = a.state_dict(), b.state_dict()
        assert sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)
    assert not G2.training


def test_corrupt_file_names_it(tmp_path):
    G, D = build("cnn")
    weights.save(tmp_path, "cnn", G, D)
    f = tmp_path / "model.safetensors"
    f.write_bytes(f.read_bytes()[: f.stat().st_size // 2])  # truncated
    with pytest.raises(weights.WeightsError, match=str(f)):
        weights.load_generator("cnn", tmp_path)


def test_wrong_shape_and_wrong_keys_are_rejected(tmp_path):
    from safetensors.torch import save_file
    G, _ = build("mlp")
    weights.save(tmp_path, "mlp", G)
    sd = {k: v.clone() for k, v in G.state_dict().items()}
    sd["fc1.weight"] = torch.zeros(64, 100)  # wrong shape
    save_file(sd, tmp_path / "model.safetensors")
    with pytest.raises(weights.WeightsError, match="model.safetensors"):
        weights.load_generator("mlp", tmp_path)
    sd = {k: v.clone() for k, v in G.state_dict().items()}
    sd["extra.weight"] = torch.zeros(1)  # unexpected key
    save_file(sd, tmp_path / "model.safetensors")
    with pytest.raises(weights.WeightsError, match="extra.weight|Unexpected"):
        weights.load_generator("mlp", tmp_path)
    del sd["extra.weight"], sd["fc2.bias"]  # missing key
    save_file(sd, tmp_path / "model.safetensors")
    with pytest.raises(weights.WeightsError, match="fc2.bias|Missing"):
        weights.load_generator("mlp", tmp_path)


def test_other_arch_and_missing_folder(tmp_path):
    G, _ = build("mlp")
    weights.save(tmp_path, "mlp", G)
    with pytest.raises(weights.WeightsError, match="config.json"):
        weights.load_generator("cnn", tmp_path)
    with pytest.raises(weights.WeightsError, match="does not exist"):
        weights.load_generator("cnn", tmp_path / "nope")
    with pytest.raises(ValueError, match="mlp, cnn"):
        weights.load_generator("gan", tmp_path)
