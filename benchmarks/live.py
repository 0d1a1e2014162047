"""The Train tab, measured: live training speed per arch and recipe on one thread, what report vs
tuned reach after the same epochs, and whether a running job slows /sample for other visitors.

  python -m benchmarks.live                 # everything, ~10 minutes on 2 cores
  python -m benchmarks.live --only share    # one section: speed | quality | share

Writes benchmarks/live.json and benchmarks/live.md (dated).
"""
import argparse
import statistics
import time

import torch

from benchmarks.common import free_port, percentile, run_sections, start_app
from gan import cockpit, live, nearest, weights
from gan.limits import TRAIN_FD_N, TRAIN_PER_CLASS



def run_job(arch, recipe, epochs, seed=0):
    index, clf = nearest.load_index(weights.NEAREST_INDEX), weights.load_classifier()
    cfg = cockpit.check_job(arch, recipe, epochs, seed)
    images, feats = live.subset(index, cfg)
    return list(live.job(cfg, images, feats, clf, cap_s=3600))


def bench_speed() -> dict:
    """img/s and seconds per epoch of each recipe, one epoch after a warm-up epoch, one thread."""
    torch.set_num_threads(1)
    out = {}
    for arch in ("mlp", "cnn"):
        for recipe in ("report", "textbook", "tuned"):
            updates = run_job(arch, recipe, 2)
            s = updates[-1].stats
            first = next(u.stats for u in updates if u.stats["epoch"] == 1)  # the end of epoch 1
            secs, seen = s["seconds"] - first["seconds"], s["images_seen"] - first["images_seen"]
            out[f"{arch} {recipe}"] = {"img_per_s": round(seen / secs), "seconds_per_epoch": round(secs, 1),
                                       "subset": 10 * TRAIN_PER_CLASS[arch]}
    return out


def bench_quality(epochs: dict) -> dict:
    """FD and class shares (FD_N samples) of report vs tuned after the same number of epochs."""
    torch.set_num_threads(1)
    out = {}
    for arch, n in epochs.items():
        for recipe in ("report", "tuned"):
            s = run_job(arch, recipe, n)[-1].stats
            shares = s["class_shares"]
            out[f"{arch} {recipe}, {n} epochs"] = {"fd": s["fd"], "largest_class": max(shares, key=shares.get),
                                                   "largest_share": max(shares.values()),
                                                   "classes_over_5pct": sum(v > 0.05 for v in shares.values())}
    return out


def bench_share(rounds: int = 3, calls: int = 30) -> dict:
    """/sample latency with no job and with a CNN job running, in alternating blocks (the machine's
    speed drifts: each ratio compares neighbouring blocks)."""
    from gradio_client import Client
    port = free_port()
    proc, _ = start_app(port)
    url = f"http://127.0.0.1:{port}/"
    try:
        client, trainer = Client(url, verbose=False), Client(url, verbose=False)

        def block():
            ts = []
            for _ in range(calls):
                t0 = time.perf_counter()
                client.predict("cnn", 114514, api_name="/sample")
                ts.append(1000 * (time.perf_counter() - t0))
            return ts
        block()  # warm-up
        idle, busy = [], []
        for _ in range(rounds):
            idle.append(block())
            job = trainer.submit("cnn", "tuned", 5, 0, api_name="/train")
            next(iter(job))  # it is training
            busy.append(block())
            job.cancel()
            time.sleep(2)
        ratios = [statistics.median(b) / statistics.median(i) for i, b in zip(idle, busy)]
        flat_i, flat_b = sum(idle, []), sum(busy, [])
        return {"idle_p50_ms": round(statistics.median(flat_i), 1), "idle_p95_ms": round(percentile(flat_i, 95), 1),
                "training_p50_ms": round(statistics.median(flat_b), 1),
                "training_p95_ms": round(percentile(flat_b, 95), 1),
                "p50_ratio_per_round": [round(r, 2) for r in ratios]}
    finally:
        proc.terminate()
        proc.wait(10)


def markdown(res: dict) -> str:
    lines = [f"# The Train tab, measured ({res['date']})", "", f"Machine: {res['machine']}. "
             "Regenerate: `python -m benchmarks.live`.", ""]
    if "speed" in res:
        lines += ["## Training speed, one thread (epoch 2 of a 2-epoch job)", "",
                  "| arch, recipe | images per epoch | img/s | seconds per epoch |", "|---|---|---|---|"]
        lines += [f"| {k} | {v['subset']:,} | {v['img_per_s']:,} | {v['seconds_per_epoch']} |"
                  for k, v in res["speed"].items()] + [""]
    if "quality" in res:
        lines += [f"## report vs tuned after the same epochs (FD and classes of {TRAIN_FD_N} samples)", "",
                  "| job | FD ↓ | largest class | its share | classes over 5% |", "|---|---|---|---|---|"]
        lines += [f"| {k} | {v['fd']} | {v['largest_class']} | {v['largest_share']:.1%} | {v['classes_over_5pct']} |"
                  for k, v in res["quality"].items()] + [""]
    if "share" in res:
        s = res["share"]
        lines += ["## /sample while a job trains (gradio_client, sequential calls)", "",
                  "| | p50 ms | p95 ms |", "|---|---|---|",
                  f"| no job | {s['idle_p50_ms']} | {s['idle_p95_ms']} |",
                  f"| a CNN job training | {s['training_p50_ms']} | {s['training_p95_ms']} |", "",
                  f"p50 with the job / without, per round (neighbouring blocks): {s['p50_ratio_per_round']}.", ""]
    return "\n".join(lines)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--only", choices=["speed", "quality", "share"], help="run one section, keep the others' results")
    args = p.parse_args()
    run_sections("live", {"speed": bench_speed, "quality": lambda: bench_quality({"mlp": 10, "cnn": 3}),
                          "share": bench_share}, args.only, markdown)


if __name__ == "__main__":
    main()
