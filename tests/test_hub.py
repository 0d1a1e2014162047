"""Hub round trip without a network: cache resolution offline, downloads from the stand-in Hub, bounded fallback
(gan.hub.load_model, as the app calls it at start-up, in this process)."""
import logging
import re
import select
import shutil
import socket
import threading

import pytest

from gan import hub, weights

COMMIT = "0123456789abcdef0123456789abcdef01234567"

def fake_cache(cache, repo, files_by_sub):
    """A Hugging Face cache as huggingface_hub lays it out, holding one commit of `repo`."""
    base = cache / f"models--{repo.replace('/', '--')}"
    snap = base / "snapshots" / COMMIT
    for sub, src in files_by_sub.items():
        shutil.copytree(src, snap / sub if sub else snap, dirs_exist_ok=True)
    (base / "refs").mkdir(parents=True)
    (base / "refs" / "main").write_text(COMMIT)
    return snap


@pytest.mark.parametrize("layout", ["two repos", "one repo"])
def test_offline_resolution_from_hub_cache(tmp_path, hub_env, layout):
    if layout == "two repos":
        template = "someone/fmnist-gan-{arch}"
        fake_cache(tmp_path, "someone/fmnist-gan-cnn", {"": weights.bundled_dir("cnn")})
        fake_cache(tmp_path, "someone/fmnist-gan-mlp", {"": weights.bundled_dir("mlp")})
    else:
        template = "someone/fmnist-gan"
        fake_cache(tmp_path, template, {"mlp": weights.bundled_dir("mlp"), "cnn": weights.bundled_dir("cnn")})
    hub_env(HF_HUB_CACHE=str(tmp_path), HF_HUB_OFFLINE="1", GAN_HUB_REPO=template)
    for arch in ("mlp", "cnn"):
        m = hub.load_model(arch)
        assert m.source.endswith(f"@{COMMIT[:12]} (cache)") and m.folder.startswith(str(tmp_path)), (arch, m)


def _folder_bytes(folder) -> dict:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


@pytest.mark.parametrize("revision", [None, "v1"])
def test_online_resolution_from_the_hub_and_a_pinned_revision(tmp_path, hub_env, revision):
    """The app downloads its weights from the (stand-in) Hub; GAN_HUB_REVISION picks a branch."""
    import torch
    from hubstub import Hub
    with Hub() as stub:
        main = stub.add_commit("me/fm-cnn", _folder_bytes(weights.bundled_dir("cnn")))
        v1 = stub.add_commit("me/fm-cnn", _folder_bytes(weights.WEIGHTS_DIR / "cnn-textbook"), branch="v1")
        hub_env(HF_HUB_CACHE=str(tmp_path / "cache"), HF_HUB_OFFLINE="0", HF_ENDPOINT=stub.url,
                GAN_HUB_REPO="me/fm-{arch}", **({"GAN_HUB_REVISION": revision} if revision else {}))
        m = hub.load_model("cnn")
    sha, folder = (v1, "cnn-textbook") if revision else (main, "cnn")
    assert m.source == f"hub me/fm-cnn@{sha[:12]}"
    want = weights.load_generator("cnn", weights.WEIGHTS_DIR / folder).state_dict()
    assert all(torch.equal(v, want[k]) for k, v in m.G.state_dict().items())


def _silent_endpoint(mode: str):
    """A loopback port that never answers: 'backlog' (the accept queue is full, so a connect
    hangs) or 'silent' (connections are accepted, requests never answered). Returns (port, sockets)."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(0 if mode == "backlog" else 16)
    port, held = srv.getsockname()[1], [srv]
    if mode == "backlog":
        for _ in range(4):
            c = socket.socket()
            c.setblocking(False)
            c.connect_ex(("127.0.0.1", port))
            held.append(c)
        select.select([], held[1:2], [], 5)  # the first connect has completed: the one-place queue is full
    else:
        def accept_forever():  # hold every connection open, answer nothing
            while True:
                held.append(srv.accept()[0])
        threading.Thread(target=accept_forever, daemon=True).start()
    return port, held


@pytest.mark.slow  # it waits out the 2 s probe or the 3 s deadline
@pytest.mark.parametrize("mode", ["backlog", "silent"])
def test_unanswering_endpoint_falls_back_to_the_bundled_weights(tmp_path, hub_env, monkeypatch, caplog, mode):
    """A Hub that never completes a connection fails the probe, a connect given PROBE_TIMEOUT_S:
    then only the cache is tried, not the online download (whose deadline, 8 s here, would be
    waited out); one that accepts and never answers is given up at GAN_HUB_TIMEOUT (3 s here), as
    the log says; either way the app gets the bundled weights."""
    port, held = _silent_endpoint(mode)
    hub_env(HF_HUB_CACHE=str(tmp_path), HF_HUB_OFFLINE="0", GAN_HUB_TIMEOUT="8" if mode == "backlog" else "3",
            HF_ENDPOINT=f"http://127.0.0.1:{port}", GAN_HUB_REPO="someone/fmnist-gan-{arch}")
    connects, connect = [], socket.create_connection

    def recorded(address, *args, **kwargs):  # (address, timeout) of every connect, the probe's first
        connects.append((address, args[0] if args else kwargs.get("timeout")))
        return connect(address, *args, **kwargs)
    monkeypatch.setattr(socket, "create_connection", recorded)
    caplog.set_level(logging.WARNING, "gan.hub")
    try:
        m = hub.load_model("cnn")
    finally:
        for sock in held:
            sock.close()
    assert m.source == "bundled weights/ (hub someone/fmnist-gan-cnn unavailable)"
    assert connects[0] == (("127.0.0.1", port), hub.PROBE_TIMEOUT_S)  # the probe, first
    tried = re.findall(r"hub someone/fmnist-gan-cnn for cnn unavailable \((online|cache)\)", caplog.text)
    if mode == "backlog":
        assert tried == ["cache"] and len(connects) == 1
    else:
        assert tried == ["online", "cache"] and "(online): no complete answer within 3 s" in caplog.text


def test_corrupt_hub_file_falls_back_to_bundled(tmp_path, hub_env, caplog):
    snap = fake_cache(tmp_path, "someone/fmnist-gan-cnn", {"": weights.bundled_dir("cnn")})
    (snap / "model.safetensors").write_bytes(b"\x00" * 100)
    hub_env(HF_HUB_CACHE=str(tmp_path), HF_HUB_OFFLINE="1", GAN_HUB_REPO="someone/fmnist-gan-{arch}")
    m = hub.load_model("cnn")
    assert m.source.startswith("bundled weights/ (hub file unusable") and m.folder == str(weights.bundled_dir("cnn"))
    assert "model.safetensors" in caplog.text  # the log names the bad file
