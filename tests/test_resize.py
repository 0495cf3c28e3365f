import numpy as np
import pytest

from herbarium_leaves.resize import ResizeSpec, resize_image, resize_labels


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (ResizeSpec(mode="fixed", height=512, width=512), (512, 512)),
        (ResizeSpec(mode="scale", scale=0.25), (250, 176)),
        (ResizeSpec(mode="long_side", long_side=500), (500, 352)),
    ],
)
def test_target_shape(spec, expected):
    assert spec.target_shape(1000, 704) == expected


def test_unknown_mode():
    with pytest.raises(ValueError, match="unknown resize mode 'stretch'"):
        ResizeSpec(mode="stretch").target_shape(10, 10)


def test_labels_keep_their_ids_and_are_never_blended():
    labels = np.zeros((100, 80), np.uint16)
    labels[10:60, 10:40] = 7
    labels[50:90, 30:70] = 300
    small = resize_labels(labels, (50, 40))
    assert small.dtype == np.uint16 and small.shape == (50, 40)
    assert set(np.unique(small)) == {0, 7, 300}
    assert (small == 7).sum() == pytest.approx((labels == 7).sum() / 4, rel=0.1)


def test_image_area_interpolation_averages_blocks():
    image = np.zeros((4, 4, 3), np.uint8)
    image[::2, ::2] = 200  # one bright pixel in every 2 x 2 block
    assert (resize_image(image, (2, 2)) == 50).all()


def test_back_to_original_size():
    labels = np.zeros((33, 21), np.uint16)
    labels[5:20, 4:15] = 1
    there = resize_labels(labels, (16, 16))
    back = resize_labels(there, (33, 21))
    assert back.shape == (33, 21)
    assert ((back == 1) == (labels == 1)).mean() > 0.9
