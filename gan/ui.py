"""Gradio plumbing shared by app.py's tabs: the inputs every tab uses, the visitor's language on
every event (results said in it, bad input as a message in it), and the page parts gr.I18n cannot
translate. app.py wires the tabs; the work is in gan.demo."""
import contextlib
import inspect
import json
import logging
import secrets

import gradio as gr
import pandas as pd

from gan import text
from gan.checks import InputError
from gan.cockpit import LINK_KEYS
from gan.demo import ARCH_NAMES
from gan.limits import N_IMAGES, SEED_MAX

log = logging.getLogger(__name__)
I18N = gr.I18n()  # I18N(key): a key, translated in the browser; its words are given to launch(i18n=...) in app.main
BUG = "BUG: not the project's InputError"  # tests/conftest.py fails a test whose live app logged this
DEFAULT_SEED = 114514                      # one of the report's seeds
REPORT_SEEDS = [1, 3, 30, 810, 114514]     # the seeds the report tried


def language(request: gr.Request | None) -> str:
    return text.language(request.headers.get("accept-language") if request else None)


def say(lang: str, value):
    """value with every gan.text.Words in it said in lang: in tuples, lists, dicts and tables."""
    if isinstance(value, (text.Words, text.Said)):
        return value.said(lang)
    if isinstance(value, (list, tuple)):
        return type(value)(say(lang, v) for v in value)
    if isinstance(value, dict):
        return {k: say(lang, v) for k, v in value.items()}
    if isinstance(value, pd.DataFrame):
        out = value.map(lambda v: say(lang, v))
        out.columns = [say(lang, c) for c in value.columns]
        return out
    return value


@contextlib.contextmanager
def said_in(lang: str):
    """Bad input (gan/ raises InputError) -> gr.Error in the visitor's language; the server keeps
    serving. Anything else is a bug: logged as one (a visitor sees Gradio's generic error)."""
    try:
        yield
    except InputError as e:
        raise gr.Error(text.message(lang, e)[:300]) from None
    except Exception:
        log.exception(BUG)
        raise


def handler(fn):
    """fn(*inputs) -> an event handler whose result is said in the language of the request's
    Accept-Language (Gradio hands it the request; it is no API parameter). A generator function
    (a stream) stays one, as Gradio tells streams by that."""
    if inspect.isgeneratorfunction(fn):
        def wrapper(request, *inputs):
            lang = language(request)
            with said_in(lang):
                for item in fn(*inputs):
                    yield say(lang, item)
    else:
        def wrapper(request, *inputs):
            lang = language(request)
            with said_in(lang):
                return say(lang, fn(*inputs))
    params = list(inspect.signature(fn).parameters.values())
    # Gradio finds the request parameter by its annotation, and hands it at its place: the first, so
    # that fn may take its inputs as *values
    wrapper.__signature__ = inspect.Signature([inspect.Parameter(
        "request", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=gr.Request), *params])
    wrapper.__annotations__ = {**inspect.get_annotations(fn), "request": gr.Request}  # gr.api reads fn's types
    wrapper.__name__ = fn.__name__
    return wrapper


def last_as_choices(stream):
    """A stream handler whose items end with a list of {"label", "path"} -> the same, that list
    made the choices of a gr.Dropdown, the newest chosen (the Train tab's checkpoints to go back to)."""
    def wrapper(*args):
        for *item, saved in stream(*args):
            yield (*item, gr.Dropdown(choices=[(c["label"], c["path"]) for c in saved],
                                      value=saved[-1]["path"] if saved else None))
    wrapper.__signature__, wrapper.__name__ = inspect.signature(stream), stream.__name__
    wrapper.__annotations__ = stream.__annotations__
    return wrapper


def server_function(fn):
    """fn(value) -> a gr.HTML server function (its js_on_load calls it as server.NAME(value)): the
    result said in the visitor's language, bad input answered as {"error": the message in it},
    since Gradio answers a server function's exception with a bare HTTP 500."""
    def wrapper(value, request: gr.Request):
        lang = language(request)
        try:
            with said_in(lang):
                return say(lang, fn(value))
        except gr.Error as e:
            return {"error": e.message}
    wrapper.__name__ = fn.__name__  # the name the browser calls it by
    return wrapper


def from_address(fn, outputs, tabs, tab):
    """fn(the page address's query, a dict) -> values for outputs, or None -> a load event
    handler: a link that holds values fills outputs with them and selects the tab `tab`; a bad
    one gets a message in the visitor's language; any other address leaves the page as it is."""
    def load(request: gr.Request):
        with said_in(language(request)):
            values = fn(dict(request.query_params))
        if values is None:
            return [gr.skip()] * (len(outputs) + 1)
        return [*values, gr.Tabs(selected=tab)]
    load.__name__ = fn.__name__
    return load


# The Train tab's settings in the page's address (gan.cockpit.query), each time they change, so the address
# is a link to the experiment: the tab's own keys replaced, any other kept.
SET_LINK = """(query) => {
  const url = new URL(window.location.href), keys = %s;
  keys.forEach((k) => url.searchParams.delete(k));
  new URLSearchParams(query).forEach((v, k) => url.searchParams.set(k, v));
  window.history.replaceState(null, "", url);
}""" % json.dumps(list(LINK_KEYS))


def or_keep(fn):
    """fn's result, or gr.skip() where it is None: the output keeps what it shows."""
    def wrapper(*args):
        out = fn(*args)
        return gr.skip() if out is None else out
    wrapper.__name__ = fn.__name__
    return wrapper


