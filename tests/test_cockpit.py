"""The Train tab's cockpit: settings over a recipe (gan.cockpit), the meters and alarms (gan.meters),
the reproduce command and link, the class policy's turns (gan.live.Places), and checkpoints from
strangers (gan.checkpoint)."""
import json
import math
import subprocess
import sys
import threading
import time
import zipfile

import numpy as np
import pytest
import torch
from safetensors.torch import load_file, save

from conftest import CALL_TIMEOUT, api_client, call, first_outputs
from gan import checkpoint, cockpit, live, meters, nearest, training, weights
from gan.checks import InputError
from gan.config import Config


def test_a_jobs_settings_are_the_recipes_with_the_given_ones_over_them():
    """The report recipe's values (the course template: SGD at 0.03, batch 64, BCE on the
    sigmoid, [0, 1] reals) where settings say nothing; the given ones where they do; the tab's
    subset and thread always. No settings at all (an old 4-argument client): the recipe alone."""
    cfg = cockpit.check_job("mlp", "report", 2, 5, {"lr_g": 0.01, "classes": [7, 0], "d_steps": 2})
    assert (cfg.lr_g, cfg.classes, cfg.d_steps) == (0.01, "0,7", 2)
    assert (cfg.lr_d, cfg.optimizer_g, cfg.optimizer_d, cfg.batch_size, cfg.loss, cfg.real_range, cfg.g_steps) == \
        (0.03, "sgd", "sgd", 64, "bce-sigmoid", "0..1", 1)
    assert (cfg.per_class, cfg.threads, cfg.device, cfg.epochs, cfg.seed) == (800, 1, "cpu", 2, 5)
    old = cockpit.check_job("cnn", "tuned", 1, 0)
    assert (old.lr_g, old.batch_size, old.ema_decay, old.classes, old.per_class) == (2e-3, 128, 0.999, "all", 300)
    assert cockpit.check_job("cnn", "tuned", 1, 0, json.dumps({"lr_g": 0.01})).lr_g == 0.01  # JSON text too


BAD = [  # settings, the message in English, in Chinese
    ({"loss": "wgan"}, "loss must be one of bce-sigmoid, ns-logits, lsgan, hinge, got 'wgan'", "损失函数 loss必须是"),
    ({"lr_g": 0}, "lr_g (G's learning rate) must be a finite number from 1e-06 to 1, got 0", "生成器学习率 lr_g必须是"),
    ({"lr_d": 1e9}, "lr_d (D's learning rate) must be a finite number from 1e-06 to 1, got 1000000000.0",
     "判别器学习率 lr_d必须是"),
    ({"classes": []}, "choose at least one class to train on", "请至少选择一个参与训练的类别"),
    ({"classes": "3,12"}, "classes must be all, or labels 0 to 9", "类别必须是 all"),
    ({"d_steps": 0, "g_steps": 0}, "D's steps and G's steps cannot both be 0", "不能都为 0"),
    ({"label_smoothing": 0.1, "loss": "hinge"}, "label smoothing moves the target of the BCE losses only",
     "标签平滑只作用于 BCE 损失"),
    ({"batch_size": 4096}, "batch_size must be a whole number from 1 to 1024, got 4096", "批大小 batch_size必须是"),
    ({"beta1": 1}, "beta1 (Adam's momentum) must be a finite number from 0 to 0.9999, got 1", "Adam 动量 beta1必须是"),
    ({"epochs": 3}, "settings: 'epochs' is not a setting; the settings are: d_steps", "不是可用的设置"),
    ([1, 2], "settings must be a JSON object whose keys are some of: d_steps", "训练设置必须是一个 JSON 对象"),
]


def test_bad_settings_get_the_projects_message_in_the_visitors_language(server):
    from gradio_client.exceptions import AppError
    english, chinese = api_client(server), api_client(server, headers={"Accept-Language": "zh-CN"})
    for settings, en, zh in BAD:
        with pytest.raises(AppError, match=en.replace("(", r"\(").replace(")", r"\)")):
            call(english, "mlp", "report", 1, 0, settings, api_name="/train")
        with pytest.raises(AppError, match=zh):
            call(chinese, "mlp", "report", 1, 0, settings, api_name="/train")
    assert call(english, "cnn", 1, api_name="/sample")  # still serving


