"""Groups of components that one tab uses (app.py wires them): the Learned and Train tabs' slider
that follows a radio, Your own garment's drawing and edit row, the Train tab's settings, own
images and outputs."""
import gradio as gr

from gan import garment
from gan.cockpit import KEYS
from gan.config import CHOICES, RANGES, STEPS_MAX
from gan.data import CLASSES
from gan.presets import PRESETS
from gan.ui import I18N, go_button, plot, seed_box


def follows(radio, slider, maximum_of, to_last=False, value=True):
    """When the radio changes, the slider's maximum becomes maximum_of(its value), and the slider
    moves to it (to_last) or stays where it is, within it (value=False: its value is another
    event's to set)."""
    def follow(choice, now):
        top = maximum_of(choice)
        return gr.Slider(maximum=top, **({"value": top if to_last else min(now, top)} if value else {}))
    radio.change(follow, [radio, slider], slider, preprocess=False, api_visibility="private")  # as sent: gan.ui


def sketchpad(label="garment.draw", elem_id="garment-sketch"):
    """A drawing of a garment (Your own garment's, the Train tab's): black ink on a transparent canvas."""
    return gr.Sketchpad(label=I18N(label), type="numpy", elem_id=elem_id, height=360,
                        brush=gr.Brush(colors=["#000000"], default_size=14))


def own_data_panel():
    """The Train tab's own images: (files: a .zip or images, the drawing and its Add button, the
    preview as the GAN will see them, what the job will train on in words)."""
    with gr.Accordion(I18N("train.own"), open=False, elem_id="train-own"):
        gr.Markdown(I18N("train.data_intro"))
        with gr.Row():
            files = gr.File(label=I18N("train.data"), file_count="multiple", file_types=["image", ".zip"],
                            elem_id="train-data", height=360)
            with gr.Column():
                sketch = sketchpad("train.draw", "train-sketch")
                add = gr.Button(I18N("train.add_drawing"), elem_id="train-add-drawing")
        preview = gr.Image(label=I18N("train.data_preview"), elem_id="train-data-preview", format="png",
                           interactive=False)
        summary = gr.Textbox(label=I18N("train.data_summary"), elem_id="train-data-summary", interactive=False)
    return files, sketch, add, preview, summary


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


def settings_panel(values: tuple) -> list:
    """The Train tab's settings controls, one per gan.cockpit.KEYS entry, in that order, showing
    `values` (a recipe's, Demo.recipe_settings)."""
    v = dict(zip(KEYS, values))

    def number(key, **kwargs):
        return gr.Number(v[key], label=I18N(f"train.{key}"), elem_id=f"train-{key}", **kwargs)

    def choose(key):
        return gr.Radio(list(CHOICES[key]), value=v[key], label=I18N(f"train.{key}"), elem_id=f"train-{key}")

    def steps(key):
        return gr.Slider(0, STEPS_MAX, value=v[key], step=1, label=I18N(f"train.{key}"), elem_id=f"train-{key}")
    with gr.Accordion(I18N("train.settings"), open=False, elem_id="train-settings-panel"):
        with gr.Row():
            c = {"d_steps": steps("d_steps"), "g_steps": steps("g_steps"), "loss": choose("loss"),
                 "real_range": choose("real_range")}
        with gr.Row():
            c |= {"optimizer_g": choose("optimizer_g"), "lr_g": number("lr_g"), "optimizer_d": choose("optimizer_d"),
                  "lr_d": number("lr_d"), "beta1": number("beta1")}
        with gr.Row():
            c |= {"batch_size": number("batch_size", step=1), "label_smoothing": gr.Slider(
                      0, RANGES["label_smoothing"][1], value=v["label_smoothing"], step=0.05,
                      label=I18N("train.label_smoothing"), elem_id="train-label_smoothing"),
                  "ema_decay": number("ema_decay"), "r1_gamma": number("r1_gamma")}
        c["classes"] = gr.CheckboxGroup([(I18N(f"class.{i}"), i) for i in range(len(CLASSES))], value=v["classes"],
                                        label=I18N("train.classes"), elem_id="train-classes")
    return [c[k] for k in KEYS]


