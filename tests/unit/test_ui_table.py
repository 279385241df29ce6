from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from ocr.catalog import CatalogEntry
from ocr.ui.table import (
    PICKER_COLUMNS,
    arrow_table,
    companion_metric,
    monitored_score,
    origin,
    picker_table,
)


def _entry(**fields: Any) -> CatalogEntry:
    return CatalogEntry(
        path="/r/2025-10-18/14-03-22/checkpoints/a.ckpt", layout="new", sidecar="valid"
    )._replace(**fields)


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        pytest.param(_entry(), "new", id="new"),
        pytest.param(_entry(sources={"experiment": "migration"}), "migrated", id="migrated"),
        pytest.param(_entry(layout="name_based", sidecar="missing"), "legacy", id="legacy"),
        pytest.param(_entry(layout="sweep"), "legacy", id="legacy-sweep"),
    ],
)
def test_origin_tells_new_migrated_and_legacy_apart_when_listed(
    entry: CatalogEntry, expected: str
) -> None:
    assert origin(entry) == expected


def test_score_is_the_runs_own_monitor_when_runs_monitor_different_metrics() -> None:
    loss = _entry(monitor="val/loss", metrics={"val/loss": 0.2, "val/hmean": 0.9})
    nan = _entry(monitor="val/hmean", metrics={"val/hmean": float("nan")})

    assert monitored_score(loss) == 0.2
    assert monitored_score(nan) is None
    assert monitored_score(_entry(metrics={"val/hmean": 0.9})) is None


@pytest.mark.parametrize(
    ("monitor", "metrics", "precision"),
    [
        pytest.param("val/hmean", {"val/precision": 0.8, "precision": 0.1}, 0.8, id="same-prefix"),
        pytest.param("val/hmean", {"precision": 0.7}, 0.7, id="bare-cleval"),
        pytest.param("val_hmean", {"val_precision": 0.6}, 0.6, id="underscore-prefix"),
        pytest.param(None, {"precision": 0.5}, 0.5, id="no-monitor"),
        pytest.param("val/hmean", {}, None, id="none"),
    ],
)
def test_precision_is_found_beside_the_monitored_metric_when_logged(
    monitor: str | None, metrics: dict[str, float], precision: float | None
) -> None:
    assert companion_metric(_entry(monitor=monitor, metrics=metrics), "precision") == precision


def test_table_has_one_value_per_entry_in_every_column_when_built() -> None:
    tokyo = timezone(timedelta(hours=9))
    entries = [
        _entry(
            created_at=datetime(2025, 10, 18, 14, 3, 22, tzinfo=tokyo),
            name="a",
            epoch=3,
            monitor="val/hmean",
            metrics={"val/hmean": 0.9, "val/recall": 0.8},
        ),
        _entry(path="/r/old/checkpoints/best.ckpt", layout="name_based", sidecar="missing"),
    ]

    table = picker_table(entries)

    assert tuple(table) == PICKER_COLUMNS
    assert all(len(values) == 2 for values in table.values())
    local = datetime(2025, 10, 18, 5, 3, 22, tzinfo=UTC).astimezone().replace(tzinfo=None)
    assert table["created"] == [_micros(local), None]
    assert (table["score"], table["recall"], table["precision"]) == (
        [0.9, None],
        [0.8, None],
        [None, None],
    )
    assert (table["file"], table["origin"], table["sidecar"]) == (
        ["a.ckpt", "best.ckpt"],
        ["new", "legacy"],
        ["valid", "missing"],
    )


def test_table_keeps_a_time_without_offset_as_local_when_recorded_so() -> None:
    naive = datetime(2025, 9, 22, 10, 12, 5)

    assert picker_table([_entry(created_at=naive)])["created"] == [_micros(naive)]


def test_arrow_table_shows_local_times_and_numbers_when_converted() -> None:
    naive = datetime(2025, 9, 22, 10, 12, 5, 250)
    table = arrow_table(
        picker_table([_entry(created_at=naive, epoch=3, monitor="m", metrics={"m": 0.5})])
    )

    assert table.column("created").to_pylist() == [naive]
    assert table.column("epoch").to_pylist() == [3]
    assert table.column("score").to_pylist() == [0.5]
    assert table.column("name").to_pylist() == [None]


def _micros(when: datetime) -> int:
    return (when - datetime(1970, 1, 1)) // timedelta(microseconds=1)
