"""Publishing (gan/publish.py) against the stand-in Hub (tests/hubstub.py): a model folder with its card,
train.py --push-to-hub, the app to a Space with `deploy`, and the LFS rules a git push needs."""
import json
import posixpath
import re
import subprocess

import pytest
import yaml

from gan import card, export, publish, text, weights

EXPECTED_VARIABLE = "me/fm-{arch}"


def tracked_files(root) -> list:
    out = subprocess.run(["git", "ls-files", "-z"], cwd=root, capture_output=True, check=True, timeout=60).stdout
    return [f for f in out.decode().split("\0") if f]


def test_every_tracked_binary_file_goes_through_lfs(root):
    """The Hub refuses a push holding binary files outside LFS: every tracked file with a NUL
    byte in its first 8 kB (git's own test for binary) must have the lfs filter."""
    binary = [f for f in tracked_files(root) if b"\0" in (root / f).open("rb").read(8000)]
    assert {f.rsplit(".", 1)[1] for f in binary} >= {"png", "safetensors"}  # the test has something to check
    out = subprocess.run(["git", "check-attr", "filter", "--", *binary], cwd=root, capture_output=True, text=True,
                         check=True, timeout=60).stdout
    not_lfs = [line for line in out.splitlines() if not line.endswith(": filter: lfs")]
    assert not not_lfs, not_lfs[:10]


def front_matter(readme: bytes) -> dict:
    return yaml.safe_load(readme.decode().split("---\n")[1])


@pytest.fixture
def hub(hub_env):
    """The stand-in Hub, online, with its token (whatever the caller's environment says)."""
    from hubstub import Hub
    with Hub() as stub:
        hub_env(HF_ENDPOINT=stub.url, HF_TOKEN=stub.token)
        yield stub


def test_deploy_uploads_the_app_in_one_commit_and_points_it_at_the_models(hub, root):
    for arch in ("mlp", "cnn"):
        hub.add_commit(f"me/fm-{arch}", {"model.safetensors": b"weights"})
    url = publish.deploy("me/explorer", models=EXPECTED_VARIABLE)
    assert url == f"{hub.url}/spaces/me/explorer"
    space = hub.repos["me/explorer"]
    assert space["type"] == "space" and space["sdk"] == "gradio"
    deploy_commits = [c for c in space["commits"] if c["message"] != "initial commit"]
    assert len(deploy_commits) == 1
    files = deploy_commits[0]["files"]
    uploaded = set(deploy_commits[0]["added"])
    # what the app runs on, byte for byte, and the pages the README links; none of the tests' code,
    # the benchmarks' code and data, the textbook reference rows
    want = {f for f in tracked_files(root) if f in ("app.py", "requirements.txt", "README.md", "tests/README.md",
                                                    "DEVELOPERS.md")
            or f.startswith(("gan/", "weights/mlp/", "weights/cnn/", "weights/classifier/", "weights/nearest/",
                             "weights/examples/", "tests/screenshots/"))
            or (f.startswith("benchmarks/") and f.endswith(".md"))}
    assert uploaded == want
    assert not any(f.startswith(("tests/test", "tests/run", "weights/cnn-textbook/", ".ci/")) for f in uploaded)
    assert not any(f.startswith("benchmarks/") and f.endswith((".py", ".json")) for f in uploaded)
    # the README shows a picture of each tab in each language (named as that page names it), each uploaded as it is
    pictures = re.findall(r"!\[([^]]+)\]\((tests/screenshots/[^)]+)\)", (root / "README.md").read_text())
    for lang, prefix in (("en", "tab-"), ("zh-CN", "zh-tab-")):
        names = sorted(name for name, path in pictures if path.split("/")[-1].startswith(prefix))
        assert names == sorted(text.t(lang, k) for k in text.STRINGS if k.startswith("tab.")), lang
    for _, path in pictures:
        assert files.get(path) == (root / path).read_bytes(), path
    for f in ("app.py", "gan/models.py", "weights/cnn/model.safetensors", "weights/nearest/index.safetensors"):
        assert files[f] == (root / f).read_bytes(), f
    meta = front_matter(files["README.md"])
    assert meta["models"] == ["me/fm-cnn", "me/fm-mlp"] and meta["sdk"] == "gradio" and meta["app_file"] == "app.py"
    assert files["README.md"].decode().split("---\n", 2)[2] == (root / "README.md").read_text().split("---\n", 2)[2]
    assert space["variables"] == {"GAN_HUB_REPO": EXPECTED_VARIABLE}


