import io
import json
import math
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ocr.catalog import ENTRY_FIELDS, CatalogEntry
from ocr.cli import _entry_json
from ocr.cli._entry_json import write_entries_json
from ocr.cli._output import json_text
from tests.strategies import output_catalog_entries


def _streamed(entries: list[CatalogEntry]) -> str:
    out = io.StringIO()
    write_entries_json(entries, out)
    return out.getvalue()


@given(st.lists(output_catalog_entries, max_size=4))
def test_streamed_json_is_byte_identical_to_json_text_when_entries_hold_any_value(
    entries: list[CatalogEntry],
) -> None:
    assert _streamed(entries) == json_text([entry.as_json() for entry in entries])


@pytest.mark.parametrize(
    "count",
    [
        pytest.param(0, id="none"),
        pytest.param(1, id="one"),
        pytest.param(256, id="one-full-batch"),
        pytest.param(257, id="a-batch-and-one"),
        pytest.param(600, id="several-batches"),
    ],
)
def test_streamed_json_is_one_list_when_entries_fill_several_writes(count: int) -> None:
    entries = [
        CatalogEntry(path=f"/r/{n}.ckpt", layout="new", sidecar="valid") for n in range(count)
    ]
    text = _streamed(entries)
    assert text == json_text([entry.as_json() for entry in entries])
    assert [entry["path"] for entry in json.loads(text)] == [e.path for e in entries]


def test_streamed_json_writes_non_finite_metrics_as_strings_when_a_run_diverged() -> None:
    entry = CatalogEntry(
        path="/r/a.ckpt",
        layout="new",
        sidecar="valid",
        metrics={"a": math.nan, "b": math.inf, "c": -math.inf, "d": 0.5},
    )
    assert json.loads(_streamed([entry]))[0]["metrics"] == {
        "a": "NaN",
        "b": "Infinity",
        "c": "-Infinity",
        "d": 0.5,
    }


def test_streamed_json_escapes_undecodable_bytes_when_a_name_holds_them() -> None:
    entry = CatalogEntry(path="/r/\udcff\u00e9.ckpt", layout="new", sidecar="valid")
    text = _streamed([entry])
    assert '"path": "/r/\\udcffé.ckpt"' in text
    text.encode("utf-8")  # strict UTF-8: no lone surrogate left


def test_fast_renderer_writes_every_entry_field_when_the_entry_is_unchanged() -> None:
    # A field added to CatalogEntry must be added to the fast renderer too;
    # until it is, every entry takes json's slower (still exact) way.
    assert _entry_json._FIELDS == ENTRY_FIELDS


def test_run_fields_are_rendered_apart_when_equal_instants_are_in_two_zones() -> None:
    utc = datetime(2025, 10, 18, 12, 0, tzinfo=UTC)
    paris = utc.astimezone(timezone(timedelta(hours=2)))
    shared = {"encoder": "sidecar"}
    entries = [
        CatalogEntry(
            path=f"/r/{n}.ckpt", layout="new", sidecar="valid", created_at=when, sources=shared
        )
        for n, when in enumerate([utc, paris, utc.replace(tzinfo=None), utc])
    ]
    assert utc == paris  # one instant: only the offset tells the two apart
    text = _streamed(entries)
    assert text == json_text([entry.as_json() for entry in entries])
    assert [entry["created_at"] for entry in json.loads(text)] == [
        "2025-10-18T12:00:00+00:00",
        "2025-10-18T14:00:00+02:00",
        "2025-10-18T12:00:00",
        "2025-10-18T12:00:00+00:00",
    ]
