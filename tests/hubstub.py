"""A stand-in Hugging Face Hub on 127.0.0.1: the HTTP calls huggingface_hub makes for create_repo,
create_commit / upload_folder (preupload + NDJSON commit, every file sent inline as "regular"),
add_space_variable, repo_info, list_repo_tree and file downloads (snapshot_download).

It keeps repos in memory: {repo: {"type", "sdk", "commits": [{"sha", "message", "files"}], "variables"}},
so a test can check what a push really sent. Writes need `Authorization: Bearer <token>`.
"""
import base64
import hashlib
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlparse



def validate_front_matter(content: str, repo_type: str) -> list:
    """What the Hub checks of a README's YAML block: a mapping; for a Space, a known sdk."""
    import yaml
    if not content.startswith("---\n"):
        return []
    try:
        meta = yaml.safe_load(content.split("---\n", 2)[1])
    except yaml.YAMLError as e:
        return [f"YAML: {e}"]
    if not isinstance(meta, dict):
        return ["front matter is not a mapping"]
    if repo_type == "space" and meta.get("sdk") not in ("gradio", "docker", "static"):
        return ["a Space's README needs sdk: gradio, docker or static"]
    return []


class Hub:
    def __init__(self, token: str = "hf_stub_token"):
        self.token = token
        self.repos: dict = {}
        self.requests: list = []  # (method, path) of every request, in order
        self.lock = threading.Lock()
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_GET(self):
                hub._route(self, "GET")

            def do_HEAD(self):
                hub._route(self, "HEAD")

            def do_POST(self):
                hub._route(self, "POST")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    # ------------------------------------------------------------------ helpers for tests
    def add_commit(self, repo: str, files: dict, message: str = "stub", repo_type: str = "model",
                   branch: str = "main") -> str:
        """Put a commit of {path: bytes} on `branch` directly (as if someone had pushed it)."""
        with self.lock:
            r = self.repos.setdefault(repo, {"type": repo_type, "sdk": None, "commits": [], "variables": {},
                                             "branches": {}})
            parent = r["branches"].get(branch)
            base = dict(next(c["files"] for c in r["commits"] if c["sha"] == parent)) if parent else {}
            base.update(files)
            sha = hashlib.sha1(f"{repo}{len(r['commits'])}{message}{branch}".encode()).hexdigest()
            r["commits"].append({"sha": sha, "message": message, "files": base, "added": sorted(files)})
            r["branches"][branch] = sha
            return sha

    def files(self, repo: str, revision: str = "main") -> dict:
        return self._commit(self.repos[repo], revision)["files"]

    # ------------------------------------------------------------------ the HTTP side
    def _commit(self, r: dict, revision: str) -> dict:
        sha = r["branches"].get(revision, revision)
        for c in r["commits"]:
            if c["sha"] == sha:
                return c
        raise KeyError(revision)

    def _send(self, h, status: int, body=b"", headers=None, method="GET"):
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
            headers = {"Content-Type": "application/json", **(headers or {})}
        h.send_response(status)
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        if status >= 400 and "X-Error-Code" not in (headers or {}):
            h.send_header("X-Error-Message", "stub error")
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        if method != "HEAD":
            h.wfile.write(body)

    def _authorized(self, h) -> bool:
        return h.headers.get("Authorization") == f"Bearer {self.token}"

    def _route(self, h, method):
        path = unquote(urlparse(h.path).path)
        with self.lock:
            self.requests.append((method, path))
        body = h.rfile.read(int(h.headers.get("Content-Length") or 0)) if method == "POST" else b""
        try:
            self._dispatch(h, method, path, body)
        except KeyError as e:
            self._send(h, 404, {"error": f"not found: {e}"}, {"X-Error-Code": "RepoNotFound"}, method)

    def _dispatch(self, h, method, path, body):
        if path == "/api/validate-yaml" and method == "POST":  # upload_folder checks a README's front matter
            req = json.loads(body)
            errors = validate_front_matter(req["content"], req.get("repoType", "model"))
            return self._send(h, 400 if errors else 200, {"errors": [{"message": e} for e in errors], "warnings": []})

        m = re.fullmatch(r"/api/repos/create", path)
        if m and method == "POST":
            if not self._authorized(h):
                return self._send(h, 401, {"error": "invalid token"})
            req = json.loads(body)
            repo = f"{req['organization']}/{req['name']}" if req.get("organization") else req["name"]
            if repo in self.repos:
                return self._send(h, 409, {"error": "You already created this repo", "url": f"{self.url}/{repo}"})
            with self.lock:
                self.repos[repo] = {"type": req.get("type") or "model", "sdk": req.get("sdk"), "commits": [],
                                    "variables": {}, "branches": {}}
            if req.get("type") == "space":  # the Hub makes a first commit with a default README
                self.add_commit(repo, {".gitattributes": b"*.bin filter=lfs diff=lfs merge=lfs -text\n"},
                                "initial commit", "space")
            prefix = "spaces/" if req.get("type") == "space" else ""
            return self._send(h, 200, {"url": f"{self.url}/{prefix}{repo}", "name": repo})

        m = re.fullmatch(r"/api/(models|datasets|spaces)/([^/]+/[^/]+)/preupload/(.+)", path)
        if m and method == "POST":
            if not self._authorized(h):
                return self._send(h, 401, {"error": "invalid token"})
            self.repos[m.group(2)]  # 404 if unknown
            files = json.loads(body)["files"]
            return self._send(h, 200, {"files": [{"path": f["path"], "uploadMode": "regular", "shouldIgnore": False}
                                                 for f in files]})

        m = re.fullmatch(r"/api/(models|datasets|spaces)/([^/]+/[^/]+)/commit/(.+)", path)
        if m and method == "POST":
            if not self._authorized(h):
                return self._send(h, 401, {"error": "invalid token"})
            repo, revision = m.group(2), m.group(3)
            r = self.repos[repo]
            header, files = None, {}
            for line in body.decode().splitlines():
                item = json.loads(line)
                if item["key"] == "header":
                    header = item["value"]
                elif item["key"] == "file":
                    v = item["value"]
                    files[v["path"]] = base64.b64decode(v["content"]) if v.get("encoding") == "base64" \
                        else v["content"].encode()
                else:
                    return self._send(h, 400, {"error": f"stub: unsupported operation {item['key']}"})
            sha = self.add_commit(repo, files, header["summary"], r["type"], revision)
            prefix = "" if r["type"] == "model" else f"{r['type']}s/"
            return self._send(h, 200, {"commitUrl": f"{self.url}/{prefix}{repo}/commit/{sha}", "commitOid": sha,
                                       "success": True})

        m = re.fullmatch(r"/api/spaces/([^/]+/[^/]+)/variables", path)
        if m and method == "POST":
            if not self._authorized(h):
                return self._send(h, 401, {"error": "invalid token"})
            req = json.loads(body)
            r = self.repos[m.group(1)]
            r["variables"][req["key"]] = req["value"]
            return self._send(h, 200, {k: {"value": v} for k, v in r["variables"].items()})

        m = re.fullmatch(r"/api/(models|datasets|spaces)/([^/]+/[^/]+)(?:/revision/(.+))?", path)
        if m and method == "GET":
            r = self.repos[m.group(2)]
            c = self._commit(r, m.group(3) or "main")
            return self._send(h, 200, {"id": m.group(2), "sha": c["sha"], "private": False,
                                       "siblings": [{"rfilename": f} for f in sorted(c["files"])]})

        m = re.fullmatch(r"/api/(models|datasets|spaces)/([^/]+/[^/]+)/tree/([^/]+)(/.*)?", path)
        if m and method == "GET":
            c = self._commit(self.repos[m.group(2)], m.group(3))
            return self._send(h, 200, [{"type": "file", "path": f, "size": len(b),
                                        "oid": hashlib.sha1(b).hexdigest()} for f, b in sorted(c["files"].items())])

        m = re.fullmatch(r"/(?:(datasets|spaces)/)?([^/]+/[^/]+)/resolve/([^/]+)/(.+)", path)
        if m and method in ("GET", "HEAD"):
            c = self._commit(self.repos[m.group(2)], m.group(3))
            data = c["files"][m.group(4)]
            return self._send(h, 200, data, {"X-Repo-Commit": c["sha"], "ETag": f'"{hashlib.sha1(data).hexdigest()}"',
                                             "Content-Type": "application/octet-stream"}, method)
        self._send(h, 404, {"error": f"stub: no route for {method} {path}"}, method=method)
