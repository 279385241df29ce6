"""Receipts to try a model on: uploaded images, or the reference trainer's validation pages.

An upload stays in memory: it is decoded from its bytes, never written. PNG and
JPEG are accepted in any mode Pillow reads (greyscale, palette, 16-bit, CMYK);
transparency is laid on white paper, and a phone photo's EXIF orientation is
applied, so the image is seen as its owner sees it. The image keeps its own
size: the network gets a resized copy, the boxes are drawn on the original.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final, cast

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from ocr.errors import ImageReadError
from ocr.train.data import ReceiptDataModule

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from ocr.train.data import SyntheticReceiptDataset

__all__ = [
    "IMAGE_FORMATS",
    "MAX_PIXELS",
    "REFERENCE_DATA",
    "Receipt",
    "read_upload",
    "validation_receipt",
    "validation_set",
]

IMAGE_FORMATS: Final = ("PNG", "JPEG")
MAX_PIXELS: Final = 80_000_000  # below Pillow's decompression-bomb warning (89.5 MP)
REFERENCE_DATA: Final = "ocr.train.data.ReceiptDataModule"
_PAPER: Final = (255, 255, 255)
_VALIDATION_KEYS: Final = {
    "seed": (0, 2**32 - 1),
    "val_size": (1, 10_000),
    "height": (16, 4096),
    "width": (16, 4096),
}


@dataclass(frozen=True)
class Receipt:
    """One image to try: its pixels at their own size, and its true boxes when known.

    Args:
        name: What to call it (the file name, or the validation item).
        pixels: HxWx3 uint8 RGB.
        truth: Ground-truth boxes in the image's coordinates, when known.
    """

    name: str
    pixels: NDArray[np.uint8]
    truth: tuple[NDArray[np.float32], ...] | None = None
    digest: str = field(init=False, repr=False)

    def __post_init__(self) -> None:
        shape = ",".join(map(str, self.pixels.shape)).encode()
        digest = hashlib.blake2b(self.pixels.tobytes(), digest_size=16, key=shape).hexdigest()
        object.__setattr__(self, "digest", digest)

    @property
    def size(self) -> tuple[int, int]:
        """(height, width)."""
        return int(self.pixels.shape[0]), int(self.pixels.shape[1])


def read_upload(name: str, data: bytes) -> Receipt:
    """Decode an uploaded image in memory.

    Args:
        name: The file's name, for messages.
        data: Its bytes.

    Returns:
        The receipt, in RGB at its own size.

    Raises:
        ImageReadError: It is not a PNG or JPEG, it is cut short or corrupt, or it
            is larger than :data:`MAX_PIXELS`.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                _check_kind(name, image)
                upright = ImageOps.exif_transpose(image)
                pixels = _on_paper(upright)
    except ImageReadError:
        raise  # already one clear line (a ValueError, which the last clause would wrap)
    except (
        UnidentifiedImageError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
    ) as exc:
        raise _unreadable(name, _first_line(exc)) from exc
    except (
        OSError,
        SyntaxError,
        ValueError,
    ) as exc:  # Pillow's errors for truncated or corrupt data
        raise _unreadable(name, f"the file is cut short or corrupt: {_first_line(exc)}") from exc
    return Receipt(name, pixels)


def _check_kind(name: str, image: Image.Image) -> None:
    if image.format not in IMAGE_FORMATS:
        raise _unreadable(name, f"it is a {image.format} image")
    width, height = image.size
    if width * height > MAX_PIXELS:
        raise ImageReadError(
            f"image {name!r} is {width}x{height} ({width * height / 1e6:.1f} MP), more than the "
            f"{MAX_PIXELS / 1e6:.1f} MP the app decodes",
            fix="Downscale it first",
            value=name,
        )


def _on_paper(image: Image.Image) -> NDArray[np.uint8]:
    # Transparent parts (an RGBA scan, a palette with a transparent entry) are paper.
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        paper = Image.new("RGBA", rgba.size, (*_PAPER, 255))
        image = Image.alpha_composite(paper, rgba)
    elif image.mode in ("I;16", "I;16B", "I;16L", "I"):
        image = Image.fromarray(
            (np.asarray(image, dtype=np.float64) / 257.0).clip(0, 255).astype(np.uint8)
        )
    return np.array(image.convert("RGB"), dtype=np.uint8)


def _unreadable(name: str, why: str) -> ImageReadError:
    return ImageReadError(
        f"upload {name!r} is not a readable PNG or JPEG image ({why})",
        fix="Upload a PNG or JPEG receipt",
        value=name,
    )


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def validation_set(config: Mapping[str, Any] | None) -> tuple[SyntheticReceiptDataset, str]:
    """The synthetic validation receipts of a run, with their ground truth.

    A run trained on the reference trainer's synthetic data validates on the
    pages of seed ``2 * seed + 1`` at its image size (:class:`ReceiptDataModule`);
    any other run gets the reference trainer's default validation set.

    Args:
        config: The run's saved config, or ``None``.

    Returns:
        The dataset (``dataset.page(i)`` draws item ``i``) and where it comes from.
    """
    data = config.get("data") if isinstance(config, Mapping) else None
    own = (
        isinstance(data, Mapping)
        and data.get("_target_") == REFERENCE_DATA
        and data.get("annotation_file") is None
    )
    settings = _validation_settings(data) if own and isinstance(data, Mapping) else {}
    module = ReceiptDataModule(**settings)
    # Without an annotation file the datamodule's validation set is synthetic.
    validation = cast("SyntheticReceiptDataset", module.datasets[1])
    where = "this run's" if settings else "the reference trainer's default"
    description = (
        f"{where} synthetic validation receipts ({module.val_size} pages of "
        f"{module.height}x{module.width}, seed {module.seed})"
    )
    return validation, description


def _validation_settings(data: Mapping[str, Any]) -> dict[str, Any]:
    settings: dict[str, Any] = {}
    for key, (low, high) in _VALIDATION_KEYS.items():
        value = data.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and low <= value <= high:
            settings[key] = value
    return settings


def validation_receipt(dataset: SyntheticReceiptDataset, index: int) -> Receipt:
    """Item ``index`` of a synthetic validation set, with its true boxes.

    Args:
        dataset: From :func:`validation_set`.
        index: The item.

    Returns:
        The receipt, named ``val-<index>``.
    """
    pixels, truth = dataset.page(index)
    return Receipt(f"val-{index:05d}", pixels, tuple(truth))
