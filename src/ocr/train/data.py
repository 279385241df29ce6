"""Training data: the synthetic and receipt-JSON datasets and the datamodule.

Items carry the DB target maps of :func:`~ocr.train.loss.make_db_targets` (defined
next to the loss that consumes them). Text polygons are reduced to their axis-aligned
bounding rectangles throughout the trainer: synthetic lines are rectangles anyway, and
rectangles keep the shrink/unclip geometry exact and cheap. The pages themselves come
from :mod:`ocr.train.synthetic` and :mod:`ocr.train.receipts`.
"""

from __future__ import annotations

import importlib
import importlib.util
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import lightning
import numpy as np
import torch
from torch.nn import functional
from torch.utils.data import DataLoader, Dataset, Subset

from ocr.errors import TrainingDataError
from ocr.train.loss import TARGET_KEYS, make_db_targets
from ocr.train.metric import bounding_box
from ocr.train.receipts import Polygon, read_receipt_annotations
from ocr.train.synthetic import DIFFICULTIES, Difficulty, generate_receipt

if TYPE_CHECKING:
    from collections.abc import Sequence

    from numpy.typing import NDArray

__all__ = [
    "IMAGE_MEAN",
    "IMAGE_STD",
    "ReceiptDataModule",
    "ReceiptJsonDataset",
    "SyntheticReceiptDataset",
    "collate_receipts",
    "normalize_image",
    "scale_image",
]

IMAGE_MEAN: Final = 0.5
IMAGE_STD: Final = 0.25
Item = dict[str, Any]


def scale_image(raw: NDArray[np.uint8], *, height: int, width: int) -> torch.Tensor:
    """Resize an image as training resizes real receipts (bilinear, antialiased).

    Args:
        raw: An HxWx3 uint8 image.
        height: The output height.
        width: The output width.

    Returns:
        The 3 x ``height`` x ``width`` float image, in [0, 1].
    """
    pixels = raw if raw.flags.writeable else raw.copy()  # torch refuses read-only memory
    image = torch.from_numpy(pixels).permute(2, 0, 1).float()[None] / 255.0
    image = functional.interpolate(image, size=(height, width), mode="bilinear", antialias=True)
    return image[0].clamp(0.0, 1.0)


def normalize_image(image: torch.Tensor) -> torch.Tensor:
    """What the model is fed: a [0, 1] image shifted and scaled by IMAGE_MEAN and IMAGE_STD.

    Args:
        image: A 3xHxW (or Bx3xHxW) float image in [0, 1].

    Returns:
        ``(image - IMAGE_MEAN) / IMAGE_STD``.
    """
    return (image - IMAGE_MEAN) / IMAGE_STD


def _make_item(image: torch.Tensor, polygons: list[Polygon]) -> Item:
    # `image` is 3xHxW float in [0, 1]; targets are built at the same size.
    height, width = image.shape[-2:]
    targets = make_db_targets(polygons, height=height, width=width)
    item: Item = {"image": normalize_image(image), "polygons": polygons}
    item.update({key: torch.from_numpy(value) for key, value in targets.items()})
    return item


def collate_receipts(items: Sequence[Item]) -> Item:
    """Stack the tensors of dataset items into a batch, keeping polygons as lists.

    Args:
        items: Items of :class:`SyntheticReceiptDataset` or :class:`ReceiptJsonDataset`.

    Returns:
        The batch: Bx3xHxW ``image``, BxHxW target maps, ``polygons`` a list per image.
    """
    batch = {key: torch.stack([item[key] for item in items]) for key in TARGET_KEYS}
    return batch | {
        "image": torch.stack([item["image"] for item in items]),
        "polygons": [item["polygons"] for item in items],
    }


