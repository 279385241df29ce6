from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

import pytest

from ocr.catalog import CatalogEntry, CatalogFilter
from ocr.errors import CatalogQueryError
from ocr.ui.filters import (
    PickerFilters,
    facet_values,
    is_lower_better,
    metric_key,
    metric_names,
    most_monitored,
)


def _entry(**fields: Any) -> CatalogEntry:
    return CatalogEntry(path="/r/a.ckpt", layout="new", sidecar="valid")._replace(**fields)


def test_query_asks_for_nothing_when_no_filter_is_set() -> None:
    query = PickerFilters().query()

    assert query.filters == CatalogFilter()
    assert (query.where, query.best, query.sort) == (None, None, None)


def test_query_carries_every_widget_when_all_are_set() -> None:
    filters = PickerFilters(
        search="  resnet ",
        where=" epoch > 2 ",
        encoder="tiny_resnet",
        since=date(2025, 10, 1),
        until=date(2025, 10, 18),
        min_metric=("val/hmean", 0.5),
        status="completed",
        tags=("baseline",),
        rank_by="val/loss",
        higher_is_better=False,
        best_per_run=True,
        group_by=("model.encoder",),
    )

    query = filters.query()

    assert query.filters == CatalogFilter(
        encoder="tiny_resnet",
        since=datetime.combine(date(2025, 10, 1), time()).astimezone(),
        until=datetime.combine(date(2025, 10, 19), time()).astimezone(),
        min_metrics={"val/hmean": 0.5},
        status="completed",
        tags=("baseline",),
        search="resnet",
    )
    assert (query.where, query.sort, query.descending, query.best_mode) == (
        "epoch > 2",
        "val/loss",
        False,
        "min",
    )
    assert query.best == "best(metrics.val/loss, by=[run_dir, model.encoder])"


def test_best_is_off_when_nothing_ranks_the_checkpoints() -> None:
    assert PickerFilters(best_per_run=True).best() is None
    assert PickerFilters(rank_by="val/hmean").best() is None


def test_query_is_refused_with_the_languages_message_when_where_does_not_parse() -> None:
    with pytest.raises(CatalogQueryError) as raised:
        PickerFilters(where="metrics.val/hmean > 'high'").query()

    assert str(raised.value) == (
        "invalid catalog query \"metrics.val/hmean > 'high'\" at column 21: metrics.val/hmean "
        "holds numbers, got the string 'high'. Compare it with a number such as 3, -0.5 or 1e-3"
    )


@pytest.mark.parametrize(
    ("name", "key"),
    [
        pytest.param("val/hmean", "metrics.val/hmean", id="plain"),
        pytest.param("val hmean", "metrics.`val hmean`", id="space"),
        pytest.param("odd`name", "metrics.`odd``name`", id="backtick"),
        pytest.param("a.b", "metrics.`a.b`", id="dot"),
    ],
)
def test_metric_key_quotes_the_name_when_the_language_needs_it(name: str, key: str) -> None:
    assert metric_key(name) == key


@pytest.mark.parametrize(
    ("metric", "lower"),
    [
        pytest.param("val/loss", True, id="loss"),
        pytest.param("train/error_rate", True, id="error"),
        pytest.param("val/cer", True, id="cer"),
        pytest.param("val/hmean", False, id="hmean"),
        pytest.param("recall", False, id="recall"),
    ],
)
def test_lower_is_better_when_the_name_says_loss_or_error(metric: str, lower: bool) -> None:
    assert is_lower_better(metric) is lower


def test_choices_come_from_the_entries_shown_when_offered() -> None:
    entries = [
        _entry(encoder="b", tags=("x", "y"), monitor="val/hmean", metrics={"val/hmean": 1.0}),
        _entry(encoder="a", monitor="val/hmean", metrics={"val/loss": 1.0}),
        _entry(monitor="val/loss"),
    ]

    assert facet_values(entries, "encoder") == ["a", "b"]
    assert facet_values(entries, "encoder", keep="z") == ["a", "b", "z"]
    assert facet_values(entries, "tags") == ["x", "y"]
    assert metric_names(entries) == ["val/hmean", "val/loss"]
    assert most_monitored(entries) == "val/hmean"
    assert most_monitored([_entry()]) is None
