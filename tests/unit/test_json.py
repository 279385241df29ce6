"""JSON that holds any file name, and never recurses without end (``ocr._json``)."""

from __future__ import annotations

import json
import math
import os

import pytest

from ocr._json import escape_surrogates, loads, model_json, validate_json
from ocr.compat import MigrationMapping
from ocr.registry import ExperimentRecord

_NOT_UTF8 = os.fsdecode(b"exp\xff1")


def _record(**changes: object) -> ExperimentRecord:
    now = "2025-10-18T14:03:22+02:00"
    fields: dict[str, object] = {
        "id": "0123456789abcdef",
        "status": "completed",
        "created_at": now,
        "updated_at": now,
        "heartbeat_at": now,
        "host": "box",
        "pid": 1,
        "run_dir": "2025-10-18/14-03-22",
    }
    return ExperimentRecord.model_validate({**fields, **changes})


def test_a_name_that_is_not_utf8_round_trips_through_json_when_written() -> None:
    record = _record(name=_NOT_UTF8, metrics={"val/hmean": math.nan})
    text = model_json(record, indent=2)
    text.encode("utf-8")  # strict UTF-8: any terminal or file takes it
    assert '"name": "exp\\udcff1"' in text
    assert '"val/hmean": "NaN"' in text  # as Pydantic writes non-finite numbers
    back = validate_json(ExperimentRecord, text)
    assert back.name == _NOT_UTF8 and os.fsencode(back.name) == b"exp\xff1"
    assert math.isnan(back.metrics["val/hmean"])


def test_models_without_such_names_are_written_as_pydantic_writes_them() -> None:
    record = _record(name="plain")
    assert model_json(record) == record.model_dump_json()
    mapping = MigrationMapping(
        migration_id="m1",
        created_at="2025-10-18T14:03:22+02:00",
        root="/data/outputs",
        entries={f"outputs/{_NOT_UTF8}": "outputs/2025-10-18/14-03-22"},
    )
    assert json.loads(model_json(mapping))["entries"] == mapping.entries


def test_json_nested_beyond_the_recursion_limit_is_invalid_json_when_read() -> None:
    with pytest.raises(json.JSONDecodeError, match="nested too deeply to be read"):
        loads(b"[" * 100_000)


def test_invalid_json_keeps_pydantics_error_when_validated() -> None:
    with pytest.raises(ValueError, match="Invalid JSON"):
        validate_json(ExperimentRecord, b'{"id": tru')


def test_lone_surrogates_are_escaped_only_inside_strings() -> None:
    assert escape_surrogates('{"a": "x\udcffy\ud800"}') == '{"a": "x\\udcffy\\ud800"}'
