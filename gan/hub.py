"""Hugging Face Hub: where the app's weights come from, and publishing trained models.

Layout on the Hub: GAN_HUB_REPO names the source. With an `{arch}` placeholder
(`USER/fashion-mnist-gan-{arch}`, recommended: one model, one card, `from_pretrained(repo)`)
each architecture is its own repo; without it (`USER/fashion-mnist-gan`) one repo holds the
folders `mlp/` and `cnn/`. GAN_HUB_REVISION pins a branch, tag or commit.

Resolution never hangs: offline mode, an unreachable endpoint (probed with a 2 s TCP connect,
since huggingface_hub itself retries for ~20 s), an endpoint that accepts but does not answer
(the online attempt has a deadline, GAN_HUB_TIMEOUT seconds, since huggingface_hub's client has
none) or a repo lacking files fall back to the Hub cache and then to the bundled weights/, and
the source used is logged.

Publishing (one commit through the HTTP API, never git):
  python -m gan.hub push weights/cnn USER/fashion-mnist-gan-cnn
  python -m gan.hub card weights/cnn /tmp/card      # build the files a push would upload
"""
import argparse
import concurrent.futures
import fnmatch
import logging
import os
import socket
import sys
import threading
from pathlib import Path
from urllib.parse import urlparse

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


# ----------------------------------------------------------------------------- publishing

DATASET_ID = "zalando-datasets/fashion_mnist"
CARD_METRICS = [("fd", "FD (classifier features)"), ("precision", "precision (k=3)"), ("recall", "recall (k=3)"),
                ("density", "density (k=5)"), ("coverage", "coverage (k=5)"), ("is", "classifier Inception Score")]
UPLOAD_PATTERNS = ["config.json", "model.safetensors", "discriminator/*", "summary.json", "history.json",
                   "samples/*.png", "samples.png", "curves.svg", "README.md"]


def require_token() -> str:
    """The Hub token (HF_TOKEN or the stored login), or a clear error before any work is done."""
    from huggingface_hub import get_token
    token = get_token()
    if not token:
        raise SystemExit("--push-to-hub needs a Hugging Face token: set HF_TOKEN or run `hf auth login` "
                         "(nothing was trained or uploaded)")
    return token


def curves_svg(history: list, width: int = 640, height: int = 240) -> str:
    """Loss (D, G) and FD per epoch as a small dependency-free SVG line chart."""
    series = [("d_loss", "#1f77b4", "D loss"), ("g_loss", "#ff7f0e", "G loss"), ("fd", "#2ca02c", "FD")]
    pad, out = 30, [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
                    f'font-family="sans-serif" font-size="11"><rect width="100%" height="100%" fill="white"/>']
    n = max(len(history), 2)
    for i, (key, colour, label) in enumerate(series):
        pts = [(h["epoch"], h[key]) for h in history if h.get(key) is not None]
        if not pts:
            continue
        lo, hi = min(v for _, v in pts), max(v for _, v in pts)
        span = (hi - lo) or 1.0
        xy = " ".join(f"{pad + (e - 1) * (width - 2 * pad) / (n - 1):.1f},"
                      f"{height - pad - (v - lo) * (height - 2 * pad) / span:.1f}" for e, v in pts)
        out.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{xy}"/>')
        out.append(f'<text x="{pad + i * 150}" y="15" fill="{colour}">{label}: {lo:.3g}..{hi:.3g}</text>')
    out.append(f'<text x="{width // 2}" y="{height - 8}" text-anchor="middle">epoch 1..{len(history)} '
               f'(each curve scaled to its own range)</text></svg>')
    return "\n".join(out)


