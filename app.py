"""Fashion-MNIST GAN Explorer, the Gradio Space (python app.py: http://127.0.0.1:7860): components and events only; the
work is in gan.demo.Demo, shared inputs and the visitor's language in gan.ui, the Latent lab's tab in gan.ui_lab."""
import logging
import os
import time
from pathlib import Path

import gradio as gr
import torch

from gan import cache, cockpit, explore, serve_lab, text
from gan.config import RECIPES
from gan.demo import Demo
from gan.limits import (CACHE_AGE_S, CACHE_MAX_BYTES, CACHE_SWEEP_S, DATA_MAX_ZIP_MB, DATA_READS_AT_ONCE, MAX_STEPS,
                        MIN_STEPS, TRAIN_CAP_S, TRAIN_JOBS_AT_ONCE, TRAIN_MAX_EPOCHS)
from gan.ui_lab import lab_tab
from gan.ui import (DEFAULT_SEED, I18N, REPORT_SEEDS, SET_LINK, Page, button, from_address, gallery, go_button, handler,
                    index_slider, last_as_choices, json_box, model_radio, or_keep, plot, psi_slider, radio, report_examples, seed_box,
                    seed_row, slider, table)
from gan.ui_groups import (beside_bundled, edit_row, follows, own_data_panel, preset_row, settings_panel, sketchpad,
                           time_row, train_panel)

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
torch.set_num_threads(int(os.environ.get("GAN_TORCH_THREADS", "1")))  # one core per request; requests run side by side
CAP_S = float(os.environ.get("GAN_TRAIN_CAP_S", TRAIN_CAP_S))  # each Train job's wall-clock cap
# Results and uploads leave Gradio's cache once not handed out for this long (gan.cache); the page's defaults stay
CACHE_AGE_S = float(os.environ.get("GAN_CACHE_AGE_S", CACHE_AGE_S))
CACHE_SWEEP_S = float(os.environ.get("GAN_CACHE_SWEEP_S", CACHE_SWEEP_S))
CACHE_MAX_BYTES = float(os.environ.get("GAN_CACHE_MAX_BYTES", CACHE_MAX_BYTES))  # Train checkpoints can outrun the age
STARTED = time.time()  # what the build writes or touches from here on is the page's own


def sample_tab(state: Demo, page: Page):
    d = page.defaults(state.sample, "cnn", DEFAULT_SEED)
    with gr.Row():
        arch, (seed, go) = model_radio(), seed_row("sample", "sample.go")
    psi = psi_slider()
    strip = gr.Image(d["en"][0], label=I18N("sample.strip"), elem_id="sample-strip", format="png")
    labels = table(page, d, 1, "labels", elem_id="sample-labels")
    go.click(handler(state.sample), [arch, seed, psi], [strip, labels], api_name="sample",
             preprocess=False)  # before the examples; inputs as sent (gan.ui)
    report_examples(page, [arch, seed, psi], [["cnn", s, 1] for s in REPORT_SEEDS], [strip, labels],
                    handler(state.sample))


def sweep_tab(state: Demo, page: Page):
    gr.Markdown(I18N("sweep.intro"))
    d = page.defaults(state.sweep, "mlp", DEFAULT_SEED, 0, explore.DEFAULT_POSITIONS, explore.DEFAULT_VALUES, "set")
    with gr.Row():
        arch, seed, index = model_radio("mlp"), seed_box(), index_slider("sweep.index")
        mode = radio("mode", list(explore.MODES), "set")  # API words, explained in the text
    with gr.Row():
        positions = gr.Textbox(explore.DEFAULT_POSITIONS, label=I18N("sweep.positions"))
        values, go = gr.Textbox(explore.DEFAULT_VALUES, label=I18N("sweep.values")), go_button("sweep.go")
    with gr.Row():
        base = gallery(page, d, 0, "sweep.base", columns=1, scale=0, min_width=240)
        grid = gallery(page, d, 1, "sweep.grid", elem_id="sweep-grid", columns=7)
    with gr.Row():
        bright = plot(page, gr.LinePlot, d, 2, "value", "brightness", "sweep.brightness", color="position",
                      elem_id="sweep-brightness")
        change = plot(page, gr.LinePlot, d, 3, "value", "change", "sweep.change", color="position")
    inputs, outputs = [arch, seed, index, positions, values, mode], [base, grid, bright, change]
    go.click(handler(state.sweep), inputs, outputs, api_name="sweep", preprocess=False).success(
        lambda v: gr.Gallery(columns=len(explore.parse_values(v))), values, grid, api_visibility="private")
    report_examples(page, inputs, [["mlp", s, 0, explore.DEFAULT_POSITIONS, explore.REPORT_VALUES, "set"]
                                   for s in REPORT_SEEDS], outputs, handler(state.sweep))
    gr.Markdown(I18N("importance.intro"))
    d = page.defaults(state.importance, "mlp", DEFAULT_SEED, 0, explore.DEFAULT_IMPORTANCE_VALUE, "set")
    with gr.Row():
        value = gr.Number(value=explore.DEFAULT_IMPORTANCE_VALUE, label=I18N("importance.value"))
        go = go_button("importance.go")
    bars = plot(page, gr.BarPlot, d, 0, "position", "change", "importance.bars", elem_id="importance-bars")
    top = gallery(page, d, 1, "importance.top", elem_id="importance-top", columns=8)
    go.click(handler(state.importance), [arch, seed, index, value, mode], [bars, top], api_name="importance",
             preprocess=False)


