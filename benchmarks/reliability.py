"""Load and hostile input against a live `python app.py` on loopback; writes benchmarks/reliability.{json,md}.

  python -m benchmarks.reliability            # 60 s load with 16 clients, then the bad-input table
  python -m benchmarks.reliability --seconds 20
Bounded: a fixed number of clients, a time limit, 127.0.0.1 only.
"""
import argparse
import concurrent.futures as cf
import json
import math
import random
import re
import statistics
import threading
import time

import httpx

from benchmarks.common import ROOT, free_port, machine, percentile, rss_mb, start_app


CALLS = [(("cnn", 114514), "/sample"), (("mlp", 114514), "/sample"), (("cnn", 7), "/sample"),
         (("mlp", 114514, 0, "10, 60, 80", "-10,-3,-0.3,0,0.3,3,10", "set"), "/sweep"),
         ((114514,), "/compare"), ((2024,), "/compare")]


def load(url: str, pid: int, seconds: float, users: int = 16, warmup: float = 10) -> dict:
    """`users` clients in a loop of random CALLS: first `warmup` s (the server reaches its steady
    state: worker threads, their malloc arenas, caches), RSS read, then `seconds` s measured."""
    from gradio_client import Client
    clients = [Client(url, verbose=False) for _ in range(users)]
    lat, failures, lock = {}, [], threading.Lock()

    def user(i, until, record=True):
        rng, client = random.Random(i), clients[i]
        while time.time() < until:
            args, ep = rng.choice(CALLS)
            t0 = time.perf_counter()
            try:
                client.predict(*args, api_name=ep)
                if record:
                    with lock:
                        lat.setdefault(ep, []).append(1000 * (time.perf_counter() - t0))
            except Exception as e:  # counted, never hidden (warm-up failures too)
                with lock:
                    failures.append(f"{ep}: {type(e).__name__}: {str(e)[:120]}")

    with cf.ThreadPoolExecutor(users) as pool:
        until = time.time() + warmup
        list(pool.map(lambda i: user(i, until, record=False), range(users)))
        rss_warm = rss_mb(pid)["rss_mb"]
        until = time.time() + seconds
        list(pool.map(lambda i: user(i, until), range(users)))
    rss_end = rss_mb(pid)["rss_mb"]
    every = [x for v in lat.values() for x in v]
    return {"seconds": seconds, "warmup_seconds": warmup, "users": users, "calls": len(every), "failed": len(failures),
            "failures": failures[:10], "p50_ms": round(statistics.median(every), 1),
            "p95_ms": round(percentile(every, 95), 1),
            "per_endpoint_p95_ms": {k: round(percentile(v, 95), 1) for k, v in lat.items()},
            "rss_after_warmup_mb": round(rss_warm, 1), "rss_end_mb": round(rss_end, 1),
            "rss_growth": round(rss_end / rss_warm - 1, 3)}


LONG = "9" * 10_000
BAD = {  # parameter -> bad values (what a hostile or careless client sends)
    "seed": [-1, 2**32, 1e308, -0.0 - 1, 1.5, float("nan"), float("inf"), "abc", "", None, "１２", [1, 2], {"a": 1},
             "1; DROP TABLE seeds", "<script>alert(1)</script>", LONG],
    "arch": ["gan", "", None, 3, "MLP", "<b>mlp</b>", "' OR 1=1 --", LONG],
    "index": [-1, 8, 2.5, "x", None, float("nan")],
    "positions": ["100", "-1", "1.5", "x", "", None, "１２", ",".join(["1"] * 1000), LONG, '{"a": 1}', "1e308"],
    "values": ["nan", "inf", "-inf", "1001", "1e308", "x", "", None, ",".join(["1"] * 17), LONG, "<img src=x>"],
    "mode": ["mul", "", None, 1, "SET"],
}
GOOD = {"seed": 114514, "arch": "mlp", "index": 0, "positions": "10", "values": "1", "mode": "set"}
SIGNATURES = {"/sample": ["arch", "seed"], "/sweep": ["arch", "seed", "index", "positions", "values", "mode"]}


def safe_message(msg: str) -> bool:
    """No traceback, no file path, no echo of a huge input."""
    return ("Traceback" not in msg and 'File "' not in msg and ".py" not in msg
            and not re.search(r"(^|[\s'\"])/\w+/", msg) and len(msg) < 400)