def test_the_command_shown_trains_the_same_weights_as_the_tab(client, root, tmp_path):
    """A job through /train with settings, then the command its last update shows, run as a
    learner would (here in a temp folder, its model folder there): the same generator, tensor for
    tensor. The tab's subset is the bundled index's; train.py picks it from the dataset itself."""
    settings = {"lr_g": 0.05, "classes": [0, 1, 7], "batch_size": 32, "real_range": "-1..1"}  # -1..1: not a flag
    outputs = client.submit("mlp", "report", 1, 3, settings, api_name="/train").result(timeout=CALL_TIMEOUT)
    command = outputs[8]
    assert command.startswith("python train.py ") and "--lr-g=0.05" in command and "--classes=0,1,7" in command
    assert "--real-range=-1..1" in command
    args = command.split()[2:] + ["--out", str(tmp_path / "run")]
    done = subprocess.run([sys.executable, str(root / "train.py"), *args], cwd=tmp_path, capture_output=True,
                          text=True, timeout=CALL_TIMEOUT)
    assert done.returncode == 0, done.stderr[-2000:]
    with zipfile.ZipFile(outputs[6]) as z:
        z.extractall(tmp_path / "tab")
    tab, cli = (load_file(tmp_path / d / weights.MODEL_FILE) for d in ("tab", "run"))
    assert tab.keys() == cli.keys() and all(torch.equal(tab[k], cli[k]) for k in tab)


def test_a_link_opens_the_settings_it_holds():
    """A page address written by hand, as a learner shares it: its settings over the recipe's."""
    from gan.demo import Demo
    demo = Demo({}, weights.load_classifier(), index=None)
    shown = demo.from_link({"arch": "cnn", "recipe": "textbook", "epochs": "3", "lr_g": "0.0005", "classes": "2,4",
                            "loss": "hinge", "__theme": "dark"})
    values = dict(zip(("arch", "recipe", "epochs", "seed", *cockpit.KEYS), shown))
    assert (values["arch"], values["recipe"], values["epochs"], values["seed"]) == ("cnn", "textbook", 3, 0)
    assert (values["lr_g"], values["lr_d"], values["loss"], values["classes"]) == (0.0005, 2e-4, "hinge", [2, 4])
    assert demo.from_link({"__theme": "dark"}) is None  # no settings: the page stays as it opens
    with pytest.raises(InputError, match="lr_g"):
        demo.from_link({"lr_g": "0"})
    assert cockpit.query(cockpit.check_job("cnn", "textbook", 3, 0, {"lr_g": 0.0005})) == \
        "arch=cnn&recipe=textbook&epochs=3&seed=0&lr_g=0.0005"  # only what differs from the recipe


def test_places_are_handed_out_in_turn():
    """Three jobs that each want a place three times, one place: A B C A B C A B C, as they asked,
    not A A A (a threading.Semaphore lets the thread that gave a place back take it again)."""
    places, order, lock = live.Places(1), [], threading.Lock()
    started = threading.Barrier(3)

    def job(name):
        started.wait()
        time.sleep({"A": 0, "B": 0.05, "C": 0.1}[name])  # A asks first, then B, then C
        for _ in range(3):
            with places.held():
                with lock:
                    order.append(name)
                time.sleep(0.2)  # a slice of training; the others queue meanwhile
    threads = [threading.Thread(target=job, args=(n,)) for n in "ABC"]
    for t in threads:
        t.start()
    for t in threads:
        t.join(CALL_TIMEOUT)
    assert "".join(order) == "ABCABCABC"


def test_alarms_rise_when_their_condition_begins_and_clear_when_it_ends():
    a = meters.Alarms()
    assert a.update(0.1, 0.6, 0.7, None, 3) == []
    assert a.update(0.2, 0.99, 0.985, 0.1, 8) == [{"alarm": "d_wins", "since_epoch": 0.2}]
    assert a.update(0.3, 1.0, 1.0, 0.0005, 7) == [{"alarm": "d_wins", "since_epoch": 0.2},
                                                  {"alarm": "g_stalls", "since_epoch": 0.3}]
    assert a.update(0.4, 0.9, 1.0, 0.01, 6) == [{"alarm": "classes_fall", "since_epoch": 0.4}]  # 8 at the peak
    assert a.update(0.5, None, None, 0.01, 7) == []  # no D step (G alone): no verdict on D


