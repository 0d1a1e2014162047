"""The Train tab's settings: what a visitor may change of a recipe, checked where they enter (the
page or /train's `settings` argument), and the train.py command that gives the same weights.

A job is (arch, recipe, epochs, seed) plus settings: a JSON object whose keys are Config fields
(KEYS), each missing key taking the recipe's value, so /train's old 4-argument clients get the
recipe as before. Every value is checked here with the project's message (gan.checks), in the
visitor's language; Config.resolved() then fills in the rest, as for train.py.
"""
import json
import shlex
import urllib.parse

from gan import config
from gan.checks import InputError, choice, number, token, whole
from gan.config import CHOICES, RANGES, RECIPES, Config
from gan.data import CLASSES
from gan.limits import SEED_MAX, TRAIN_MAX_BATCH, TRAIN_MAX_EPOCHS, TRAIN_PER_CLASS

# The settings a visitor may change, in the order the tab shows them; the rest of Config stays as
# the app runs it (CPU, one thread, the tab's subset).
KEYS = ("d_steps", "g_steps", "loss", "real_range", "optimizer_g", "lr_g", "optimizer_d", "lr_d", "beta1",
        "batch_size", "label_smoothing", "ema_decay", "r1_gamma", "classes")
DEFAULT_JOB = dict(arch="mlp", recipe="report", epochs=10, seed=0)  # the tab's inputs as it opens: the report's run
WHOLE = ("d_steps", "g_steps", "batch_size")
HIGHEST = {"batch_size": TRAIN_MAX_BATCH}  # where the app allows less than train.py (RANGES' None: no limit)


def recipe_values(arch: str, recipe: str) -> dict:
    """The settings a recipe gives `arch`: what the tab's controls show for it."""
    return {k: RECIPES[recipe][arch].get(k, getattr(Config, k)) for k in KEYS}


def check_classes(value) -> str:
    """'all', a list of labels [0, 7] or text '0,7' -> '0,7', or 'all' when every class is chosen;
    an empty choice is refused."""
    if value == "all":
        return "all"
    if isinstance(value, list) and all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        value = ",".join(map(str, value))
    if value in ("", []):
        raise InputError("no_classes")
    try:
        labels = config.class_list(value)
        return "all" if len(labels) == len(CLASSES) else ",".join(map(str, labels))
    except ValueError:
        raise InputError("classes", last=len(CLASSES) - 1, got=token(value)) from None


def check_settings(arch: str, recipe: str, settings) -> dict:
    """settings (a dict, JSON text, or None) -> the checked Config values of all KEYS, the
    recipe's where settings has none; InputError names the first bad one."""
    if settings in (None, ""):
        settings = {}
    if isinstance(settings, str):
        try:
            settings = json.loads(settings)
        except ValueError:
            raise InputError("settings_type", keys=", ".join(KEYS)) from None
    if not isinstance(settings, dict):
        raise InputError("settings_type", keys=", ".join(KEYS))
    unknown = [k for k in settings if k not in KEYS]
    if unknown:
        raise InputError("settings_key", got=token(unknown[0]), keys=", ".join(KEYS))
    out = recipe_values(arch, recipe) | settings
    for k in KEYS:
        if k == "classes":
            out[k] = check_classes(out[k])
        elif k in CHOICES:
            out[k] = choice(out[k], k, CHOICES[k])
        else:
            lo, hi, _ = RANGES[k]
            hi = HIGHEST.get(k, hi)
            out[k] = whole(out[k], k, lo, hi) if k in WHOLE else number(out[k], k, lo, hi)
    if out["d_steps"] == out["g_steps"] == 0:
        raise InputError("nothing_trains")
    if out["label_smoothing"] and out["loss"] not in config.BCE_LOSSES:
        raise InputError("smoothing_loss", losses=", ".join(config.BCE_LOSSES), got=token(out["loss"]))
    return out


def check_job(arch, recipe, epochs, seed, settings=None) -> Config:
    """A Train job's configuration, every value checked (InputError says what is allowed): the
    recipe's, with settings over it, on the tab's subset (per_class), on the CPU."""
    arch = choice(arch, "arch", CHOICES["arch"])
    recipe = choice(recipe, "recipe", CHOICES["recipe"])
    epochs = whole(epochs, "epochs", 1, TRAIN_MAX_EPOCHS[arch])
    seed = whole(seed, "training_seed", 0, SEED_MAX)
    values = check_settings(arch, recipe, settings)
    return Config(arch=arch, recipe=recipe, epochs=epochs, seed=seed, device="cpu", threads=1,
                  per_class=TRAIN_PER_CLASS[arch], **values).resolved()


def command(cfg: Config, data: str = None) -> str:
    """The train.py command that trains cfg as the Train tab does, to bit-identical weights on the
    same machine: its settings where they differ from the recipe's, the tab's subset and thread,
    and own images (data: the name of their .zip or folder) where the job trained on them."""
    values = {"arch": cfg.arch, "recipe": cfg.recipe, "epochs": cfg.epochs, "seed": cfg.seed}
    values |= {k: getattr(cfg, k) for k, v in check_settings(cfg.arch, cfg.recipe, {}).items() if getattr(cfg, k) != v}
    values |= {"per_class": cfg.per_class, "threads": 1, "device": "cpu"}
    values |= {"data": shlex.quote(data), "repeat": cfg.repeat} if data else {}
    # --flag=value: a value such as -1..1 would read as a flag of its own; repr: a float as it is, to the last bit
    flags = [f"--{k.replace('_', '-')}={v!r}" if isinstance(v, float) else f"--{k.replace('_', '-')}={v}"
             for k, v in values.items()]
    return "python train.py " + " ".join(flags + ["--weights-only"])


LINK_KEYS = ("arch", "recipe", "epochs", "seed", *KEYS)  # what a page's address may hold (the Train tab's link)


def query(cfg: Config) -> str:
    """cfg as a page address's query: the job's inputs and the settings that differ from the recipe's."""
    recipe = check_settings(cfg.arch, cfg.recipe, {})
    shown = {k: getattr(cfg, k) for k in LINK_KEYS if k not in recipe or getattr(cfg, k) != recipe[k]}
    return urllib.parse.urlencode(shown)


def from_query(params: dict):
    """A page address's query -> (arch, recipe, epochs, seed, settings) for check_job, or None when
    it holds none of LINK_KEYS; numbers arrive as text and are read as JSON numbers."""
    def value(text):
        try:
            return json.loads(text)
        except ValueError:
            return text
    given = {k: value(v) for k, v in params.items() if k in LINK_KEYS}
    if not given:
        return None
    return (*(given.pop(k, DEFAULT_JOB[k]) for k in DEFAULT_JOB), given)
