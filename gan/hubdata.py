"""A Hugging Face Hub dataset repo as a folder of images for gan.owndata (train.py --data
hf://datasets/USER/NAME, or --data USER/NAME --data-source hub).

huggingface_hub's snapshot_download, not the `datasets` library: it is a dependency already, it
fetches the repo's image files as they are (an "imagefolder" dataset: one folder per class
optional), and those files then go through the very pipeline an upload does (gan.owndata), so
a folder, its .zip and its Hub copy train alike. What is fetched is checked from the repo's file
list first, against the limits a .zip is held to (gan.limits: files, one file's and all files'
bytes), and only the image files are downloaded, into the Hub cache (a second run reads it
there). A repo that stores its images inside Parquet or Arrow files (the `datasets` library's
own format) is refused with a message saying so.
"""
import re
from pathlib import Path

from huggingface_hub import HfApi, snapshot_download
from huggingface_hub.errors import HfHubHTTPError, OfflineModeIsEnabled, RepositoryNotFoundError, RevisionNotFoundError
from huggingface_hub.utils import httpx  # its HTTP client, exported under this name across its major versions

from gan import limits
from gan.checks import InputError

PREFIX = "hf://datasets/"
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".bmp", ".webp", ".tif", ".tiff")  # an imagefolder's files
FETCHED = IMAGE_SUFFIXES + tuple(s.upper() for s in IMAGE_SUFFIXES)  # the names downloaded: *.png or *.PNG
TABLE_SUFFIXES = (".parquet", ".arrow")  # images packed in tables: the `datasets` library's format
REPO_ID = re.compile(r"[A-Za-z0-9][\w.-]{0,95}/[A-Za-z0-9][\w.-]{0,95}")  # USER/NAME (optionally @revision)
MB = 2**20
# no network, the Hub down or refusing: the client's errors (a connection refused), the Hub's answers, offline mode
UNREACHABLE = (HfHubHTTPError, httpx.HTTPError, OfflineModeIsEnabled, OSError)


def is_hub(data: str, source: str) -> bool:
    """Whether --data names a Hub dataset: hf://datasets/... always, USER/NAME with --data-source hub."""
    return source == "hub" or (source == "auto" and str(data).startswith(PREFIX))


def parse(data: str) -> tuple:
    """hf://datasets/USER/NAME[@REVISION] or USER/NAME[@REVISION] -> (repo id, revision or None)."""
    ref = str(data).removeprefix(PREFIX)
    repo, _, revision = ref.partition("@")
    if not REPO_ID.fullmatch(repo) or ".." in repo:
        raise InputError("hub_name")
    return repo, revision or None


def fetch(data: str) -> tuple:
    """A Hub dataset -> (the local folder of its image files, its source as hf://datasets/REPO@COMMIT);
    InputError when it cannot be fetched or is over the limits."""
    repo, revision = parse(data)
    api = HfApi()
    try:
        commit = api.dataset_info(repo, revision=revision).sha
        files = [f for f in api.list_repo_tree(repo, repo_type="dataset", revision=commit, recursive=True)
                 if getattr(f, "size", None) is not None]  # files, not folders
    except (RepositoryNotFoundError, RevisionNotFoundError):
        raise InputError("hub_missing") from None
    except UNREACHABLE:
        raise InputError("hub_unreachable") from None
    images = [f for f in files if f.path.endswith(FETCHED)]
    if not images:
        packed = any(f.path.lower().endswith(TABLE_SUFFIXES) for f in files)
        raise InputError("hub_parquet" if packed else "data_few", count=0)
    if len(images) > limits.DATA_MAX_FILES:
        raise InputError("data_files")
    if any(f.size > limits.DATA_MAX_FILE_MB * MB for f in images) or \
            sum(f.size for f in images) > limits.DATA_MAX_UNPACKED_MB * MB:
        raise InputError("hub_big")
    try:
        folder = snapshot_download(repo, repo_type="dataset", revision=commit,
                                   allow_patterns=[f"*{s}" for s in FETCHED])
    except UNREACHABLE:
        raise InputError("hub_unreachable") from None
    return Path(folder), f"{PREFIX}{repo}@{commit}"