# markdown's inline links and images [text](target) / ![alt](target), reference definitions
# [label]: target, and HTML src= / href= attributes
LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)|^\s*\[[^\]]+\]:\s*<?(\S+?)>?\s*$|(?:src|href)=[\"']([^\"']+)",
                  re.MULTILINE)


def relative_links(page: str, markdown: str) -> set:
    """The repository paths a markdown page at `page` links (not URLs, not its own anchors); code
    blocks and code spans are left out, they hold code, not links."""
    prose = re.sub(r"`[^`\n]*`", "", re.sub(r"^```.*?^```", "", markdown, flags=re.MULTILINE | re.DOTALL))
    targets = (next(t for t in m.groups() if t) for m in LINK.finditer(prose))
    paths = (t.split("#")[0].split("?")[0] for t in targets if not re.match(r"[a-z][a-z0-9+.-]*:|#", t, re.I))
    return {posixpath.normpath(posixpath.join(posixpath.dirname(page), t)) for t in paths if t}


def test_relative_links_parse_as_written():
    page = ("See [a](../b/c.md#x) and ![p](pics/one.png), [web](https://x.org/y.md), [top](#here),\n"
            "`[not](code.md)`, <img src=\"two.png\">\n[ref]: ./three.md\n```\n[no](block.md)\n```\n")
    assert relative_links("docs/page.md", page) == {"b/c.md", "docs/pics/one.png", "docs/two.png", "docs/three.md"}


def test_every_page_the_space_readme_links_is_uploaded(hub, root):
    """On the Space, a relative link of the README (and of each page it leads to in turn) opens
    the file of that path in the Space: every one must be among the files the deploy commit
    the stand-in Hub received holds."""
    publish.deploy("me/explorer")
    commit = [c for c in hub.repos["me/explorer"]["commits"] if c["message"] != "initial commit"][0]
    uploaded, files = set(commit["added"]), commit["files"]
    readme_links = relative_links("README.md", files["README.md"].decode())
    # the README's own promises: the pages and pictures it names, both languages' screenshots
    assert {"tests/README.md", "benchmarks/lab.md", "benchmarks/quality.md", "benchmarks/sweep-results.md",
            "tests/screenshots/tab-1.png", "tests/screenshots/tab-9.png", "tests/screenshots/zh-tab-1.png",
            "tests/screenshots/zh-tab-9.png"} <= readme_links
    dead, seen, todo = [], set(), ["README.md"]
    while todo:
        page = todo.pop()
        seen.add(page)
        for target in sorted(relative_links(page, files[page].decode())):
            if target not in uploaded:
                dead.append(f"{page} -> {target}")
            elif target.endswith(".md") and target not in seen:
                todo.append(target)
    assert not dead, dead
    assert "benchmarks/suite.md" in seen  # reached through tests/README.md: the walk goes on from each page


def test_deploy_refuses_without_a_token_before_any_request(hub, hub_env):
    hub_env(HF_ENDPOINT=hub.url)  # no token set, no stored login
    with pytest.raises(SystemExit, match="deploy needs a Hugging Face token.*nothing was uploaded"):
        publish.deploy("me/explorer", models=EXPECTED_VARIABLE)
    assert hub.requests == []


def test_deploy_refuses_model_repos_that_do_not_exist(hub):
    hub.add_commit("me/fm-mlp", {"model.safetensors": b"weights"})
    with pytest.raises(SystemExit, match="--models: me/fm-cnn not found on the Hub; push them first"):
        publish.deploy("me/explorer", models=EXPECTED_VARIABLE)
    assert "me/explorer" not in hub.repos and all(method == "GET" for method, _ in hub.requests)


def test_deploy_dry_run_lists_and_uploads_nothing(hub_env, capsys):
    """`python -m gan.publish deploy ... --dry-run` (its main, in this process): no token, no
    network, nothing sent."""
    from conftest import free_port
    hub_env(HF_ENDPOINT=f"http://127.0.0.1:{free_port()}")  # no token; nothing listens: a request fails
    publish.main(["deploy", "me/explorer", "--models", EXPECTED_VARIABLE, "--dry-run"])
    out = capsys.readouterr().out
    assert "in one commit" in out and "  weights/nearest/index.safetensors\n" in out
    assert "  weights/examples/drawing.png\n" in out and "  tests/test" not in out
    assert "models:\n- me/fm-cnn\n- me/fm-mlp\n" in out and f"Space variable: GAN_HUB_REPO={EXPECTED_VARIABLE}" in out


