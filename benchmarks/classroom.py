"""A class at once: N students press Train together (gradio_client, one client each, submitted at
the same moment) on the app as a Space runs it (python app.py, its own defaults: TRAIN_JOBS_AT_ONCE
jobs under way, TRAIN_PLACES training at a time, one torch thread each), while another visitor calls
/sample once a second. Measured per student: the first live image (the job's first update) and
the end, from the press; for the class: the wall clock to the last end against the class's CPU
time (the jobs' own seconds of training) spread over the machine's cores; /sample's latency.

python -m benchmarks.classroom [--students 30] [--arch mlp] [--recipe tuned] [--epochs 10]
Writes benchmarks/classroom.json and benchmarks/classroom.md (dated).
"""
import argparse
import datetime
import json
import os
import statistics
import threading
import time

from benchmarks.common import ROOT, free_port, machine, percentile, start_app
from gan.limits import TRAIN_JOBS_AT_ONCE, TRAIN_PLACES


def student(url: str, job: tuple, go: threading.Event, out: dict):
    """One student's job (its own training seed), timed from the press."""
    from gradio_client import Client
    client = Client(url, verbose=False)
    go.wait()
    t0 = time.perf_counter()
    submitted = client.submit(*job, api_name="/train")
    while not submitted.outputs():
        if submitted.done():
            break
        time.sleep(0.05)
    out["first_s"] = time.perf_counter() - t0
    last = submitted.result(timeout=3600)
    out["end_s"] = time.perf_counter() - t0
    out["train_s"] = last[5]["train_seconds"]
    out["done"] = bool(last[5]["done"]) and not last[5]["capped"]


def visitor(url: str, stop: threading.Event, out: list):
    from gradio_client import Client
    client = Client(url, verbose=False)
    while not stop.is_set():
        t0 = time.perf_counter()
        client.predict("cnn", 114514, 1.0, api_name="/sample")
        out.append(time.perf_counter() - t0)
        stop.wait(1.0)


def measure(students: int, job: tuple) -> dict:
    port = free_port()
    proc, _ = start_app(port)
    url = f"http://127.0.0.1:{port}/"
    try:
        go, stop, results, samples = threading.Event(), threading.Event(), [{} for _ in range(students)], []
        threads = [threading.Thread(target=student, args=(url, (*job[:3], i), go, r)) for i, r in enumerate(results)]
        for t in threads:
            t.start()
        time.sleep(3)  # every client has read the app's config
        sampler = threading.Thread(target=visitor, args=(url, stop, samples))
        sampler.start()
        t0 = time.perf_counter()
        go.set()
        for t in threads:
            t.join()
        wall = time.perf_counter() - t0
        stop.set()
        sampler.join()
    finally:
        proc.kill()
    cores = os.cpu_count()
    cpu = sum(r["train_s"] for r in results)
    first, end = [r["first_s"] for r in results], [r["end_s"] for r in results]
    return {"students": students, "job": list(job), "cores": cores, "all_done": all(r["done"] for r in results),
            "first_image_s": {"median": statistics.median(first), "max": max(first)},
            "end_s": {"median": statistics.median(end), "max": max(end)},
            "class_cpu_s": cpu, "wall_s": wall, "wall_over_cpu_per_core": wall / (cpu / cores),
            "sample_s": {"n": len(samples), "p50": percentile(samples, 50), "p95": percentile(samples, 95)},
            "per_student": results}


def markdown(res: dict) -> str:
    def section(name, r):
        rows = "\n".join(f"| {i + 1} | {s['first_s']:.1f} | {s['end_s']:.1f} | {s['train_s']:.1f} |"
                         for i, s in enumerate(sorted(r["per_student"], key=lambda s: s["first_s"])))
        return f"""## {r['students']} students, `/train` {' '.join(map(str, r['job']))} (measured {r['date']})

| | median | slowest |
|---|---|---|
| first live image, s from the press | {r['first_image_s']['median']:.1f} | {r['first_image_s']['max']:.1f} |
| job's end, s from the press | {r['end_s']['median']:.1f} | {r['end_s']['max']:.1f} |

- Every job finished, none capped: {r['all_done']}.
- The class's CPU time (the jobs' own seconds of training, each job's time holding a place): {r['class_cpu_s']:.0f} s,
  i.e. {r['class_cpu_s'] / r['cores']:.0f} s on {r['cores']} cores; the whole class was done after {r['wall_s']:.0f} s:
  **{r['wall_over_cpu_per_core']:.2f}x**.
- `/sample` meanwhile: {r['sample_s']['n']} calls, p50 {r['sample_s']['p50'] * 1000:.0f} ms, p95 {r['sample_s']['p95'] * 1000:.0f} ms.

| student (by first image) | first image, s | end, s | own training, s |
|---|---|---|---|
{rows}
"""
    return f"""# A class at once

Machine: {res['machine']}. Regenerate: `python -m benchmarks.classroom` (the MLP's class),
`python -m benchmarks.classroom --students 6 --arch cnn --epochs 5`.

Path: gradio_client students press Train together (`/train`: arch, recipe, epochs; each student's own training
seed) on the app as `python app.py` starts it (`python -m benchmarks.serve`: app.main() with one idle /echo
endpoint more), with its defaults: {res['jobs_at_once']} jobs under way, {res['places']} training at a time,
taking turns a second of training each, one torch thread each. Meanwhile another visitor calls `/sample` once a second.

Before this policy (one job at a time, measured 2026-11-27 with 30 MLP tuned 10-epoch jobs, on an AMD EPYC of 2 cores):
the median student saw a first image after 144 s, the last after 317 s.

""" + "\n".join(section(name, r) for name, r in res["runs"].items())


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--students", type=int, default=30)
    p.add_argument("--arch", default="mlp")
    p.add_argument("--recipe", default="tuned")
    p.add_argument("--epochs", type=int, default=10)
    args = p.parse_args(argv)
    run = measure(args.students, (args.arch, args.recipe, args.epochs))
    path = ROOT / "benchmarks" / "classroom.json"
    res = json.loads(path.read_text()) if path.exists() else {"runs": {}}
    res["runs"][f"{args.arch} x{args.students}"] = {**run, "date": datetime.date.today().isoformat()}
    res.update(machine=machine(), jobs_at_once=TRAIN_JOBS_AT_ONCE, places=TRAIN_PLACES)
    path.write_text(json.dumps(res, indent=2) + "\n")
    (ROOT / "benchmarks" / "classroom.md").write_text(markdown(res))
    print(markdown(res))


if __name__ == "__main__":
    main()
