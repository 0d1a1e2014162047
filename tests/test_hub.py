"""Hub round trip without a network: the staged upload, cache resolution offline, bounded fallback."""
import json
import os
import shutil
import subprocess
import sys
import time

import pytest
import yaml

from gan import hub, weights

COMMIT = "0123456789abcdef0123456789abcdef01234567"


def run_py(code, root, **env):
    full = {**os.environ, **env}
    for k in ("HF_TOKEN", "GAN_HUB_REVISION"):
        full.pop(k, None) if k not in env else None
    t0 = time.time()
    r = subprocess.run([sys.executable, "-c", code], cwd=root, env=full, capture_output=True, text=True, timeout=120)
    return r, time.time() - t0


def fake_cache(cache, repo, files_by_sub):
    """A Hugging Face cache as huggingface_hub lays it out, holding one commit of `repo`."""
    base = cache / f"models--{repo.replace('/', '--')}"
    snap = base / "snapshots" / COMMIT
    for sub, src in files_by_sub.items():
        shutil.copytree(src, snap / sub if sub else snap, dirs_exist_ok=True)
    (base / "refs").mkdir(parents=True)
    (base / "refs" / "main").write_text(COMMIT)
    return snap


def test_staged_push_files_and_card(tmp_path):
    staging = hub.stage(weights.bundled_dir("cnn"), "someone/fashion-mnist-gan-cnn", tmp_path / "up")
    names = {p.relative_to(staging).as_posix() for p in staging.rglob("*") if p.is_file()}
    assert {"config.json", "model.safetensors", "discriminator/config.json", "discriminator/model.safetensors",
            "README.md", "samples.png", "curves.svg", "summary.json", "history.json"} <= names
    assert not any("checkpoint" in n or "snapshots" in n for n in names)
    card = (staging / "README.md").read_text()
    assert card.startswith("---\n")
    meta = yaml.safe_load(card.split("---\n")[1])
    assert meta["library_name"] == "pytorch" and meta["license"] == "mit"
    assert {"gan", "fashion-mnist", "pytorch"} <= set(meta["tags"])
    assert meta["datasets"] == [hub.DATASET_ID]
    assert meta["pipeline_tag"] == "unconditional-image-generation"
    metrics = {m["type"]: m["value"] for m in meta["model-index"][0]["results"][0]["metrics"]}
    assert {"fd", "precision", "recall", "coverage"} <= set(metrics)
    summary = json.loads((staging / "summary.json").read_text())
    assert metrics["fd"] == pytest.approx(summary["metrics"]["fd"], abs=1e-3)
    for ref in ("samples.png", "curves.svg"):  # every image the card shows is uploaded
        assert f"]({ref})" in card and (staging / ref).is_file()
    assert "ConvTranspose2d(100, 128" in card and "from_pretrained(\"someone/fashion-mnist-gan-cnn\")" in card
    weights.load_generator("cnn", staging)  # what is uploaded loads strictly


@pytest.mark.parametrize("layout", ["two repos", "one repo"])
def test_offline_resolution_from_hub_cache(tmp_path, root, layout):
    if layout == "two repos":
        template = "someone/fmnist-gan-{arch}"
        fake_cache(tmp_path, "someone/fmnist-gan-cnn", {"": weights.bundled_dir("cnn")})
        fake_cache(tmp_path, "someone/fmnist-gan-mlp", {"": weights.bundled_dir("mlp")})
    else:
        template = "someone/fmnist-gan"
        fake_cache(tmp_path, template, {"mlp": weights.bundled_dir("mlp"), "cnn": weights.bundled_dir("cnn")})
    code = ("from gan.demo import load_model\n"
            "for a in ('mlp', 'cnn'):\n    m = load_model(a); print(a, m.source, '|', m.folder)")
    r, secs = run_py(code, root, HF_HUB_CACHE=str(tmp_path), HF_HUB_OFFLINE="1", GAN_HUB_REPO=template)
    assert r.returncode == 0, r.stderr[-2000:]
    lines = r.stdout.strip().splitlines()
    assert all(f"@{COMMIT[:12]} (cache)" in line and str(tmp_path) in line for line in lines), r.stdout


def test_unreachable_endpoint_falls_back_fast(tmp_path, root):
    from conftest import free_port
    port = free_port()  # nothing listens there
    code = ("import time\nfrom gan.demo import load_model\n"
            "t0 = time.time(); m = load_model('cnn'); print(m.source); print(f'seconds={time.time() - t0:.2f}')")
    r, _ = run_py(code, root, HF_HUB_CACHE=str(tmp_path), HF_HUB_OFFLINE="0",
                  HF_ENDPOINT=f"http://127.0.0.1:{port}", GAN_HUB_REPO="someone/fmnist-gan-{arch}")
    assert r.returncode == 0, r.stderr[-2000:]
    assert "bundled weights/ (hub someone/fmnist-gan-cnn unavailable)" in r.stdout
    seconds = float(r.stdout.split("seconds=")[1])
    assert seconds < 5, f"fallback took {seconds:.1f} s"


def test_corrupt_hub_file_falls_back_to_bundled(tmp_path, root):
    snap = fake_cache(tmp_path, "someone/fmnist-gan-cnn", {"": weights.bundled_dir("cnn")})
    (snap / "model.safetensors").write_bytes(b"\x00" * 100)
    code = "from gan.demo import load_model\nm = load_model('cnn'); print(m.source)"
    r, _ = run_py(code, root, HF_HUB_CACHE=str(tmp_path), HF_HUB_OFFLINE="1", GAN_HUB_REPO="someone/fmnist-gan-{arch}")
    assert r.returncode == 0 and "bundled weights/ (hub file unusable" in r.stdout
    assert "model.safetensors" in r.stderr  # the log names the bad file


def test_push_without_token_fails_before_training(tmp_path, root):
    env = {**os.environ, "HF_HOME": str(tmp_path), "HF_TOKEN": ""}
    t0 = time.time()
    r = subprocess.run([sys.executable, "train.py", "--arch", "mlp", "--push-to-hub", "me/x", "--out", str(tmp_path / "o")],
                       cwd=root, env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode != 0 and "needs a Hugging Face token" in r.stderr
    assert not (tmp_path / "o").exists() and time.time() - t0 < 30