class SyntheticReceiptDataset(Dataset[Item]):
    """Synthetic receipts generated on demand; item i depends only on (seed, i).

    Args:
        size: Number of items.
        seed: Non-negative seed of the item stream.
        height: Image height.
        width: Image width.
        difficulty: ``easy`` or ``hard`` pages (see :mod:`ocr.train.synthetic`).
    """

    def __init__(
        self, size: int, *, seed: int, height: int, width: int, difficulty: Difficulty = "easy"
    ) -> None:
        self.size, self.seed, self.height, self.width = size, seed, height, width
        self.difficulty = difficulty

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, index: int) -> Item:
        image, polygons = self.page(index)
        return _make_item(torch.from_numpy(image).permute(2, 0, 1).float() / 255.0, polygons)

    def page(self, index: int) -> tuple[NDArray[np.uint8], list[Polygon]]:
        """The receipt of item ``index`` as drawn: its image and its ground-truth boxes.

        Args:
            index: The item, from 0 to ``len(self) - 1``.

        Returns:
            The HxWx3 uint8 image and one (4, 2) box per text line.

        Raises:
            IndexError: ``index`` is out of range.
        """
        if not 0 <= index < self.size:
            raise IndexError(f"index {index} out of range for {self.size} items")
        rng = np.random.default_rng([self.seed, index])
        return generate_receipt(
            rng, height=self.height, width=self.width, difficulty=self.difficulty
        )


def _load_image(path: Path) -> NDArray[np.uint8]:
    if not path.is_file():
        raise TrainingDataError(
            f"image {str(path)!r} of the receipt annotations does not exist",
            fix="Point data.image_dir (or data.val_image_dir) at the folder holding the images",
            path=path,
        )
    if path.suffix.lower() == ".npy":
        array = np.load(path, allow_pickle=False)
    elif importlib.util.find_spec("PIL") is not None:
        pillow = importlib.import_module("PIL.Image")  # optional: only needed here
        with pillow.open(path) as image:
            array = np.asarray(image.convert("RGB"))
    else:
        raise TrainingDataError(
            f"cannot read image {path}: Pillow is not installed, so only .npy images load",
            fix="Install Pillow or convert the images to HxWx3 uint8 .npy files",
            path=path,
        )
    if array.ndim == 2:
        array = np.repeat(array[..., None], 3, axis=2)
    if array.ndim != 3 or array.shape[2] != 3 or array.dtype != np.uint8:
        raise TrainingDataError(
            f"image {path} has shape {array.shape} and dtype {array.dtype}",
            fix="Store images as HxWx3 (or HxW) uint8 arrays",
            path=path,
        )
    return np.asarray(array)


class ReceiptJsonDataset(Dataset[Item]):
    """Real receipts: images from a folder, words from a receipt JSON annotation file.

    Images are resized to ``height`` x ``width``, polygons scaled to match and boxed.
    Pillow decodes images when installed; ``.npy`` arrays always work.

    Args:
        annotation_file: The JSON file (see :func:`read_receipt_annotations`).
        image_dir: Folder holding the image files named in the annotations.
        height: Output image height.
        width: Output image width.
    """

    def __init__(
        self, annotation_file: str | Path, image_dir: str | Path, *, height: int, width: int
    ) -> None:
        self.entries = list(read_receipt_annotations(annotation_file).items())
        self.image_dir, self.height, self.width = Path(image_dir), height, width

    def __len__(self) -> int:
        return len(self.entries)

    def __getitem__(self, index: int) -> Item:
        name, polygons = self.entries[index]
        raw = _load_image(self.image_dir / name)
        scale = np.array([self.width / raw.shape[1], self.height / raw.shape[0]], np.float32)
        image = scale_image(raw, height=self.height, width=self.width)
        return _make_item(image, [bounding_box(p * scale) for p in polygons])