def compare_tab(state: Demo, page: Page):
    d = page.defaults(state.compare, DEFAULT_SEED)
    models, hist = page.defaults(state.model_table, state.speeds()), page.defaults(state.class_hist)
    with gr.Row():
        seed, go = seed_row("compare", "compare.go")
    psi = psi_slider()
    mlp, cnn = (gr.Image(d["en"][i], label=name, elem_id=f"compare-{name.lower()}", format="png")
                for i, name in enumerate(("MLP", "CNN")))
    labels = table(page, d, 2, "labels", elem_id="compare-labels")
    table(page, {lang: [models[lang]] for lang in models}, 0, "compare.models")
    plot(page, gr.BarPlot, hist, None, "bar", "share", "compare.hist", axes={"x": "class"}, color="model",
         x_label_angle=-40, elem_id="compare-hist")
    go.click(handler(state.compare), [seed, psi], [mlp, cnn, labels], api_name="compare", preprocess=False)


def interpolate_tab(state: Demo, page: Page):
    gr.Markdown(I18N("interp.intro"))
    d = page.defaults(state.interpolate, "cnn", DEFAULT_SEED, 0, 2024, 0, 10, "slerp")
    with gr.Row():
        arch, seed_a, seed_b = model_radio(), seed_box(DEFAULT_SEED), seed_box(2024)
        index_a, index_b = index_slider("interp.index_a"), index_slider("interp.index_b")
    with gr.Row():
        steps = slider("interp.steps", MIN_STEPS, MAX_STEPS, 10)
        method = radio("interp.method", list(explore.METHODS), "slerp")
        go = go_button("interp.go")
    strip = gallery(page, d, 0, "interp.strip", elem_id="interp-strip", columns=10)
    gif = gr.File(d["en"][1], label=I18N("interp.gif"), elem_id="interp-gif")
    go.click(handler(state.interpolate), [arch, seed_a, index_a, seed_b, index_b, steps, method], [strip, gif],
             api_name="interpolate", preprocess=False)


def nearest_tab(state: Demo, page: Page):
    gr.Markdown(I18N("nearest.intro"))
    d = page.defaults(state.nearest, "cnn", DEFAULT_SEED, 0)
    with gr.Row():
        arch, seed, index, go = model_radio(), seed_box(), index_slider("nearest.index"), go_button("nearest.go")
    with gr.Row():
        found = [gallery(page, d, 0, "nearest.query", elem_id="nearest-query", columns=1, scale=0, min_width=240)]
        with gr.Column():
            found += [gallery(page, d, i, f"nearest.{space}", elem_id=f"nearest-{space}", columns=5)
                      for i, space in ((1, "pixels"), (2, "features"))]
    go.click(handler(state.nearest), [arch, seed, index], found, api_name="nearest", preprocess=False)


def learned_tab(state: Demo, page: Page):
    gr.Markdown(I18N("learned.intro"))
    d = page.defaults(state.learned, "cnn", last := max(1, state.epochs("cnn")))
    with gr.Row():
        arch = model_radio()
        epoch = slider("learned.epoch", 1, last, last)  # its end follows the model (below)
        go = go_button("learned.go")
    with gr.Row():
        grid = gr.Image(d["en"][0], label=I18N("learned.grid"), elem_id="learned-grid", format="png", height=500,
                        width=500)
        with gr.Column():
            losses = plot(page, gr.LinePlot, d, 1, "epoch", "value", "learned.losses", axes={"y": "loss"},
                          color="curve", elem_id="learned-losses")
            fd = plot(page, gr.LinePlot, d, 2, "epoch", "FD", "learned.fd", elem_id="learned-fd")
    follows(arch, epoch, lambda a: max(1, state.epochs(a)), to_last=True)
    go.click(handler(state.learned), [arch, epoch], [grid, losses, fd], api_name="learned", preprocess=False)
    epoch.release(handler(state.learned), [arch, epoch], [grid, losses, fd], preprocess=False, api_visibility="private")


