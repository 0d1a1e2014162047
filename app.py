"""Fashion-MNIST GAN Explorer: the Gradio Space. Only UI wiring lives here; the work is in gan/.

Run locally: python app.py  (http://127.0.0.1:7860). Every tab is also a named API endpoint
(/sample, /sweep, /importance, /compare, /interpolate, /nearest, /learned) for gradio_client; see README.md.
Each tab shows the result of its default inputs when the page opens: computed once per language, at start-up.
Words come from gan/text.py in English or Chinese (static text: gr.I18n, by the browser's language;
results and errors: the request's Accept-Language, see gan.text).
"""
import json
import logging
import os
import secrets
from pathlib import Path

import gradio as gr
import torch

from gan import explore, garment, live, text
from gan.checks import InputError
from gan.demo import ARCH_NAMES, Demo
from gan.ui import Page, handler, language, words
from gan.sampling import N_IMAGES, SEED_MAX

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
torch.set_num_threads(int(os.environ.get("GAN_TORCH_THREADS", "1")))  # one core per request; requests run side by side
CONCURRENCY = int(os.environ.get("GAN_CONCURRENCY", "4"))
TRAIN_CAP_S = float(os.environ.get("GAN_TRAIN_CAP_S", live.CAP_S))  # each Train job's wall-clock cap
ARCH_CHOICES = [(name, arch) for arch, name in ARCH_NAMES.items()]
SEED = 114514              # the default seed, one of the report's
REPORT_SEEDS = [1, 3, 30, 810, 114514]  # the seeds the report tried
REPORT_VALUES = "0.3, 10"  # the report's small and large value for z[p]
I18N = gr.I18n(**{lang: text.page(lang, cap_s=f"{TRAIN_CAP_S:g}") for lang in text.LANGUAGES})  # by the browser's language


def random_seed() -> int:
    return secrets.randbelow(SEED_MAX + 1)  # no global RNG state


def seed_box(value=SEED, elem_id=None):
    # no minimum/maximum here: gan.sampling.check_seed gives the one message for every bad seed
    return gr.Number(value=value, label=I18N("seed"), step=1, elem_id=elem_id)


def model_radio(value="cnn"):
    return gr.Radio(ARCH_CHOICES, value=value, label=I18N("model"))


def index_slider(key):  # which of a seed's N_IMAGES latents
    return gr.Slider(0, N_IMAGES - 1, value=0, step=1, label=I18N(key))


def button(key, **kwargs):
    return gr.Button(I18N(key), **kwargs)


def go_button(key):
    return gr.Button(I18N(key), variant="primary", scale=0)


def psi_slider():
    return gr.Slider(0, 1, value=1, step=0.05, label=I18N("psi"))


def report_examples(page, inputs, rows, outputs, fn):
    """The report's seeds as one-click examples that run at once (no API endpoint of their own)."""
    examples = gr.Examples(rows, inputs, outputs, fn=fn, run_on_click=True, cache_examples=False,
                           api_visibility="private", label=I18N("report_seeds"), examples_per_page=len(rows))
    headers = {"headers": [c.label.key for c in inputs]}  # the table's headers: gr.I18n leaves them raw
    examples.dataset.headers = words(text.DEFAULT, headers)["headers"]
    page.add(examples.dataset, **headers)


def sample_tab(state: Demo, page: Page):
    d = page.defaults(state.sample, "cnn", SEED)
    with gr.Row():
        arch, seed = model_radio(), seed_box(elem_id="sample-seed")
        dice = button("random_seed", scale=0, elem_id="sample-random")
        go = go_button("sample.go")
    psi = psi_slider()
    strip = gr.Image(d["en"][0], label=I18N("sample.strip"), elem_id="sample-strip", format="png")
    labels = page.add(gr.Dataframe(d["en"][1], label=I18N("labels"), elem_id="sample-labels", interactive=False),
                      lambda lang: d[lang][1])
    sample = handler(state.sample)
    dice.click(random_seed, None, seed, api_visibility="private")
    go.click(sample, [arch, seed, psi], [strip, labels], api_name="sample")  # before the examples: they'd take the name
    report_examples(page, [arch, seed, psi], [["cnn", s, 1] for s in REPORT_SEEDS], [strip, labels], sample)


