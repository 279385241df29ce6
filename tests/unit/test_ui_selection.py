from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from ocr.catalog import CatalogEntry
from ocr.ui.selection import PAGE_SIZE, merge_selection, page_count, page_of, sort_entries


def _entry(name: str, **fields: Any) -> CatalogEntry:
    return CatalogEntry(path=f"/r/{name}.ckpt", layout="new", sidecar="valid", name=name)._replace(
        **fields
    )


ENTRIES = [
    _entry(
        "b", epoch=2, monitor="m", metrics={"m": 0.2}, created_at=datetime(2025, 1, 2, tzinfo=UTC)
    ),
    _entry("a", epoch=None, monitor="m", metrics={"m": 0.9}),
    _entry(
        "c",
        epoch=1,
        monitor="m",
        metrics={"m": float("nan")},
        created_at=datetime(2025, 1, 1, tzinfo=UTC),
    ),
]


@pytest.mark.parametrize(
    ("by", "descending", "order"),
    [
        pytest.param("rank", True, ["b", "a", "c"], id="rank-keeps-order"),
        pytest.param("name", False, ["a", "b", "c"], id="name"),
        pytest.param("epoch", True, ["b", "c", "a"], id="unknown-last-descending"),
        pytest.param("epoch", False, ["c", "b", "a"], id="unknown-last-ascending"),
        pytest.param("score", True, ["a", "b", "c"], id="nan-is-unknown"),
        pytest.param("created", False, ["c", "b", "a"], id="created"),
    ],
)
def test_rows_are_sorted_with_unknown_values_last_when_asked(
    by: str, descending: bool, order: list[str]
) -> None:
    assert [entry.name for entry in sort_entries(ENTRIES, by, descending=descending)] == order


@pytest.mark.parametrize(
    ("rows", "page", "first", "length"),
    [
        pytest.param(450, 1, 0, PAGE_SIZE, id="first"),
        pytest.param(450, 3, 400, 50, id="last"),
        pytest.param(450, 9, 400, 50, id="past-the-end"),
        pytest.param(450, 0, 0, PAGE_SIZE, id="before-the-start"),
        pytest.param(0, 1, 0, 0, id="empty"),
    ],
)
def test_a_page_holds_its_slice_of_the_rows_when_cut(
    rows: int, page: int, first: int, length: int
) -> None:
    entries = [_entry(str(n)) for n in range(rows)]

    cut = page_of(entries, page)

    assert len(cut) == length
    assert not cut or cut[0].name == str(first)
    assert page_count(rows) == max(1, -(-rows // PAGE_SIZE))


def test_selection_keeps_other_pages_and_caps_at_the_limit_when_rows_are_ticked() -> None:
    assert merge_selection([], ["a", "b"], ["b", "a"], limit=4) == (["b", "a"], 0)
    assert merge_selection(["x", "a"], ["a", "b"], [], limit=4) == (["x"], 0)
    assert merge_selection(["x", "y", "z"], ["a", "b"], ["a", "b"], limit=4) == (
        ["x", "y", "z", "a"],
        1,
    )
