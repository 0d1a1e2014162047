"""Measure training throughput, generation and API latency, and cold start; write JSON + markdown.

  python -m benchmarks.speed                  # everything (~20 min on 2 cores)
  python -m benchmarks.speed --only train     # one section: train | generate | api | api_one_ssl_context | cold
Results: benchmarks/results.json and benchmarks/results.md (numbers as measured, this machine).
"""
import argparse
import concurrent.futures as cf
import gzip
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

from benchmarks.common import ROOT, free_port, machine, percentile, rss_mb, start_app
from gan import data as fmnist
from gan import weights
from gan.models import build
from gan.config import Config
from gan.training import init_weights, train


# ----------------------------------------------------------------------------- training throughput

def straightforward_loop(arch: str, steps: int) -> float:
    """The loop most users write: torchvision dataset + DataLoader + ToTensor/Normalize, batch 128,
    BCE on D's sigmoid output. img/s over `steps` steps after 3 warm-up steps."""
    from torchvision import datasets, transforms
    root = Path(tempfile.mkdtemp())
    raw = root / "FashionMNIST" / "raw"
    raw.mkdir(parents=True)
    src = fmnist.find_dir()
    for name in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):
        with gzip.open(src / (name + ".gz")) as f:  # unpacked where torchvision looks: no md5 check, no download
            (raw / name).write_bytes(f.read())
    ds = datasets.FashionMNIST(str(root), train=True, download=False,
                               transform=transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5,), (0.5,))]))
    loader = torch.utils.data.DataLoader(ds, batch_size=128, shuffle=True, drop_last=True)
    G, D = build(arch)
    G.apply(init_weights), D.apply(init_weights)
    og, od = (torch.optim.Adam(m.parameters(), lr=2e-4, betas=(0.5, 0.999)) for m in (G, D))
    bce = torch.nn.BCELoss()
    n, t0 = 0, None
    for i, (x, _) in enumerate(loader):
        if i == 3:
            t0 = time.perf_counter()
        z = torch.randn(x.size(0), 100)
        fake = G(z)
        od.zero_grad()
        loss_d = bce(D(x), torch.ones(x.size(0))) + bce(D(fake.detach()), torch.zeros(x.size(0)))
        loss_d.backward()
        od.step()
        og.zero_grad()
        bce(D(fake), torch.ones(x.size(0))).backward()
        og.step()
        if i >= 3:
            n += x.size(0)
        if i == steps + 2:
            break
    shutil.rmtree(root)
    return n / (time.perf_counter() - t0)


def project_loop(arch: str, recipe: str, steps: int) -> float:
    """img/s of gan.training's loop (in-memory batches, channels_last, the recipe's batch and R1):
    two epochs of `steps` steps, the second one timed, so warm-up is left out as for the loop above."""
    cfg = Config(arch=arch, recipe=recipe, epochs=2, out=tempfile.mkdtemp())
    cfg.limit = cfg.resolved().batch_size * steps
    train(cfg)
    history = json.loads((Path(cfg.out) / "history.json").read_text())
    shutil.rmtree(cfg.out)
    return history[-1]["img_per_s"]


def forward_flops(net, x):
    """(FLOPs = 2 x MACs of net's Linear and conv layers on x, counted from the layer shapes, net(x))."""
    macs = 0
    def hook(m, i, o):
        nonlocal macs
        if isinstance(m, torch.nn.Linear):
            macs += m.in_features * m.out_features
        elif isinstance(m, torch.nn.Conv2d):
            macs += o[0].numel() * m.in_channels * m.kernel_size[0] * m.kernel_size[1]
        elif isinstance(m, torch.nn.ConvTranspose2d):
            macs += i[0][0].numel() * m.out_channels * m.kernel_size[0] * m.kernel_size[1]
    handles = [m.register_forward_hook(hook) for m in net.modules()]
    with torch.no_grad():
        out = net(x)
    for h in handles:
        h.remove()
    return 2.0 * macs, out


def flops_per_image(arch: str) -> tuple:
    """Forward FLOPs of one image through G and through D."""
    G, D = build(arch)
    g, img = forward_flops(G, torch.randn(1, G.z_dim))
    d, _ = forward_flops(D, img)
    return g, d


def step_flops(g: float, d: float) -> float:
    """FLOPs of one training step per image, in forward units (a backward pass that computes weight
    and input gradients costs two forwards): D step: D forward on reals and on fakes, and both
    backward (2 + 4 D); G step: D forward on fakes, backward for input gradients only (D's weights
    are frozen there: 2 D); G forward and backward (3 G). In all 3 G + 8 D."""
    return 3 * g + 8 * d