def sweep_tab(state: Demo, page: Page):
    gr.Markdown(I18N("sweep.intro"))

    def sweep(arch, seed, index, positions, values, mode, lang=text.DEFAULT):
        base, grid, stats = state.sweep(arch, seed, index, positions, values, mode, lang=lang)
        return [base], grid, stats, stats

    def grid_columns(values):  # UI only: one gallery column per value (the API output stays plain)
        try:
            return gr.Gallery(columns=len(explore.parse_values(values)))
        except ValueError:
            return gr.Gallery()

    d = page.defaults(sweep, "mlp", SEED, 0, explore.DEFAULT_POSITIONS, explore.DEFAULT_VALUES, "set")
    with gr.Row():
        arch, seed = model_radio("mlp"), seed_box()
        index = index_slider("sweep.index")
        mode = gr.Radio(list(explore.MODES), value="set", label=I18N("mode"))  # API words, explained in the text
    with gr.Row():
        positions = gr.Textbox(explore.DEFAULT_POSITIONS, label=I18N("sweep.positions"))
        values = gr.Textbox(explore.DEFAULT_VALUES, label=I18N("sweep.values"))
        go = go_button("sweep.go")
    with gr.Row():
        base = page.add(gr.Gallery(d["en"][0], label=I18N("sweep.base"), columns=1, height="auto", scale=0,
                                   min_width=240, format="png"), lambda lang: d[lang][0])
        grid = page.add(gr.Gallery(d["en"][1], label=I18N("sweep.grid"), elem_id="sweep-grid", columns=7,
                                   height="auto", format="png"), lambda lang: d[lang][1])
    with gr.Row():
        bright = page.add(gr.LinePlot(d["en"][2], x="value", y="brightness", color="position",
                                      elem_id="sweep-brightness", title=I18N("sweep.brightness")),
                          x_title="axis.value", y_title="axis.brightness", color_title="axis.position")
        change = page.add(gr.LinePlot(d["en"][3], x="value", y="change", color="position",
                                      title=I18N("sweep.change")),
                          x_title="axis.value", y_title="axis.change", color_title="axis.position")
    inputs, outputs, sweep = [arch, seed, index, positions, values, mode], [base, grid, bright, change], handler(sweep)
    go.click(sweep, inputs, outputs, api_name="sweep").success(grid_columns, values, grid, api_visibility="private")
    report_examples(page, inputs, [["mlp", s, 0, explore.DEFAULT_POSITIONS, REPORT_VALUES, "set"] for s in REPORT_SEEDS],
                    outputs, sweep)

    gr.Markdown(I18N("importance.intro"))
    d_imp = page.defaults(state.importance, "mlp", SEED, 0, explore.DEFAULT_IMPORTANCE_VALUE, "set")
    with gr.Row():
        value = gr.Number(value=explore.DEFAULT_IMPORTANCE_VALUE, label=I18N("importance.value"))
        go_importance = go_button("importance.go")
    bars = page.add(gr.BarPlot(d_imp["en"][0], x="position", y="change", title=I18N("importance.bars"),
                               elem_id="importance-bars"), x_title="axis.position", y_title="axis.change")
    top = page.add(gr.Gallery(d_imp["en"][1], label=I18N("importance.top"), elem_id="importance-top", columns=8,
                              height="auto", format="png"), lambda lang: d_imp[lang][1])
    go_importance.click(handler(state.importance), [arch, seed, index, value, mode], [bars, top],
                        api_name="importance")


