"""Fashion-MNIST GAN Explorer: the Gradio Space. Only UI wiring lives here; the work is in gan/.

Run locally: python app.py  (http://127.0.0.1:7860). Every tab is also a named API endpoint
(/sample, /sweep, /importance, /compare, /interpolate, /nearest, /learned) for gradio_client; see README.md.
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


def build(state: Demo) -> gr.Blocks:
    speeds = {arch: state.speed_ms(arch) for arch in state.models}
    table, hist = state.model_table(speeds), state.class_hist()

    def seed_box(value=114514, elem_id=None):
        # no minimum/maximum here: gan.sampling.check_seed gives the one message for every bad seed
        return gr.Number(value=value, label=f"seed (0 to {SEED_MAX})", step=1, elem_id=elem_id)

    def model_radio(value="cnn"):
        return gr.Radio(ARCH_CHOICES, value=value, label="model")

    def index_slider(label):  # which of a seed's N_IMAGES latents
        return gr.Slider(0, N_IMAGES - 1, value=0, step=1, label=label)

    @user_errors
    def sweep(arch, seed, index, positions, values, mode):
        base, grid, stats = state.sweep(arch, seed, index, positions, values, mode)
        return [base], grid, stats, stats

    def grid_columns(values):  # UI only: one gallery column per value (the API output stays plain)
        try:
            return gr.Gallery(columns=len(explore.parse_values(values)))
        except ValueError:
            return gr.Gallery()

    with gr.Blocks(title="Fashion-MNIST GAN Explorer") as demo:
        gr.Markdown(INTRO)
        with gr.Tab("Sample"):
            with gr.Row():
                arch = model_radio()
                seed = seed_box(elem_id="sample-seed")
                dice = gr.Button("Random seed", scale=0, elem_id="sample-random")
                go = gr.Button("Generate 8 images", variant="primary", scale=0)
            strip = gr.Image(label="8 images from this seed (#0 to #7, left to right)", elem_id="sample-strip",
                             format="png", show_label=True)
            labels = gr.Dataframe(label="what the classifier sees", elem_id="sample-labels", interactive=False)
            dice.click(random_seed, None, seed, api_visibility="private")
            go.click(user_errors(state.sample), [arch, seed], [strip, labels], api_name="sample")

        with gr.Tab("Latent sweep"):
            gr.Markdown("Change **one latent dimension** of one of the seed's 8 latents, as in the report: "
                        "`set` puts z[p] = v, `add` adds v. Small values barely change the image; large "
                        "ones (±10) change the garment and darken it. The plots measure that.")
            with gr.Row():
                s_arch = model_radio("mlp")
                s_seed = seed_box()
                s_index = index_slider("index (which of the 8 latents)")
                s_mode = gr.Radio(list(explore.MODES), value="set", label="mode")
            with gr.Row():
                s_pos = gr.Textbox(explore.DEFAULT_POSITIONS, label="positions (0-99, up to 16)")
                s_vals = gr.Textbox(explore.DEFAULT_VALUES, label="values (|v| ≤ 1000, up to 16)")
                s_go = gr.Button("Sweep", variant="primary", scale=0)
            with gr.Row():
                s_base = gr.Gallery(label="base image", columns=1, height="auto", scale=0, min_width=240,
                                    format="png")
                s_grid = gr.Gallery(label="one row per position, one column per value", elem_id="sweep-grid", columns=7,
                                    height="auto", format="png")
            with gr.Row():
                s_bright = gr.LinePlot(x="value", y="brightness", color="position", elem_id="sweep-brightness",
                                       title="mean brightness (0-255) vs value")
                s_change = gr.LinePlot(x="value", y="change", color="position",
                                       title="mean pixel change vs the base image")
            s_go.click(sweep, [s_arch, s_seed, s_index, s_pos, s_vals, s_mode],
                       [s_base, s_grid, s_bright, s_change], api_name="sweep"
                       ).success(grid_columns, s_vals, s_grid, api_visibility="private")
            gr.Markdown("### Which positions matter\nEdit each of the 100 positions in turn to one value "
                        "and measure how much the image changes.")
            with gr.Row():
                i_value = gr.Number(value=explore.DEFAULT_IMPORTANCE_VALUE, label="value (|v| ≤ 1000)")
                i_go = gr.Button("Measure all 100 positions", variant="primary", scale=0)
            i_bars = gr.BarPlot(x="position", y="change", title="mean pixel change per position", elem_id="importance-bars")
            i_top = gr.Gallery(label="the 8 positions that change the image most", elem_id="importance-top", columns=8, height="auto",
                               format="png")
            i_go.click(user_errors(state.importance), [s_arch, s_seed, s_index, i_value, s_mode],
                       [i_bars, i_top], api_name="importance")

        with gr.Tab("MLP vs CNN"):
            with gr.Row():
                c_seed = seed_box(elem_id="compare-seed")
                c_dice = gr.Button("Random seed", scale=0, elem_id="compare-random")
                c_go = gr.Button("Compare", variant="primary", scale=0)
            c_mlp = gr.Image(label="MLP", elem_id="compare-mlp", format="png")
            c_cnn = gr.Image(label="CNN", elem_id="compare-cnn", format="png")
            c_labels = gr.Dataframe(label="what the classifier sees", elem_id="compare-labels", interactive=False)
            gr.Dataframe(table, label="the two models (metrics on 10k samples, see README)", interactive=False)
            gr.BarPlot(hist, x="class", y="share", color="model", title="classes of 10k generated samples",
                       elem_id="compare-hist")
            c_dice.click(random_seed, None, c_seed, api_visibility="private")
            c_go.click(user_errors(state.compare), [c_seed], [c_mlp, c_cnn, c_labels], api_name="compare")
        with gr.Tab("Interpolate"):
            gr.Markdown("Walk from one sample to another through latent space: `slerp` follows the sphere "
                        "where Gaussian latents live, `lerp` the straight line.")
            with gr.Row():
                p_arch = model_radio()
                p_seed_a, p_seed_b = seed_box(114514), seed_box(2024)
                p_index_a = index_slider("index in seed A")
                p_index_b = index_slider("index in seed B")
            with gr.Row():
                p_steps = gr.Slider(explore.MIN_STEPS, explore.MAX_STEPS, value=10, step=1, label="steps")
                p_method = gr.Radio(list(explore.METHODS), value="slerp", label="method")
                p_go = gr.Button("Interpolate", variant="primary", scale=0)
            p_strip = gr.Gallery(label="from A to B", elem_id="interp-strip", columns=10, height="auto", format="png")
            p_gif = gr.File(label="animation (GIF)", elem_id="interp-gif")
            p_go.click(user_errors(state.interpolate), [p_arch, p_seed_a, p_index_a, p_seed_b, p_index_b, p_steps,
                                                         p_method], [p_strip, p_gif], api_name="interpolate")

        with gr.Tab("Nearest training images"):
            gr.Markdown("Is the model copying its training set? A generated image beside its 5 nearest "
                        "training images, by pixels and by the classifier's features. The index holds 8,000 "
                        "of the 60,000 training images (800 per class), bundled with the app.")
            with gr.Row():
                n_arch = model_radio()
                n_seed = seed_box()
                n_index = index_slider("index (which of the 8 images)")
                n_go = gr.Button("Find nearest", variant="primary", scale=0)
            with gr.Row():
                n_query = gr.Gallery(label="generated", elem_id="nearest-query", columns=1, height="auto",
                                     scale=0, min_width=240, format="png")
                with gr.Column():
                    n_pix = gr.Gallery(label="nearest in pixel space", elem_id="nearest-pixels", columns=5,
                                       height="auto", format="png")
                    n_feat = gr.Gallery(label="nearest in classifier feature space", elem_id="nearest-features",
                                        columns=5, height="auto", format="png")
            n_go.click(user_errors(state.nearest), [n_arch, n_seed, n_index], [n_query, n_pix, n_feat],
                       api_name="nearest")

        with gr.Tab("How it learned"):
            gr.Markdown("The same 64 fixed latents after each epoch of training, and the training curves "
                        "(FD on 2k samples every few epochs), from the bundled training history.")
            with gr.Row():
                h_arch = model_radio()
                # the API checks a value against the slider's maximum as built: the longest run's
                # (MLP 250), so each arch's own range is checked once, in Demo.learned
                h_epoch = gr.Slider(1, max(1, *map(state.epochs, state.models)), value=max(1, state.epochs("cnn")),
                                    step=1, label="epoch")
                h_go = gr.Button("Show", variant="primary", scale=0)
            with gr.Row():
                h_grid = gr.Image(label="samples after this epoch", elem_id="learned-grid", format="png",
                                  height=500, width=500)
                with gr.Column():
                    h_loss = gr.LinePlot(x="epoch", y="value", color="curve", title="losses per epoch",
                                         elem_id="learned-losses")
                    h_fd = gr.LinePlot(x="epoch", y="FD", title="FD (2k samples) per epoch", elem_id="learned-fd")
            h_arch.change(lambda a: gr.Slider(maximum=max(1, state.epochs(a)), value=max(1, state.epochs(a))),
                          h_arch, h_epoch, api_visibility="private")
            learned = user_errors(state.learned)
            h_go.click(learned, [h_arch, h_epoch], [h_grid, h_loss, h_fd], api_name="learned")
            h_epoch.release(learned, [h_arch, h_epoch], [h_grid, h_loss, h_fd], api_visibility="private")

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
