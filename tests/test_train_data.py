"""The Train tab on your own images (#39): a .zip or images uploaded through /train_data (the
preview) and /train, as the tab and the README's gradio_client snippet send them. The job trains
on those images (its nearest-training-images gallery shows them), its model names them and works
in "Try it"; the files are deleted when the job ends; what cannot be trained on gets the
project's message in the visitor's language, and the app keeps serving."""
import hashlib
import io
import json
import shlex
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch
from gradio_client import handle_file
from PIL import Image
from safetensors.torch import load_file

from conftest import CALL_TIMEOUT, api_client, call
from gan import data as fmnist
from gan import limits, owndata, text
from gan.checks import InputError
from gan.data import CLASSES
from gan.limits import TRAIN_PER_CLASS
from test_app import pixels
from test_owndata import files_hash


@pytest.fixture(scope="module")
def shoes():
    """24 Fashion-MNIST test images, sneakers (class 7) and bags (class 8), as PNG bytes by name."""
    x, y = fmnist.load("test")
    pick = [i for i in range(len(y)) if int(y[i]) in (7, 8)][:24]
    out = {}
    for i in pick:
        png = io.BytesIO()
        Image.fromarray(x[i, 0].numpy()).save(png, "PNG")
        out[f"{'sneakers' if int(y[i]) == 7 else 'bags'}/{i}.png"] = png.getvalue()
    return out


def zipped(tmp_path, members: dict, name="closet.zip") -> Path:
    path = tmp_path / name
    with zipfile.ZipFile(path, "w") as z:
        for member, data in members.items():
            z.writestr(member, data)
    return path


def test_a_job_trains_on_an_uploaded_zip_and_names_it(client, shoes, tmp_path, monkeypatch):
    """/train_data previews the zip (its images, its two classes); /train on it: the command names
    it, the model's config.json names the upload and its files' hash, each nearest training image
    shown is one of the uploaded ones, pixel for pixel, and the model works beside the bundled one."""
    path = zipped(tmp_path, shoes)
    preview, summary = call(client, [handle_file(str(path))], api_name="/train_data")
    assert summary == text.t("en", "data.summary", n=24, classes=text.t("en", "data.classes", k=2,
                             names="bags, sneakers"), skipped=text.t("en", "data.none"))
    shown = np.asarray(Image.open(preview).convert("L"))[::2, ::2]  # 2x; 16 a row, 2 px apart: the first at 2, 2
    first = np.asarray(Image.open(io.BytesIO(shoes[sorted(shoes)[0]])))
    assert np.array_equal(shown[2:30, 2:30], first)
    out = client.submit("mlp", "report", 1, 0, {}, None, [handle_file(str(path))],
                        api_name="/train").result(timeout=CALL_TIMEOUT)
    stats, model, command, nearest = out[5], out[6], out[8], out[10]
    assert stats["done"] and "--data=closet.zip" in command and "--classes" not in command
    with zipfile.ZipFile(model) as z:
        data = json.loads(z.read("config.json"))["data"]
    assert data["source"] == owndata.UPLOAD and data["classes"] == ["bags", "sneakers"] and data["images"] == 24
    unpacked = tmp_path / "unpacked"
    zipfile.ZipFile(path).extractall(unpacked)
    assert data["sha256"] == files_hash(unpacked, sorted(shoes))
    uploaded = [np.asarray(Image.open(io.BytesIO(b))) for b in shoes.values()]
    assert len(nearest) == 16
    pool = np.stack(uploaded).reshape(len(uploaded), -1) / 255
    for final, found in zip(nearest[::2], nearest[1::2]):  # final, its nearest, final, its nearest...
        d = np.linalg.norm(pool - pixels(final).reshape(-1) / 255, axis=1)  # to each uploaded image
        assert np.array_equal(pixels(found), uploaded[int(d.argmin())])
    yours, bundled, labels = call(client, handle_file(model), 3, api_name="/trained")
    assert Path(yours).is_file() and Path(bundled).is_file()
    # the command, run beside the .zip: the same generator, tensor for tensor; 24 images are passed over
    # as often as the tab's 8,000 Fashion-MNIST images would be an epoch
    assert f"--repeat={len(CLASSES) * TRAIN_PER_CLASS['mlp'] // 24}" in command
    import train as train_py  # its main, in this process, as `python train.py ...` run beside the .zip
    monkeypatch.chdir(tmp_path)
    assert train_py.main(shlex.split(command)[2:] + ["--out", "run"]) == 0
    zipfile.ZipFile(model).extractall(tmp_path / "tab")
    tab, cli = (load_file(tmp_path / d / "model.safetensors") for d in ("tab", "run"))
    assert tab.keys() == cli.keys() and all(torch.equal(tab[k], cli[k]) for k in tab)


