"""What the benchmark scripts share: a free loopback port, the app started for measuring, a
percentile, the machine's description and a process's memory."""
import math
import os
import platform
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import torch

from gan.training import machine as cpu

ROOT = Path(__file__).resolve().parent.parent


def machine() -> str:
    return f"{cpu()}, torch {torch.__version__}, Python {platform.python_version()}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_app(port: int, **env):
    """The app on 127.0.0.1:port, offline, with the /echo endpoint (benchmarks.serve: the floor of
    Gradio's own overhead) and env's variables; returns (process, seconds until it answered)."""
    env = {**os.environ, "GRADIO_SERVER_PORT": str(port), "GRADIO_SERVER_NAME": "127.0.0.1",
           "HF_HUB_OFFLINE": "1", **env}
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "benchmarks.serve"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/gradio_api/info", timeout=1)
            return proc, time.perf_counter() - t0
        except Exception:
            if proc.poll() is not None or time.perf_counter() - t0 > 120:
                proc.kill()
                raise RuntimeError("app.py did not start within 120 s") from None
            time.sleep(0.05)


def percentile(values, q: float) -> float:
    """The nearest-rank q-th percentile (q in 0..100)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def rss_mb(pid: int) -> dict:
    """Resident memory of a process now and at its peak (Linux /proc), in MB."""
    status = dict(l.split(":", 1) for l in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in l)
    return {k: int(status[key].split()[0]) / 1024 for k, key in (("rss_mb", "VmRSS"), ("peak_rss_mb", "VmHWM"))}


def run_sections(name: str, sections: dict, only, markdown) -> dict:
    """Run the sections ({name: no-argument function}; `only` one of them, the others' results kept
    from benchmarks/<name>.json), then write <name>.json and <name>.md (dated) and print the latter."""
    import datetime
    import json
    path = ROOT / "benchmarks" / f"{name}.json"
    res = json.loads(path.read_text()) if path.exists() and only else {}
    for section, run in sections.items():
        if only in (None, section):
            res[section] = run()
    res.update(date=datetime.date.today().isoformat(), machine=machine())
    path.write_text(json.dumps(res, indent=2) + "\n")
    (ROOT / "benchmarks" / f"{name}.md").write_text(markdown(res))
    print(markdown(res))
    return res