class ReceiptDataModule(lightning.LightningDataModule):
    """Train/validation loaders over synthetic receipts, or receipt JSON when given.

    Validation is always held out: synthetic training items come from seed stream
    ``2 * seed`` and validation items from ``2 * seed + 1``; JSON data validates on
    ``val_annotation_file``, or else on ``val_size`` training images set aside.

    Args:
        seed: Non-negative seed of generation, hold-out split and shuffling.
        train_size: Synthetic training items per epoch.
        val_size: Synthetic validation items, or JSON images held out.
        height: Image height fed to the model.
        width: Image width fed to the model.
        batch_size: Items per batch.
        num_workers: DataLoader worker processes.
        annotation_file: Receipt JSON for training; None selects synthetic data.
        image_dir: Training image folder; defaults to the JSON's folder.
        val_annotation_file: Receipt JSON for validation.
        val_image_dir: Validation image folder; defaults to its JSON's folder.
        difficulty: Synthetic pages, ``easy`` or ``hard`` (unused for JSON data).

    Raises:
        TrainingDataError: ``difficulty`` is neither ``easy`` nor ``hard``.
    """

    def __init__(
        self,
        *,
        seed: int = 0,
        train_size: int = 256,
        val_size: int = 64,
        height: int = 128,
        width: int = 96,
        batch_size: int = 16,
        num_workers: int = 0,
        annotation_file: str | Path | None = None,
        image_dir: str | Path | None = None,
        val_annotation_file: str | Path | None = None,
        val_image_dir: str | Path | None = None,
        difficulty: Difficulty = "easy",
    ) -> None:
        super().__init__()
        if difficulty not in DIFFICULTIES:
            raise TrainingDataError(
                f"unknown synthetic difficulty {difficulty!r}",
                fix=f"Use one of: {', '.join(DIFFICULTIES)} (data.difficulty=hard)",
                value=difficulty,
            )
        # Plain attributes, not save_hyperparameters(): Lightning merges datamodule and
        # module hparams for loggers, and `width` means different things in the two.
        self.seed, self.train_size, self.val_size = seed, train_size, val_size
        self.height, self.width = height, width
        self.batch_size, self.num_workers = batch_size, num_workers
        self.annotation_file, self.image_dir = annotation_file, image_dir
        self.val_annotation_file, self.val_image_dir = val_annotation_file, val_image_dir
        self.difficulty: Difficulty = difficulty

    @cached_property
    def datasets(self) -> tuple[Dataset[Item], Dataset[Item]]:
        """The training and validation datasets, built on first use."""
        if self.annotation_file is None:
            return self._synthetic(self.train_size, 2 * self.seed), self._synthetic(
                self.val_size, 2 * self.seed + 1
            )
        train = self._json(self.annotation_file, self.image_dir)
        if self.val_annotation_file is not None:
            return train, self._json(self.val_annotation_file, self.val_image_dir)
        order = np.random.default_rng(self.seed).permutation(len(train)).tolist()
        held_out = min(self.val_size, len(train) - 1)
        return Subset(train, order[held_out:]), Subset(train, order[:held_out])

    def _synthetic(self, size: int, seed: int) -> SyntheticReceiptDataset:
        return SyntheticReceiptDataset(
            size, seed=seed, height=self.height, width=self.width, difficulty=self.difficulty
        )

    def _json(
        self, annotation_file: str | Path, image_dir: str | Path | None
    ) -> ReceiptJsonDataset:
        folder = Path(annotation_file).parent if image_dir is None else image_dir
        return ReceiptJsonDataset(annotation_file, folder, height=self.height, width=self.width)

    def train_dataloader(self) -> DataLoader[Item]:
        """Return the shuffled training loader (seeded order)."""
        return self._loader(self.datasets[0], shuffle=True)

    def val_dataloader(self) -> DataLoader[Item]:
        """Return the validation loader, in dataset order."""
        return self._loader(self.datasets[1], shuffle=False)

    def _loader(self, dataset: Dataset[Item], *, shuffle: bool) -> DataLoader[Item]:
        return DataLoader(
            dataset,
            batch_size=self.batch_size,
            shuffle=shuffle,
            num_workers=self.num_workers,
            collate_fn=collate_receipts,
            persistent_workers=self.num_workers > 0,
            generator=torch.Generator().manual_seed(self.seed) if shuffle else None,
        )
