"""The Train tab's uploaded images on the server, from the moment a visitor names them to their
deletion: which files may be named (one that Gradio keeps for an upload: a file in a folder named
by its hash, right under the upload root; never the app's results nor a link), each read once for
a preview and the job after it, one read at a time (decoding thousands of photos is minutes of
work: a class's reads cannot take the cores from its training jobs), and deleted when the last
job using it ends, unless it is one of the page's own files (Gradio keeps uploads by content, so
a visitor's file may be a page default's: those stay).
"""
import collections
import contextlib
import hashlib
import logging
import threading
from pathlib import Path

from gan import owndata
from gan.cache import UPLOAD_DIR
from gan.checks import InputError
from gan.limits import DATA_MAX_FILES, DATA_READS_AT_ONCE, DATA_READS_KEPT
from gan.live import Places

log = logging.getLogger(__name__)


class Uploads:
    def __init__(self, root):
        self.root = root and Path(root).resolve()
        self.page_own = frozenset()  # the page's own files (keep()): never deleted
        self.lock, self.using, self.kept = threading.Lock(), collections.Counter(), collections.OrderedDict()
        self.decoding = Places(DATA_READS_AT_ONCE)

    def keep(self, paths) -> None:
        """The page's own files (app.main: what the cache's sweep keeps, made while the app was built)."""
        self.page_own = frozenset(Path(p).resolve() for p in paths)

    def add(self, data: bytes, name: str) -> Path:
        """A file of the app's making (a drawing) kept as an upload is: root/<sha256 of data>/name."""
        folder = self.root / hashlib.sha256(data).hexdigest()
        folder.mkdir(exist_ok=True)
        (folder / name).write_bytes(data)
        return folder / name

    def files(self, data) -> list:
        """Files as the page or a client names them ([{"path": ...}] or paths; None or []: none)
        -> their paths, each one Gradio keeps for an upload; InputError otherwise."""
        items = data if isinstance(data, list) else [] if data is None else [data]
        if len(items) > DATA_MAX_FILES:
            raise InputError("data_files")
        return [self.one(item.get("path") if isinstance(item, dict) else item) for item in items]

    def one(self, name) -> Path:
        try:
            path = Path(name).resolve() if isinstance(name, str) and self.root else None
            ok = path is not None and path.parent.parent == self.root and UPLOAD_DIR.fullmatch(path.parent.name) \
                and not Path(name).is_symlink()
        except (OSError, ValueError):  # a name too long, a NUL in it
            ok = False
        if not ok:
            raise InputError("not_uploaded")
        return path

    def read(self, paths: list) -> owndata.OwnData:
        """gan.owndata.load_files(paths), read once (the last DATA_READS_KEPT reads are kept) and
        one read at a time; InputError("data_gone") for files deleted meanwhile."""
        try:
            key = tuple((str(p), p.stat().st_size) for p in paths)
        except OSError:  # deleted after a job, or by the cache's sweep
            raise InputError("data_gone") from None
        with self.lock:
            if key in self.kept:
                self.kept.move_to_end(key)
                return self.kept[key]
        with self.decoding.held():
            own = owndata.load_files(paths)
        with self.lock:
            self.kept[key] = own
            while len(self.kept) > DATA_READS_KEPT:
                self.kept.popitem(last=False)
        return own

    @contextlib.contextmanager
    def used(self, paths: list):
        """paths in use by a job: when the last job using a file ends, it is deleted (with the
        folder Gradio made for it, once empty), and its reads forgotten."""
        with self.lock:
            self.using.update(paths)
        try:
            yield
        finally:
            with self.lock:
                self.using.subtract(paths)
                done = [p for p in set(paths) if self.using[p] <= 0]
                for p in done:
                    del self.using[p]
                gone = {str(p) for p in done}
                for key in [k for k in self.kept if gone & {name for name, _ in k}]:
                    del self.kept[key]
            for path in done:
                if path not in self.page_own:
                    delete(path)


def delete(path: Path) -> None:
    """One uploaded file and its folder, once empty; a failure is logged, not raised: the job's own
    outcome (or error) is what its visitor sees, and the cache's sweep deletes it later."""
    try:
        path.unlink(missing_ok=True)
        if path.parent.is_dir() and not any(path.parent.iterdir()):
            path.parent.rmdir()
    except OSError:
        log.exception("could not delete the upload %s", path)
