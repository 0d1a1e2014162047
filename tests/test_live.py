"""The Train tab: live jobs through gradio_client (streamed, scored, zipped, stoppable), their
determinism, and the finished model beside the bundled one."""
import itertools
import re
import threading
import time
import zipfile

import numpy as np
import pytest
import torch
from PIL import Image

from conftest import CALL_TIMEOUT, api_client, call, first_outputs
from gan import cockpit, live, nearest, training, weights
from gan.data import CLASSES
from gan.limits import TRAIN_FD_N
from gan.sampling import grid, latents
from test_app import render

REPORT_MLP = """Generator(
  (fc1): Linear(in_features=100, out_features=128, bias=True)
  (nonlin1): LeakyReLU(negative_slope=0.2)
  (fc2): Linear(in_features=128, out_features=784, bias=True)
)"""


def frechet_by_eigvals(a: np.ndarray, b: np.ndarray) -> float:
    """FD with Tr((S_a S_b)^1/2) as the sum of the square roots of S_a S_b's eigenvalues (numpy's
    general eigvals; gan.metrics takes the symmetric eigh of S_a^1/2 S_b S_a^1/2):
    |mu_a - mu_b|^2 + Tr(S_a) + Tr(S_b) - 2 Tr((S_a S_b)^1/2)."""
    s_a, s_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    root_trace = np.sqrt(np.clip(np.linalg.eigvals(s_a @ s_b).real, 0, None)).sum()
    return float(((a.mean(0) - b.mean(0)) ** 2).sum() + np.trace(s_a) + np.trace(s_b) - 2 * root_trace)


def unzip(path, tmp_path):
    with zipfile.ZipFile(path) as z:
        assert sorted(z.namelist()) == ["config.json", "model.safetensors"]
        z.extractall(tmp_path)
    return tmp_path