def peak_gflops(n: int = 1024, reps: int = 20) -> float:
    """fp32 matmul peak as torch reaches it here (all cores): a practical roof for these models."""
    a, b = torch.randn(n, n), torch.randn(n, n)
    a @ b
    t0 = time.perf_counter()
    for _ in range(reps):
        a @ b
    return 2 * n ** 3 * reps / (time.perf_counter() - t0) / 1e9


def bench_train(steps: int, repeats: int = 5):
    """Each loop `repeats` times, interleaved. The CPU's speed drifts (±10% within minutes, more over an
    hour), so each speed-up is the median of the per-repeat ratios (loops run back to back), with their range."""
    rows = {}
    for arch in ("mlp", "cnn"):
        runs = {"s": [], "p": [], "t": []}
        for _ in range(repeats):
            runs["s"].append(straightforward_loop(arch, steps))
            runs["p"].append(project_loop(arch, "tuned", steps))
            runs["t"].append(project_loop(arch, "textbook", steps))
        row = {"straightforward_img_s": round(statistics.median(runs["s"])),
               "project_textbook_img_s": round(statistics.median(runs["t"])),
               "project_tuned_img_s": round(statistics.median(runs["p"]))}
        for key, name in (("t", "textbook"), ("p", "tuned")):
            ratios = [x / s for x, s in zip(runs[key], runs["s"])]
            row[f"speedup_{name}"] = round(statistics.median(ratios), 2)
            row[f"speedup_{name}_range"] = [round(min(ratios), 2), round(max(ratios), 2)]
        g, d = flops_per_image(arch)
        rows[arch] = {**row, "repeats": repeats, "fwd_mflop_per_img": round((g + d) / 1e6, 2),
                      "step_mflop_per_img": round(step_flops(g, d) / 1e6, 1)}
    peak = peak_gflops()
    for arch, r in rows.items():
        r["roof_img_s_at_matmul_peak"] = round(peak * 1e9 / (r["step_mflop_per_img"] * 1e6))
    return {"rows": rows, "matmul_peak_gflops": round(peak, 1)}


def time_to_quality() -> dict:
    """FD (2k samples) vs wall-clock seconds of training, from the bundled runs' history.json."""
    out = {}
    for folder in sorted(weights.WEIGHTS_DIR.iterdir()):
        hist = weights.read_json(folder, "history.json", []) or []
        pts = [(h["wall"], h["epoch"], round(h["fd"], 2)) for h in hist if h.get("fd") is not None]
        if pts:
            summary = weights.read_json(folder, "summary.json", {}) or {}
            on = summary.get("config", {}).get("device", "cpu")
            out[folder.name if on == "cpu" else f"{folder.name} (trained on {on}: seconds not comparable)"] = pts
    return out


# ----------------------------------------------------------------------------- generation

def bench_generate(reps: int = 30):
    from gan.demo import Demo
    from gan.sampling import generate, latents
    torch.set_num_threads(1)
    d = Demo.load()
    out = {}
    cases = {"sample (8 images)": lambda: d.sample("cnn", 114514),
             "sweep (7 values x 16 positions)": lambda: d.sweep("cnn", 1, 0, ",".join(map(str, range(0, 96, 6))),
                                                                "-10,-3,-0.3,0,0.3,3,10", "set"),
             "compare (8 + 8 images)": lambda: d.compare(114514),
             "G forward only, 8 images (cnn)": lambda: generate(d.G("cnn"), latents(0, 8))}
    for name, fn in cases.items():
        fn()
        ts = []
        for _ in range(reps):
            t0 = time.perf_counter()
            fn()
            ts.append(1000 * (time.perf_counter() - t0))
        out[name] = {"p50_ms": round(statistics.median(ts), 2), "p95_ms": round(percentile(ts, 95), 2)}
    return out


# ----------------------------------------------------------------------------- API

