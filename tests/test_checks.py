"""gan.checks: the one place input is checked; each kind's edge cases and messages."""
import numpy as np
import pytest

from gan import checks


def test_whole_numbers():
    assert checks.whole(3, "n", 0, 7) == 3 and checks.whole(3.0, "n", 0, 7) == 3 and checks.whole(np.int64(7), "n", 0, 7) == 7
    for bad, shown in ((True, "a bool"), (8, "8"), (-1, "-1"), (2.5, "2.5"), (float("nan"), "nan"), ("3", "a str"),
                       (10**400, "1000000000"), (None, "a NoneType")):
        with pytest.raises(ValueError, match=f"^n must be a whole number from 0 to 7, got {shown}"):
            checks.whole(bad, "n", 0, 7)


def test_numbers_and_lists():
    assert checks.number(" 2.5 ", "v", -10, 10) == 2.5 and checks.number(np.float32(-3), "v", -10, 10) == -3.0
    for bad in (float("inf"), 11, "1, 2", "x", False):
        with pytest.raises(ValueError, match="^v"):
            checks.number(bad, "v", -10, 10)
    assert checks.number_list("10; 60 80", "p", int, 0, 99) == [10, 60, 80]
    with pytest.raises(ValueError, match="p: at most 3 numbers, got 4"):
        checks.number_list("1 2 3 4", "p", max_items=3)
    with pytest.raises(ValueError, match="p: text that is not a plain number is not a number"):
        checks.number_list("<script>", "p")


def test_choices_never_echo_arbitrary_text():
    assert checks.choice("mlp", "arch", ("mlp", "cnn")) == "mlp"
    with pytest.raises(ValueError, match=r"^arch must be one of mlp, cnn, got 'MLP'$"):
        checks.choice("MLP", "arch", ("mlp", "cnn"))
    with pytest.raises(ValueError, match=r"^arch must be one of mlp, cnn, got text that is not a plain number$"):
        checks.choice("<b>mlp</b>", "arch", ("mlp", "cnn"))
    with pytest.raises(ValueError, match=r"got a list$"):
        checks.choice(["mlp"], "arch", ("mlp", "cnn"))
