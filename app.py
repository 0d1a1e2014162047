"""Fashion-MNIST GAN Explorer: the Gradio Space. Only UI wiring lives here; the work is in gan/.

Run locally: python app.py  (http://127.0.0.1:7860). Every tab is also a named API endpoint
(/sample, /sweep, /importance, /compare, /interpolate, /nearest, /learned) for gradio_client; see README.md.
Each tab shows the result of its default inputs when the page opens: computed once, at start-up.
"""
import functools
import logging
import os
import secrets
from pathlib import Path

import gradio as gr
import torch

from gan import explore
from gan.demo import ARCH_NAMES, Demo
from gan.sampling import N_IMAGES, SEED_MAX

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
torch.set_num_threads(int(os.environ.get("GAN_TORCH_THREADS", "1")))  # one core per request; requests run side by side
CONCURRENCY = int(os.environ.get("GAN_CONCURRENCY", "4"))
ARCH_CHOICES = [(name, arch) for arch, name in ARCH_NAMES.items()]
SEED = 114514              # the default seed, one of the report's
REPORT_SEEDS = [1, 3, 30, 810, 114514]  # the seeds the report tried
REPORT_VALUES = "0.3, 10"  # the report's small and large value for z[p]
INTRO = """# Fashion-MNIST GAN Explorer
Two small GANs from a course report on GANs, an **MLP** and a **CNN** (DCGAN-style), trained on
Fashion-MNIST. A **seed** is the identity of a sample: the same seed gives the same 8 images in every
tab and API call. Each image is labelled by a separate Fashion-MNIST classifier."""


def user_errors(fn):
    """Bad input -> gr.Error with the message (what is allowed); the server keeps serving."""
    @functools.wraps(fn)
    def wrapper(*args):
        try:
            return fn(*args)
        except ValueError as e:  # gan/ raises ValueError for bad input; anything else is a bug
            raise gr.Error(str(e)[:300]) from None
    return wrapper


def random_seed() -> int:
    return secrets.randbelow(SEED_MAX + 1)  # no global RNG state


def seed_box(value=SEED, elem_id=None):
    # no minimum/maximum here: gan.sampling.check_seed gives the one message for every bad seed
    return gr.Number(value=value, label=f"seed (0 to {SEED_MAX})", step=1, elem_id=elem_id)


def model_radio(value="cnn"):
    return gr.Radio(ARCH_CHOICES, value=value, label="model")


def index_slider(label):  # which of a seed's N_IMAGES latents
    return gr.Slider(0, N_IMAGES - 1, value=0, step=1, label=label)


def report_examples(inputs, rows, outputs, fn):
    """The report's seeds as one-click examples that run at once (no API endpoint of their own)."""
    gr.Examples(rows, inputs, outputs, fn=fn, run_on_click=True, cache_examples=False, api_visibility="private",
                label="the report's seeds", examples_per_page=len(rows))


def sample_tab(state: Demo):
    strip0, labels0 = state.sample("cnn", SEED)
    with gr.Row():
        arch, seed = model_radio(), seed_box(elem_id="sample-seed")
        dice = gr.Button("Random seed", scale=0, elem_id="sample-random")
        go = gr.Button("Generate 8 images", variant="primary", scale=0)
    strip = gr.Image(strip0, label="8 images from this seed (#0 to #7, left to right)", elem_id="sample-strip",
                     format="png")
    labels = gr.Dataframe(labels0, label="what the classifier sees", elem_id="sample-labels", interactive=False)
    sample = user_errors(state.sample)
    dice.click(random_seed, None, seed, api_visibility="private")
    go.click(sample, [arch, seed], [strip, labels], api_name="sample")  # before the examples: they'd take the name
    report_examples([arch, seed], [["cnn", s] for s in REPORT_SEEDS], [strip, labels], sample)