def bench_api(n_seq: int = 40, n_conc: int = 64, bursts: int = 5, one_ssl_context: bool = False):
    """p50/p95 of sequential calls and 16-client throughput per endpoint. gradio_client builds a new
    SSL context (loading every CA certificate) for each HTTP request it makes, even to http://: ~60% of
    its CPU here. one_ssl_context=True hands it one context, as a script making many calls can."""
    import ssl

    import certifi
    from gradio_client import Client
    port = free_port()
    proc, _ = start_app(port)
    url = f"http://127.0.0.1:{port}/"
    kw = dict(verbose=False, ssl_verify=ssl.create_default_context(cafile=certifi.where()) if one_ssl_context else True)
    calls = {"echo": ((7,), "/echo"), "sample": (("cnn", 114514), "/sample"),
             "sweep": (("mlp", 1, 0, "10, 60, 80", "-10,-3,-0.3,0,0.3,3,10", "set"), "/sweep"),
             "compare": ((114514,), "/compare")}
    # Endpoints take turns (sequential calls round-robin, concurrent bursts alternating), so a drift
    # in the CPU's speed during the run hits the echo floor and the endpoints alike.
    ts, rates = {name: [] for name in calls}, {name: [] for name in calls}
    try:
        client = Client(url, **kw)
        clients = [Client(url, **kw) for _ in range(16)]
        for args, ep in calls.values():
            client.predict(*args, api_name=ep)
        for _ in range(n_seq):
            for name, (args, ep) in calls.items():
                t0 = time.perf_counter()
                client.predict(*args, api_name=ep)
                ts[name].append(1000 * (time.perf_counter() - t0))
        with cf.ThreadPoolExecutor(16) as pool:
            for _ in range(bursts):
                for name, (args, ep) in calls.items():
                    t0 = time.perf_counter()
                    list(pool.map(lambda i: clients[i % 16].predict(*args, api_name=ep), range(n_conc)))
                    rates[name].append(n_conc / (time.perf_counter() - t0))
        out = {name: {"p50_ms": round(statistics.median(ts[name]), 1),
                      "p95_ms": round(percentile(ts[name], 95), 1),
                      "throughput_16_clients_per_s": round(statistics.median(rates[name]), 1)} for name in calls}
        for name in calls:  # each burst against the echo burst just before it: drift in the CPU's speed cancels
            ratios = [r / e for r, e in zip(rates[name], rates["echo"])]
            out[name]["throughput_vs_echo"] = round(statistics.median(ratios), 2)
            out[name]["throughput_vs_echo_range"] = [round(min(ratios), 2), round(max(ratios), 2)]
    finally:
        proc.terminate()
        proc.wait(10)
    return out


def bench_cold(reps: int = 3):
    """python app.py (offline, bundled weights) until it answers, until its first /sample, and
    its memory then: what a free CPU Space's start-up costs."""
    from gradio_client import Client
    floor, app, first, mem = [], [], [], []
    for _ in range(reps):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import torch, gradio"], check=True)
        floor.append(time.perf_counter() - t0)
        port = free_port()
        t0 = time.perf_counter()
        proc, secs = start_app(port)
        app.append(secs)
        Client(f"http://127.0.0.1:{port}/", verbose=False).predict("cnn", 1, api_name="/sample")
        first.append(time.perf_counter() - t0)
        mem.append(rss_mb(proc.pid))
        proc.terminate()
        proc.wait(10)
    t0 = time.perf_counter()
    for arch in ("mlp", "cnn"):
        weights.load_generator(arch)
    weights.load_classifier()
    load = time.perf_counter() - t0
    return {"import_torch_gradio_s": round(min(floor), 2), "model_load_s": round(load, 3),
            "app_until_answers_s": round(min(app), 2), "app_until_first_sample_s": round(min(first), 2),
            "app_rss_mb": round(max(m["rss_mb"] for m in mem)), "app_peak_rss_mb": round(max(m["peak_rss_mb"] for m in mem)),
            "ratio_to_floor_plus_load": round(min(app) / (min(floor) + load), 2)}