@pytest.mark.parametrize("recipe, epochs", [("report", 3), ("tuned", 3)])  # >= 2 epoch ends before the last
def test_a_short_job_streams_and_ends_with_a_loadable_model(client, tmp_path, recipe, epochs):
    """MLP: updates arrive before the end; the last one says done, and everything it shows is the
    zipped model's: the grid, the FD and the class shares, recomputed here."""
    job = client.submit("mlp", recipe, epochs, 7, api_name="/train")
    job.result(timeout=CALL_TIMEOUT)  # the end of the stream
    outputs = job.outputs()  # the stream, every update
    stats = [out[5] for out in outputs]
    assert len(outputs) >= 3 and not any(s["done"] for s in stats[:-1]) and stats[-1]["done"]
    assert [s["images_seen"] for s in stats] == sorted(s["images_seen"] for s in stats)  # it moved forward
    final = stats[-1]
    batch = {"report": 64, "tuned": 256}[recipe]
    assert final["epoch"] == final["epochs"] == epochs and final["step"] == epochs * (8000 // batch)
    assert final["images_seen"] == final["step"] * batch and not final["capped"]

    G = weights.load_generator("mlp", unzip(outputs[-1][6], tmp_path))  # the report's architecture
    assert str(G) == REPORT_MLP
    view = np.asarray(Image.open(outputs[-1][0]).convert("L"))
    assert np.array_equal(view_tiles(view, 64), render(G, latents(training.GRID_SEED, 64)))
    assert len(final["d_verdict_fakes"]) == 64 and all(0 <= p <= 1 for p in final["d_verdict_fakes"])
    clf = weights.load_classifier().eval()
    with torch.no_grad():  # the classifier's features and class probabilities of G's images, here
        feats = clf.features(G(latents(live.EVAL_SEED, TRAIN_FD_N)))
        probs = torch.softmax(clf.head(feats), 1).numpy()
    real = nearest.load_index(weights.NEAREST_INDEX)["features"].double().numpy()  # the MLP's subset: the whole index
    assert final["fd"] == pytest.approx(frechet_by_eigvals(real, feats.double().numpy()), abs=2e-3)
    shares = np.bincount(probs.argmax(1), minlength=10) / TRAIN_FD_N
    assert list(final["class_shares"]) == list(CLASSES)
    np.testing.assert_allclose(list(final["class_shares"].values()), shares, atol=1e-4)
    for st in stats:  # every meter, by name, in every update: the collapse meter from its class shares
        shares = list(st["class_shares"].values())
        assert st["class_entropy"] == pytest.approx(-sum(p * np.log2(p) for p in shares if p > 0), abs=2e-3)
        assert st["classes_drawn"] == sum(p > 0.05 for p in shares)
        assert all(0 <= st[k] <= 1 for k in ("d_acc_real", "d_acc_fake", "d_real", "d_fake"))
        assert {"d_loss", "g_loss", "fd", "alarms", "d_verdict_reals", "meter_n"} <= set(st)
    fd_rows = outputs[-1][3]["data"]
    assert [row[0] for row in fd_rows] == list(range(1, epochs + 1)) and fd_rows[-1][1] == final["fd"]

    yours, bundled, labels = call(client, __import__("gradio_client").handle_file(outputs[-1][6]), 3,
                                  api_name="/trained")
    from test_app import strip_pixels
    assert np.array_equal(strip_pixels(yours), render(G, latents(3, 8)))
    assert np.array_equal(strip_pixels(bundled), render(weights.load_generator("mlp"), latents(3, 8)))
    assert [row[0] for row in labels["data"]] == ["your model", "the bundled model"]


def view_tiles(view: np.ndarray, n: int) -> np.ndarray:
    """The n 28x28 images of D's view (gan.demo_train.d_view), read back: rows of 8 cells 60 px wide
    and 74 px high (a 2x image, 2 px in from the cell's corner, then D's verdict under it)."""
    return np.stack([view[2 + r * 74: 2 + r * 74 + 56: 2, 2 + c * 60: 2 + c * 60 + 56: 2]
                     for r, c in (divmod(i, 8) for i in range(n))])


def state(G) -> dict:
    return {k: v.clone() for k, v in G.state_dict().items()}


@pytest.mark.slow
@pytest.mark.parametrize("arch, recipe", [("mlp", "tuned"), ("cnn", "report")])
def test_the_same_configuration_gives_bit_identical_weights(arch, recipe):
    """Two jobs of one configuration, on one torch thread as in the app, end bit-equal; another
    seed does not (so the comparison can fail). On a slice of the subset, to stay quick."""
    images, feats = live.subset(nearest.load_index(weights.NEAREST_INDEX), cockpit.check_job(arch, recipe, 1, 0))
    every = len(images) // {"mlp": 2000, "cnn": 64}[arch]
    images, feats = images[::every], feats[::every]
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        def final(seed):
            last = list(live.job(cockpit.check_job(arch, recipe, 1, seed), images, feats, weights.load_classifier(),
                                 cap_s=300))[-1]
            return last.model
        a, b, c = final(5), final(5), final(6)
    finally:
        torch.set_num_threads(threads)
    assert a == b and a != c  # the zips: config.json + model.safetensors, byte for byte


def test_bad_input_is_a_clear_error(client, tmp_path):
    from gradio_client import handle_file
    from gradio_client.exceptions import AppError
    for args, message in ((("cnn", "tuned", 6, 0), "epochs must be a whole number from 1 to 5, got 6"),
                          (("mlp", "adam", 1, 0), "recipe must be one of report, textbook, tuned, got 'adam'"),
                          (("mlp", "tuned", 1, -1), "training seed must be a whole number from 0 to")):
        with pytest.raises(AppError, match=message):
            call(client, *args, api_name="/train")
    not_a_zip = tmp_path / "model.zip"
    not_a_zip.write_bytes(b"PK\x03\x04 not really")
    with pytest.raises(AppError, match="not a model .zip from the Train tab"):
        call(client, handle_file(str(not_a_zip)), 1, api_name="/trained")
    with pytest.raises(AppError, match="no trained model yet"):
        call(client, None, 1, api_name="/trained")
    assert call(client, "cnn", 1, api_name="/sample")  # still serving


def test_stop_ends_a_job_and_another_runs_to_its_end(live_app):
    """A CNN job is cancelled (the Stop button's cancel) after its first update: its generator is
    closed, so it ends (the app says so in its log) rather than waiting, paused, for ever; a job
    started beside it (a class's jobs take turns) runs to its end."""
    server, log = live_app
    first, second = (api_client(server) for _ in range(2))
    job = first.submit("cnn", "report", 5, 3, api_name="/train")
    first_outputs(job)
    other = second.submit("mlp", "report", 1, 3, api_name="/train")
    job.cancel()
    assert other.result(timeout=CALL_TIMEOUT)[5]["done"]
    assert not any(out[5]["done"] for out in job.outputs())
    ended = re.compile(r"train job cnn report, 5 epochs, seed 3: ended after \d+ steps")
    deadline = time.monotonic() + CALL_TIMEOUT
    while not ended.search(log.read_text()):
        assert time.monotonic() < deadline, "the stopped job never ended"
        time.sleep(0.1)


def test_a_stopped_jobs_last_step_comes_before_the_next_jobs_first(monkeypatch):
    """What app.py's queue does on Stop: job A is asked for no more updates, but its thread is still
    computing one; the queue gives A's place to job B at once. With one place (gan.live.PLACES),
    B's first step comes after A's last: never more jobs training side by side than places."""
    monkeypatch.setattr(live, "PLACES", live.Places(1))
    steps = []  # (the job's seed, when) of every training step
    epoch_steps = training.epoch_steps

    def recorded(run, stop, plan=None):
        for item in epoch_steps(run, stop, plan):
            steps.append((run.cfg.seed, time.monotonic()))
            yield item
    monkeypatch.setattr(training, "epoch_steps", recorded)
    images, feats = small_subset("mlp", 4)

    def stream(seed):
        cfg = cockpit.check_job("mlp", "report", 30, seed)
        return live.one_at_a_time(live.job(cfg, images, feats, weights.load_classifier(), cap_s=300, update_s=1.0))
    a = stream(1)
    next(a)
    computing = threading.Thread(target=next, args=(a,))  # A's next update, under way when Stop comes
    computing.start()
    deadline = time.monotonic() + CALL_TIMEOUT
    while sum(seed == 1 for seed, _ in steps) < 5:  # well inside that update's second of steps
        assert time.monotonic() < deadline
        time.sleep(0.01)
    next(stream(2))  # B's first update
    computing.join(CALL_TIMEOUT)
    assert max(t for seed, t in steps if seed == 1) < min(t for seed, t in steps if seed == 2)


def test_a_job_updates_every_update_s_so_a_stop_lands_at_once():
    """A Stop (Gradio's cancel, or closing the job) ends a job at its next update, so a job updates
    after every UPDATE_S seconds of training, not only at epoch ends. Its clock here is the test's:
    0.25 s each time the job reads it; a step reads it at least once, so no more than UPDATE_S / 0.25
    steps lie between two updates (an epoch of this job is 31 steps)."""
    images, feats = small_subset("mlp", 4)  # 2,000 images, 64 a step
    reads = itertools.count()
    job = live.job(cockpit.check_job("mlp", "report", 1, 0), images, feats, weights.load_classifier(),
                   cap_s=float("inf"), clock=lambda: 0.25 * next(reads))
    steps = [0] + [update.stats["step"] for update in itertools.islice(job, 4)]
    job.close()
    assert all(0 < b - a <= live.UPDATE_S / 0.25 for a, b in zip(steps, steps[1:])), steps


def small_subset(arch, every):
    images, feats = live.subset(nearest.load_index(weights.NEAREST_INDEX), cockpit.check_job(arch, "report", 1, 0))
    return images[::every], feats[::every]


@pytest.mark.slow
def test_a_job_trains_as_train_py_does(tmp_path):
    """The Train tab's job and train.py's epoch loop (training.run_epoch), on the same images and
    configuration, end with the same weights: the same steps, a new data order every epoch
    (training.epoch_perm), the same noise, the EMA saved. Two tuned MLP epochs on 2,000 images."""
    images, feats = small_subset("mlp", 4)
    cfg = cockpit.check_job("mlp", "tuned", 2, 5)
    last = list(live.job(cfg, images, feats, weights.load_classifier(), cap_s=300))[-1]
    (tmp_path / "model.zip").write_bytes(last.model)
    G, _ = live.read_zip(tmp_path / "model.zip")
    run = training.new_run(cfg, images)
    for _ in range(cfg.epochs):
        training.run_epoch(run, training.StopRequest())
        run.epoch += 1
    want = training.sampling_copy(run.ema, cfg).state_dict()
    assert all(torch.equal(v, want[k]) for k, v in G.state_dict().items())


@pytest.mark.slow
def test_a_job_ends_at_its_wall_clock_cap():
    """Demo.train with a 0 s cap (the app's GAN_TRAIN_CAP_S): the job stops after its first step,
    says so, and still hands back the model it has; a 30-epoch job would take a minute."""
    from gan.demo import Demo
    index = nearest.load_index(weights.NEAREST_INDEX)
    demo = Demo({}, weights.load_classifier(), index=index, train_cap_s=0)
    updates = list(demo.train("mlp", "report", 30, 0))
    stats, model = updates[-1][5], updates[-1][6]
    assert stats["capped"] and stats["done"] and stats["step"] == 1 and stats["epoch"] == 0
    G, arch = live.read_zip(model)
    assert arch == "mlp" and str(G) == REPORT_MLP


def test_the_subsets_are_class_balanced():
    """The MLP trains on all 800 indexed images of each class (8,000), the CNN on 300 of each."""
    index = nearest.load_index(weights.NEAREST_INDEX)
    for arch, per_class in (("mlp", 800), ("cnn", 300)):
        images, feats = live.subset(index, cockpit.check_job(arch, "report", 1, 0))
        labels = index["labels"][[int(np.flatnonzero((index["images"] == img[0]).flatten(1).all(1))[0])
                                  for img in images[::100]]]
        assert images.shape == (10 * per_class, 1, 28, 28) and feats.shape == (10 * per_class, 128)
        assert np.array_equal(np.bincount(labels.numpy(), minlength=10), np.full(10, per_class // 100))