def sweep_tab(state: Demo):
    gr.Markdown("Change **one latent dimension** of one of the seed's 8 latents, as in the report: `set` puts "
                "z[p] = v, `add` adds v. The report saw small values (0.3) barely change the image and large "
                "ones (10) change the garment and darken it. The plots measure that.")

    @user_errors
    def sweep(arch, seed, index, positions, values, mode):
        base, grid, stats = state.sweep(arch, seed, index, positions, values, mode)
        return [base], grid, stats, stats

    def grid_columns(values):  # UI only: one gallery column per value (the API output stays plain)
        try:
            return gr.Gallery(columns=len(explore.parse_values(values)))
        except ValueError:
            return gr.Gallery()

    base0, grid0, bright0, change0 = sweep("mlp", SEED, 0, explore.DEFAULT_POSITIONS, explore.DEFAULT_VALUES, "set")
    with gr.Row():
        arch, seed = model_radio("mlp"), seed_box()
        index = index_slider("index (which of the 8 latents)")
        mode = gr.Radio(list(explore.MODES), value="set", label="mode")
    with gr.Row():
        positions = gr.Textbox(explore.DEFAULT_POSITIONS, label="positions (0-99, up to 16)")
        values = gr.Textbox(explore.DEFAULT_VALUES, label="values (|v| ≤ 1000, up to 16)")
        go = gr.Button("Sweep", variant="primary", scale=0)
    with gr.Row():
        base = gr.Gallery(base0, label="base image", columns=1, height="auto", scale=0, min_width=240, format="png")
        grid = gr.Gallery(grid0, label="one row per position, one column per value", elem_id="sweep-grid",
                          columns=7, height="auto", format="png")
    with gr.Row():
        bright = gr.LinePlot(bright0, x="value", y="brightness", color="position", elem_id="sweep-brightness",
                             title="mean brightness (0-255) vs value")
        change = gr.LinePlot(change0, x="value", y="change", color="position", title="mean pixel change vs the base image")
    inputs, outputs = [arch, seed, index, positions, values, mode], [base, grid, bright, change]
    go.click(sweep, inputs, outputs, api_name="sweep").success(grid_columns, values, grid, api_visibility="private")
    report_examples(inputs, [["mlp", s, 0, explore.DEFAULT_POSITIONS, REPORT_VALUES, "set"] for s in REPORT_SEEDS],
                    outputs, sweep)

    gr.Markdown("### Which positions matter\nEdit each of the 100 positions in turn to one value and measure "
                "how much the image changes.")
    bars0, top0 = state.importance("mlp", SEED, 0, explore.DEFAULT_IMPORTANCE_VALUE, "set")
    with gr.Row():
        value = gr.Number(value=explore.DEFAULT_IMPORTANCE_VALUE, label="value (|v| ≤ 1000)")
        go_importance = gr.Button("Measure all 100 positions", variant="primary", scale=0)
    bars = gr.BarPlot(bars0, x="position", y="change", title="mean pixel change per position", elem_id="importance-bars")
    top = gr.Gallery(top0, label="the 8 positions that change the image most", elem_id="importance-top", columns=8,
                     height="auto", format="png")
    go_importance.click(user_errors(state.importance), [arch, seed, index, value, mode], [bars, top],
                        api_name="importance")


def compare_tab(state: Demo):
    mlp0, cnn0, labels0 = state.compare(SEED)
    speeds = {arch: state.speed_ms(arch) for arch in state.models}
    with gr.Row():
        seed = seed_box(elem_id="compare-seed")
        dice = gr.Button("Random seed", scale=0, elem_id="compare-random")
        go = gr.Button("Compare", variant="primary", scale=0)
    mlp = gr.Image(mlp0, label="MLP", elem_id="compare-mlp", format="png")
    cnn = gr.Image(cnn0, label="CNN", elem_id="compare-cnn", format="png")
    labels = gr.Dataframe(labels0, label="what the classifier sees", elem_id="compare-labels", interactive=False)
    gr.Dataframe(state.model_table(speeds), label="the two models (metrics on 10k samples, see README)",
                 interactive=False)
    hist = state.class_hist()
    gr.BarPlot(hist, x="bar", y="share", color="model", sort=list(hist["bar"]), x_title="class", x_label_angle=-40,
               title="classes of 10k generated samples, the two models side by side", elem_id="compare-hist")
    dice.click(random_seed, None, seed, api_visibility="private")
    go.click(user_errors(state.compare), [seed], [mlp, cnn, labels], api_name="compare")