class Page:
    """The components whose shown words depend on the language beyond gr.I18n's reach: default
    results (labels, captions, tables) and plot axis names. A default is computed once and said in
    every language; on load, a Chinese browser gets its own (app.build)."""

    def __init__(self):
        self.items = []

    def defaults(self, fn, *args) -> dict:
        """{lang: fn(*args) said in lang}: computed once, now."""
        value = fn(*args)
        return {lang: say(lang, value) for lang in text.LANGUAGES}

    def add(self, component, value_of=None, **props):
        """value_of(lang): the component's default in lang (or a dict of its props); props: prop ->
        a gan.text key (or a list of keys), for what gr.I18n does not translate (plot axes,
        example headers)."""
        self.items.append((component, value_of, props))
        return component

    def localize_on_load(self, blocks):
        """On each page load, a browser whose language is not the default gets its own words."""
        def localize(request: gr.Request):
            return self.localized(language(request))
        blocks.load(localize, None, [c for c, _, _ in self.items], api_visibility="private")

    def localized(self, lang):
        if lang == text.DEFAULT:  # the page was built in it
            return [gr.skip()] * len(self.items)
        return [type(c)(**own(value_of, lang), **words(lang, props)) for c, value_of, props in self.items]


def own(value_of, lang) -> dict:
    value = value_of(lang) if value_of else {}
    return value if isinstance(value, dict) else {"value": value}


def words(lang, props: dict) -> dict:
    return {prop: [text.t(lang, k) for k in key] if isinstance(key, list) else text.t(lang, key)
            for prop, key in props.items()}


# ----------------------------------------------------------------------------- inputs every tab uses

def random_seed() -> int:
    return secrets.randbelow(SEED_MAX + 1)  # no global RNG state


def seed_box(value=DEFAULT_SEED, elem_id=None):
    # no minimum/maximum here: gan.sampling.check_seed gives the one message for every bad seed
    return gr.Number(value=value, label=I18N("seed"), step=1, elem_id=elem_id)


# Radios, sliders and the dropdown leave every value to the project: each event that takes one passes its
# inputs as sent (preprocess=False, a documented event parameter), so the handler's check (gan.checks) says
# what is allowed, in the visitor's language, where Gradio's own (a choice not offered, a slider past its
# end) would answer first, in English. Numbers and text come as sent; a file as {"path": ...}.

def radio(key, choices, value, **kwargs):
    return gr.Radio(choices, value=value, label=I18N(key), **kwargs)


def slider(key, lo, hi, value, step=1):
    return gr.Slider(lo, hi, value=value, step=step, label=I18N(key))


def model_radio(value="cnn", **kwargs):
    return radio("model", [(name, arch) for arch, name in ARCH_NAMES.items()], value, **kwargs)


def index_slider(key):  # which of a seed's N_IMAGES latents
    return slider(key, 0, N_IMAGES - 1, 0)


def button(key, **kwargs):
    return gr.Button(I18N(key), **kwargs)


def go_button(key):
    return gr.Button(I18N(key), variant="primary", scale=0)


def psi_slider():
    return slider("psi", 0, 1, 1, step=0.05)


def report_examples(page, inputs, rows, outputs, fn):
    """The report's seeds as one-click examples that run at once (no API endpoint of their own): a
    table of rows, headed by the inputs' labels in the visitor's language (gr.I18n translates labels,
    not a table's headers); a click fills the inputs with the row, then runs fn on them."""
    keys = [c.label.key for c in inputs]  # each label is I18N(key), which keeps its key as .key
    table = gr.Dataset(components=inputs, samples=rows, type="values", label=I18N("report_seeds"),
                       headers=[text.t(text.DEFAULT, k) for k in keys], samples_per_page=len(rows))
    page.add(table, headers=keys)
    table.click(lambda row: row, table, inputs, show_progress="hidden", api_visibility="private").then(
        fn, inputs, outputs, preprocess=False, api_visibility="private")


def seed_row(prefix: str, go_key: str):
    """A seed box, a Random seed button that fills it, and the tab's go button: (seed, go)."""
    seed = seed_box(elem_id=f"{prefix}-seed")
    dice, go = button("random_seed", scale=0, elem_id=f"{prefix}-random"), go_button(go_key)
    dice.click(random_seed, None, seed, api_visibility="private")
    return seed, go


def gallery(page, d, i, label, **kwargs):
    """A gallery showing d's output i by default, its captions in the visitor's language."""
    return page.add(gr.Gallery(d["en"][i], label=I18N(label), height="auto", format="png", **kwargs),
                    lambda lang: d[lang][i])


def table(page, d, i, label, **kwargs):
    """A read-only table showing d's output i by default, its words in the visitor's language."""
    return page.add(gr.Dataframe(d["en"][i], label=I18N(label), interactive=False, **kwargs), lambda lang: d[lang][i])


def json_box(page, d, i, label, **kwargs):
    """A JSON view showing d's output i (a dict) by default, its words in the visitor's language."""
    return page.add(gr.JSON(d["en"][i], label=I18N(label), **kwargs), lambda lang: {"value": d[lang][i]})


def plot(page, kind, d, i, x, y, title, axes: dict = None, **kwargs):
    """A line or bar plot of d's output i (d itself: i None, its bars kept in the table's order in
    every language; empty: d None). Its axes are named, translated, after the columns it plots
    (axis.x, axis.y, axis.color), or as axes says ({"y": "loss"})."""
    names = {**{k: c.lower() for k, c in (("x", x), ("y", y), ("color", kwargs.get("color"))) if c}, **(axes or {})}

    def shown(lang):
        value = d[lang] if i is None else d[lang][i]
        return {"value": value, **({"sort": list(value[x])} if i is None else {})}
    return page.add(kind(**(shown("en") if d else {}), x=x, y=y, title=I18N(title), **kwargs),
                    shown if d else None, **{f"{k}_title": f"axis.{n}" for k, n in names.items()})
