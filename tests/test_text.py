"""gan/text.py: every string in both languages, the same placeholders in each, and the
visitor's language read from Accept-Language."""
import re
import string

import pytest

from gan import explore, text
from gan.checks import InputError
from gan.demo import check_arch
from gan.sampling import check_seed

CJK = re.compile(r"[\u4e00-\u9fff]")


def fields(template: str) -> set:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_every_entry_holds_both_languages_with_the_same_placeholders():
    assert text.LANGUAGES == ("en", "zh-CN")
    for key, entry in text.STRINGS.items():
        assert isinstance(entry, tuple) and len(entry) == 2 and all(isinstance(s, str) and s for s in entry), key
        assert fields(entry[0]) == fields(entry[1]), key
        assert fields(entry[0]) <= set(text.LIMITS) | PARAMS.get(key.split(".")[0], set()), key


# placeholders filled per call, beside the limits (each namespace's own)
PARAMS = {"error": {"name", "lo", "hi", "got", "most", "count", "allowed", "z", "arch", "keys", "last", "losses",
                    "want", "done"},
          "got": {"type"}, "cap": {"seed", "index", "i", "space", "d", "cls", "p", "what", "label", "typical"}, "row": {"m"},
          "lab": {"why"}, "meter": {"n", "bits", "max_bits", "k", "floor", "fd", "epoch", "epochs", "step", "ips", "secs"},
          "alarm": {"epoch"}, "train": {"epoch", "step"}, "data": {"n", "classes", "skipped", "k", "names", "count"}}


def test_the_chinese_text_is_chinese():
    """Every zh-CN string that has words (not only symbols, numbers or names) is written in Chinese."""
    neutral = {"axis.fd", "row.fd", "curve.d_real", "curve.d_fake", "cap.label", "cap.item"}  # notation, formats
    for key, (_, zh) in text.STRINGS.items():
        if key not in neutral:
            assert CJK.search(zh), key
    assert text.class_name("zh-CN", 1) == "裤子" and text.class_name("en", 1) == "Trouser"
    assert len({text.class_name("zh-CN", i) for i in range(10)}) == 10


def test_every_key_the_code_uses_exists():
    """A key typed in app.py or gan/ that the table lacks would show raw on the page: every
    string literal shaped like a key of a namespace the table has ("sweep.go"), every argument of
    I18N and of the helpers that take a key, every InputError key."""
    from conftest import ROOT
    sources = [ROOT / "app.py", *sorted((ROOT / "gan").glob("*.py")), ROOT / "gan" / "static" / "latent_lab.js"]
    namespaces = {k.split(".")[0] for k in text.STRINGS if "." in k}
    used = set()
    for path in sources:
        src = path.read_text()
        used |= {k for k in re.findall(r'"([a-z_]+\.[a-z_0-9.]+)"', src) if k.split(".")[0] in namespaces}
        used |= set(re.findall(r'\b(?:I18N|button|go_button|index_slider|t\(lang,)\s*\(?"([a-z_.]+)"', src))
        used |= {f"error.{k}" for k in re.findall(r'InputError\("([a-z_]+)"', src)}
    assert len(used) > 100 and used <= set(text.STRINGS), used - set(text.STRINGS)


@pytest.mark.parametrize("header, lang", [
    ("zh-CN,zh;q=0.9,en;q=0.8", "zh-CN"), ("zh", "zh-CN"), ("zh-TW", "zh-CN"), ("ZH-cn", "zh-CN"),
    ("en-US,en;q=0.9,zh-CN;q=0.8", "en"), ("fr-FR", "en"), ("", "en"), (None, "en"), ("*", "en"),
])
def test_language_from_accept_language(header, lang):
    assert text.language(header) == lang


@pytest.mark.parametrize("check, bad", [
    (check_seed, -1), (check_seed, "x"), (explore.check_index, 9), (explore.parse_positions, "100"),
    (explore.parse_values, "a"), (explore.check_value, float("nan")), (explore.check_mode, "mul"),
    (explore.check_steps, 1), (check_arch, "gpt"),
])
def test_every_visitor_error_reads_in_chinese(check, bad):
    with pytest.raises(InputError) as e:
        check(bad)
    en, zh = str(e.value), text.message("zh-CN", e.value)
    name = e.value.params["name"]
    assert en.startswith(text.STRINGS[f"name.{name}"][0]) and not CJK.search(en)  # str(): English
    assert zh.startswith(text.t("zh-CN", f"name.{name}")) and zh != en