@pytest.mark.parametrize("case,key,params", [
    ("few", "data_few", {"count": 5}), ("unsafe", "zip_unsafe", {}), ("zip_and_image", "data_one_zip", {})])
def test_uploads_it_cannot_train_on_get_the_projects_message(server, shoes, tmp_path, case, key, params):
    """5 images; a .zip with a name out of its folder; a .zip beside an image: the project's
    message, in English and in Chinese, from the preview and from /train alike; still serving."""
    few = dict(list(shoes.items())[:5])
    files = {"few": lambda: [zipped(tmp_path, few)],
             "unsafe": lambda: [zipped(tmp_path, {**shoes, "../evil.png": shoes[sorted(shoes)[0]]})],
             "zip_and_image": lambda: [zipped(tmp_path, shoes), zipped(tmp_path, few, "one.png")]}[case]()
    from gradio_client.exceptions import AppError
    for lang in ("en", "zh-CN"):
        c = api_client(server, headers={"Accept-Language": lang})
        message = text.t(lang, f"error.{key}", **params)
        with pytest.raises(AppError, match=message.replace("(", r"\(").replace(")", r"\)").replace(".", r"\.")):
            call(c, [handle_file(str(f)) for f in files], api_name="/train_data")
        with pytest.raises(AppError, match=message.replace("(", r"\(").replace(")", r"\)").replace(".", r"\.")):
            c.submit("mlp", "report", 1, 0, {}, None, [handle_file(str(f)) for f in files],
                     api_name="/train").result(timeout=CALL_TIMEOUT)
    assert call(api_client(server), "cnn", 1, api_name="/sample")


def gradio_upload(root: Path, name: str, data: bytes) -> Path:
    """A file where Gradio keeps an upload: root/<sha256 of the bytes>/name."""
    folder = root / hashlib.sha256(data).hexdigest()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data)
    return folder / name


@pytest.fixture(scope="module")
def tab(tmp_path_factory):
    """The app's handlers (MLP only) with an upload root of their own, loaded once for the module
    (each test uploads its own files); -> (Demo, that root)."""
    from gan.demo import Demo
    root = tmp_path_factory.mktemp("tab") / "uploads"
    return Demo.load(archs=("mlp",), cache_dir=root / "gan-explorer", train_cap_s=30, uploads=root), root


def test_the_uploaded_files_are_deleted_when_the_job_ends(tab, shoes):
    """The tab's handler on images uploaded as Gradio keeps them: after the job, done, stopped at
    its first update, or refused for its settings, the files and their folders are gone, and their
    pixels with them; a job asked to train on them again is told they are gone."""
    demo, root = tab

    def upload():
        return [{"path": str(gradio_upload(root, Path(name).name, data))} for name, data in shoes.items()]

    for how in ("done", "stopped", "refused"):
        files = upload()
        job = demo.train("mlp", "report", 1, 0, {"lr_g": 0} if how == "refused" else None, None, files)
        if how == "refused":
            with pytest.raises(InputError, match="lr_g"):
                next(job)
        else:
            first = next(job)
            assert all(Path(f["path"]).is_file() for f in files)  # kept while the job runs
            if how == "stopped":
                job.close()  # Stop, or a closed page
            else:
                assert [first, *job][-1][5]["done"]
        assert not any(Path(f["path"]).exists() or Path(f["path"]).parent.exists() for f in files), how
        assert not demo.own_uploads.kept and not demo.own_uploads.using  # nor their pixels, in memory
        assert (root / "gan-explorer").is_dir()  # the app's results stay
    with pytest.raises(InputError) as e:
        next(demo.train("mlp", "report", 1, 0, None, None, files))
    assert e.value.key == "data_gone"


