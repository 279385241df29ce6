from __future__ import annotations

import numpy as np
import pytest

from ocr.train.metric import rectangle
from ocr.ui.overlay import (
    PREDICTION_COLOUR,
    TRUTH_COLOUR,
    display_scale,
    draw_boxes,
    map_to_image,
    probability_picture,
)


def test_boxes_land_on_the_original_pixels_when_the_map_was_made_from_a_resized_image() -> None:
    boxes = [rectangle(10, 20, 30, 25), rectangle(0, 0, 96, 128)]

    exact = map_to_image(boxes, map_size=(128, 96), image_size=(1536, 1056))  # x11, y12
    uneven = map_to_image(boxes, map_size=(128, 96), image_size=(1500, 1000))

    assert exact[0].tolist() == [[110, 240], [330, 240], [330, 300], [110, 300]]
    assert uneven[1].tolist() == [[0, 0], [1000, 0], [1000, 1500], [0, 1500]]
    assert np.allclose(uneven[0][0], [10 * 1000 / 96, 20 * 1500 / 128])
    assert exact[0].dtype == np.float32


@pytest.mark.parametrize(
    ("size", "scale"),
    [
        pytest.param((1500, 1000), 1.0, id="fits"),
        pytest.param((6000, 4000), 1600 / 6000, id="large"),
        pytest.param((128, 96), 5.0, id="small"),
        pytest.param((2000, 100), 0.8, id="long-and-thin"),
    ],
)
def test_display_scale_keeps_pictures_between_limits_when_images_are_any_size(
    size: tuple[int, int], scale: float
) -> None:
    assert display_scale(size) == pytest.approx(scale)


def test_boxes_are_outlined_at_their_scaled_place_when_drawn_on_a_resized_picture() -> None:
    pixels = np.full((20, 10, 3), 255, dtype=np.uint8)

    picture = np.asarray(
        draw_boxes(pixels, [rectangle(2, 4, 6, 10)], truth=[rectangle(0, 0, 9, 19)], scale=2.0)
    )

    assert picture.shape == (40, 20, 3)
    predicted = np.all(picture == PREDICTION_COLOUR, axis=2)
    rows, cols = np.nonzero(predicted)
    assert (rows.min(), rows.max(), cols.min(), cols.max()) == (8, 20, 4, 12)
    assert not predicted[9:20, 5:12].any()  # an outline, not a filled box
    assert np.all(picture[0, 0] == TRUTH_COLOUR)
    assert np.all(picture[30, 15] == (255, 255, 255))


def test_probability_picture_goes_dark_to_bright_when_probability_rises() -> None:
    prob = np.array([[0.0, 0.5, 1.0]], dtype=np.float32)

    picture = np.asarray(probability_picture(prob, scale=2.0))

    assert picture.shape == (2, 6, 3)
    brightness = picture[0, ::2].astype(int).sum(axis=1)
    assert brightness[0] < brightness[1] < brightness[2]
    assert picture[0, 0].tolist() == [0, 0, 4]
