"""Publishing to the Hugging Face Hub, through its HTTP API, one commit each (never git):
a trained model folder as a model repo with a card, and the app as a Gradio Space.

  python -m gan.publish push runs/cnn-tuned USER/fashion-mnist-gan-cnn   # a model folder (train.py
                                                                          # --push-to-hub does this)
  python -m gan.publish card weights/cnn /tmp/card                        # the files a push uploads
  python -m gan.publish deploy USER/fashion-mnist-gan --models USER/fashion-mnist-gan-{arch}
  python -m gan.publish deploy USER/fashion-mnist-gan --dry-run           # list it, upload nothing

deploy creates the Space (Gradio SDK) if needed, uploads the files the app runs on and the pages
the README links (SPACE_PATHS), with the README's `models:` filled in, and sets the Space variable
GAN_HUB_REPO to --models, so the app loads its weights from those model repos (bundled weights/ when
they are unreachable).
"""
import argparse
import fnmatch
import subprocess
import sys
import tempfile
from pathlib import Path

from gan import export, weights
from gan.card import model_card
from gan.hub import REPO_ENV, repo_for
from gan.io import svg_curves, write_png
from gan.models import ARCHS
from gan.sampling import grid, sample

ROOT = weights.WEIGHTS_DIR.parent
# What the Space runs on: the app, the package, the weights it loads (not the textbook reference
# folders, which only the README's table uses), and the README with the pictures it shows and the
# pages it links (the benchmarks' results, the tests' README, DEVELOPERS.md), so its links work on the Space too.
# Each is a path or a glob, as `git ls-files` and Path.glob both read it.
SPACE_PATHS = ["app.py", "requirements.txt", "README.md", "gan", *(f"weights/{a}" for a in ARCHS),
               "weights/classifier", weights.NEAREST_INDEX.parent.relative_to(ROOT).as_posix(),
               weights.EXAMPLES_DIR.relative_to(ROOT).as_posix(), "tests/screenshots",
               "benchmarks/*.md",
               "tests/README.md", "DEVELOPERS.md"]


UPLOAD_PATTERNS = ["config.json", "model.safetensors", "model.onnx", "discriminator/*", "summary.json", "history.json",
                   "samples/*.png", "samples.png", "curves.svg", "README.md"]


def require_token(what: str = "--push-to-hub", nothing: str = "nothing was trained or uploaded") -> str:
    """The Hub token (HF_TOKEN or the stored login), or a clear error before any work is done."""
    from huggingface_hub import get_token
    token = get_token()
    if not token:
        raise SystemExit(f"{what} needs a Hugging Face token: set HF_TOKEN or run `hf auth login` ({nothing})")
    return token


def stage(folder, repo_id: str, staging) -> Path:
    """The exact files a push uploads, in `staging`: the model folder plus card, grid and curves."""
    folder, staging = Path(folder), Path(staging)
    arch = (weights.read_json(folder, weights.CONFIG_FILE, {}) or {}).get("arch")
    G = weights.load_generator(arch, folder)  # strict: never publish a broken folder
    weights.copy_folder(folder, staging)
    if export.fresh(folder) is None:  # an older folder, or one retrained since: export its weights now
        export.save_generator(staging, G)
    write_png(staging / "samples.png", grid(sample(G, 2024, 64)))
    (staging / "curves.svg").write_text(svg_curves(weights.read_json(folder, "history.json", []) or []))
    (staging / "README.md").write_text(model_card(folder, repo_id))
    return staging


def push(folder, repo_id: str, private: bool = False, revision: str = None) -> str:
    """Create the repo if needed and upload the staged folder as one commit; returns the commit URL."""
    from huggingface_hub import HfApi
    api = HfApi(token=require_token())
    with tempfile.TemporaryDirectory() as tmp:
        staging = stage(folder, repo_id, tmp)
        api.create_repo(repo_id, repo_type="model", private=private, exist_ok=True)
        names = sorted(p.relative_to(staging).as_posix() for p in staging.rglob("*") if p.is_file())
        files = {f: str(staging / f) for f in names if any(fnmatch.fnmatch(f, pat) for pat in UPLOAD_PATTERNS)}
        info = one_commit(api, repo_id, "model", files, f"Upload {Path(folder).name} GAN", revision)
    return str(info)