def test_ds_accuracy_counts_its_logits_on_each_side():
    """D's accuracy on reals: the share with a logit above 0 ("real"); on fakes: below 0."""
    from gan.loss import d_loss_fn

    class SumD(torch.nn.Module):
        def logits(self, x):
            return x.flatten(1).sum(1)
    real = torch.tensor([[2.0], [-1.0], [0.5], [3.0]])   # logits 2, -1, 0.5, 3: three of four said real
    fake = torch.tensor([[-2.0], [1.0], [-0.5], [-4.0]])  # logits -2, 1, -0.5, -4: three of four said fake
    *_, acc_real, acc_fake = d_loss_fn(SumD(), real, fake)
    assert (acc_real.item(), acc_fake.item()) == (0.75, 0.75)


@pytest.mark.slow
def test_d_alone_wins_and_g_stalls_and_the_meters_say_when():
    """--g-steps 0 (GAN Lab's train D only) on 2,000 MLP images: D soon tells every fake from every
    real, and G never moves: both alarms are on at the end, each dated to an epoch of the run."""
    index = nearest.load_index(weights.NEAREST_INDEX)
    cfg = cockpit.check_job("mlp", "textbook", 2, 0, {"g_steps": 0, "lr_d": 1e-3})
    images, feats = live.subset(index, cfg)
    last = list(live.job(cfg, images[::4], feats[::4], weights.load_classifier(), cap_s=300, update_s=0.2))[-1]
    alarms = {a["alarm"]: a["since_epoch"] for a in last.stats["alarms"]}
    assert set(alarms) == {"d_wins", "g_stalls"} and all(0 <= e <= 2 for e in alarms.values()), alarms
    assert last.stats["d_acc_fake"] >= meters.D_WINS and last.stats["g_loss"] is None


def tiny_run(arch="mlp", **kw):
    cfg = Config(arch=arch, recipe="textbook", device="cpu", **kw).resolved()
    images = torch.randint(0, 256, (64, 1, 28, 28), dtype=torch.uint8, generator=torch.Generator().manual_seed(1))
    return training.new_run(cfg, images)


def test_a_checkpoint_from_a_stranger_is_checked_before_any_tensor_is_used():
    """A checkpoint of the other model, one with a tensor of another shape, and a file that is not
    one are refused, each with its reason; the run they were given to is left as it was."""
    mlp, cnn = tiny_run("mlp"), tiny_run("cnn")
    good = checkpoint.to_bytes(mlp)
    before = {k: v.clone() for k, v in cnn.G.state_dict().items()}
    with pytest.raises(checkpoint.CheckpointError, match="a checkpoint of the 'mlp' model, not of 'cnn'"):
        checkpoint.restore(cnn, *checkpoint.read(good))
    assert all(torch.equal(v, before[k]) for k, v in cnn.G.state_dict().items())
    tensors, meta = checkpoint.read(good)
    tensors["G.fc1.weight"] = torch.zeros(128, 99)  # tampered: a shape this model does not have
    with pytest.raises(checkpoint.CheckpointError, match="its tensors are not those of this model"):
        checkpoint.restore(tiny_run("mlp"), tensors, meta)
    for junk in (b"not a checkpoint", b"\xff" * 8 + b"{}", good[:-10]):
        with pytest.raises(checkpoint.CheckpointError):
            checkpoint.read(junk)
    fresh = tiny_run("mlp")
    before = {k: v.clone() for k, v in fresh.G.state_dict().items()}
    trained = tiny_run("mlp")
    for _ in training.epoch_steps(trained):  # an Adam state to tamper with
        pass
    tensors, meta = checkpoint.read(checkpoint.to_bytes(trained))
    for name, bad in (("an RNG state torch refuses", {**tensors, "noise_rng": torch.zeros_like(tensors["noise_rng"])}),
                      ("a state Adam does not keep", {k: v for k, v in tensors.items() if "exp_avg" not in k}),
                      ("a step of another shape", {**tensors, "opt_g.0.step": torch.zeros(3)})):
        with pytest.raises(checkpoint.CheckpointError):
            checkpoint.restore(fresh, bad, meta)
        assert all(torch.equal(v, before[k]) for k, v in fresh.G.state_dict().items()), name
    with pytest.raises(checkpoint.CheckpointError):  # settings that are not an object
        checkpoint.read(save(tensors, {**{k: json.dumps(v) for k, v in meta.items()}, "settings": "[1, 2]"}))


