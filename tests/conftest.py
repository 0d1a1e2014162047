import functools
import os
import shutil
import socket
import ssl
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
if os.environ.get("PYTEST_XDIST_WORKER"):  # tests/run.sh runs one worker per core: one torch thread each
    import torch
    torch.set_num_threads(1)
CALL_TIMEOUT = 120  # seconds for any one gradio_client call: a hang fails the test, not CI
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]
EARLY_APP = "GAN_TESTS_EARLY_APP"  # "port pid log": the live app the xdist controller started for its workers
EARLY_APP_KEY = pytest.StashKey()  # the controller's App object, to stop it
SLOW_FIXTURES = {"server", "client", "https_server", "browser"}  # a live app or a browser: slow by nature


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: a live app, a browser, a process of its own or a training run "
                                       "(the quick loop, pytest -m 'not slow', leaves them out)")


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook, which reads the group marks into node ids
def pytest_collection_modifyitems(items):
    for item in items:
        if SLOW_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)
            # on two workers (tests/run.sh: --dist loadgroup) the live-app tests share one worker, so
            # one app and one browser start, not one per worker; the other worker runs the rest
            item.add_marker(pytest.mark.xdist_group("app"))


@pytest.fixture(scope="session")
def root():
    return ROOT


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def app_env(port: int, **extra) -> dict:
    """python app.py's environment in tests: this port, loopback only, offline, bundled weights."""
    env = {**os.environ, "GRADIO_SERVER_PORT": str(port), "GRADIO_SERVER_NAME": "127.0.0.1", "HF_HUB_OFFLINE": "1",
           "GRADIO_ANALYTICS_ENABLED": "False", **extra}
    env.pop("GAN_HUB_REPO", None)
    return env


class App:
    """`python app.py` on 127.0.0.1:port (conftest.app_env, and env), its output in log_path; not waited for."""

    def __init__(self, port: int, log_path, **env):
        self.port, self.log_path = port, Path(log_path)
        with open(log_path, "w") as log:
            self.proc = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=app_env(port, **env), stdout=log,
                                         stderr=subprocess.STDOUT)

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)


