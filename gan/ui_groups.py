"""Groups of components that one tab uses (app.py wires them): the Learned and Train tabs' slider
that follows a radio, Your own garment's drawing and edit row, the Train tab's outputs."""
import gradio as gr

from gan import garment
from gan.ui import I18N, go_button, plot, seed_box


def follows(radio, slider, maximum_of, to_last=False):
    """When the radio changes, the slider's maximum becomes maximum_of(its value), and the slider
    moves to it (to_last) or stays where it is, within it."""
    def follow(choice, value):
        top = maximum_of(choice)
        return gr.Slider(maximum=top, value=top if to_last else min(value, top))
    radio.change(follow, [radio, slider], slider, preprocess=False, api_visibility="private")  # as sent: gan.ui


def sketchpad():
    """Your own garment's drawing: black ink on a transparent canvas."""
    return gr.Sketchpad(label=I18N("garment.draw"), type="numpy", elem_id="garment-sketch", height=360,
                        brush=gr.Brush(colors=["#000000"], default_size=14))


def direction_dropdown():
    """Your own garment's directions: the classes (their names translated), then pc1..pc10."""
    return gr.Dropdown([*((I18N(f"class.{i}"), c) for i, c in enumerate(garment.CLASSES)),
                        *garment.DIRECTIONS[len(garment.CLASSES):]], value=garment.DEFAULT_DIRECTION,
                       label=I18N("edit.direction"))


def edit_row(latent):
    """Your own garment's edit inputs, the latent box showing `latent`: (latent, direction, amounts, go)."""
    with gr.Row():
        box = gr.Textbox(latent, label=I18N("edit.latent"), elem_id="edit-latent")
        amounts = gr.Textbox(garment.DEFAULT_AMOUNTS, label=I18N("edit.amounts"))
        return box, direction_dropdown(), amounts, go_button("edit.go")


def train_panel(page, d):
    """The Train tab's outputs, showing d (a finished job) by default: (grid, losses, D outputs,
    FD, class histogram, stats, model file)."""
    with gr.Row():
        grid = gr.Image(d["en"][0], label=I18N("train.grid"), elem_id="train-grid", format="png", height=480, width=480)
        with gr.Column():
            losses = plot(page, gr.LinePlot, d, 1, "epoch", "value", "train.losses", axes={"y": "loss"},
                          color="curve", elem_id="train-losses")
            d_out = plot(page, gr.LinePlot, d, 2, "epoch", "value", "train.dout", color="curve",
                         elem_id="train-dout")
    with gr.Row():
        fd = plot(page, gr.LinePlot, d, 3, "epoch", "FD", "train.fd", elem_id="train-fd")
        hist = plot(page, gr.BarPlot, d, 4, "class", "share", "train.hist", x_label_angle=-40,
                    elem_id="train-hist")
    with gr.Row():
        stats = gr.JSON(d["en"][5], label=I18N("train.stats"), elem_id="train-stats")
        model = gr.File(label=I18N("train.model"), elem_id="train-model")
    return grid, losses, d_out, fd, hist, stats, model


def beside_bundled():
    """The Train tab's "your model beside the bundled one": (seed, go, yours, bundled, labels)."""
    gr.Markdown(I18N("train.try_intro"))
    with gr.Row():
        try_seed, try_go = seed_box(elem_id="train-try-seed"), go_button("train.try_go")
    yours = gr.Image(label=I18N("train.yours"), elem_id="train-yours", format="png")
    bundled = gr.Image(label=I18N("train.bundled"), elem_id="train-bundled", format="png")
    try_labels = gr.Dataframe(label=I18N("labels"), elem_id="train-labels", interactive=False)
    return try_seed, try_go, yours, bundled, try_labels
