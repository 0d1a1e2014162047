"""Faults: SIGKILL at random points, a full disk while checkpointing; and the no-pickle rule."""
import errno
import json
import queue
import random
import re
import signal
import subprocess
import sys
import threading
import time

import pytest
import torch
from PIL import Image

from gan import weights
from gan.training import CHECKPOINT, load_checkpoint, save_checkpoint


def test_no_pickle_anywhere(root):
    """weights only as safetensors; torch.load only with weights_only=True; no pickle module."""
    offenders = []
    for path in list(root.glob("*.py")) + list((root / "gan").rglob("*.py")) + list((root / "benchmarks").rglob("*.py")):
        text = path.read_text()
        for m in re.finditer(r"torch\.load\(([^)]*)\)", text):
            if "weights_only=True" not in m.group(1):
                offenders.append(f"{path.name}: {m.group(0)}")
        if re.search(r"^\s*(import pickle|from pickle|import dill|import joblib)", text, re.M) or "pickle" + ".load" in text:
            offenders.append(f"{path.name}: pickle")
    assert not offenders, offenders
    assert not list(root.glob("weights/**/*.bin")) and not list(root.glob("weights/**/*.pt"))


def every_file_is_whole(out) -> list:
    """Every file a reader would open loads completely; returns the temp files a kill left behind
    (they hold partial writes under temp names, never under the real one)."""
    temps = []
    for f in out.rglob("*"):
        if not f.is_file():
            continue
        if f.name.endswith(".tmp"):
            temps.append(f)
        elif f.suffix == ".json":
            json.loads(f.read_text())
        elif f.suffix == ".png":
            Image.open(f).load()
        elif f.suffix == ".safetensors":
            from safetensors.torch import load_file
            load_file(f)
        elif f.name == CHECKPOINT:
            load_checkpoint(f)
    return temps


def wait_for(predicate, timeout: float, poll: float = 0.0005):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(poll)
    return False


