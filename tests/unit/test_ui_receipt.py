from __future__ import annotations

import io
from typing import Any

import numpy as np
import pytest
from PIL import Image

import ocr.ui.receipt
from ocr.errors import ImageReadError
from ocr.train.data import SyntheticReceiptDataset
from ocr.ui.receipt import Receipt, read_upload, validation_receipt, validation_set
from tests.ui_runs import REFERENCE_CONFIG

FIX = "Upload a PNG or JPEG receipt"


def _encoded(image: Image.Image, fmt: str = "PNG", **options: Any) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def test_upload_keeps_its_size_and_colours_when_png_is_rgb() -> None:
    pixels = np.random.default_rng(0).integers(0, 256, (30, 20, 3), dtype=np.uint8)

    receipt = read_upload("r.png", _encoded(Image.fromarray(pixels)))

    assert receipt.size == (30, 20)
    assert np.array_equal(receipt.pixels, pixels)
    assert receipt.truth is None


@pytest.mark.parametrize(
    ("image", "expected"),
    [
        pytest.param(Image.new("L", (4, 3), 90), (90, 90, 90), id="greyscale"),
        pytest.param(Image.new("RGBA", (4, 3), (10, 20, 30, 0)), (255, 255, 255), id="transparent"),
        pytest.param(Image.new("LA", (4, 3), (0, 255)), (0, 0, 0), id="grey-alpha-opaque"),
        pytest.param(Image.new("I;16", (4, 3), 65535), (255, 255, 255), id="16-bit"),
        pytest.param(Image.new("P", (4, 3), 0), (0, 0, 0), id="palette"),
    ],
)
def test_upload_is_rgb_on_white_paper_when_mode_is_not_rgb(
    image: Image.Image, expected: tuple[int, int, int]
) -> None:
    receipt = read_upload("r.png", _encoded(image))

    assert receipt.pixels.shape == (3, 4, 3)
    assert (receipt.pixels == expected).all()


def test_upload_is_upright_when_jpeg_says_it_was_rotated() -> None:
    image = Image.new("RGB", (40, 20), (250, 250, 250))
    exif = image.getexif()
    exif[0x0112] = 6  # orientation: rotate 90 degrees clockwise to view

    receipt = read_upload("phone.jpg", _encoded(image, "JPEG", exif=exif))

    assert receipt.size == (40, 20)


@pytest.mark.parametrize(
    ("data", "why"),
    [
        pytest.param(b"not an image at all", "cannot identify image file", id="text"),
        pytest.param(_encoded(Image.new("RGB", (4, 4)), "GIF"), "it is a GIF image", id="gif"),
    ],
)
def test_upload_is_refused_in_one_line_when_not_png_or_jpeg(data: bytes, why: str) -> None:
    with pytest.raises(ImageReadError) as raised:
        read_upload("x.png", data)

    message = str(raised.value)
    assert message.startswith(f"upload 'x.png' is not a readable PNG or JPEG image ({why}")
    assert message.endswith(f"). {FIX}")


def test_upload_is_refused_when_cut_short() -> None:
    data = _encoded(
        Image.fromarray(np.random.default_rng(1).integers(0, 256, (64, 64, 3), dtype=np.uint8))
    )

    with pytest.raises(ImageReadError) as raised:
        read_upload("cut.png", data[: len(data) // 2])

    assert str(raised.value).startswith(
        "upload 'cut.png' is not a readable PNG or JPEG image (the file is cut short or corrupt: "
    )


def test_upload_is_refused_before_decoding_when_larger_than_the_limit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(ocr.ui.receipt, "MAX_PIXELS", 100)

    with pytest.raises(ImageReadError) as raised:
        read_upload("huge.png", _encoded(Image.new("RGB", (20, 10))))

    assert str(raised.value) == (
        "image 'huge.png' is 20x10 (0.0 MP), more than the 0.0 MP the app decodes. Downscale it first"
    )


def test_receipts_share_a_digest_only_when_their_pixels_are_equal() -> None:
    a = Receipt("a", np.zeros((2, 3, 3), np.uint8))

    assert a.digest == Receipt("b", np.zeros((2, 3, 3), np.uint8)).digest
    assert a.digest != Receipt("c", np.zeros((3, 2, 3), np.uint8)).digest
    assert a.digest != Receipt("d", np.ones((2, 3, 3), np.uint8)).digest


def test_validation_set_is_the_runs_own_when_it_trained_on_synthetic_data() -> None:
    config = {**REFERENCE_CONFIG, "data": {**REFERENCE_CONFIG["data"], "seed": 3, "val_size": 5}}

    dataset, where = validation_set(config)

    assert isinstance(dataset, SyntheticReceiptDataset)
    assert (dataset.size, dataset.seed, dataset.height, dataset.width) == (5, 7, 128, 96)
    assert where == "this run's synthetic validation receipts (5 pages of 128x96, seed 3)"


@pytest.mark.parametrize(
    "config",
    [
        pytest.param(None, id="no-config"),
        pytest.param({"data": {"_target_": "team.Data", "height": 64}}, id="other-data"),
        pytest.param(
            {"data": {**REFERENCE_CONFIG["data"], "annotation_file": "a.json"}}, id="json"
        ),
        pytest.param(
            {"data": {**REFERENCE_CONFIG["data"], "height": True, "width": 10**6}}, id="odd-values"
        ),
    ],
)
def test_validation_set_is_the_reference_default_when_run_has_none_of_its_own(
    config: dict[str, Any] | None,
) -> None:
    dataset, where = validation_set(config)

    if config is not None and config["data"].get("height") is True:
        assert where == "this run's synthetic validation receipts (8 pages of 128x96, seed 0)"
    else:
        assert (
            where
            == "the reference trainer's default synthetic validation receipts (64 pages of 128x96, seed 0)"
        )
    assert (dataset.height, dataset.width) == (128, 96)


def test_validation_receipt_carries_its_true_boxes_when_drawn() -> None:
    dataset, _ = validation_set(None)

    receipt = validation_receipt(dataset, 2)

    pixels, boxes = dataset.page(2)
    assert receipt.name == "val-00002"
    assert np.array_equal(receipt.pixels, pixels)
    assert receipt.truth is not None and len(receipt.truth) == len(boxes) > 0