def interpolate_tab(state: Demo):
    gr.Markdown("Walk from one sample to another through latent space: `slerp` follows the sphere where "
                "Gaussian latents live, `lerp` the straight line.")
    strip0, gif0 = state.interpolate("cnn", SEED, 0, 2024, 0, 10, "slerp")
    with gr.Row():
        arch = model_radio()
        seed_a, seed_b = seed_box(SEED), seed_box(2024)
        index_a, index_b = index_slider("index in seed A"), index_slider("index in seed B")
    with gr.Row():
        steps = gr.Slider(explore.MIN_STEPS, explore.MAX_STEPS, value=10, step=1, label="steps")
        method = gr.Radio(list(explore.METHODS), value="slerp", label="method")
        go = gr.Button("Interpolate", variant="primary", scale=0)
    strip = gr.Gallery(strip0, label="from A to B", elem_id="interp-strip", columns=10, height="auto", format="png")
    gif = gr.File(gif0, label="animation (GIF)", elem_id="interp-gif")
    go.click(user_errors(state.interpolate), [arch, seed_a, index_a, seed_b, index_b, steps, method], [strip, gif],
             api_name="interpolate")


def nearest_tab(state: Demo):
    gr.Markdown("Is the model copying its training set? A generated image beside its 5 nearest training images, "
                "by pixels and by the classifier's features. The index holds 8,000 of the 60,000 training "
                "images (800 per class), bundled with the app.")
    query0, pixels0, features0 = state.nearest("cnn", SEED, 0)
    with gr.Row():
        arch, seed = model_radio(), seed_box()
        index = index_slider("index (which of the 8 images)")
        go = gr.Button("Find nearest", variant="primary", scale=0)
    with gr.Row():
        query = gr.Gallery(query0, label="generated", elem_id="nearest-query", columns=1, height="auto", scale=0,
                           min_width=240, format="png")
        with gr.Column():
            pixels = gr.Gallery(pixels0, label="nearest in pixel space", elem_id="nearest-pixels", columns=5,
                                height="auto", format="png")
            features = gr.Gallery(features0, label="nearest in classifier feature space", elem_id="nearest-features",
                                  columns=5, height="auto", format="png")
    go.click(user_errors(state.nearest), [arch, seed, index], [query, pixels, features], api_name="nearest")


def learned_tab(state: Demo):
    gr.Markdown("The same 64 fixed latents after each epoch of training, and the training curves (FD on 2k "
                "samples every few epochs), from the bundled training history.")
    last = max(1, state.epochs("cnn"))
    grid0, losses0, fd0 = state.learned("cnn", last)
    with gr.Row():
        arch = model_radio()
        # the API checks a value against the slider's maximum as built: the longest run's (MLP 250),
        # so each arch's own range is checked once, in Demo.learned
        epoch = gr.Slider(1, max(1, *map(state.epochs, state.models)), value=last, step=1, label="epoch")
        go = gr.Button("Show", variant="primary", scale=0)
    with gr.Row():
        grid = gr.Image(grid0, label="samples after this epoch", elem_id="learned-grid", format="png", height=500,
                        width=500)
        with gr.Column():
            losses = gr.LinePlot(losses0, x="epoch", y="value", color="curve", title="losses per epoch",
                                 elem_id="learned-losses")
            fd = gr.LinePlot(fd0, x="epoch", y="FD", title="FD (2k samples) per epoch", elem_id="learned-fd")
    arch.change(lambda a: gr.Slider(maximum=max(1, state.epochs(a)), value=max(1, state.epochs(a))), arch, epoch,
                api_visibility="private")
    learned = user_errors(state.learned)
    go.click(learned, [arch, epoch], [grid, losses, fd], api_name="learned")
    epoch.release(learned, [arch, epoch], [grid, losses, fd], api_visibility="private")


def build(state: Demo) -> gr.Blocks:
    with gr.Blocks(title="Fashion-MNIST GAN Explorer") as demo:
        gr.Markdown(INTRO)
        for name, tab in (("Sample", sample_tab), ("Latent sweep", sweep_tab), ("MLP vs CNN", compare_tab),
                          ("Interpolate", interpolate_tab), ("Nearest training images", nearest_tab),
                          ("How it learned", learned_tab)):
            with gr.Tab(name):
                tab(state)
        if os.environ.get("GAN_BENCHMARK") == "1":  # benchmarks/: the floor of Gradio's own overhead
            echo_in, echo_out = gr.Number(visible=False), gr.Number(visible=False)
            gr.Button(visible=False).click(lambda x: x, echo_in, echo_out, api_name="echo")
    return demo


# Output images go into Gradio's cache as finished, content-addressed files (see gan.io.cached_png).
IMAGE_DIR = Path(gr.utils.get_upload_folder()) / "gan-explorer"
demo_state = Demo.load(cache_dir=IMAGE_DIR)
demo = build(demo_state)

if __name__ == "__main__":
    demo.queue(default_concurrency_limit=CONCURRENCY).launch()