def alive(pid: int) -> bool:
    """Whether process pid runs (the early app is the controller's child: a worker sees it as a zombie once it exits)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def wait_listening(port: int, pid: int, log_path, timeout: float = 120):
    """Return once process pid listens on 127.0.0.1:port; raise if it exits or the deadline passes."""
    deadline = time.time() + timeout
    while True:
        if not alive(pid):
            raise RuntimeError(f"the app exited: {Path(log_path).read_text()[-2000:]}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if time.time() > deadline:
                raise RuntimeError(f"the app did not listen within {timeout} s") from None
            time.sleep(0.2)


def early_app_wanted(config) -> bool:
    """The controller of a whole run on workers (tests/run.sh) starts the live app while they start
    and collect, so it is up when the first test needs it; a run narrowed by -m or -k (the quick
    loop) may not need it, so there the worker that does starts it, as with -n 0."""
    return (getattr(config.option, "numprocesses", None) and not hasattr(config, "workerinput")
            and not config.option.markexpr and not config.option.keyword)


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session):  # the controller, before it starts its workers (they inherit the variable)
    if early_app_wanted(session.config):
        app = App(free_port(), ROOT / "tests" / ".app-server.log")
        session.config.stash[EARLY_APP_KEY] = app
        os.environ[EARLY_APP] = f"{app.port} {app.proc.pid} {app.log_path}"


@pytest.hookimpl(optionalhook=True)  # an xdist hook: absent without it
def pytest_xdist_node_collection_finished(node, ids):
    """A run whose tests need no live app (no test of the "app" group) stops the early one at once."""
    app = node.config.stash.get(EARLY_APP_KEY, None)
    if app and not any(i.endswith("@app") for i in ids):
        app.stop()


def pytest_sessionfinish(session):
    app = session.config.stash.get(EARLY_APP_KEY, None)
    if app:
        app.stop()


@pytest.fixture(scope="session")
def live_app(root):
    """python app.py on a free localhost port, offline; yields (its URL, its log's path): the
    controller's early one where it started one, else this worker's own."""
    if os.environ.get(EARLY_APP):
        port, pid, log = os.environ[EARLY_APP].split(maxsplit=2)
        wait_listening(int(port), int(pid), log)
        yield f"http://127.0.0.1:{port}/", Path(log)
        return
    app = App(free_port(), root / "tests" / f".app-server{os.environ.get('PYTEST_XDIST_WORKER', '')}.log")
    try:
        wait_listening(app.port, app.proc.pid, app.log_path)
        yield f"http://127.0.0.1:{app.port}/", app.log_path
    finally:
        app.stop()


@pytest.fixture(scope="session")
def server(live_app):
    return live_app[0]


@pytest.fixture(autouse=True)
def no_bug_in_the_live_app(request):
    """Any test of the live app fails if the app met a bug meanwhile: an exception other than the
    project's InputError, which a visitor sees as Gradio's generic error (gan.ui logs each one)."""
    if "server" not in request.fixturenames:
        yield
        return
    from gan.ui import BUG
    log = request.getfixturevalue("live_app")[1]
    start = log.stat().st_size
    yield
    with open(log, "rb") as f:
        f.seek(start)
        met = f.read().decode(errors="replace")
    assert BUG not in met, f"the live app met a bug during this test:\n{met[met.index(BUG):][:3000]}"


@functools.cache
def ssl_context() -> ssl.SSLContext:
    return ssl.create_default_context()


def api_client(url: str, **kwargs):
    """gradio_client as the README's tip for scripts has it: one SSL context for all its requests.
    As it comes, it builds a new one for each HTTP request (three per call), CPU this suite would
    spend on loading certificates, not on the app."""
    from gradio_client import Client
    return Client(url, verbose=False, ssl_verify=ssl_context(), httpx_kwargs={"timeout": CALL_TIMEOUT}, **kwargs)


@pytest.fixture(scope="session")
def client(server):
    return api_client(server)


def call(client, *args, api_name: str):
    """client.predict with a deadline: a hung server fails the test instead of stalling CI."""
    return client.submit(*args, api_name=api_name).result(timeout=CALL_TIMEOUT)


def first_outputs(job, count: int = 1, timeout: float = CALL_TIMEOUT) -> list:
    """A streaming job's first `count` outputs, waited for with a deadline (iterating a Job has none)."""
    deadline = time.monotonic() + timeout
    while len(job.outputs()) < count:
        assert not job.done() or len(job.outputs()) >= count, f"the job ended after {len(job.outputs())} outputs"
        assert time.monotonic() < deadline, f"no {count} outputs within {timeout} s"
        time.sleep(0.05)
    return job.outputs()[:count]


@pytest.fixture(scope="session")
def browser():
    """Debian's chromium, headless, driven by playwright: one for the session (the browser tests of
    every module share it; each test opens its own page)."""
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def hub_env(monkeypatch, tmp_path):
    """hub_env([HF_ENDPOINT=...], [HF_TOKEN=...], [HF_HUB_CACHE=...], [HF_HUB_OFFLINE=...], [GAN_...=...]):
    what a process started with these variables sees, set in this one (huggingface_hub reads
    HF_ENDPOINT, HF_HUB_CACHE, HF_HUB_OFFLINE and where the stored login lies once, at import, so
    its constants are set too; gan.hub reads the rest at each call). Whatever the caller's
    environment holds: no token (none set, no stored login), no revision, no repo unless given; a
    cache of the test's own and online unless given. Fresh processes that read the variables
    themselves: the tests' live app (conftest.app_env: HF_HUB_OFFLINE=1) and test_metrics'
    `python -m gan.evaluate --weights` (HF_ENDPOINT, HF_HUB_CACHE)."""
    from huggingface_hub import constants
    from gan import hub

    def set_env(**values):
        values = {"HF_HUB_CACHE": str(tmp_path / "hub-cache"), "HF_HUB_OFFLINE": "0", **values}
        for k in ("HF_TOKEN", "HF_ENDPOINT", hub.REPO_ENV, hub.REVISION_ENV, hub.TIMEOUT_ENV):
            monkeypatch.delenv(k, raising=False)
        for k, v in values.items():
            monkeypatch.setenv(k, v)
        monkeypatch.setattr(constants, "HF_HUB_CACHE", values["HF_HUB_CACHE"])
        monkeypatch.setattr(constants, "HF_HUB_OFFLINE", values["HF_HUB_OFFLINE"] == "1")
        for name in ("HF_TOKEN_PATH", "HF_STORED_TOKENS_PATH"):  # `hf auth login`'s files: none here
            monkeypatch.setattr(constants, name, str(tmp_path / "hf-home" / name.lower()))
        if "HF_ENDPOINT" in values:  # the two constants huggingface_hub derives from it at import
            monkeypatch.setattr(constants, "ENDPOINT", values["HF_ENDPOINT"])
            monkeypatch.setattr(constants, "HUGGINGFACE_CO_URL_TEMPLATE",
                                values["HF_ENDPOINT"] + "/{repo_id}/resolve/{revision}/{filename}")
    return set_env