def compare_tab(state: Demo, page: Page):
    d = page.defaults(state.compare, SEED)
    speeds = {arch: state.speed_ms(arch) for arch in state.models}
    table, hist = page.defaults(state.model_table, speeds), page.defaults(state.class_hist)
    with gr.Row():
        seed = seed_box(elem_id="compare-seed")
        dice = button("random_seed", scale=0, elem_id="compare-random")
        go = go_button("compare.go")
    psi = psi_slider()
    mlp = gr.Image(d["en"][0], label="MLP", elem_id="compare-mlp", format="png")
    cnn = gr.Image(d["en"][1], label="CNN", elem_id="compare-cnn", format="png")
    labels = page.add(gr.Dataframe(d["en"][2], label=I18N("labels"), elem_id="compare-labels", interactive=False),
                      lambda lang: d[lang][2])
    page.add(gr.Dataframe(table["en"], label=I18N("compare.models"), interactive=False), table.get)
    page.add(gr.BarPlot(hist["en"], x="bar", y="share", color="model", sort=list(hist["en"]["bar"]), x_label_angle=-40,
                        title=I18N("compare.hist"), elem_id="compare-hist"),
             lambda lang: {"value": hist[lang], "sort": list(hist[lang]["bar"])}, x_title="axis.class",
             y_title="axis.share", color_title="axis.model")
    dice.click(random_seed, None, seed, api_visibility="private")
    go.click(handler(state.compare), [seed, psi], [mlp, cnn, labels], api_name="compare")


def interpolate_tab(state: Demo, page: Page):
    gr.Markdown(I18N("interp.intro"))
    d = page.defaults(state.interpolate, "cnn", SEED, 0, 2024, 0, 10, "slerp")
    with gr.Row():
        arch = model_radio()
        seed_a, seed_b = seed_box(SEED), seed_box(2024)
        index_a, index_b = index_slider("interp.index_a"), index_slider("interp.index_b")
    with gr.Row():
        steps = gr.Slider(explore.MIN_STEPS, explore.MAX_STEPS, value=10, step=1, label=I18N("interp.steps"))
        method = gr.Radio(list(explore.METHODS), value="slerp", label=I18N("interp.method"))
        go = go_button("interp.go")
    strip = page.add(gr.Gallery(d["en"][0], label=I18N("interp.strip"), elem_id="interp-strip", columns=10,
                                height="auto", format="png"), lambda lang: d[lang][0])
    gif = gr.File(d["en"][1], label=I18N("interp.gif"), elem_id="interp-gif")
    go.click(handler(state.interpolate), [arch, seed_a, index_a, seed_b, index_b, steps, method], [strip, gif],
             api_name="interpolate")


def nearest_tab(state: Demo, page: Page):
    gr.Markdown(I18N("nearest.intro"))
    d = page.defaults(state.nearest, "cnn", SEED, 0)
    with gr.Row():
        arch, seed = model_radio(), seed_box()
        index = index_slider("nearest.index")
        go = go_button("nearest.go")
    galleries = []
    with gr.Row():
        galleries.append(gr.Gallery(d["en"][0], label=I18N("nearest.query"), elem_id="nearest-query", columns=1,
                                    height="auto", scale=0, min_width=240, format="png"))
        with gr.Column():
            for space in ("pixels", "features"):
                galleries.append(gr.Gallery(d["en"][len(galleries)], label=I18N(f"nearest.{space}"),
                                            elem_id=f"nearest-{space}", columns=5, height="auto", format="png"))
    for i, gallery in enumerate(galleries):
        page.add(gallery, lambda lang, i=i: d[lang][i])
    go.click(handler(state.nearest), [arch, seed, index], galleries, api_name="nearest")


