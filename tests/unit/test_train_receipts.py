from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pytest

from ocr.errors import TrainingDataError
from ocr.train.receipts import read_receipt_annotations, write_receipt_annotations

if TYPE_CHECKING:
    from pathlib import Path


def test_written_predictions_read_back_as_annotations_when_round_tripped(tmp_path: Path) -> None:
    box = np.array([[1, 2], [9, 2], [9, 5], [1, 5]], dtype=np.float32)
    target = tmp_path / "predictions.json"
    write_receipt_annotations(target, {"a.png": [box, box + 10], "b.png": []})
    read = read_receipt_annotations(target)
    assert list(read) == ["a.png", "b.png"]
    assert [p.tolist() for p in read["a.png"]] == [box.tolist(), (box + 10).tolist()]
    assert read["b.png"] == []


def test_reading_fails_with_one_line_when_the_file_is_missing(tmp_path: Path) -> None:
    missing = tmp_path / "missing.json"
    with pytest.raises(TrainingDataError) as info:
        read_receipt_annotations(missing)
    assert str(info.value) == (
        f"cannot read receipt annotations {str(missing)!r}: No such file or directory. "
        "Point data.annotation_file (or data.val_annotation_file) at an existing JSON file"
    )