def test_files_two_jobs_use_stay_until_both_end_and_the_pages_own_stay(tab, shoes):
    """Uploads are kept by content, so two visitors' jobs may name the same files: the first to end
    leaves them to the second, the second deletes them. One of the page's own files (the same
    bytes as a default) is never deleted."""
    demo, root = tab
    files = [{"path": str(gradio_upload(root, Path(name).name, data))} for name, data in shoes.items()]
    first, second = (demo.train("mlp", "report", 1, 0, None, None, files) for _ in range(2))
    next(first), next(second)
    list(first)
    assert all(Path(f["path"]).is_file() for f in files)
    list(second)
    assert not any(Path(f["path"]).exists() for f in files)
    files = [{"path": str(gradio_upload(root, Path(name).name, data))} for name, data in shoes.items()]
    demo.own_uploads.keep([files[0]["path"]])
    try:
        list(demo.train("mlp", "report", 1, 0, None, None, files))
    finally:
        demo.own_uploads.keep([])
    assert Path(files[0]["path"]).is_file() and not Path(files[1]["path"]).exists()


def test_only_a_visitors_upload_may_be_named(tab, shoes):
    """The app's results, a folder, a file outside the upload root, a path through .., a link out,
    a NUL or a name too long, a list longer than any folder: not_uploaded (or data_files), from the
    preview and from a job alike, and nothing is deleted."""
    demo, root = tab
    outside = root.parent / "elsewhere.png"
    outside.write_bytes(b"png")
    upload = gradio_upload(root, "ok.png", b"png")
    link = upload.parent / "link.png"
    link.symlink_to(outside)
    demo.store(np.zeros((28, 28), np.uint8))  # a result of the app's
    result = next((root / "gan-explorer").glob("*.png"))
    for name in (str(result), str(upload.parent), str(outside), str(upload.parent / ".." / ".." / "elsewhere.png"),
                 str(link), "a\0b", str(upload.parent / ("x" * 300)), 7, {"no": "path"}):
        for call in (lambda: demo.data_preview([{"path": name}]), lambda: next(demo.train("mlp", "report", 1, 0, None,
                                                                                          None, [{"path": name}]))):
            with pytest.raises(InputError) as e:
                call()
            assert e.value.key == "not_uploaded", name
    with pytest.raises(InputError) as e:
        demo.data_preview([{"path": str(upload)}] * (limits.DATA_MAX_FILES + 1))
    assert e.value.key == "data_files"
    assert result.is_file() and outside.is_file() and upload.is_file()


def test_load_files_reads_images_or_one_zip():
    """Several images: one class, named by their file names in the hash; one .zip: its folders."""
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        x = fmnist.load("test")[0][:20, 0].numpy()
        paths = []
        for i, img in enumerate(x):
            paths.append(tmp / f"{i:02d}.png")
            Image.fromarray(img).save(paths[-1])
        own = owndata.load_files(paths)
        assert own.classes == [""] and np.array_equal(own.images[:, 0], x) and own.source == owndata.UPLOAD
        assert own.sha256 == files_hash(tmp, [p.name for p in paths])
        with pytest.raises(InputError) as e:
            owndata.load_files(paths + [tmp / "also.zip"])
        assert e.value.key == "data_one_zip"


def test_nearest_and_spacing_on_images_of_one_grey_each():
    """Flat images of grey 0, 51, 102 and 255: L2 on [0, 1] pixels between two is 28 * |a - b| / 255;
    each one's nearest other lies 5.6 away but 255's, 16.8: the median, 5.6. A grey-60 image's
    nearest is the grey-51 one."""
    from gan import nearest
    pool = np.stack([np.full((28, 28), v, np.uint8) for v in (0, 51, 102, 255)])
    assert nearest.spacing(pool) == pytest.approx(28 * 51 / 255, rel=1e-5)
    idx, dist = nearest.closest(np.full((1, 28, 28), 60, np.uint8), pool)
    assert idx.tolist() == [1] and dist[0] == pytest.approx(28 * 9 / 255, rel=1e-5)


