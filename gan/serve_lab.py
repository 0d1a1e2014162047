"""The Latent lab's files on the wire: onnxruntime-web's three and each model's and the classifier's
model.onnx, served by the app at addresses that name their content (a sha256 in the path), so a
browser keeps them for a year and never asks again (Cache-Control: immutable; a new file is a new
address). Each is stored compressed once per content, gzip and brotli (Gradio's own dependency),
made on a side thread at start, so a class on one Wi-Fi downloads a fraction of the bytes and the
server compresses nothing per request; a browser that accepts neither gets the file as it is. The
page ("/", which carries the lab's first latent and directions) goes gzipped. app.py passes
app_kwargs(files) to launch(): routes and middleware, FastAPI's own parameters."""
import gzip
import hashlib
import logging
import os
import shutil
import threading
from pathlib import Path

import brotli
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from gan.demo_lab import ORT_FILES

log = logging.getLogger(__name__)
PREFIX = "gradio_api/lab-files"  # under Gradio's API prefix: whatever fronts the app passes it on
CACHE_CONTROL = "public, max-age=31536000, immutable"  # a year: the address changes with the content
# the encodings stored, the browser's favourite first: (file suffix, compress); brotli's quality 9,
# not 11: 11 would hold a core for many times as long at every start of the Space, for a little less
ENCODINGS = {"br": (".br", lambda data: brotli.compress(data, quality=9)),
             "gzip": (".gz", lambda data: gzip.compress(data, 9, mtime=0))}
TYPES = {".mjs": "text/javascript", ".wasm": "application/wasm"}  # a module and streaming compilation need these


def digest(paths) -> str:
    """The address part of files served side by side: their names and bytes, hashed."""
    h = hashlib.sha256()
    for p in sorted(paths, key=lambda p: p.name):
        h.update(p.name.encode() + b"\0" + p.read_bytes())
    return h.hexdigest()[:20]


def accepted(header: str) -> str | None:
    """The first of ENCODINGS that an Accept-Encoding header accepts (a coding with q=0 is refused)."""
    codings = {}
    for part in header.lower().split(","):
        name, _, params = part.partition(";")
        q = params.strip()[2:] if params.strip().startswith("q=") else "1"
        try:
            codings[name.strip()] = float(q) > 0
        except ValueError:
            codings[name.strip()] = False
    return next((e for e in ENCODINGS if codings.get(e, codings.get("*", False))), None)


class LabFiles:
    """folders: key -> the files served from one address (key "ort": onnxruntime-web's three, which
    fetch one another by name; a model's key: its model.onnx); store: where the compressed copies go."""

    def __init__(self, folders: dict, store: Path):
        self.store = Path(store)
        self.folders, self.files = {}, {}  # key -> digest; (digest, name) -> path
        for key, paths in folders.items():
            paths = [Path(p) for p in paths if p]
            if paths:
                self.folders[key] = d = digest(paths)
                self.files.update({(d, p.name): p for p in paths})
        self.locks = {(d, name, e): threading.Lock() for d, name in self.files for e in ENCODINGS}

    def url(self, key, name: str = "") -> str | None:
        """The address of a folder (name ""), or of one of its files, relative to the app's root."""
        return f"{PREFIX}/{self.folders[key]}/{name}" if key in self.folders else None

    def encoded(self, d: str, name: str, encoding: str) -> Path:
        """The stored compressed copy, made now if it is not yet (other requests for it wait)."""
        suffix, compress = ENCODINGS[encoding]
        out = self.store / d / (name + suffix)
        with self.locks[(d, name, encoding)]:
            if not out.exists():
                out.parent.mkdir(parents=True, exist_ok=True)
                tmp = out.with_name(f"{out.name}.{os.getpid()}.tmp")
                tmp.write_bytes(compress(self.files[(d, name)].read_bytes()))
                os.replace(tmp, out)  # whole or absent, for this process and any other
        return out

    def compress_all(self):
        try:
            for old in self.store.glob("*/"):  # copies of files no longer served (a model retrained): the disk stays bounded
                if old.name not in self.folders.values():
                    shutil.rmtree(old, ignore_errors=True)
            for d, name in self.files:
                for e in ENCODINGS:
                    self.encoded(d, name, e)
        except OSError as e:  # requests try again, and get the files as they are if it fails again
            log.warning("The Latent lab's files could not be stored compressed: %s", e)

    def respond(self, request: Request) -> Response:
        d, name = request.path_params["digest"], request.path_params["name"]
        if (d, name) not in self.files:
            return Response("Not found.", status_code=404)
        encoding, path = accepted(request.headers.get("accept-encoding", "")), self.files[(d, name)]
        if encoding:
            try:
                path = self.encoded(d, name, encoding)
            except OSError:  # no room for the compressed copy (a full disk): the file as it is
                encoding = None
        etag = f'"{d}-{encoding or "identity"}"'
        headers = {"cache-control": CACHE_CONTROL, "etag": etag, "vary": "Accept-Encoding"}
        if etag in [t.strip() for t in request.headers.get("if-none-match", "").split(",")]:
            return Response(status_code=304, headers=headers)  # the browser has these bytes
        if encoding:
            headers["content-encoding"] = encoding
        return FileResponse(path, headers=headers, media_type=TYPES.get(Path(name).suffix, "application/octet-stream"))

    def route(self) -> Route:
        return Route(f"/{PREFIX}/{{digest}}/{{name}}", self.respond, methods=["GET", "HEAD"])  # sync: a worker thread


class PageGzip:
    """Starlette's GZipMiddleware for the page alone ("/"); Gradio compresses its scripts itself."""

    def __init__(self, app):
        self.app, self.gzip = app, GZipMiddleware(app)

    async def __call__(self, scope, receive, send):
        await (self.gzip if scope["type"] == "http" and scope["path"] == "/" else self.app)(scope, receive, send)


def lab_files(onnx: dict, store) -> LabFiles:
    """onnxruntime-web's files and each model.onnx (onnx: key -> path, None where there is none)."""
    return LabFiles({"ort": ORT_FILES, **{k: [p] for k, p in onnx.items()}}, store)


def app_kwargs(files: LabFiles) -> dict:
    """launch()'s app_kwargs: the lab's files' route and the page's gzip; starts storing the
    compressed copies on a side thread (a request for one not yet made makes it, or waits for it)."""
    threading.Thread(target=files.compress_all, name="lab-files", daemon=True).start()
    return {"routes": [files.route()], "middleware": [Middleware(PageGzip)]}
