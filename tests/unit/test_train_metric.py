"""Box extraction, IoU matching and the precision/recall/hmean accumulator."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ocr.train.loss import make_db_targets
from ocr.train.metric import (
    DetectionScore,
    extract_boxes,
    iou_matrix,
    match_boxes,
    rectangle,
    unclip_offset,
)
from ocr.train.synthetic import generate_receipt

__all__: list[str] = []

# These properties run whole receipts through numpy; a third of the profile's examples
# keeps the unit suite fast, and HYPOTHESIS_PROFILE=thorough still scales them up.
FEW_EXAMPLES = settings(max_examples=max(1, settings().max_examples // 3), deadline=None)


@st.composite
def rectangles(draw: st.DrawFn) -> np.ndarray:
    x0, y0 = draw(st.integers(0, 50)), draw(st.integers(0, 50))
    return rectangle(x0, y0, x0 + draw(st.integers(1, 30)), y0 + draw(st.integers(1, 30)))


A, B, C = rectangle(0, 0, 10, 4), rectangle(20, 0, 30, 4), rectangle(0, 10, 10, 14)


def test_extract_boxes_recovers_rectangles_when_drawn_as_shrunk_targets() -> None:
    true = [rectangle(10, 10, 50, 20), rectangle(60, 12, 90, 22), rectangle(15, 40, 80, 48)]
    prob = make_db_targets(true, height=64, width=96)["prob_map"]

    boxes = extract_boxes(prob)

    assert len(boxes) == 3
    assert all(b.shape == (4, 2) and b.dtype == np.float32 for b in boxes)
    ious = iou_matrix(boxes, true)
    assert (ious.max(axis=1) > 0.8).all()  # shrunk sides round to whole pixels
    assert match_boxes(boxes, true) == (3, 3, 3)


@FEW_EXAMPLES
@given(seed=st.integers(0, 2**32 - 1))
def test_extract_boxes_inverts_targets_when_given_synthetic_receipt(seed: int) -> None:
    _, true = generate_receipt(np.random.default_rng(seed), height=128, width=96)
    prob = make_db_targets(true, height=128, width=96)["prob_map"]

    assert match_boxes(extract_boxes(prob), true) == (len(true),) * 3


def test_extract_boxes_finds_nothing_when_map_is_below_threshold() -> None:
    assert extract_boxes(np.full((16, 16), 0.3)) == []


def test_extract_boxes_drops_specks_when_smaller_than_min_area() -> None:
    prob = np.zeros((16, 16))
    prob[2, 2] = prob[8, 8:10] = 1.0
    prob[12:14, 4:8] = 1.0

    assert len(extract_boxes(prob, min_area=3)) == 1
    assert len(extract_boxes(prob, min_area=1)) == 3


def test_extract_boxes_drops_faint_regions_when_box_score_given() -> None:
    prob = np.zeros((16, 16))
    prob[1:4, 1:6] = 0.9
    prob[8:11, 1:6] = 0.5

    strong = extract_boxes(prob, box_score=0.6)

    assert len(extract_boxes(prob)) == 2
    assert len(strong) == 1
    assert strong[0][:, 1].max() < 8  # the top region, the strong one


def test_extract_boxes_keeps_the_most_probable_in_reading_order_when_candidates_limited() -> None:
    prob = np.zeros((20, 16))
    for top, value in ((1, 0.5), (6, 0.9), (11, 0.8), (16, 0.7)):
        prob[top : top + 3, 1:6] = value

    boxes = extract_boxes(prob, max_candidates=2)

    assert [round(float(b[:, 1].min())) for b in boxes] == [5, 10]


def test_extract_boxes_grows_by_dbnet_offset_and_clips_when_unclip_ratio_given() -> None:
    prob = np.zeros((20, 20))
    prob[0:4, 5:15] = 0.9  # 10 x 4: D = 40 * 1.5 / 28

    (box,) = extract_boxes(prob, unclip_ratio=1.5)

    offset = 40 * 1.5 / 28
    assert np.allclose(box, rectangle(5 - offset, 0, 15 + offset, 4 + offset))


@FEW_EXAMPLES
@given(width=st.floats(2.0, 200.0), height=st.floats(2.0, 200.0), ratio=st.floats(0.1, 0.9))
def test_unclip_offset_inverts_shrink_offset_when_any_rectangle(
    width: float, height: float, ratio: float
) -> None:
    offset = width * height * (1 - ratio**2) / (2 * (width + height))

    restored = unclip_offset(width - 2 * offset, height - 2 * offset, shrink_ratio=ratio)

    assert restored == pytest.approx(offset, rel=1e-6)


@pytest.mark.parametrize(
    ("pred", "true", "expected"),
    [
        pytest.param([A, B, C], [A, B, C], (3, 3, 3), id="perfect"),
        pytest.param([A], [B, C], (0, 1, 2), id="none"),
        pytest.param(
            [A, rectangle(20, 0, 30, 3), rectangle(40, 0, 50, 4)],
            [A, B, C],
            (2, 3, 3),
            id="partial",
        ),
        pytest.param([A, A, rectangle(0, 0, 10, 3)], [A], (1, 3, 1), id="duplicates"),
        pytest.param([rectangle(0, 0, 10, 2)], [A], (1, 1, 1), id="iou-exactly-half"),
        pytest.param([rectangle(0, 0, 10, 1.9)], [A], (0, 1, 1), id="iou-just-below-half"),
        pytest.param([], [A], (0, 0, 1), id="no-predictions"),
        pytest.param([A], [], (0, 1, 0), id="no-truth"),
        pytest.param([], [], (0, 0, 0), id="empty"),
    ],
)
def test_match_boxes_counts_one_to_one_matches_when_hand_made(
    pred: list[np.ndarray], true: list[np.ndarray], expected: tuple[int, int, int]
) -> None:
    assert match_boxes(pred, true) == expected


def test_match_boxes_prefers_best_overlap_when_predictions_compete() -> None:
    # The loose box overlaps both; greedy matching gives each truth its best box.
    loose, tight_a, tight_b = (
        rectangle(0, 0, 30, 4),
        rectangle(0, 0, 10, 4),
        rectangle(15, 0, 30, 4),
    )

    assert match_boxes([loose, tight_a], [tight_a, tight_b]) == (2, 2, 2)


@FEW_EXAMPLES
@given(boxes=st.lists(rectangles(), max_size=6), others=st.lists(rectangles(), max_size=6))
def test_iou_and_matching_are_bounded_and_symmetric_when_any_boxes(
    boxes: list[np.ndarray], others: list[np.ndarray]
) -> None:
    ious = iou_matrix(boxes, others)
    hits, predicted, actual = match_boxes(boxes, others)

    assert ious.shape == (len(boxes), len(others))
    assert ((ious >= 0) & (ious <= 1 + 1e-12)).all()
    assert np.allclose(ious, iou_matrix(others, boxes).T)
    assert np.allclose(np.diag(iou_matrix(boxes, boxes)), 1.0)
    assert (predicted, actual) == (len(boxes), len(others))
    assert 0 <= hits <= min(predicted, actual)
    assert match_boxes(boxes, boxes) == (len(boxes),) * 3


def test_detection_score_accumulates_images_when_updated() -> None:
    score = DetectionScore()
    score.update([A, B], [A, B])  # 2 hits
    score.update([C, rectangle(40, 40, 50, 50)], [C, A, B])  # 1 hit, 1 false positive, 2 misses

    result = score.compute()

    assert result == pytest.approx({"precision": 3 / 4, "recall": 3 / 5, "hmean": 2 / 3})


def test_detection_score_is_zero_when_undefined_or_reset() -> None:
    score = DetectionScore()
    assert score.compute() == {"precision": 0.0, "recall": 0.0, "hmean": 0.0}

    score.update([A], [B])
    assert score.compute() == {"precision": 0.0, "recall": 0.0, "hmean": 0.0}

    score.update([A], [A])
    score.reset()
    assert score.compute() == {"precision": 0.0, "recall": 0.0, "hmean": 0.0}


def test_detection_score_is_perfect_when_every_box_matches() -> None:
    score = DetectionScore(iou_threshold=0.9)
    score.update([A, B, C], [C, B, A])

    assert score.compute() == {"precision": 1.0, "recall": 1.0, "hmean": 1.0}
