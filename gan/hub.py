"""Hugging Face Hub: where the app's weights come from (publishing is gan/publish.py).

Layout on the Hub: GAN_HUB_REPO names the source. With an `{arch}` placeholder
(`USER/fashion-mnist-gan-{arch}`, recommended: one model, one card, `from_pretrained(repo)`)
each architecture is its own repo; without it (`USER/fashion-mnist-gan`) one repo holds the
folders `mlp/` and `cnn/`. GAN_HUB_REVISION pins a branch, tag or commit.

Resolution never hangs: offline mode, an unreachable endpoint (probed with a 2 s TCP connect,
since huggingface_hub itself keeps retrying), an endpoint that accepts but does not answer
(the online attempt has a deadline, GAN_HUB_TIMEOUT seconds, since huggingface_hub's client has
none) or a repo lacking files fall back to the Hub cache and then to the bundled weights/, and
the source used is logged.
"""
import concurrent.futures
import logging
import os
import socket
import threading
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import torch
from huggingface_hub import constants, snapshot_download

from gan import weights

log = logging.getLogger("gan.hub")
PROBE_TIMEOUT_S = 2.0
REPO_ENV, REVISION_ENV, TIMEOUT_ENV = "GAN_HUB_REPO", "GAN_HUB_REVISION", "GAN_HUB_TIMEOUT"
ONLINE_TIMEOUT_S = 60.0  # the whole online download of one model folder (GAN_HUB_TIMEOUT overrides)


def repo_for(template: str, arch: str):
    """(repo id, subfolder) for an architecture under a GAN_HUB_REPO value."""
    if "{arch}" in template:
        return template.format(arch=arch), ""
    return template, arch


def endpoint_reachable(timeout: float = PROBE_TIMEOUT_S) -> bool:
    url = urlparse(os.environ.get("HF_ENDPOINT", constants.ENDPOINT))
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        with socket.create_connection((url.hostname, port), timeout=timeout):
            return True
    except OSError:
        return False


def with_deadline(fn, seconds: float):
    """fn() in a daemon thread; its result, or TimeoutError after `seconds` (the thread is left to
    finish or hang on its own: it cannot hold up the app or the interpreter's exit)."""
    done = concurrent.futures.Future()

    def run():
        try:
            done.set_result(fn())
        except BaseException as e:
            done.set_exception(e)
    threading.Thread(target=run, daemon=True).start()
    try:
        return done.result(timeout=seconds)
    except concurrent.futures.TimeoutError:
        raise TimeoutError(f"no complete answer within {seconds:g} s") from None


def _snapshot(repo: str, sub: str, revision, offline: bool) -> Path:
    patterns = [f"{sub}/*", f"{sub}/discriminator/*"] if sub else None
    path = Path(snapshot_download(repo, revision=revision, allow_patterns=patterns,
                                  local_files_only=offline, etag_timeout=5))
    folder = path / sub if sub else path
    if not (folder / weights.MODEL_FILE).is_file():
        raise FileNotFoundError(f"{repo}@{revision or 'main'} has no {sub + '/' if sub else ''}{weights.MODEL_FILE}")
    return folder


def resolve(arch: str, template: str = None, revision: str = None):
    """Local folder to load `arch` from, and a description of the source; never raises for
    network trouble: the Hub, then the Hub cache, then the bundled weights."""
    template = template or os.environ.get(REPO_ENV)
    if not template:
        return weights.bundled_dir(arch), "bundled weights/"
    return resolve_repo(arch, *repo_for(template, arch), revision)


def resolve_repo(arch: str, repo: str, sub: str = "", revision: str = None):
    """(folder, source) for the model in `repo` (in its folder `sub`, if given): the Hub, then
    the Hub cache, then the bundled weights, whose source then starts with "bundled"."""
    revision = revision or os.environ.get(REVISION_ENV) or None
    offline = constants.HF_HUB_OFFLINE or os.environ.get("HF_HUB_OFFLINE", "").upper() in ("1", "ON", "YES", "TRUE")
    tries = [True] if offline or not endpoint_reachable() else [False, True]
    for local_only in tries:
        try:
            folder = with_deadline(lambda: _snapshot(repo, sub, revision, local_only),
                                   float(os.environ.get(TIMEOUT_ENV) or ONLINE_TIMEOUT_S))
            commit = folder.parent.name if sub else folder.name  # snapshots/<commit>[/sub]
            return folder, f"hub {repo}{'/' + sub if sub else ''}@{commit[:12]}" + (" (cache)" if local_only else "")
        except Exception as e:  # offline, unreachable, missing repo/file, auth: fall back
            log.warning("hub %s for %s unavailable (%s): %s", repo, arch, "cache" if local_only else "online",
                        str(e).splitlines()[0][:200] if str(e) else type(e).__name__)
    return weights.bundled_dir(arch), f"bundled weights/ (hub {repo} unavailable)"


@dataclass(frozen=True)
class Model:
    arch: str
    G: torch.nn.Module
    source: str
    summary: dict = field(default_factory=dict)
    history: list = field(default_factory=list)
    folder: str = ""


def load_model(arch: str) -> Model:
    """Resolve (Hub, cache, bundled) and load strictly; a bad Hub file falls back to bundled."""
    folder, source = resolve(arch)
    try:
        G = weights.load_generator(arch, folder)
    except weights.WeightsError as e:
        if folder == weights.bundled_dir(arch):
            raise
        log.error("%s; falling back to the bundled weights", e)
        folder, source = weights.bundled_dir(arch), f"bundled weights/ (hub file unusable: {e})"
        G = weights.load_generator(arch, folder)
    log.info("%s generator from %s", arch, source)
    return Model(arch, G, source, weights.read_json(folder, "summary.json", {}) or {},
                 weights.read_json(folder, "history.json", []) or [], str(folder))
