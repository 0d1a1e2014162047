"""benchmarks/smalldata.py's memorisation metric on toy sets with known answers (the benchmark's
training runs are minutes each: benchmarks only)."""
import pytest
import torch

from benchmarks import smalldata


def test_nearest_distance_is_zero_for_a_copy_and_the_hand_worked_one_otherwise():
    """Training set (0, 0), (3, 4): a copy of (3, 4) sits at 0; (3, 0) at 3 from (0, 0) (4 from
    (3, 4)); (6, 8) at 5 from (3, 4). Pixel vectors as the benchmark makes them: a uint8 image equal
    to a training image is at 0 too."""
    train = torch.tensor([[0.0, 0.0], [3.0, 4.0]])
    d = smalldata.nearest_distances(torch.tensor([[3.0, 4.0], [3.0, 0.0], [6.0, 8.0]]), train)
    assert d.tolist() == pytest.approx([0.0, 3.0, 5.0], abs=1e-9)
    images = torch.randint(0, 256, (50, 1, 28, 28), dtype=torch.uint8)
    assert smalldata.nearest_distances(smalldata.flat(images[7:9]), smalldata.flat(images)).tolist() == \
        pytest.approx([0.0, 0.0], abs=1e-6)


def test_memorisation_counts_the_samples_below_the_held_out_cut():
    """Held-out distances 1..100: the 5th percentile is 5.95; samples at 0, 0, 5, 6, 50: three are
    copies (3/5); medians (torch's: the lower middle value of an even count) 5 and 50."""
    m = smalldata.memorisation(torch.tensor([0.0, 0.0, 5.0, 6.0, 50.0], dtype=torch.float64),
                               torch.arange(1, 101, dtype=torch.float64))
    assert m["copies"] == pytest.approx(0.6)
    assert m["median_samples"] == 5.0 and m["median_heldout"] == pytest.approx(50.0)
    assert m["ratio"] == pytest.approx(0.1)