def one_commit(api, repo_id: str, repo_type: str, files: dict, message: str, revision: str = None):
    """{path in the repo: local path or bytes} as exactly one commit (upload_folder may split a
    folder into several); returns the CommitInfo."""
    from huggingface_hub import CommitOperationAdd
    ops = [CommitOperationAdd(path_in_repo=path, path_or_fileobj=source) for path, source in files.items()]
    return api.create_commit(repo_id, ops, commit_message=message, repo_type=repo_type, revision=revision)


def space_files(root: Path = ROOT) -> list:
    """The files under SPACE_PATHS that git tracks (outside a checkout: all but caches)."""
    if (root / ".git").exists():
        out = subprocess.run(["git", "ls-files", "-z", "--", *SPACE_PATHS], cwd=root, capture_output=True,
                             check=True, timeout=60).stdout.decode()
        return sorted(f for f in out.split("\0") if f)
    tops = [top for name in SPACE_PATHS for top in root.glob(name)]
    found = [p for top in tops for p in ([top] if top.is_file() else top.rglob("*"))]
    return sorted(p.relative_to(root).as_posix() for p in found if p.is_file() and "__pycache__" not in p.parts
                  and not p.name.startswith("."))


def space_readme(text: str, model_repos: list) -> str:
    """The README with its front matter's `models:` naming the model repos (the Hub links them)."""
    from huggingface_hub import RepoCard
    card = RepoCard(text)
    card.data.models = model_repos
    return str(card)


def deploy(space: str, models: str = None, private: bool = False, dry_run: bool = False, root: Path = ROOT) -> str:
    """Publish the app to the Space `space` in one commit; returns the Space's URL."""
    from huggingface_hub import HfApi, constants
    model_repos = sorted({repo_for(models, arch)[0] for arch in ARCHS}) if models else []
    if not dry_run:
        api = HfApi(token=require_token("deploy", "nothing was uploaded"))
        missing = [r for r in model_repos if not api.repo_exists(r)]
        if missing:
            raise SystemExit(f"--models: {', '.join(missing)} not found on the Hub; push them first "
                             f"(python train.py --arch ARCH --push-to-hub REPO); nothing was uploaded")
    files = space_files(root)
    readme = space_readme((root / "README.md").read_text(), model_repos)
    url = f"{constants.ENDPOINT}/spaces/{space}"
    if dry_run:
        print(f"would upload to {url}, in one commit, {len(files)} files:")
        print("\n".join(f"  {f}" for f in files))
        print("README.md front matter:\n" + readme.split("---\n")[1], end="")
        print(f"Space variable: {REPO_ENV}={models}" if models else "no Space variable: the app uses its bundled weights")
        return url
    api.create_repo(space, repo_type="space", space_sdk="gradio", private=private, exist_ok=True)
    one_commit(api, space, "space", {f: readme.encode() if f == "README.md" else str(root / f) for f in files},
               "Deploy the Fashion-MNIST GAN Explorer")
    if models:
        api.add_space_variable(space, REPO_ENV, models, description="model repos the app loads its weights from")
    return url


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0], epilog=__doc__.split("\n", 2)[2],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    ps = sub.add_parser("push", help="upload a model folder to a model repo in one commit")
    ps.add_argument("folder", help="a model folder, as train.py writes it")
    ps.add_argument("repo", help="USER/REPO (created if needed)")
    ps.add_argument("--private", action="store_true", help="create the repo private")
    pc = sub.add_parser("card", help="write the files a push would upload into OUT (no network)")
    pc.add_argument("folder", help="a model folder")
    pc.add_argument("out", help="where the files go")
    pc.add_argument("--repo", default="USER/fashion-mnist-gan", help="the repo id the card names")
    pd = sub.add_parser("deploy", help="publish the app to a Gradio Space in one commit")
    pd.add_argument("space", help="USER/SPACE (created if needed)")
    pd.add_argument("--models", help="model repos to load from: USER/REPO-{arch} (one repo per arch) or USER/REPO "
                                     "(folders mlp/ and cnn/); becomes the Space variable " + REPO_ENV)
    pd.add_argument("--private", action="store_true", help="create the Space private")
    pd.add_argument("--dry-run", action="store_true", help="list what would be uploaded; upload nothing")
    args = p.parse_args(argv)
    if args.cmd == "push":
        print(push(args.folder, args.repo, args.private))
    elif args.cmd == "card":
        print(stage(args.folder, args.repo, args.out))
    else:
        print(deploy(args.space, args.models, args.private, args.dry_run))
    return 0


if __name__ == "__main__":
    sys.exit(main())