def preset_row():
    """The presets that teach (gan.presets): (a radio of them, the words on what to look for, the fix button)."""
    with gr.Row():
        chosen = gr.Radio([(I18N(f"preset.{k}"), k) for k in PRESETS], value=None, label=I18N("preset.choose"),
                          elem_id="train-preset")
        fix = gr.Button(I18N("preset.fix"), scale=0, elem_id="train-fix")
    return chosen, gr.Markdown(elem_id="train-look"), fix


def time_row():
    """The Train tab's control of time: (Pause, the three one-step buttons, Resume) as {action:
    button}, the file to start from, the checkpoint to go back to and its button."""
    with gr.Accordion(I18N("train.time"), open=True):
        with gr.Row():
            buttons = {a: gr.Button(I18N(f"train.{a}"), size="sm", elem_id=f"train-{a}")
                       for a in ("pause", "step_d", "step_g", "step_both", "resume")}
        with gr.Row():
            back = gr.Dropdown([], value=None, label=I18N("train.fork_from"), elem_id="train-fork-from",
                               allow_custom_value=False)
            fork = gr.Button(I18N("train.fork"), scale=0, elem_id="train-fork")
            start = gr.File(label=I18N("train.start"), elem_id="train-start", file_types=[".safetensors"], height=120)
    return buttons, start, back, fork


def train_panel(page, d):
    """The Train tab's outputs, showing d (a finished job) by default: (D's view, losses, D's
    accuracies, FD, class histogram, stats, model file, meters, reproduce command, checkpoint
    file), and the settings object the last job or change was for."""
    with gr.Row():
        view = gr.Image(d["en"][0], label=I18N("train.view"), elem_id="train-grid", format="png", height=720)
        with gr.Column():
            meters = page.add(gr.HTML(d["en"][7], label=I18N("train.meters"), elem_id="train-meters"),
                              lambda lang: {"value": d[lang][7]})
            losses = plot(page, gr.LinePlot, d, 1, "epoch", "value", "train.losses", axes={"y": "loss"},
                          color="curve", elem_id="train-losses")
            d_acc = plot(page, gr.LinePlot, d, 2, "epoch", "value", "train.dacc", color="curve",
                         elem_id="train-dacc")
    with gr.Row():
        fd = plot(page, gr.LinePlot, d, 3, "epoch", "FD", "train.fd", elem_id="train-fd")
        hist = plot(page, gr.BarPlot, d, 4, "class", "share", "train.hist", x_label_angle=-40,
                    elem_id="train-hist")
    with gr.Row():
        model = gr.File(label=I18N("train.model"), elem_id="train-model")
        saved = gr.File(label=I18N("train.checkpoint"), elem_id="train-checkpoint")
    with gr.Accordion(I18N("train.reproduce"), open=True):
        command = gr.Textbox(d["en"][8], label=I18N("train.reproduce"), elem_id="train-command", buttons=["copy"],
                             interactive=False)
        settings = gr.JSON({}, label=I18N("train.settings_json"), elem_id="train-settings")
        stats = gr.JSON(d["en"][5], label=I18N("train.stats"), elem_id="train-stats")
    return (view, losses, d_acc, fd, hist, stats, model, meters, command, saved), settings


def beside_bundled():
    """The Train tab's "your model beside the bundled one": (seed, go, yours, bundled, labels)."""
    gr.Markdown(I18N("train.try_intro"))
    with gr.Row():
        try_seed, try_go = seed_box(elem_id="train-try-seed"), go_button("train.try_go")
    yours = gr.Image(label=I18N("train.yours"), elem_id="train-yours", format="png")
    bundled = gr.Image(label=I18N("train.bundled"), elem_id="train-bundled", format="png")
    try_labels = gr.Dataframe(label=I18N("labels"), elem_id="train-labels", interactive=False)
    return try_seed, try_go, yours, bundled, try_labels