def test_sigkill_mid_epoch_and_mid_checkpoint_always_resumes(tmp_path, root):
    """SIGKILL a training run only once it has visibly made progress: mid-epoch (after an epoch's
    history line) and mid-checkpoint (while the checkpoint's temp file is being written). After
    every kill each file on disk is whole and the checkpoint holds a complete epoch; every restart
    really resumes from it; the end is bit-equal to an uninterrupted run."""
    from gan.training import Config, train
    out, epochs = tmp_path / "run", 14  # room for every kill below to cost an epoch
    common = dict(arch="mlp", limit=2048, batch_size=64, epochs=epochs, threads=1, eval_every=100)
    args = [sys.executable, "train.py", "--arch", "mlp", "--limit", "2048", "--batch-size", "64", "--epochs", str(epochs),
            "--threads", "1", "--eval-every", "100", "--out", str(out)]
    ckpt, tmp = out / CHECKPOINT, out / f".{CHECKPOINT}.tmp"
    rng = random.Random(0)
    done = 0  # epochs in the checkpoint so far
    kills = {"mid-epoch": 0, "mid-checkpoint": 0}
    for how in ["mid-epoch", *["mid-checkpoint"] * 6, "mid-epoch"]:
        if how == "mid-checkpoint" and kills[how]:
            continue  # one landed: enough (a kill can miss the ~15 ms write by a hair; then try again)
        proc = subprocess.Popen(args + (["--resume"] if done else []), cwd=root, stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, text=True)
        lines = []
        reader = threading.Thread(target=lambda: lines.extend(proc.stdout), daemon=True)
        reader.start()
        try:
            epoch_lines = lambda: [l for l in lines if l.startswith("epoch=")]
            if how == "mid-epoch":  # after this process's first finished epoch, somewhere in the next
                assert wait_for(lambda: epoch_lines(), 120, 0.01), "no epoch finished"
                time.sleep(rng.uniform(0.0, 0.25))
            else:  # the moment a checkpoint's temp file exists (after start-up has removed old ones): mid-write
                assert wait_for(lambda: any(l.startswith("resumed from") for l in lines), 120, 0.01), lines
                assert wait_for(tmp.exists, 120), "no checkpoint write seen"
            proc.send_signal(signal.SIGKILL)
        finally:
            proc.kill()
            proc.wait(30)
            reader.join(30)
        if done:  # a restart must have resumed from the checkpoint, not started over
            assert f"resumed from {ckpt} after epoch {done}\n" in lines, lines[:3]
            assert epoch_lines()[0].startswith(f"epoch={done + 1} "), epoch_lines()[:1]
        # where the kill landed: a checkpoint temp file left behind means mid-write
        kills["mid-checkpoint" if tmp in every_file_is_whole(out) else "mid-epoch"] += 1
        ck = load_checkpoint(ckpt)
        printed = int(epoch_lines()[-1].split()[0].split("=")[1])
        assert ck["epoch"] in (printed - 1, printed) and ck["epoch"] >= done  # a complete epoch, never lost
        assert [h["epoch"] for h in ck["history"]] == list(range(1, ck["epoch"] + 1))
        done = ck["epoch"]
    assert kills["mid-epoch"] >= 1 and kills["mid-checkpoint"] >= 1, kills
    assert done < epochs
    train(Config(**common, out=str(out), resume=True))  # to the end (in-process: no 10k-sample scoring)
    assert not every_file_is_whole(out)  # the restart cleared the temp files
    assert [h["epoch"] for h in json.loads((out / "history.json").read_text())] == list(range(1, epochs + 1))
    train(Config(**common, out=str(tmp_path / "straight")))  # the same run, never interrupted
    a, b = load_checkpoint(ckpt), load_checkpoint(tmp_path / "straight" / CHECKPOINT)
    for part in ("G", "D", "ema"):
        assert all(torch.equal(a[part][k], b[part][k]) for k in a[part]), f"{part} differs from the uninterrupted run"
    ga, gb = weights.load_generator("mlp", out), weights.load_generator("mlp", tmp_path / "straight")
    assert all(torch.equal(x, y) for x, y in zip(ga.state_dict().values(), gb.state_dict().values()))


def test_ctrl_c_and_sigterm_stop_cleanly_and_resume(tmp_path, root):
    """Ctrl-C (SIGINT), then SIGTERM on the resumed run: each ends within seconds with exit code
    130 and the 'continue with --resume' message, keeping the last complete epoch; the next run
    resumes from exactly that epoch."""
    out = tmp_path / "run"
    args = [sys.executable, "train.py", "--arch", "mlp", "--limit", "2048", "--batch-size", "64", "--epochs", "50",
            "--threads", "1", "--out", str(out)]
    done = 0
    for sig in (signal.SIGINT, signal.SIGTERM):  # the second run resumes after the first's stop
        proc = subprocess.Popen(args + (["--resume"] if done else []), cwd=root, stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, text=True)
        lines = queue.Queue()  # a reader thread: a silent, hung process cannot block the test
        reader = threading.Thread(target=lambda: [lines.put(l) for l in proc.stdout] + [lines.put(None)], daemon=True)
        reader.start()
        try:
            first = lines.get(timeout=120)
            if done:
                assert first == f"resumed from {out / CHECKPOINT} after epoch {done}\n"
                first = lines.get(timeout=120)
            assert first.startswith(f"epoch={done + 1} "), first
            proc.send_signal(sig)
            t0 = time.monotonic()
            proc.wait(30)
            assert time.monotonic() - t0 < 5 and proc.returncode == 130, (sig, proc.returncode)
            rest = "".join(iter(lambda: lines.get(timeout=30), None))
        finally:
            proc.kill()
            proc.wait(30)
        assert f"stopped: {out / CHECKPOINT} holds the last complete epoch; continue with --resume" in rest
        printed = [int(l.split()[0][6:]) for l in (first + rest).splitlines() if l.startswith("epoch=")]
        ck = load_checkpoint(out / CHECKPOINT)
        assert ck["epoch"] == printed[-1] and [h["epoch"] for h in ck["history"]] == list(range(1, ck["epoch"] + 1))
        done = ck["epoch"]


