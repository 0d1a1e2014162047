"""The Latent lab's tab: a seed and image (or a latent) to start from, and the page part that moves
it, a gr.HTML whose js_on_load is gan/static/latent_lab.js. The files it fetches are served by the app
itself (no CDN: the lab works offline and behind a firewall): gan/serve_lab.py, wired in app.py."""
import gradio as gr

from gan.demo_lab import LAB_JS
from gan.ui import DEFAULT_SEED, I18N, button, go_button, handler, index_slider, seed_box, server_function

CSS = """
.views { display: flex; gap: 2em; flex-wrap: wrap; }
figure { margin: 0; display: flex; flex-direction: column; gap: .3em; width: 240px; }
canvas { width: 240px; height: 240px; image-rendering: pixelated; background: #000; }
figcaption { font-weight: 600; }
textarea { font-family: monospace; font-size: 11px; width: 100%; }
fieldset { border: 1px solid var(--border-color-primary); border-radius: 8px; margin-top: 1em; padding: .6em 1em; }
.row { display: flex; align-items: center; gap: .5em; margin: .4em 0; flex-wrap: wrap; }
.row.active .val { accent-color: var(--color-accent); }
.row .pos { width: 4.5em; } .row .num { width: 6em; } .row .val { width: 16em; }
.msg { color: var(--error-text-color, #c00); }
.pcs { display: grid; grid-template-columns: repeat(auto-fill, minmax(15em, 1fr)); gap: .2em 1em; }
.status { font-style: italic; }
button { padding: .15em .7em; border: 1px solid var(--border-color-primary); border-radius: 6px;
         background: var(--button-secondary-background-fill); cursor: pointer; font-size: .9em; }
"""


def lab_panel(page, d, render):
    """The lab, showing d (lab()'s result per language) at first; render: the server's fallback,
    which latent_lab.js calls as server.lab_render."""
    lab = gr.HTML(d["en"], html_template='<div class="lab"></div>', css_template=CSS, js_on_load=LAB_JS.read_text(),
                  server_functions=[server_function(render)], elem_id="lab", padding=False)
    return page.add(lab, lambda lang: {"value": d[lang]})  # a dict value_of gives props: the value is one


def lab_tab(state, page):
    """The tab's components and events; -> take(garment's parts), which wires the button that starts
    the lab from Your own garment's latent (that tab is built later)."""
    gr.Markdown(I18N("lab.intro"))
    d = page.defaults(state.lab, DEFAULT_SEED, 0)  # the browser moves the latent; the server hands it over
    with gr.Row():
        seed, index, go = seed_box(elem_id="lab-seed"), index_slider("lab.index"), go_button("lab.go")
        latent, use = gr.Textbox(label=I18N("lab.paste"), elem_id="lab-latent"), button("lab.paste_go", scale=0)
        take = button("lab.from_garment", scale=0, elem_id="lab-take")
    lab = lab_panel(page, d, state.lab_render)
    go.click(handler(state.lab), [seed, index], lab, api_name="lab", preprocess=False)  # as sent: gan.ui
    use.click(handler(state.lab_latent), latent, lab, api_name="lab_latent")
    return lambda garment: take.click(handler(state.lab_latent), garment["latent"], lab, api_visibility="private")