def learned_tab(state: Demo, page: Page):
    gr.Markdown(I18N("learned.intro"))
    last = max(1, state.epochs("cnn"))
    d = page.defaults(state.learned, "cnn", last)
    with gr.Row():
        arch = model_radio()
        # the API checks a value against the slider's maximum as built: the longest run's (MLP 250),
        # so each arch's own range is checked once, in Demo.learned
        epoch = gr.Slider(1, max(1, *map(state.epochs, state.models)), value=last, step=1, label=I18N("learned.epoch"))
        go = go_button("learned.go")
    with gr.Row():
        grid = gr.Image(d["en"][0], label=I18N("learned.grid"), elem_id="learned-grid", format="png", height=500,
                        width=500)
        with gr.Column():
            losses = page.add(gr.LinePlot(d["en"][1], x="epoch", y="value", color="curve", title=I18N("learned.losses"),
                                          elem_id="learned-losses"),
                              lambda lang: d[lang][1], x_title="axis.epoch", y_title="axis.loss", color_title="axis.curve")
            fd = page.add(gr.LinePlot(d["en"][2], x="epoch", y="FD", title=I18N("learned.fd"), elem_id="learned-fd"),
                          x_title="axis.epoch", y_title="axis.fd")
    arch.change(lambda a: gr.Slider(maximum=max(1, state.epochs(a)), value=max(1, state.epochs(a))), arch, epoch,
                api_visibility="private")
    learned = handler(state.learned)
    go.click(learned, [arch, epoch], [grid, losses, fd], api_name="learned")
    epoch.release(learned, [arch, epoch], [grid, losses, fd], api_visibility="private")


def garment_tab(state: Demo, page: Page):
    gr.Markdown(I18N("garment.intro"))
    with gr.Row():
        arch = model_radio()
        sketch = gr.Sketchpad(label=I18N("garment.draw"), type="numpy", elem_id="garment-sketch", height=360,
                              brush=gr.Brush(colors=["#000000"], default_size=14))
        # a file, opened by gan.garment: its size is checked before it is decoded, and a file that is not an
        # image gets a clear message (gr.Image would decode it first, and fail without one)
        image = gr.File(label=I18N("garment.image"), elem_id="garment-image", height=360)
    go = go_button("garment.go")
    with gr.Row():
        target = gr.Image(label=I18N("garment.target"), elem_id="garment-target", format="png", height=240)
        recon = gr.Image(label=I18N("garment.recon"), elem_id="garment-recon", format="png", height=240)
        info = gr.JSON(label=I18N("garment.info"), elem_id="garment-info")
    with gr.Row():
        latent = gr.Textbox("114514/3", label=I18N("edit.latent"), elem_id="edit-latent")
        direction = gr.Dropdown([*((I18N(f"class.{i}"), c) for i, c in enumerate(garment.CLASSES)),
                                 *garment.DIRECTIONS[len(garment.CLASSES):]], value="Trouser",
                                label=I18N("edit.direction"))
        amounts = gr.Textbox("-6, -3, 0, 3, 6", label=I18N("edit.amounts"))
        go_edit = go_button("edit.go")
    strip = gr.Gallery(label=I18N("edit.strip"), elem_id="edit-strip", columns=8, height="auto", format="png")

    def drawing(value):  # the sketchpad's drawing becomes the file to invert (None while it is blank)
        layers = (value or {}).get("layers") or []
        return state.store(value["composite"]) if any(l is not None and l[..., 3].any() for l in layers) else None

    edit = handler(state.edit)
    go_edit.click(edit, [arch, latent, direction, amounts], strip, api_name="edit")  # first: it keeps the name
    sketch.change(drawing, sketch, image, api_visibility="private")
    go.click(handler(state.invert), [arch, image], [target, recon, info], api_name="invert").success(
        lambda found: json.dumps(found["latent"]), info, latent, api_visibility="private").success(
        edit, [arch, latent, direction, amounts], strip, api_visibility="private")  # Invert -> Edit