def test_a_checkpoint_mid_epoch_goes_on_to_the_same_weights():
    """Six steps straight, or three, a checkpoint (as a pause hands it back), a fresh run restored
    from it, three more: the same G, D, EMA and optimizer states."""
    def steps(run, n):
        for i, _ in training.epoch_steps(run):
            if i + 1 == n:
                return
    straight = tiny_run(batch_size=8)
    steps(straight, 6)
    first = tiny_run(batch_size=8)
    steps(first, 3)
    again = tiny_run(batch_size=8)
    checkpoint.restore(again, *checkpoint.read(checkpoint.to_bytes(first)))
    assert again.step == 3
    steps(again, 6)
    for part in ("G", "D", "ema"):
        a, b = getattr(straight, part).state_dict(), getattr(again, part).state_dict()
        assert all(torch.equal(a[k], b[k]) for k in a), part
    assert torch.equal(straight.opt_d.state_dict()["state"][0]["exp_avg"], again.opt_d.state_dict()["state"][0]["exp_avg"])


def test_pause_step_and_resume_through_the_api(client):
    """A CNN job paused through /control hands back a checkpoint at the step it stopped after, then
    moves one step per step asked for (D alone: no G loss; G alone: no D loss; both), not at all
    in between, and runs to its end once resumed. A step asked of a running job is refused."""
    from gradio_client.exceptions import AppError
    job = client.submit("cnn", "report", 1, 3, api_name="/train")
    first = first_outputs(job)[0][5]
    with pytest.raises(AppError, match="pause the job first"):
        call(client, first["job"], "step_d", api_name="/control")
    call(client, first["job"], "pause", api_name="/control")
    paused = wait_for(job, lambda st: st["paused"])
    assert load_checkpoint_file(paused[9])["step"] == paused[5]["step"] % 46  # 3,000 images / 64: 46 steps an epoch
    for action, has_d, has_g in (("step_d", True, False), ("step_g", False, True), ("step_both", True, True)):
        before = len(job.outputs())
        call(client, first["job"], action, api_name="/control")
        out = wait_for(job, lambda st, n=before: len(job.outputs()) > n)
        st = out[5]
        assert out[9] == paused[9]  # no checkpoint of its own: one-off steps cannot fill the disk
        assert st["paused"] and st["step"] == paused[5]["step"] + ("step_d", "step_g", "step_both").index(action) + 1
        assert (st["d_loss"] is not None, st["g_loss"] is not None) == (has_d, has_g), (action, st)
    time.sleep(1.5)  # paused: nothing moves
    assert job.outputs()[-1][5]["step"] == paused[5]["step"] + 3
    call(client, first["job"], "resume", api_name="/control")
    assert job.result(timeout=CALL_TIMEOUT)[5]["done"]


def wait_for(job, ok, timeout: float = CALL_TIMEOUT):
    deadline = time.monotonic() + timeout
    while not (job.outputs() and ok(job.outputs()[-1][5])):
        assert time.monotonic() < deadline and not job.done(), "not reached"
        time.sleep(0.05)
    return job.outputs()[-1]


def load_checkpoint_file(path):
    return checkpoint.load_checkpoint(path)


