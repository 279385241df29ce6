"""Synthetic receipts, DB targets, the receipt JSON reader, datasets and the datamodule."""

from __future__ import annotations

import importlib.util
import json
import sys
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from ocr.errors import TrainingDataError
from ocr.train.data import (
    ReceiptDataModule,
    ReceiptJsonDataset,
    SyntheticReceiptDataset,
    collate_receipts,
    normalize_image,
    scale_image,
)
from ocr.train.loss import make_db_targets
from ocr.train.metric import bounding_box, rectangle
from ocr.train.receipts import read_receipt_annotations
from ocr.train.synthetic import DIFFICULTIES, Difficulty, generate_receipt

if TYPE_CHECKING:
    from pathlib import Path

__all__: list[str] = []

# These properties run whole receipts through numpy; a third of the profile's examples
# keeps the unit suite fast, and HYPOTHESIS_PROFILE=thorough still scales them up.
FEW_EXAMPLES = settings(max_examples=max(1, settings().max_examples // 3), deadline=None)

SEEDS = st.integers(min_value=0, max_value=2**32 - 1)
SIDES = st.integers(min_value=16, max_value=96)
FIX = 'Write it as {"images": {"<file>": {"words": {"<id>": {"points": [[x, y], ...]}}}}}'
TARGET_KEYS = {"prob_map", "prob_mask", "thresh_map", "thresh_mask"}
EVERY_DIFFICULTY = pytest.mark.parametrize(
    "difficulty", [pytest.param(name, id=name) for name in DIFFICULTIES]
)


def _write_json(path: Path, document: Any) -> Path:
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def _words(*polygons: list[list[float]]) -> dict[str, Any]:
    return {"words": {str(i): {"points": points} for i, points in enumerate(polygons)}}


@EVERY_DIFFICULTY
@FEW_EXAMPLES
@given(seed=SEEDS, height=SIDES, width=SIDES)
def test_generate_receipt_repeats_itself_when_seed_repeats(
    difficulty: Difficulty, seed: int, height: int, width: int
) -> None:
    size: dict[str, Any] = {"height": height, "width": width, "difficulty": difficulty}
    first = generate_receipt(np.random.default_rng(seed), **size)
    second = generate_receipt(np.random.default_rng(seed), **size)

    assert np.array_equal(first[0], second[0])
    assert len(first[1]) == len(second[1])
    assert all(np.array_equal(a, b) for a, b in zip(first[1], second[1], strict=True))


@EVERY_DIFFICULTY
@FEW_EXAMPLES
@given(seed=SEEDS, height=SIDES, width=SIDES)
def test_generate_receipt_boxes_lie_apart_inside_the_page_when_any_seed(
    difficulty: Difficulty, seed: int, height: int, width: int
) -> None:
    image, polygons = generate_receipt(
        np.random.default_rng(seed), height=height, width=width, difficulty=difficulty
    )

    assert image.shape == (height, width, 3)
    assert image.dtype == np.uint8
    assert polygons
    for polygon in polygons:
        assert polygon.shape == (4, 2)
        assert polygon.dtype == np.float32
        assert np.array_equal(polygon, bounding_box(polygon))  # clockwise from top-left
        assert polygon.min() >= 0
        assert (polygon[:, 0] <= width).all()
        assert (polygon[:, 1] <= height).all()
    for i, a in enumerate(polygons):
        for b in polygons[i + 1 :]:
            # Strictly apart: sharing an edge coordinate would mean touching.
            assert a[1, 0] < b[0, 0] or b[1, 0] < a[0, 0] or a[2, 1] < b[0, 1] or b[2, 1] < a[0, 1]


def test_generate_receipt_draws_dark_lines_on_light_paper_when_rendered() -> None:
    image, polygons = generate_receipt(np.random.default_rng(7), height=128, width=96)
    grey = image.mean(axis=2)
    inside = np.zeros(grey.shape, dtype=bool)
    for polygon in polygons:
        (x0, y0), (x1, y1) = polygon[0].astype(int), polygon[2].astype(int)
        inside[y0:y1, x0:x1] = True

    assert grey[~inside].mean() > 180
    assert grey[inside].mean() < grey[~inside].mean() - 60


def test_generate_receipt_refuses_when_page_is_too_small() -> None:
    with pytest.raises(ValueError, match=r"^receipt sides must be >= 16 px, got 15x40$"):
        generate_receipt(np.random.default_rng(0), height=15, width=40)


def _page_facts(difficulty: Difficulty, seed: int) -> tuple[float, float, float]:
    """(contrast of lines against paper, mean line height, share of dark pixels off the lines)."""
    image, polygons = generate_receipt(
        np.random.default_rng(seed), height=128, width=96, difficulty=difficulty
    )
    grey = image.mean(axis=2)
    lines = np.zeros(grey.shape, dtype=bool)
    near = np.zeros(grey.shape, dtype=bool)
    for polygon in polygons:
        (x0, y0), (x1, y1) = polygon[0].astype(int), polygon[2].astype(int)
        lines[y0:y1, x0:x1] = True
        near[max(0, y0 - 3) : y1 + 3, max(0, x0 - 3) : x1 + 3] = True
    paper = float(np.median(grey[~near]))
    heights = [float(p[2, 1] - p[0, 1]) for p in polygons]
    dark_off_lines = float(np.mean(grey[~near] < paper - 40))
    return paper - float(grey[lines].mean()), float(np.mean(heights)), dark_off_lines


def test_generate_receipt_hides_smaller_fainter_lines_among_clutter_when_hard() -> None:
    easy = np.array([_page_facts("easy", seed) for seed in range(24)])
    hard = np.array([_page_facts("hard", seed) for seed in range(24)])

    contrast, height, clutter = 0, 1, 2
    assert hard[:, contrast].mean() < 0.6 * easy[:, contrast].mean()
    assert hard[:, height].mean() < 0.85 * easy[:, height].mean()
    assert easy[:, clutter].max() < 0.001  # easy paper holds nothing but lines
    assert (hard[:, clutter] > 0.002).mean() > 0.5  # most hard pages hold marks that are not text


def test_generate_receipt_refuses_when_difficulty_is_unknown() -> None:
    with pytest.raises(ValueError, match=r"^unknown difficulty 'medium'; use one of: easy, hard$"):
        generate_receipt(np.random.default_rng(0), height=32, width=32, difficulty="medium")  # type: ignore[arg-type]


def test_make_db_targets_shrinks_and_borders_rectangle_when_one_line() -> None:
    # 20x10 rectangle: D = 200 * (1 - 0.4^2) / 60 = 2.8 pixels.
    targets = make_db_targets([rectangle(10, 10, 30, 20)], height=32, width=40)

    assert set(targets) == TARGET_KEYS
    assert all(m.shape == (32, 40) and m.dtype == np.float32 for m in targets.values())
    rows, cols = np.nonzero(targets["prob_map"])
    assert (rows.min(), rows.max(), cols.min(), cols.max()) == (13, 16, 13, 26)
    assert (targets["prob_mask"] == 1).all()
    rows, cols = np.nonzero(targets["thresh_mask"])
    assert (rows.min(), rows.max(), cols.min(), cols.max()) == (7, 22, 7, 32)
    thresh = targets["thresh_map"]
    assert thresh.min() == pytest.approx(0.3)
    assert thresh.max() == pytest.approx(0.7 - 0.4 * 0.5 / 2.8)  # centres sit 0.5 px off
    assert thresh[15, 20] == pytest.approx(0.3)  # deep inside: farther than D


def test_make_db_targets_is_blank_when_no_polygons() -> None:
    targets = make_db_targets([], height=8, width=8, thresh_min=0.2)

    assert (targets["prob_map"] == 0).all()
    assert (targets["prob_mask"] == 1).all()
    assert (targets["thresh_map"] == np.float32(0.2)).all()
    assert (targets["thresh_mask"] == 0).all()


def test_make_db_targets_ignores_polygon_when_nothing_survives_shrinking() -> None:
    # Shrunk by D = 0.189 to [4.589, 5.111]: no pixel centre is left inside.
    targets = make_db_targets(
        [rectangle(4.4, 4.4, 5.3, 5.3), rectangle(2, 0, 2, 6)], height=8, width=8
    )

    assert (targets["prob_map"] == 0).all()
    assert targets["prob_mask"][4, 4] == 0
    assert targets["prob_mask"].sum() == 63


def test_make_db_targets_uses_bounding_rectangle_when_polygon_is_rotated() -> None:
    diamond = np.array([[20, 4], [36, 12], [20, 20], [4, 12]], dtype=np.float32)

    rotated = make_db_targets([diamond], height=24, width=40)
    boxed = make_db_targets([bounding_box(diamond)], height=24, width=40)

    assert all(np.array_equal(rotated[key], boxed[key]) for key in TARGET_KEYS)


def test_read_receipt_annotations_returns_polygons_when_file_is_well_formed(tmp_path: Path) -> None:
    quad: list[list[float]] = [[1, 2], [10, 2], [10.5, 6], [1, 6]]
    path = _write_json(
        tmp_path / "a.json",
        {"images": {"r1.jpg": _words(quad, [[0, 0], [3, 0], [3, 3]]), "r2.jpg": {"words": {}}}},
    )

    annotations = read_receipt_annotations(path)

    assert list(annotations) == ["r1.jpg", "r2.jpg"]
    assert [p.dtype for p in annotations["r1.jpg"]] == [np.float32, np.float32]
    assert np.array_equal(annotations["r1.jpg"][0], np.array(quad, dtype=np.float32))
    assert annotations["r1.jpg"][1].shape == (3, 2)
    assert annotations["r2.jpg"] == []


POINTS = "needs 'points': a list of at least 3 [x, y] number pairs"


@pytest.mark.parametrize(
    ("text", "what"),
    [
        pytest.param(
            "{not json",
            "not valid JSON (Expecting property name enclosed in double quotes at line 1)",
            id="not-json",
        ),
        pytest.param(
            "[]", "the top level must be an object with an 'images' object", id="top-level-list"
        ),
        pytest.param(
            '{"pictures": {}}',
            "the top level must be an object with an 'images' object",
            id="no-images",
        ),
        pytest.param(
            '{"images": {"a.jpg": {}}}',
            "image 'a.jpg' must be an object with a 'words' object",
            id="no-words",
        ),
        pytest.param(
            '{"images": {"a.jpg": {"words": {"7": {}}}}}',
            f"word '7' of image 'a.jpg' {POINTS}",
            id="no-points",
        ),
        pytest.param(
            '{"images": {"a.jpg": {"words": {"7": {"points": [[0, 0], [1, 1]]}}}}}',
            f"word '7' of image 'a.jpg' {POINTS}",
            id="two-points",
        ),
        pytest.param(
            '{"images": {"a.jpg": {"words": {"7": {"points": [[0, 0], [1, "1"], [2, 2]]}}}}}',
            f"word '7' of image 'a.jpg' {POINTS}",
            id="string-coordinate",
        ),
        pytest.param(
            '{"images": {"a.jpg": {"words": {"7": {"points": [[0, 0], [1, true], [2, 2]]}}}}}',
            f"word '7' of image 'a.jpg' {POINTS}",
            id="boolean-coordinate",
        ),
        pytest.param(
            '{"images": {"a.jpg": {"words": {"7": {"points": [[0, 0], [1, NaN], [2, 2]]}}}}}',
            f"word '7' of image 'a.jpg' {POINTS}",
            id="nan-coordinate",
        ),
        pytest.param(
            '{"images": {"a.jpg": {"words": {"7": {"points": [[0, 0, 0], [1, 1], [2, 2]]}}}}}',
            f"word '7' of image 'a.jpg' {POINTS}",
            id="three-coordinates",
        ),
    ],
)
def test_read_receipt_annotations_names_file_and_fault_when_malformed(
    tmp_path: Path, text: str, what: str
) -> None:
    path = tmp_path / "bad.json"
    path.write_text(text, encoding="utf-8")

    with pytest.raises(TrainingDataError) as raised:
        read_receipt_annotations(path)

    assert str(raised.value) == f"malformed receipt annotations in {path}: {what}. {FIX}"
    assert isinstance(raised.value, ValueError)
    assert raised.value.path == path


def test_synthetic_dataset_items_hold_normalised_image_and_targets_when_indexed() -> None:
    item = SyntheticReceiptDataset(3, seed=5, height=32, width=24)[2]

    assert item["image"].shape == (3, 32, 24)
    assert item["image"].dtype == torch.float32
    assert -2.1 <= item["image"].min() < item["image"].max() <= 2.1
    assert all(item[key].shape == (32, 24) for key in TARGET_KEYS)
    assert all(p.shape == (4, 2) for p in item["polygons"])


def test_synthetic_dataset_item_depends_only_on_seed_and_index_when_rebuilt() -> None:
    a = SyntheticReceiptDataset(10, seed=3, height=32, width=32)
    b = SyntheticReceiptDataset(4, seed=3, height=32, width=32)
    other = SyntheticReceiptDataset(4, seed=4, height=32, width=32)

    assert len(a) == 10
    assert torch.equal(a[3]["image"], b[3]["image"])
    assert not torch.equal(a[3]["image"], other[3]["image"])
    assert not torch.equal(a[3]["image"], a[2]["image"])
    with pytest.raises(IndexError, match=r"^index 4 out of range for 4 items$"):
        b[4]


def test_synthetic_page_is_the_item_before_normalising_when_drawn() -> None:
    dataset = SyntheticReceiptDataset(3, seed=5, height=32, width=24)

    image, polygons = dataset.page(2)

    assert image.shape == (32, 24, 3) and image.dtype == np.uint8
    expected = normalize_image(torch.from_numpy(image).permute(2, 0, 1).float() / 255.0)
    assert torch.equal(dataset[2]["image"], expected)
    assert all(np.array_equal(a, b) for a, b in zip(polygons, dataset[2]["polygons"], strict=True))
    with pytest.raises(IndexError):
        dataset.page(3)


def test_scale_image_resizes_to_unit_range_when_array_is_read_only() -> None:
    raw = np.full((40, 30, 3), 255, dtype=np.uint8)
    raw.flags.writeable = False

    image = scale_image(raw, height=20, width=10)

    assert image.shape == (3, 20, 10)
    assert torch.allclose(image, torch.ones_like(image))


def test_collate_receipts_stacks_tensors_and_keeps_polygons_when_batched() -> None:
    dataset = SyntheticReceiptDataset(2, seed=0, height=16, width=16)

    batch = collate_receipts([dataset[0], dataset[1]])

    assert batch["image"].shape == (2, 3, 16, 16)
    assert batch["prob_map"].shape == (2, 16, 16)
    assert [len(polygons) for polygons in batch["polygons"]] == [
        len(dataset[0]["polygons"]),
        len(dataset[1]["polygons"]),
    ]
    assert np.array_equal(batch["polygons"][1][0], dataset[1]["polygons"][0])


def _receipt_files(folder: Path, names: list[str], *, size: tuple[int, int] = (64, 48)) -> Path:
    rng = np.random.default_rng(0)
    for name in names:
        np.save(folder / name, rng.integers(0, 256, size=(*size, 3), dtype=np.uint8))
    document = {"images": {n: _words([[8, 8], [40, 8], [40, 24], [8, 24]]) for n in names}}
    return _write_json(folder / "labels.json", document)


def test_json_dataset_resizes_image_and_scales_boxes_when_read(tmp_path: Path) -> None:
    labels = _receipt_files(tmp_path, ["r.npy"])
    np.save(tmp_path / "g.npy", np.zeros((64, 48), dtype=np.uint8))  # greyscale is fine

    item = ReceiptJsonDataset(labels, tmp_path, height=32, width=24)[0]
    grey = ReceiptJsonDataset(
        _write_json(tmp_path / "g.json", {"images": {"g.npy": {"words": {}}}}),
        tmp_path,
        height=8,
        width=8,
    )[0]

    assert item["image"].shape == (3, 32, 24)
    assert np.allclose(item["polygons"][0], [[4, 4], [20, 4], [20, 12], [4, 12]])
    assert item["prob_map"].sum() > 0
    assert grey["image"].shape == (3, 8, 8)


def test_json_dataset_refuses_png_when_pillow_is_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A None entry in sys.modules makes the import fail, as on a machine without Pillow.
    monkeypatch.setitem(sys.modules, "PIL", None)
    monkeypatch.setitem(sys.modules, "PIL.Image", None)
    labels = _write_json(tmp_path / "l.json", {"images": {"r.png": {"words": {}}}})
    (tmp_path / "r.png").write_bytes(b"\x89PNG")

    with pytest.raises(TrainingDataError) as raised:
        ReceiptJsonDataset(labels, tmp_path, height=8, width=8)[0]

    assert str(raised.value) == (
        f"cannot read image {tmp_path / 'r.png'}: Pillow is not installed, so only .npy images "
        "load. Install Pillow or convert the images to HxWx3 uint8 .npy files"
    )


@pytest.mark.skipif(importlib.util.find_spec("PIL") is None, reason="needs Pillow")
def test_json_dataset_reads_png_in_colour_when_pillow_decodes_it(tmp_path: Path) -> None:
    from PIL import Image

    Image.new("L", (48, 64), 200).save(tmp_path / "r.png")
    labels = _write_json(tmp_path / "l.json", {"images": {"r.png": {"words": {}}}})

    item = ReceiptJsonDataset(labels, tmp_path, height=32, width=24)[0]

    assert item["image"].shape == (3, 32, 24)
    assert torch.allclose(item["image"], normalize_image(torch.full((3, 32, 24), 200 / 255)))


def test_json_dataset_refuses_array_when_not_uint8_rgb(tmp_path: Path) -> None:
    labels = _write_json(tmp_path / "l.json", {"images": {"r.npy": {"words": {}}}})
    np.save(tmp_path / "r.npy", np.zeros((4, 4, 3)))

    with pytest.raises(TrainingDataError) as raised:
        ReceiptJsonDataset(labels, tmp_path, height=8, width=8)[0]

    assert str(raised.value) == (
        f"image {tmp_path / 'r.npy'} has shape (4, 4, 3) and dtype float64. "
        "Store images as HxWx3 (or HxW) uint8 arrays"
    )


def test_datamodule_holds_out_validation_stream_when_synthetic() -> None:
    datamodule = ReceiptDataModule(
        seed=1, train_size=4, val_size=2, height=32, width=32, batch_size=2
    )
    datamodule.setup("fit")

    batch = next(iter(datamodule.train_dataloader()))
    val_batch = next(iter(datamodule.val_dataloader()))
    expected_val = SyntheticReceiptDataset(2, seed=3, height=32, width=32)[0]["image"]

    assert batch["image"].shape == (2, 3, 32, 32)
    assert len(batch["polygons"]) == 2
    assert torch.equal(val_batch["image"][0], expected_val)
    assert not torch.equal(
        SyntheticReceiptDataset(1, seed=2, height=32, width=32)[0]["image"], expected_val
    )


def test_datamodule_draws_hard_pages_when_difficulty_is_hard() -> None:
    datamodule = ReceiptDataModule(
        seed=2, train_size=2, val_size=2, height=32, width=32, batch_size=2, difficulty="hard"
    )
    train, val = datamodule.datasets

    image, _ = generate_receipt(
        np.random.default_rng([4, 1]), height=32, width=32, difficulty="hard"
    )
    expected = SyntheticReceiptDataset(2, seed=4, height=32, width=32, difficulty="hard")[1]
    assert torch.equal(train[1]["image"], expected["image"])
    assert torch.equal(
        expected["image"], (torch.from_numpy(image).permute(2, 0, 1).float() / 255.0 - 0.5) / 0.25
    )
    assert isinstance(val, SyntheticReceiptDataset) and val.difficulty == "hard"


def test_datamodule_refuses_when_difficulty_is_unknown() -> None:
    with pytest.raises(TrainingDataError) as raised:
        ReceiptDataModule(difficulty="medium")  # type: ignore[arg-type]

    assert str(raised.value) == (
        "unknown synthetic difficulty 'medium'. Use one of: easy, hard (data.difficulty=hard)"
    )


def test_datamodule_holds_out_images_when_json_has_no_validation_file(tmp_path: Path) -> None:
    labels = _receipt_files(tmp_path, ["a.npy", "b.npy", "c.npy"])
    datamodule = ReceiptDataModule(
        val_size=1, height=16, width=16, batch_size=8, annotation_file=labels
    )
    datamodule.setup("fit")

    train = next(iter(datamodule.train_dataloader()))
    val = next(iter(datamodule.val_dataloader()))

    assert train["image"].shape[0] == 2
    assert val["image"].shape[0] == 1


def test_datamodule_validates_on_given_file_when_json_has_validation_file(tmp_path: Path) -> None:
    (tmp_path / "train").mkdir()
    (tmp_path / "val").mkdir()
    train_labels = _receipt_files(tmp_path / "train", ["a.npy", "b.npy"])
    val_labels = _receipt_files(tmp_path / "val", ["c.npy"])
    datamodule = ReceiptDataModule(
        height=16,
        width=16,
        annotation_file=train_labels,
        image_dir=tmp_path / "train",
        val_annotation_file=val_labels,
    )

    datamodule.setup("fit")

    assert len(datamodule.train_dataloader().dataset) == 2  # type: ignore[arg-type]
    assert len(datamodule.val_dataloader().dataset) == 1  # type: ignore[arg-type]
