"""train.py --data hf://datasets/USER/NAME (gan.hubdata) against the stand-in Hub (tests/hubstub.py):
a dataset of image files reads as the same folder does (images, classes, hash) and is named with
its commit; only its image files are downloaded; what cannot be trained on is refused with the
project's message; train.py records the dataset in config.json and the card links it."""
import json

import numpy as np
import pytest
import yaml

from conftest import free_port
from gan import card, hubdata, limits, owndata, text
from gan.checks import InputError
from test_owndata import IMAGES, build, files_hash, fm_test  # noqa: F401 (fm_test: a fixture)


@pytest.fixture
def closet(tmp_path, fm_test, hub_env):
    """The stand-in Hub holding dataset me/closet: test_owndata's folder (18 images in 2 class
    folders, and junk), file for file. Yields (hub, the folder, the commit)."""
    from hubstub import Hub
    root = build(tmp_path / "closet", fm_test)
    with Hub() as hub:
        hub_env(HF_ENDPOINT=hub.url)
        files = {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}
        yield hub, root, hub.add_commit("me/closet", files, repo_type="dataset")


def test_a_hub_dataset_reads_as_its_folder(closet):
    """hf://datasets/me/closet and `me/closet` with source hub: the folder's images, labels, classes
    and hash, the source pinned to the commit; the non-image files are never downloaded."""
    hub, root, commit = closet
    own = owndata.load("hf://datasets/me/closet")
    assert own.sha256 == files_hash(root, IMAGES) and own.classes == ["bags", "shoes"]
    assert own.source == f"hf://datasets/me/closet@{commit}"
    assert own.labels.tolist() == [0 if rel.startswith("bags/") else 1 for rel in IMAGES]
    assert np.array_equal(own.images, owndata.load(root).images)
    # the image-named junk is fetched and skipped as in the folder; notes.txt and .DS_Store are not fetched
    assert own.skipped == {"empty_file": 1, "empty_image": 1, "not_image": 1}
    fetched = {path.split("/resolve/")[1].split("/", 1)[1] for method, path in hub.requests if "/resolve/" in path}
    assert fetched == set(IMAGES) | {"bags/empty.png", "bags/cut.png", "bags/black.png"}
    assert owndata.load("me/closet", "hub").sha256 == own.sha256


@pytest.mark.parametrize("case,key", [("parquet", "hub_parquet"), ("missing", "hub_missing"), ("name", "hub_name"),
                                      ("big", "hub_big"), ("offline", "hub_unreachable")])
def test_a_hub_dataset_it_cannot_train_on_is_refused(closet, hub_env, monkeypatch, case, key):
    """Images in Parquet, no such repo, a bad name, over the size cap (lowered: the message keeps
    the real one), a Hub that cannot be reached: each its own message, in English and Chinese."""
    hub, _, _ = closet
    hub.add_commit("me/tables", {"data/train-00000.parquet": b"PAR1...PAR1", "README.md": b"# tables"},
                   repo_type="dataset")
    ref = {"parquet": "hf://datasets/me/tables", "missing": "hf://datasets/me/nothing",
           "name": "hf://datasets/../etc", "big": "hf://datasets/me/closet", "offline": "hf://datasets/me/closet"}[case]
    if case == "big":
        monkeypatch.setattr(limits, "DATA_MAX_UNPACKED_MB", 0)
    if case == "offline":
        hub_env(HF_ENDPOINT=f"http://127.0.0.1:{free_port()}")  # nothing listens there
    with pytest.raises(InputError) as e:
        owndata.load(ref)
    assert e.value.key == key and str(e.value) == text.t("en", f"error.{key}")
    assert text.message("zh-CN", e.value) == text.t("zh-CN", f"error.{key}")


def test_train_py_trains_on_a_hub_dataset_and_its_card_names_it(closet, tmp_path):
    """`python train.py --data me/closet --data-source hub --dry-run --weights-only` (its main): config.json names
    the dataset at its commit, with the hash of its files; the card links it and lists it as the
    model's dataset, and says the model was not trained on Fashion-MNIST."""
    import train as train_py  # its main, in this process, which the fixture points at the stand-in Hub
    hub, root, commit = closet
    out = tmp_path / "out"
    assert train_py.main(["--arch", "mlp", "--dry-run", "--weights-only", "--device", "cpu", "--threads", "1",
                          "--out", str(out), "--data", "me/closet", "--data-source", "hub"]) == 0
    data = json.loads((out / "config.json").read_text())["data"]
    assert data["source"] == f"hf://datasets/me/closet@{commit}" and data["sha256"] == files_hash(root, IMAGES)
    readme = card.model_card(out, "me/closet-gan")
    meta = yaml.safe_load(readme.split("---\n")[1])
    assert meta["datasets"] == ["me/closet"] and "fashion-mnist" not in meta["tags"]
    assert "GAN on its own images" in readme and "https://huggingface.co/datasets/me/closet" in readme
    assert data["sha256"] in readme and commit[:12] in readme


def test_hub_names_are_parsed_or_refused():
    """USER/NAME[@REVISION], with or without hf://datasets/; anything else: hub_name."""
    assert hubdata.parse("hf://datasets/me/closet@v1.0") == ("me/closet", "v1.0")
    assert hubdata.parse("me/closet") == ("me/closet", None)
    for bad in ("closet", "me/closet/extra", "/me/closet", "me/a..b", "hf://datasets/"):
        with pytest.raises(InputError, match="hf://datasets/USER/NAME"):
            hubdata.parse(bad)