def test_full_disk_during_checkpoint_keeps_the_previous_one(tmp_path, monkeypatch):
    path = tmp_path / CHECKPOINT
    save_checkpoint(path, {"epoch": 1, "w": torch.ones(3)})

    def disk_full(obj, f):
        f.write(b"partial bytes")
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(torch, "save", disk_full)
    with pytest.raises(OSError, match="No space left"):
        save_checkpoint(path, {"epoch": 2, "w": torch.zeros(3)})
    monkeypatch.undo()
    ck = load_checkpoint(path)
    assert ck["epoch"] == 1 and torch.equal(ck["w"], torch.ones(3))
    assert [p.name for p in tmp_path.iterdir()] == [CHECKPOINT]


def test_corrupt_bundled_weights_stop_the_app_with_the_file_named(tmp_path, root, monkeypatch):
    from gan import demo
    bad = tmp_path / "cnn"
    weights.copy_folder(weights.bundled_dir("cnn"), bad)
    (bad / "model.safetensors").write_bytes(b"{" * 64)
    monkeypatch.setattr(weights, "bundled_dir", lambda arch: bad)
    monkeypatch.delenv("GAN_HUB_REPO", raising=False)
    with pytest.raises(weights.WeightsError, match=re.escape(str(bad / "model.safetensors"))):
        demo.load_model("cnn")


def test_token_never_printed(tmp_path, root):
    import os
    from conftest import free_port
    token = "hf_THISISASECRETTOKENFORTESTS1234"
    env = {**os.environ, "HF_TOKEN": token, "HF_ENDPOINT": f"http://127.0.0.1:{free_port()}", "HF_HOME": str(tmp_path)}
    r = subprocess.run([sys.executable, "-m", "gan.publish", "push", "weights/mlp", "someone/x"], cwd=root, env=env,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode != 0  # nothing listens there
    assert token not in r.stdout + r.stderr and token[3:15] not in r.stdout + r.stderr
    staging = __import__("gan.publish", fromlist=["stage"]).stage(weights.bundled_dir("mlp"), "someone/x", tmp_path / "s")
    assert not any(token in p.read_text(errors="ignore") for p in staging.rglob("*") if p.is_file())


def test_server_serves_its_outputs_and_no_other_file(server):
    """The strip /sample returns is served (the very PNG of the seed's images); files outside
    Gradio's cache are not, however the path is spelled."""
    import io

    import httpx
    import numpy as np
    from gradio_client import Client
    from conftest import CALL_TIMEOUT
    from gan.demo import STRIP_PAD, STRIP_UPSCALE
    from gan.sampling import sample, tiles
    c = Client(server, verbose=False, download_files=False, httpx_kwargs={"timeout": CALL_TIMEOUT})
    strip, _ = c.submit("cnn", 7, api_name="/sample").result(timeout=CALL_TIMEOUT)
    r = httpx.get(strip["url"], timeout=30)
    assert r.status_code == 200
    img = np.asarray(Image.open(io.BytesIO(r.content)).convert("L"))
    got = tiles(img, 8, cols=8, pad=STRIP_PAD, factor=STRIP_UPSCALE)
    assert np.array_equal(got, sample(weights.load_generator("cnn"), 7, 8))
    for path in ["/etc/passwd", str(weights.bundled_dir("cnn") / "model.safetensors"), "app.py", "../app.py",
                 strip["path"] + "/../../../../etc/passwd"]:
        r = httpx.get(f"{server}gradio_api/file={path}", timeout=10)
        assert r.status_code in (403, 404), (path, r.status_code)
        assert b"root:" not in r.content