def garment_tab(state: Demo, page: Page):
    gr.Markdown(I18N("garment.intro"))
    d = page.defaults(state.garment_example, "cnn")  # the example drawing, inverted and edited
    with gr.Row():
        arch, sketch = model_radio(), sketchpad()
        # a file, opened by gan.upload: its size is checked before decoding, a non-image gets a clear message
        image = gr.File(d["en"][0], label=I18N("garment.image"), elem_id="garment-image", height=360)
    go = go_button("garment.go")
    with gr.Row():
        target = gr.Image(d["en"][1], label=I18N("garment.target"), elem_id="garment-target", format="png", height=240)
        recon = gr.Image(d["en"][2], label=I18N("garment.recon"), elem_id="garment-recon", format="png", height=240)
        info = json_box(page, d, 3, "garment.info", elem_id="garment-info")
    latent, direction, amounts, go_edit = edit_row(d["en"][4])
    strip = gallery(page, d, 5, "edit.strip", elem_id="edit-strip", columns=8)
    edit = handler(state.edit)  # wired here first: the first event keeps the API name
    go_edit.click(edit, [arch, latent, direction, amounts], strip, api_name="edit", preprocess=False)
    sketch.change(or_keep(state.drawing), sketch, image, api_visibility="private")  # a blank canvas keeps the file
    go.click(handler(state.invert), [arch, image], [target, recon, info], api_name="invert", preprocess=False).success(
        state.latent_text, info, latent, api_visibility="private").success(
        edit, [arch, latent, direction, amounts], strip, preprocess=False, api_visibility="private")  # Invert -> Edit
    return {"latent": latent}


