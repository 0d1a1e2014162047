"""Faults: SIGKILL at random points, a full disk while checkpointing; and the no-pickle rule."""
import errno
import json
import random
import re
import signal
import subprocess
import sys
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


def every_file_is_whole(out):
    for f in out.rglob("*"):
        if not f.is_file():
            continue
        assert not f.name.endswith(".tmp"), f"temp file left: {f}"
        if f.suffix == ".json":
            json.loads(f.read_text())
        elif f.suffix == ".png":
            Image.open(f).load()
        elif f.suffix == ".safetensors":
            from safetensors.torch import load_file
            load_file(f)
        elif f.name == CHECKPOINT:
            load_checkpoint(f)


def test_sigkill_at_random_points_always_resumes(tmp_path, root):
    out = tmp_path / "run"
    args = [sys.executable, "train.py", "--arch", "mlp", "--limit", "4096", "--batch-size", "64", "--epochs", "6",
            "--threads", "1", "--out", str(out), "--eval-every", "100"]
    rng = random.Random(0)
    kills = 0
    for attempt in range(6):
        resume = ["--resume"] if (out / CHECKPOINT).exists() else []
        proc = subprocess.Popen(args + resume, cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        time.sleep(rng.uniform(2.0, 6.0))  # torch import is ~2 s: kills land at start-up, mid-epoch, mid-write
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.wait()
        every_file_is_whole(out)
        if (out / CHECKPOINT).exists():
            assert load_checkpoint(out / CHECKPOINT)["epoch"] >= 1
    r = subprocess.run(args + (["--resume"] if (out / CHECKPOINT).exists() else []), cwd=root,
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    assert kills >= 2
    assert load_checkpoint(out / CHECKPOINT)["epoch"] == 6
    assert [h["epoch"] for h in json.loads((out / "history.json").read_text())] == [1, 2, 3, 4, 5, 6]
    every_file_is_whole(out)
    weights.load_generator("mlp", out)


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
    r = subprocess.run([sys.executable, "-m", "gan.hub", "push", "weights/mlp", "someone/x"], cwd=root, env=env,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode != 0  # nothing listens there
    assert token not in r.stdout + r.stderr and token[3:15] not in r.stdout + r.stderr
    staging = __import__("gan.hub", fromlist=["stage"]).stage(weights.bundled_dir("mlp"), "someone/x", tmp_path / "s")
    assert not any(token in p.read_text(errors="ignore") for p in staging.rglob("*") if p.is_file())


def test_server_serves_no_file_outside_gradio(server):
    import httpx
    for path in ["/etc/passwd", str(weights.bundled_dir("cnn") / "model.safetensors"), "app.py", "../app.py"]:
        r = httpx.get(f"{server}gradio_api/file={path}", timeout=10)
        assert r.status_code in (403, 404), (path, r.status_code)
        assert b"root:" not in r.content