def test_staged_push_files_and_card(tmp_path):
    staging = publish.stage(weights.bundled_dir("cnn"), "someone/fashion-mnist-gan-cnn", tmp_path / "up")
    names = {p.relative_to(staging).as_posix() for p in staging.rglob("*") if p.is_file()}
    assert {"config.json", "model.safetensors", "discriminator/config.json", "discriminator/model.safetensors",
            "README.md", "samples.png", "curves.svg", "summary.json", "history.json"} <= names
    assert not any("checkpoint" in n or "snapshots" in n for n in names)
    readme = (staging / "README.md").read_text()
    assert readme.startswith("---\n")
    meta = yaml.safe_load(readme.split("---\n")[1])
    assert meta["library_name"] == "pytorch" and meta["license"] == "mit"
    assert {"gan", "fashion-mnist", "pytorch"} <= set(meta["tags"])
    assert meta["datasets"] == ["zalando-datasets/fashion_mnist"]  # the Hub's Fashion-MNIST
    assert meta["pipeline_tag"] == "unconditional-image-generation"
    metrics = {m["type"]: m["value"] for m in meta["model-index"][0]["results"][0]["metrics"]}
    assert {"fd", "precision", "recall", "coverage"} <= set(metrics)
    summary = json.loads((staging / "summary.json").read_text())
    assert metrics["fd"] == pytest.approx(summary["metrics"]["fd"], abs=1e-3)
    for ref in ("samples.png", "curves.svg"):  # every image the card shows is uploaded
        assert f"]({ref})" in readme and (staging / ref).is_file()
    assert "ConvTranspose2d(100, 128" in readme and "from_pretrained(\"someone/fashion-mnist-gan-cnn\")" in readme
    weights.load_generator("cnn", staging)  # what is uploaded loads strictly
    assert "model.onnx" in names and export.fresh(staging) is not None and "onnxruntime" in readme


def test_a_folder_without_a_fresh_onnx_file_is_pushed_with_one(tmp_path):
    """A folder exported before its weights changed (or never): the push exports them again."""
    folder = tmp_path / "mlp"
    weights.save(folder, "mlp", weights.load_generator("mlp"))
    (folder / "model.onnx").write_bytes((weights.bundled_dir("cnn") / "model.onnx").read_bytes())  # stale
    staging = publish.stage(folder, "someone/fm-mlp", tmp_path / "up")
    assert export.fresh(folder) is None and export.fresh(staging) == staging / "model.onnx"


@pytest.mark.slow
def test_train_py_pushes_one_commit_to_the_hub(tmp_path, hub, capsys):
    """train.py --push-to-hub after a (dry) run (its main, in this process): the stand-in Hub gets
    the repo, one commit holding the run's weights byte for byte, the card, grid and curves; the
    printed URL is that commit."""
    import train
    out = tmp_path / "run"
    assert train.main(["--arch", "mlp", "--dry-run", "--out", str(out), "--push-to-hub", "me/fm-mlp"]) == 0
    commits = hub.repos["me/fm-mlp"]["commits"]
    files = hub.files("me/fm-mlp")
    printed = capsys.readouterr().out
    assert len(commits) == 1 and printed.strip().endswith(f"pushed: {hub.url}/me/fm-mlp/commit/{commits[0]['sha']}")
    assert set(files) == {"config.json", "model.safetensors", "model.onnx", "discriminator/config.json",
                          "discriminator/model.safetensors", "summary.json", "history.json", "samples/epoch_001.png", "samples/epoch_002.png",
                          "samples.png", "curves.svg", "README.md"}
    for name in ("model.safetensors", "model.onnx", "discriminator/model.safetensors", "summary.json"):
        assert files[name] == (out / name).read_bytes(), name  # model.onnx: train.py's, of these weights
    assert export.fresh(out) is not None
    meta = yaml.safe_load(files["README.md"].decode().split("---\n")[1])
    assert meta["model-index"][0]["results"][0]["metrics"][0]["value"] == pytest.approx(
        json.loads((out / "summary.json").read_text())["metrics"]["fd"], abs=1e-4)


