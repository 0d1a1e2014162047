"""Input checks: one helper per kind of value. Each returns the value, cleaned, or raises
InputError (a ValueError) saying what is allowed. Messages show a bad number as it is and
client text only when it is a short plain token, never arbitrary text."""
import math
import re

import numpy as np

from gan import text

PLAIN_TOKEN = re.compile(r"[A-Za-z0-9.+-]{1,32}")
NUMBER = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?")


class InputError(ValueError):
    """Bad input, as a message key of gan.text and its parameters, so the app can say it in the
    visitor's language; str() is the English message. `name` is a gan.text name.* key; a
    (key, params) tuple is a phrase that is translated too."""

    def __init__(self, key: str, **params):
        self.key, self.params = key, params
        super().__init__(key)

    def __str__(self):
        return text.message(text.DEFAULT, self)


def shown(value):
    """A bad value as a message may show it: numbers as they are, anything else by type only."""
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        return repr(value)[:40]
    return "got.type", {"type": type(value).__name__}


def token(text):
    """Client text as a message may show it: a short plain token quoted, anything else described."""
    if isinstance(text, str) and PLAIN_TOKEN.fullmatch(text):
        return repr(text)
    return ("got.text", {}) if isinstance(text, str) else shown(text)


def whole(value, name: str, lo: int, hi: int) -> int:
    """A whole number in lo..hi (an int, or a float with no fraction, as JSON clients send)."""
    ok = not isinstance(value, bool) and (isinstance(value, (int, np.integer)) or (
        isinstance(value, (float, np.floating)) and math.isfinite(value) and float(value).is_integer()))
    if not ok or not lo <= value <= hi:
        raise InputError("whole", name=name, lo=lo, hi=hi, got=shown(value))
    return int(value)


def number_list(text, name: str, kind=float, lo=None, hi=None, max_items: int = 16) -> list:
    """'10, 60, 80' -> [10, 60, 80] (commas, spaces or semicolons between), each of `kind` in lo..hi."""
    if not isinstance(text, str):
        raise InputError("list_type", name=name)
    parts = [p for p in re.split(r"[,\s;]+", text.strip()) if p]
    if not parts:
        raise InputError("list_empty", name=name)
    if len(parts) > max_items:
        raise InputError("list_long", name=name, most=max_items, count=len(parts))
    out = []
    for p in parts:
        if len(p) > 32 or not NUMBER.fullmatch(p):
            raise InputError("not_number", name=name, got=token(p))
        v = float(p)
        if kind is int:
            if not v.is_integer():
                raise InputError("not_whole", name=name, got=repr(p))
            v = int(v)
        if not math.isfinite(v) or (lo is not None and v < lo) or (hi is not None and v > hi):
            raise InputError("outside", name=name, got=repr(p), lo=lo, hi=hi)
        out.append(v)
    return out


def number(value, name: str, lo: float, hi: float) -> float:
    """A finite number in lo..hi; text is read as a one-item number_list."""
    if isinstance(value, str):
        values = number_list(value, name, float, lo, hi)
        if len(values) != 1:
            raise InputError("one_number", name=name, count=len(values))
        return values[0]
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)) or not math.isfinite(value) \
            or not lo <= value <= hi:
        raise InputError("number", name=name, lo=f"{lo:g}", hi=f"{hi:g}", got=shown(value))
    return float(value)


def choice(value, name: str, allowed) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise InputError("choice", name=name, allowed=", ".join(allowed), got=token(value))
    return value