def model_card(folder, repo_id: str) -> str:
    """README.md for a model folder: YAML metadata (with model-index) and the story of the run."""
    from huggingface_hub import EvalResult, ModelCardData
    from gan.models import ARCHS
    folder = Path(folder)
    cfg = weights.read_json(folder, weights.CONFIG_FILE, {})
    arch = cfg.get("arch")
    if arch not in ARCHS:
        raise ValueError(f"{folder / weights.CONFIG_FILE} names no known arch")
    summary = weights.read_json(folder, "summary.json", {}) or {}
    metrics = summary.get("metrics", {})
    G, D = (cls() for cls in ARCHS[arch])
    name = repo_id.split("/")[-1]
    data = ModelCardData(
        library_name="pytorch", license="mit", pipeline_tag="unconditional-image-generation",
        tags=["gan", "fashion-mnist", "pytorch", "pytorch_model_hub_mixin"], datasets=[DATASET_ID],
        model_name=name,
        eval_results=[EvalResult(task_type="unconditional-image-generation", dataset_type=DATASET_ID,
                                 dataset_name="Fashion-MNIST", dataset_split="test", metric_type=key,
                                 metric_name=label, metric_value=round(float(metrics[key]), 4))
                      for key, label in CARD_METRICS if key in metrics] or None,
    )
    recipe = summary.get("config", {})
    rows = "\n".join(f"| {k} | {v} |" for k, v in recipe.items() if v is not None)
    metric_rows = "\n".join(f"| {label} | {metrics[key]:.4f} |" for key, label in CARD_METRICS if key in metrics)
    cls_name = ARCHS[arch][0].__name__
    body = f"""
# {name}: the course report's {arch.upper()} GAN on Fashion-MNIST

A small GAN from a course report on GANs, trained on Fashion-MNIST with the
[Fashion-MNIST GAN Explorer](https://huggingface.co/spaces) code (`train.py --arch {arch}`).
Generator input: z of shape (N, {cfg.get('z_dim', 100)}), standard normal; output: (N, 1, 28, 28) in [-1, 1].

## Load it

```python
import torch
from gan.models import {cls_name}     # the gan/ package of the project's repository
G = {cls_name}.from_pretrained("{repo_id}").eval()
images = G(torch.randn(8, 100))         # (8, 1, 28, 28) in [-1, 1]
```

![samples](samples.png)

## Architecture

```
{G}
{D}
```

## Training

{summary.get('epochs', '?')} epochs, {summary.get('wall_seconds', 0) / 60:.1f} minutes on {summary.get('machine', '?')}
(torch {summary.get('torch', '?')}). The saved generator is the EMA copy, BatchNorm statistics recalibrated.

| setting | value |
|---|---|
{rows}

![loss and FD per epoch](curves.svg)

## Evaluation

Metrics in the feature space of a Fashion-MNIST classifier (see the project README), {metrics.get('n', 10000)}
generated samples vs the 10k test images.

| metric | value |
|---|---|
{metric_rows}
"""
    return f"---\n{data.to_yaml()}\n---\n{body}"


def stage(folder, repo_id: str, staging) -> Path:
    """The exact files a push uploads, in `staging`: the model folder plus card, grid and curves."""
    from gan.io import write_png
    from gan.sampling import grid, sample
    folder, staging = Path(folder), Path(staging)
    arch = (weights.read_json(folder, weights.CONFIG_FILE, {}) or {}).get("arch")
    G = weights.load_generator(arch, folder)  # strict: never publish a broken folder
    weights.copy_folder(folder, staging)
    write_png(staging / "samples.png", grid(sample(G, 2024, 64)))
    (staging / "curves.svg").write_text(curves_svg(weights.read_json(folder, "history.json", []) or []))
    (staging / "README.md").write_text(model_card(folder, repo_id))
    return staging


def push(folder, repo_id: str, private: bool = False, revision: str = None) -> str:
    """Create the repo if needed and upload the staged folder as one commit; returns the commit URL."""
    import tempfile
    from huggingface_hub import HfApi
    api = HfApi(token=require_token())
    with tempfile.TemporaryDirectory() as tmp:
        staging = stage(folder, repo_id, tmp)
        api.create_repo(repo_id, repo_type="model", private=private, exist_ok=True)
        info = commit_files(api, repo_id, "model", staging, UPLOAD_PATTERNS, f"Upload {Path(folder).name} GAN", revision)
    return str(info)


def commit_files(api, repo_id: str, repo_type: str, folder: Path, patterns, message: str, revision: str = None):
    """The files of `folder` matching `patterns` as exactly one commit (upload_folder may split a
    folder into several); returns the CommitInfo."""
    from huggingface_hub import CommitOperationAdd
    files = sorted(p.relative_to(folder).as_posix() for p in Path(folder).rglob("*") if p.is_file())
    ops = [CommitOperationAdd(path_in_repo=f, path_or_fileobj=str(Path(folder) / f))
           for f in files if any(fnmatch.fnmatch(f, pat) for pat in patterns)]
    return api.create_commit(repo_id, ops, commit_message=message, repo_type=repo_type, revision=revision)


def main(argv=None):
    p = argparse.ArgumentParser(description="Publish a trained model folder to the Hugging Face Hub.",
                                epilog=__doc__.split("Publishing", 1)[1], formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    ps = sub.add_parser("push", help="upload FOLDER to REPO in one commit")
    ps.add_argument("folder"), ps.add_argument("repo"), ps.add_argument("--private", action="store_true")
    pc = sub.add_parser("card", help="write the files a push would upload into OUT (no network)")
    pc.add_argument("folder"), pc.add_argument("out"), pc.add_argument("--repo", default="USER/fashion-mnist-gan")
    args = p.parse_args(argv)
    if args.cmd == "push":
        print(push(args.folder, args.repo, args.private))
    else:
        print(stage(args.folder, args.repo, args.out))
    return 0


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    sys.exit(main())