def train_tab(state: Demo, page: Page):
    gr.Markdown(I18N("train.intro"))
    with gr.Row():
        arch = model_radio("mlp")
        recipe = gr.Radio(list(live.training.RECIPES), value="report", label=I18N("train.recipe"))
        # the API checks a value against the slider's maximum as built (the MLP's); Demo.train checks per arch
        epochs = gr.Slider(1, live.MAX_EPOCHS["mlp"], value=10, step=1, label=I18N("train.epochs"))
        seed = gr.Number(0, label=I18N("train.seed"), step=1)
    with gr.Row():
        go = go_button("train.go")
        stop = button("train.stop", variant="stop", scale=0, elem_id="train-stop")
    with gr.Row():
        grid = gr.Image(label=I18N("train.grid"), elem_id="train-grid", format="png", height=480, width=480)
        with gr.Column():
            losses = page.add(gr.LinePlot(x="epoch", y="value", color="curve", title=I18N("train.losses"),
                                          elem_id="train-losses"),
                              x_title="axis.epoch", y_title="axis.loss", color_title="axis.curve")
            d_out = page.add(gr.LinePlot(x="epoch", y="value", color="curve", title=I18N("train.dout"),
                                         elem_id="train-dout"),
                             x_title="axis.epoch", y_title="axis.value", color_title="axis.curve")
    with gr.Row():
        fd = page.add(gr.LinePlot(x="epoch", y="FD", title=I18N("train.fd"), elem_id="train-fd"),
                      x_title="axis.epoch", y_title="axis.fd")
        hist = page.add(gr.BarPlot(x="class", y="share", title=I18N("train.hist"), x_label_angle=-40,
                                   elem_id="train-hist"), x_title="axis.class", y_title="axis.share")
    with gr.Row():
        stats = gr.JSON(label=I18N("train.stats"), elem_id="train-stats")
        model = gr.File(label=I18N("train.model"), elem_id="train-model")
    gr.Markdown(I18N("train.try_intro"))
    with gr.Row():
        try_seed = seed_box(elem_id="train-try-seed")
        try_go = go_button("train.try_go")
    yours = gr.Image(label=I18N("train.yours"), elem_id="train-yours", format="png")
    bundled = gr.Image(label=I18N("train.bundled"), elem_id="train-bundled", format="png")
    try_labels = gr.Dataframe(label=I18N("labels"), elem_id="train-labels", interactive=False)

    busy = gr.State(False)  # this page's job is running: a second one gets a message, not a place in the queue

    def claim(running, lang=text.DEFAULT):
        if running:
            raise InputError("busy")
        return True

    arch.change(lambda a, e: gr.Slider(maximum=live.MAX_EPOCHS[a], value=min(e, live.MAX_EPOCHS[a])), [arch, epochs],
                epochs, api_visibility="private")
    job = go.click(handler(claim), busy, busy, concurrency_limit=None, api_visibility="private").success(
        handler(state.train), [arch, recipe, epochs, seed], [grid, losses, d_out, fd, hist, stats, model],
        api_name="train", concurrency_limit=1, concurrency_id="train")  # one job at a time: the rest queue
    job.then(lambda: False, None, busy, api_visibility="private")
    stop.click(lambda: False, None, busy, cancels=[job], api_visibility="private")
    try_go.click(handler(state.trained), [model, try_seed], [yours, bundled, try_labels], api_name="trained")


TABS = (("tab.sample", sample_tab), ("tab.sweep", sweep_tab), ("tab.compare", compare_tab),
        ("tab.interpolate", interpolate_tab), ("tab.nearest", nearest_tab), ("tab.learned", learned_tab),
        ("tab.garment", garment_tab), ("tab.train", train_tab))


def build(state: Demo) -> gr.Blocks:
    page = Page()
    with gr.Blocks(title=I18N("title")) as demo:
        gr.Markdown(I18N("intro"))
        for key, tab in TABS:
            with gr.Tab(I18N(key)):
                tab(state, page)

        def localize(request: gr.Request):
            return page.localized(language(request))
        demo.load(localize, None, [c for c, _, _ in page.items], api_visibility="private")
        if os.environ.get("GAN_BENCHMARK") == "1":  # benchmarks/: the floor of Gradio's own overhead
            echo_in, echo_out = gr.Number(visible=False), gr.Number(visible=False)
            gr.Button(visible=False).click(lambda x: x, echo_in, echo_out, api_name="echo")
    return demo


# Output images go into Gradio's cache as finished, content-addressed files (see gan.io.cached_png).
IMAGE_DIR = Path(gr.utils.get_upload_folder()) / "gan-explorer"
demo_state = Demo.load(cache_dir=IMAGE_DIR, train_cap_s=TRAIN_CAP_S)
demo = build(demo_state)

if __name__ == "__main__":
    demo.queue(default_concurrency_limit=CONCURRENCY).launch(i18n=I18N)