def markdown(res: dict) -> str:
    lines = [f"Measured {res['date']} on {res['machine']}.", ""]
    if "train" in res:
        t = res["train"]
        lines += ["### Training throughput (img/s, one run, same process)", "",
                  "| arch | straightforward loop | this loop, textbook | this loop, tuned | speed-up textbook | speed-up tuned | step MFLOP/img | roof at matmul peak |",
                  "|---|---|---|---|---|---|---|---|"]
        for arch, r in t["rows"].items():
            spread = {k: "{}–{}".format(*r[f"speedup_{k}_range"]) for k in ("textbook", "tuned")}
            lines.append(f"| {arch} | {r['straightforward_img_s']} | {r['project_textbook_img_s']} | {r['project_tuned_img_s']} | "
                         f"{r['speedup_textbook']}× ({spread['textbook']}) | {r['speedup_tuned']}× ({spread['tuned']}) | "
                         f"{r['step_mflop_per_img']} | {r['roof_img_s_at_matmul_peak']} |")
        lines += ["", f"img/s: medians of {t['rows']['cnn']['repeats']} interleaved runs of each loop; speed-up: median "
                  "(range) of the ratios of runs made back to back (the 2 cores' speed drifts: ±10% within minutes, "
                  "up to ~40% over an hour)."]
        lines += ["", f"fp32 matmul peak as torch reaches it here: {t['matmul_peak_gflops']} GFLOP/s "
                  "(1024² matmuls, all cores); roof = peak / FLOPs of a training step per image "
                  "(3 G + 8 D forward passes' worth: `step_flops` in benchmarks/speed.py).", ""]
    if res.get("time_to_quality"):
        lines += ["### Time to quality (FD on 2k samples vs training wall-clock, from each run's history.json)", "",
                  "| run | (seconds, epoch, FD) ... |", "|---|---|"]
        lines += [f"| {k} | " + ", ".join(f"({w:.0f} s, {e}, {fd})" for w, e, fd in v) + " |"
                  for k, v in res["time_to_quality"].items()] + [""]
    if "generate" in res:
        lines += ["### In-process generation (1 torch thread)", "", "| work | p50 ms | p95 ms |", "|---|---|---|"]
        lines += [f"| {k} | {v['p50_ms']} | {v['p95_ms']} |" for k, v in res["generate"].items()] + [""]
    for key, title in (("api", "gradio_client as it comes"), ("api_one_ssl_context", "gradio_client given one SSL context")):
        if key not in res:
            continue
        a = res[key]
        lines += [f"### API through gradio_client (images fetched): {title}", "",
                  "| endpoint | p50 ms | p95 ms | 16-client throughput /s |", "|---|---|---|---|"]
        lines += [f"| /{k} | {v['p50_ms']} | {v['p95_ms']} | {v['throughput_16_clients_per_s']} |" for k, v in a.items()] + [""]
        if "echo" in a and "sample" in a:
            lo, hi = a["sample"]["throughput_vs_echo_range"]
            lines += [f"/sample vs /echo: p50 {a['sample']['p50_ms'] / a['echo']['p50_ms']:.2f}× (target ≤ 2×), 16-client "
                      f"throughput {a['sample']['throughput_vs_echo']:.2f}× ({lo}–{hi} over the bursts) (target ≥ 0.7×). "
                      "Sequential calls round-robin over the endpoints; "
                      "throughput: alternating bursts of 64 calls per endpoint, each burst's rate over the echo burst's "
                      "just before it, median.", ""]
    if "cold" in res:
        c = res["cold"]
        lines += ["### Cold start", "", f"`python app.py` until it answers: {c['app_until_answers_s']} s; "
                  f"`import torch, gradio`: {c['import_torch_gradio_s']} s; loading the models: {c['model_load_s']} s "
                  f"(ratio {c['ratio_to_floor_plus_load']}× floor + load).", ""]
        if "app_rss_mb" in c:
            lines += [f"Until its first `/sample` answer: {c['app_until_first_sample_s']} s; resident memory then "
                      f"{c['app_rss_mb']} MB (peak {c['app_peak_rss_mb']} MB).", ""]
    return "\n".join(lines)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--only", choices=["train", "generate", "api", "api_one_ssl_context", "cold"])
    p.add_argument("--steps", type=int, default=60, help="training steps measured per loop")
    args = p.parse_args()
    path = ROOT / "benchmarks" / "results.json"
    res = json.loads(path.read_text()) if path.exists() else {}
    res.update(date=time.strftime("%Y-%m-%d"), machine=machine())
    res["time_to_quality"] = time_to_quality()
    for name, fn in (("train", lambda: bench_train(args.steps)), ("generate", bench_generate), ("api", bench_api),
                     ("api_one_ssl_context", lambda: bench_api(one_ssl_context=True)), ("cold", bench_cold)):
        if args.only in (None, name):
            print(f"[{name}]", flush=True)
            res[name] = fn()
            print(json.dumps(res[name], indent=1), flush=True)
    path.write_text(json.dumps(res, indent=2) + "\n")
    (ROOT / "benchmarks" / "results.md").write_text(markdown(res) + "\n")
    print(markdown(res))


if __name__ == "__main__":
    main()