def train_tab(state: Demo, page: Page):
    gr.Markdown(I18N("train.intro"))
    d, job = page.defaults(state.train_example), cockpit.DEFAULT_JOB  # a finished job of the default inputs
    with gr.Row():
        arch = model_radio(job["arch"], elem_id="train-arch")
        recipe = radio("train.recipe", list(RECIPES), job["recipe"], elem_id="train-recipe")
        epochs = slider("train.epochs", 1, TRAIN_MAX_EPOCHS[job["arch"]], job["epochs"])
        seed = gr.Number(job["seed"], label=I18N("train.seed"), step=1, elem_id="train-seed")
    preset, look, fix = preset_row()
    controls = settings_panel(state.recipe_settings(job["arch"], job["recipe"]))
    data, sketch, add, preview, summary = own_data_panel()  # the visitor's own images (None: Fashion-MNIST)
    with gr.Row():
        go, stop = go_button("train.go"), button("train.stop", variant="stop", scale=0, elem_id="train-stop")
    moves, start, back, fork = time_row()
    outputs, settings = train_panel(page, d)
    nearest = gallery(page, d, 10, "train.nearest", elem_id="train-nearest", columns=8)
    link = gr.Textbox(visible=False)  # the page address's query for the settings shown (cockpit.query)
    try_seed, try_go, yours, bundled, try_labels = beside_bundled()
    busy = gr.State(False)  # this page's job is running: a second one gets a message, not a place in the queue
    inputs = [arch, recipe, epochs, seed, *controls]
    follows(arch, epochs, TRAIN_MAX_EPOCHS.get, value=False)  # the epochs: chosen_recipe's
    command, stats = outputs[8], outputs[5]
    shown = [command, settings, link]  # what follows the settings: each event that sets them sets these too
    # The visitor's own changes (.input: not when an event sets a control) each update the command and the
    # page's address; a model or recipe, a preset, its fix and a link set the controls and these in one event.
    # These events run one at a time, in the order they came, and a quick second click is not dropped
    # (always_last): the command shown is the last change's.
    private = dict(preprocess=False, api_visibility="private", trigger_mode="always_last", concurrency_limit=1,
                   concurrency_id="settings")
    gr.on([c.input for c in inputs[2:]], handler(state.reproduce), inputs, shown, **private).success(
        None, link, None, js=SET_LINK)
    gr.on([arch.input, recipe.input], handler(state.chosen_recipe), inputs[:4], [epochs, *controls, *shown],
          **private).success(None, link, None, js=SET_LINK)
    preset.input(handler(state.preset), preset, [*inputs, look, *shown], **private).success(
        None, link, None, js=SET_LINK)
    fix.click(handler(state.preset_fix), [preset, *inputs], [*controls, *shown], **private).success(
        None, link, None, js=SET_LINK)
    jobs = []
    for press, begin in ((go, start), (fork, back)):  # from the file given (or none), or from a checkpoint of the last job
        job = press.click(handler(state.settings_of), [busy, *controls], [busy, settings], preprocess=False,
                           concurrency_limit=None, api_visibility="private").success(
            last_as_choices(handler(state.train)), [arch, recipe, epochs, seed, settings, begin, data],
            [*outputs, nearest, back], preprocess=False,
            concurrency_limit=TRAIN_JOBS_AT_ONCE, concurrency_id="train",  # the rest queue
            **({"api_name": "train"} if press is go else {"api_visibility": "private"}))
        job.then(lambda: (False, None), None, [busy, data], api_visibility="private")  # the files are gone: say so
        jobs.append(job)
    gr.api(handler(state.control), api_name="control")  # (stats["job"], action): a script's; first, to keep the name
    for action, press in moves.items():
        press.click(handler(state.control), [stats, gr.State(action)], None, preprocess=False,
                    api_visibility="private")
    stop.click(handler(state.control), [stats, gr.State("stop")], None, preprocess=False, cancels=jobs,
               api_visibility="private").then(lambda: (False, None), None, [busy, data], api_visibility="private")
    data.change(handler(state.data_preview), data, [preview, summary], preprocess=False, api_name="train_data",
                concurrency_limit=DATA_READS_AT_ONCE, concurrency_id="train_data")  # one decode at a time: gan.uploads
    add.click(handler(state.add_drawing), [sketch, data], [data, sketch], api_visibility="private")  # numpy, paths
    try_go.click(handler(state.trained), [outputs[6], try_seed], [yours, bundled, try_labels], api_name="trained")
    # a shared link (the address SET_LINK writes) opens this tab with its settings
    return lambda blocks, tabs: blocks.load(from_address(state.from_link, [*inputs, *shown], tabs, "train"), None,
                                            [*inputs, *shown, tabs], api_visibility="private").success(
        None, link, None, js=SET_LINK)


TABS = dict(sample=sample_tab, sweep=sweep_tab, lab=lab_tab, compare=compare_tab, interpolate=interpolate_tab,
            nearest=nearest_tab, learned=learned_tab, garment=garment_tab, train=train_tab)


def build(state: Demo) -> gr.Blocks:
    page, parts = Page(), {}
    with gr.Blocks(title=I18N("title")) as blocks:
        gr.Markdown(I18N("intro"))
        with gr.Tabs() as tabs:
            for key, tab in TABS.items():
                with gr.Tab(I18N(f"tab.{key}"), id=key):
                    parts[key] = tab(state, page)
        parts["lab"](parts["garment"])  # the lab's button that takes Your own garment's latent
        parts["train"](blocks, tabs)    # a link with Train settings opens that tab
        page.localize_on_load(blocks)
    return blocks


CACHE = Path(gr.utils.get_upload_folder())
handlers = Demo.load(cache_dir=CACHE / "gan-explorer", train_cap_s=CAP_S, uploads=CACHE)
demo = build(handlers)


def main():
    sweeper = cache.Sweeper(CACHE, handlers.cache_dir, STARTED, CACHE_AGE_S, CACHE_SWEEP_S, CACHE_MAX_BYTES)
    handlers.own_uploads.keep(sweeper.keep)  # the page's own files: a visitor's identical upload is not deleted
    sweeper.start()
    demo.queue(default_concurrency_limit=int(os.environ.get("GAN_CONCURRENCY", "4"))).launch(
        max_file_size=f"{DATA_MAX_ZIP_MB}mb",  # the largest upload: a Train tab .zip of your own images
        max_threads=TRAIN_JOBS_AT_ONCE + 40,  # each job under way waits for its turn in a thread; Gradio's 40 for the rest
        i18n=gr.I18n(**{lang: text.page(lang, cap_s=f"{CAP_S:g}") for lang in text.LANGUAGES}),
        app_kwargs=serve_lab.app_kwargs(handlers.lab_files))  # the Latent lab's files, compressed and cached


if __name__ == "__main__":
    main()