@pytest.mark.slow
def test_push_of_a_long_run_is_one_commit(hub):
    """The bundled MLP folder (250 epoch grids, 259 files) goes up as one commit too:
    upload_folder would split a folder this size into several."""
    url = publish.push(weights.bundled_dir("mlp"), "me/fm-mlp")
    commits, files = hub.repos["me/fm-mlp"]["commits"], hub.files("me/fm-mlp")
    assert len(commits) == 1 and url.endswith(commits[0]["sha"])
    assert len([f for f in files if f.startswith("samples/epoch_")]) == 250
    assert files["model.safetensors"] == (weights.bundled_dir("mlp") / "model.safetensors").read_bytes()


def test_card_cli_writes_what_a_push_would_upload(tmp_path, capsys):
    """`python -m gan.publish card` (its main, in this process)."""
    publish.main(["card", str(weights.bundled_dir("cnn")), str(tmp_path / "card"), "--repo", "me/fm"])
    assert capsys.readouterr().out.strip() == str(tmp_path / "card")
    readme = (tmp_path / "card" / "README.md").read_text()
    assert 'from_pretrained("me/fm")' in readme and yaml.safe_load(readme.split("---\n")[1])["license"] == "mit"
    assert (tmp_path / "card" / "model.safetensors").read_bytes() == (weights.bundled_dir("cnn") / "model.safetensors").read_bytes()


def test_push_without_token_fails_before_training(tmp_path, hub_env):
    """train.py --push-to-hub with no token (none set, none stored; its main, in this process):
    the clear message, and nothing trained."""
    import train
    hub_env()
    with pytest.raises(SystemExit, match="--push-to-hub needs a Hugging Face token"):
        train.main(["--arch", "mlp", "--dry-run", "--push-to-hub", "me/x", "--out", str(tmp_path / "o")])
    assert not (tmp_path / "o").exists()  # (--dry-run: were the check late, this fails in seconds, not hours)


def test_the_card_carries_the_inception_fid_when_the_folder_has_one(tmp_path):
    """benchmarks/fid.py writes a row's FID into the folder's summary.json: the card then lists it
    in model-index as metric fid, and says how it was measured and what it compares with; a
    folder without one gets no fid."""
    cards = {}
    for fid in (None, {"fid": 12.345, "n": 10000}):
        folder = tmp_path / str(bool(fid))
        weights.copy_folder(weights.bundled_dir("mlp"), folder)
        summary = {k: v for k, v in json.loads((folder / "summary.json").read_text()).items() if k != "inception_fid"}
        (folder / "summary.json").write_text(json.dumps({**summary, **({"inception_fid": fid} if fid else {})}))
        cards[bool(fid)] = card.model_card(folder, "me/fm")
    metrics = {b: yaml.safe_load(c.split("---\n")[1])["model-index"][0]["results"][0]["metrics"] for b, c in cards.items()}
    assert {"type": "fid", "value": 12.345, "name": card.FID_NAME} in metrics[True]
    assert all(m["type"] != "fid" for m in metrics[False]) and "Lucic" not in cards[False]
    assert "Inception FID, on the protocol of Lucic et al. 2018" in cards[True] and ": 12.35 (lower" in cards[True]


@pytest.mark.parametrize("arch, ema_decay", [("cnn", 0.0), ("cnn", 0.999), ("mlp", 0.0), ("mlp", 0.999)])
def test_the_card_says_which_generator_was_saved(tmp_path, arch, ema_decay):
    """The report and textbook recipes keep no EMA (ema_decay 0): their card says G itself was saved;
    a run with an EMA says the EMA copy, with recalibrated BatchNorm only where G has BatchNorm (the
    CNN; the report's MLP has none)."""
    folder = tmp_path / "run"
    weights.copy_folder(weights.bundled_dir(arch), folder)
    summary = json.loads((folder / "summary.json").read_text())
    summary["config"]["ema_decay"] = ema_decay
    (folder / "summary.json").write_text(json.dumps(summary))
    training = card.model_card(folder, "me/fm").split("## Training\n", 1)[1].split("|")[0]
    if ema_decay:
        assert f"The saved generator is the EMA copy of G (decay {ema_decay})." in training
        assert ("BatchNorm statistics were recalibrated" in training) == (arch == "cnn")
    else:
        assert "The saved generator is G itself, as training left it: no EMA." in training
        assert "EMA copy" not in training and "recalibrated" not in training
    assert ("BatchNorm" in training) == (arch == "cnn")
