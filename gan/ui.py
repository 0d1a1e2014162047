"""Gradio plumbing shared by app.py's tabs: the visitor's language on every event, bad input as a
message in it, and the page parts gr.I18n cannot translate. app.py wires the tabs; the work is in
gan.demo."""
import contextlib
import inspect

import gradio as gr

from gan import text
from gan.checks import InputError


def language(request: gr.Request | None) -> str:
    return text.language(request.headers.get("accept-language") if request else None)


@contextlib.contextmanager
def said_in(lang: str):
    """Bad input (gan/ raises InputError; anything else is a bug) -> gr.Error in the visitor's
    language; the server keeps serving."""
    try:
        yield
    except InputError as e:
        raise gr.Error(text.message(lang, e)[:300]) from None


def handler(fn):
    """fn(*inputs, lang=...) -> an event handler. Gradio hands it the request (not an API
    parameter); its Accept-Language picks the words of the result and of errors. A generator
    function (a stream) stays one, as Gradio tells streams by that."""
    if inspect.isgeneratorfunction(fn):
        def wrapper(*args):
            *inputs, request = args
            lang = language(request)
            with said_in(lang):
                yield from fn(*inputs, lang=lang)
    else:
        def wrapper(*args):
            *inputs, request = args
            lang = language(request)
            with said_in(lang):
                return fn(*inputs, lang=lang)
    params = [p for p in inspect.signature(fn).parameters.values() if p.name != "lang"]
    # Gradio finds the request parameter by its annotation
    wrapper.__signature__ = inspect.Signature([*params, inspect.Parameter(
        "request", inspect.Parameter.POSITIONAL_OR_KEYWORD, default=None, annotation=gr.Request)])
    wrapper.__annotations__ = {"request": gr.Request}
    wrapper.__name__ = fn.__name__
    return wrapper


class Page:
    """The components whose shown words depend on the language beyond gr.I18n's reach: default
    results (labels, captions, tables) and plot axis names. Defaults are computed for every
    language at start-up; on load, a Chinese browser gets its own (see build)."""

    def __init__(self):
        self.items = []

    def defaults(self, fn, *args) -> dict:
        """{lang: fn(*args, lang=lang)}, computed once, now."""
        return {lang: fn(*args, lang=lang) for lang in text.LANGUAGES}

    def add(self, component, value_of=None, **props):
        """value_of(lang): the component's default in lang (or a dict of its props); props: prop ->
        a gan.text key (or a list of keys), for what gr.I18n does not translate (plot axes,
        example headers)."""
        self.items.append((component, value_of, props))
        return component

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