def test_a_preview_and_its_job_decode_the_files_once_one_at_a_time(tmp_path, monkeypatch):
    """The same files twice: one read (gan.owndata.load_files called once); a read of other files
    waits while another read holds the one place for decoding, and goes once it is given back."""
    import threading
    from gan.uploads import Uploads
    calls = []
    monkeypatch.setattr(owndata, "load_files", lambda paths: calls.append(paths) or len(calls))
    reads = Uploads(tmp_path)
    a, b = gradio_upload(tmp_path, "a.png", b"a"), gradio_upload(tmp_path, "b.png", b"b")
    assert reads.read([a]) == reads.read([a]) == 1 and len(calls) == 1
    with reads.decoding.held():  # another read's turn: this one waits for it
        got = []
        reader = threading.Thread(target=lambda: got.append(reads.read([b])))
        reader.start()
        reader.join(0.5)
        assert not got
    reader.join(10)
    assert got == [2]


def test_repeat_passes_over_the_images_that_many_times_an_epoch():
    """--repeat 3 on 20 images: 60 to an epoch, each image 3 times; a step count of 60 // batch."""
    from gan.config import Config
    from gan.training import new_run
    x = fmnist.load("test")[0][:20]
    run = new_run(Config(arch="mlp", recipe="report", device="cpu", repeat=3, batch_size=16).resolved(), x)
    assert run.reals.shape[0] == 60 and run.steps == 60 // 16
    seen = ((run.reals[:, 0] * 255).round().to(torch.uint8)).flatten(1)  # report recipe: reals in [0, 1]
    for img in x[:, 0].flatten(1):
        assert int((seen == img).all(1).sum()) == 3


def test_a_checkpoint_of_own_images_goes_on_only_with_them(tab, shoes):
    """A job's checkpoint names its images' hash: going on from it on Fashion-MNIST (the page has
    cleared the files) is refused with the project's message, not a silent switch of data."""
    demo, root = tab
    files = [{"path": str(gradio_upload(root, Path(name).name, data))} for name, data in shoes.items()]
    saved = list(demo.train("mlp", "report", 1, 0, None, None, files))[-1][9]
    with pytest.raises(InputError) as e:
        next(demo.train("mlp", "report", 2, 0, None, saved, None))
    assert e.value.key == "checkpoint_data"


def test_an_epoch_too_large_to_hold_is_refused():
    """--repeat copies the images in memory: 30 images 10,000 times is over EPOCH_MAX_IMAGES."""
    from gan.config import Config
    from gan.training import new_run
    with pytest.raises(InputError) as e:
        new_run(Config(arch="mlp", recipe="report", device="cpu", repeat=10_000).resolved(), fmnist.load("test")[0][:30])
    assert e.value.key == "epoch_big" and "300,000" in str(e.value)


def test_a_checkpoint_from_before_repeat_still_resumes(tmp_path):
    """A checkpoint written before --repeat and --data-source existed (its settings lack them)
    resumes with their defaults, as it was trained."""
    import json as json_
    import train as train_py
    from safetensors.torch import save
    from gan import checkpoint
    args = ["--arch", "mlp", "--dry-run", "--weights-only", "--device", "cpu", "--out", str(tmp_path / "run")]
    assert train_py.main(args + ["--stop-after", "1"]) == train_py.STOPPED
    path = tmp_path / "run" / checkpoint.CHECKPOINT
    tensors, meta = checkpoint.read(path.read_bytes())
    for new in ("repeat", "data_source"):
        del meta["settings"][new]
    path.write_bytes(save(tensors, {k: json_.dumps(v) for k, v in meta.items()}))
    assert train_py.main(args + ["--resume"]) == 0
