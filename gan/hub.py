"""Hugging Face Hub: where the app's weights come from, and publishing trained models.

Layout on the Hub: GAN_HUB_REPO names the source. With an `{arch}` placeholder
(`USER/fashion-mnist-gan-{arch}`, recommended: one model, one card, `from_pretrained(repo)`)
each architecture is its own repo; without it (`USER/fashion-mnist-gan`) one repo holds the
folders `mlp/` and `cnn/`. GAN_HUB_REVISION pins a branch, tag or commit.

Resolution never hangs: offline mode, an unreachable endpoint (probed with a 2 s TCP connect,
since huggingface_hub itself retries for ~20 s) or a repo lacking files fall back to the Hub
cache and then to the bundled weights/, and the source used is logged.

Publishing (one commit through the HTTP API, never git):
  python -m gan.hub push weights/cnn USER/fashion-mnist-gan-cnn
  python -m gan.hub card weights/cnn /tmp/card      # build the files a push would upload
"""
import argparse
import logging
import os
import socket
import sys
from pathlib import Path
from urllib.parse import urlparse

from huggingface_hub import constants, snapshot_download

from gan import weights

log = logging.getLogger("gan.hub")
PROBE_TIMEOUT_S = 2.0
REPO_ENV, REVISION_ENV = "GAN_HUB_REPO", "GAN_HUB_REVISION"


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
    revision = revision or os.environ.get(REVISION_ENV) or None
    bundled = weights.bundled_dir(arch)
    if not template:
        return bundled, "bundled weights/"
    repo, sub = repo_for(template, arch)
    offline = constants.HF_HUB_OFFLINE or os.environ.get("HF_HUB_OFFLINE", "").upper() in ("1", "ON", "YES", "TRUE")
    tries = [True] if offline or not endpoint_reachable() else [False, True]
    for local_only in tries:
        try:
            folder = _snapshot(repo, sub, revision, local_only)
            commit = folder.parent.name if sub else folder.name  # snapshots/<commit>[/sub]
            return folder, f"hub {repo}{'/' + sub if sub else ''}@{commit[:12]}" + (" (cache)" if local_only else "")
        except Exception as e:  # offline, unreachable, missing repo/file, auth: fall back
            log.warning("hub %s for %s unavailable (%s): %s", repo, arch, "cache" if local_only else "online",
                        str(e).splitlines()[0][:200] if str(e) else type(e).__name__)
    return bundled, f"bundled weights/ (hub {repo} unavailable)"