@pytest.mark.slow
def test_going_on_from_a_checkpoint_gives_the_uninterrupted_jobs_weights(client, tmp_path):
    """Two MLP epochs straight, or one, then /train again from its checkpoint with the same
    settings: the same generator, byte for byte; from it with another learning rate (a fork): not."""
    from gradio_client import handle_file
    settings = {"classes": [1, 7], "batch_size": 32}
    straight = client.submit("mlp", "tuned", 2, 4, settings, api_name="/train").result(timeout=CALL_TIMEOUT)
    half = client.submit("mlp", "tuned", 1, 4, settings, api_name="/train")
    half.result(timeout=CALL_TIMEOUT)
    saved = [o[9] for o in half.outputs() if o[9]][-1]  # the checkpoint of epoch 1's end
    assert checkpoint.load_checkpoint(saved)["epoch"] == 1
    again = client.submit("mlp", "tuned", 2, 4, settings, handle_file(saved), api_name="/train").result(
        timeout=CALL_TIMEOUT)
    fork = client.submit("mlp", "tuned", 2, 4, {**settings, "lr_g": 5e-4}, handle_file(saved),
                         api_name="/train").result(timeout=CALL_TIMEOUT)
    model = {name: zipfile.ZipFile(out[6]).read(weights.MODEL_FILE) for name, out in
             (("straight", straight), ("again", again), ("fork", fork))}
    assert model["again"] == model["straight"] != model["fork"]
    assert again[5]["epoch"] == 2 and again[5]["step"] == 2 * (1600 // 32)


def test_a_bad_checkpoint_gets_the_projects_message(client, tmp_path):
    """Not a checkpoint; a checkpoint of the other model; one whose tensor was reshaped; one with
    its epochs all done: each refused with its own message, in the visitor's language."""
    from gradio_client import handle_file
    from gradio_client.exceptions import AppError
    from safetensors.torch import save
    junk = tmp_path / "junk.safetensors"
    junk.write_bytes(b"PK\x03\x04 not a checkpoint")
    cnn = tmp_path / "cnn.safetensors"
    cnn.write_bytes(checkpoint.to_bytes(tiny_run("cnn")))
    tensors, meta = checkpoint.read(checkpoint.to_bytes(tiny_run("mlp")))
    tensors["G.fc2.weight"] = tensors["G.fc2.weight"][:500].contiguous()  # (784, 128) -> (500, 128)
    tampered = tmp_path / "tampered.safetensors"
    tampered.write_bytes(save(tensors, {k: json.dumps(v) for k, v in meta.items()}))
    done = tiny_run("mlp")
    done.epoch = 3
    finished = tmp_path / "finished.safetensors"
    finished.write_bytes(checkpoint.to_bytes(done))
    for path, message in ((junk, "not a checkpoint this job can go on from"),
                          (cnn, "this checkpoint is of the 'cnn' model, not of mlp"),
                          (tampered, "not a checkpoint this job can go on from"),
                          (finished, "the checkpoint has done 3 epochs already")):
        with pytest.raises(AppError, match=message):
            call(client, "mlp", "textbook", 2, 0, {}, handle_file(str(path)), api_name="/train")
    zh = api_client(client.src, headers={"Accept-Language": "zh-CN"})
    with pytest.raises(AppError, match="这个检查点属于 'cnn' 模型"):
        call(zh, "mlp", "textbook", 2, 0, {}, handle_file(str(cnn)), api_name="/train")


def test_a_diverged_run_streams_on_without_a_number_it_cannot_have():
    """G's and D's weights all NaN (as a learning rate of 1 can leave them): the job still streams
    to its end; FD and D's verdicts are None, the losses None, and D's view draws a dash."""
    from gan import demo_train
    cfg = cockpit.check_job("mlp", "textbook", 1, 0, {"batch_size": 64})
    index = nearest.load_index(weights.NEAREST_INDEX)
    images, feats = live.subset(index, cfg)
    images, feats = images[::40], feats[::40]
    broken = training.new_run(cfg, images)
    with torch.no_grad():
        for p in [*broken.G.parameters(), *broken.D.parameters(), *broken.ema.parameters()]:
            p.fill_(float("nan"))
    last = list(live.job(cfg, images, feats, weights.load_classifier(), cap_s=300,
                         start=checkpoint.read(checkpoint.to_bytes(broken))))[-1]
    assert last.stats["done"] and last.stats["fd"] is None and last.fd == [{"epoch": 1, "FD": None}]
    assert set(last.stats["d_verdict_fakes"]) == {None} and last.stats["d_loss"] is None
    view = demo_train.d_view(last.grid, last.stats["d_verdict_fakes"], last.reals, last.stats["d_verdict_reals"])
    assert view.shape[2] == 3
