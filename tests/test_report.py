"""Report pictures."""

import numpy as np

from herbarium_leaves.report import disagreement


def test_disagreement_is_dark_where_seeds_agree_and_bright_where_they_split():
    agree = np.full((4, 6), 200, np.uint8)
    split = [agree.copy(), agree.copy()]
    split[0][:, 3:], split[1][:, 3:] = 0, 255
    picture = disagreement(split)
    assert picture.shape == (4, 6, 3) and picture.dtype == np.uint8
    assert picture[:, :3].sum(axis=2).max() < 20  # std 0: the colour map's darkest end
    assert picture[:, 3:].sum(axis=2).min() > 600  # std 0.5: its brightest