def raw_call(url, ep, data):
    """POST /gradio_api/call/<ep>, then read its SSE stream: ('complete'|'error', message)."""
    with httpx.Client(timeout=30) as c:
        r = c.post(f"{url}gradio_api/call{ep}", json={"data": data})
        if r.status_code != 200:
            return "http", f"{r.status_code} {r.text[:200]}"
        event_id = r.json()["event_id"]
        text = c.get(f"{url}gradio_api/call{ep}/{event_id}").text
    event = "complete" if "event: complete" in text else "error" if "event: error" in text else "other"
    data_lines = [l[6:] for l in text.splitlines() if l.startswith("data: ")]
    return event, (data_lines[-1] if data_lines else "")[:300]


def good_call_ok(client, expected) -> bool:
    """The next good /sample call answers with exactly the expected pixels."""
    import numpy as np
    from PIL import Image
    from gan.demo import STRIP_PAD, STRIP_UPSCALE
    from gan.sampling import tiles
    strip, _ = client.predict("mlp", 1, api_name="/sample")
    got = tiles(np.asarray(Image.open(strip).convert("L")), 8, 8, STRIP_PAD, STRIP_UPSCALE)
    return bool(np.array_equal(got, expected))


def bad_inputs(url: str) -> list:
    from gradio_client import Client
    from gan import weights
    from gan.sampling import sample
    client, rows = Client(url, verbose=False), []
    expected = sample(weights.load_generator("mlp"), 1, 8)
    for ep, params in SIGNATURES.items():
        for p in params:
            for bad in BAD[p]:
                args = [bad if q == p else GOOD[q] for q in params]
                try:
                    client.predict(*args, api_name=ep)
                    via_client = "accepted"
                except Exception as e:
                    via_client = str(e).splitlines()[0][:200]
                event, raw_msg = raw_call(url, ep, [a if not (isinstance(a, float) and not math.isfinite(a)) else str(a)
                                                    for a in args])
                ok_after = good_call_ok(client, expected)
                rows.append({"endpoint": ep, "param": p, "value": repr(bad)[:40], "client": via_client,
                             "raw_http": f"{event}: {raw_msg[:120]}", "rejected": via_client != "accepted" and event != "complete",
                             "safe": safe_message(via_client) and safe_message(raw_msg), "next_good_ok": ok_after})
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=60)
    args = ap.parse_args()
    port = free_port()
    proc, _ = start_app(port)
    url = f"http://127.0.0.1:{port}/"
    try:
        res = {"date": time.strftime("%Y-%m-%d"), "machine": machine(), "load": load(url, proc.pid, args.seconds),
               "bad_inputs": bad_inputs(url)}
    finally:
        proc.terminate()
        proc.wait(10)
    (ROOT / "benchmarks" / "reliability.json").write_text(json.dumps(res, indent=2) + "\n")
    L, rows = res["load"], res["bad_inputs"]
    md = [f"Measured {res['date']} on {res['machine']}.", "",
          f"**Load**: {L['users']} gradio_client users mixing /sample, /sweep, /compare (same seeds) for {L['seconds']:.0f} s, "
          f"after {L['warmup_seconds']:.0f} s of the same load as warm-up: "
          f"{L['calls']} calls, **{L['failed']} failed**, p50 {L['p50_ms']} ms, p95 {L['p95_ms']} ms; server RSS "
          f"{L['rss_after_warmup_mb']} MB after warm-up → {L['rss_end_mb']} MB at the end ({100 * L['rss_growth']:+.1f}%).", "",
          f"**Bad input**: {len(rows)} cases, {sum(r['rejected'] for r in rows)} rejected, "
          f"{sum(r['safe'] for r in rows)} with a message free of tracebacks and paths, "
          f"{sum(r['next_good_ok'] for r in rows)} followed by a correct good request.", "",
          "| endpoint | param | value | gradio_client error | raw HTTP | rejected | safe | next ok |", "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        cell = lambda s: str(s).replace("|", "\\|").replace("\n", " ")[:90]
        md.append(f"| {r['endpoint']} | {r['param']} | `{cell(r['value'])}` | {cell(r['client'])} | {cell(r['raw_http'])} | "
                  f"{'yes' if r['rejected'] else '**no**'} | {'yes' if r['safe'] else '**no**'} | {'yes' if r['next_good_ok'] else '**no**'} |")
    (ROOT / "benchmarks" / "reliability.md").write_text("\n".join(md) + "\n")
    print("\n".join(md[:6]))


if __name__ == "__main__":
    main()
