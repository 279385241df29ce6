from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ocr.errors import MetadataInvalidError, MetadataVersionError
from ocr.metadata import (
    SCHEMA_VERSION,
    CheckpointMetadata,
    ModelInfo,
    read_metadata,
    write_metadata,
)
from ocr.naming import sidecar_path
from tests.strategies import checkpoint_metadata

FIXTURES = Path(__file__).parents[2] / "fixtures"
GOLDEN_V1 = FIXTURES / "golden" / "sidecar-v1.ckpt.meta.json"


@given(checkpoint_metadata)
def test_metadata_reads_back_equal_when_written(metadata: CheckpointMetadata) -> None:
    raw = metadata.model_dump_json()
    assert CheckpointMetadata.model_validate_json(raw) == metadata
    assert next(iter(json.loads(raw))) == "schema_version"


def test_sidecar_round_trips_through_a_file_when_written(tmp_path: Path) -> None:
    metadata = read_metadata(GOLDEN_V1)
    checkpoint = tmp_path / "epoch=03-step=000120.ckpt"
    written = write_metadata(checkpoint, metadata)
    assert written == sidecar_path(checkpoint) == tmp_path / "epoch=03-step=000120.ckpt.meta.json"
    assert read_metadata(written) == metadata
    assert [p.name for p in tmp_path.iterdir()] == [written.name]


def test_non_finite_metrics_read_back_from_strict_json_when_a_run_diverged(
    tmp_path: Path,
) -> None:
    metadata = read_metadata(GOLDEN_V1)
    training = metadata.training.model_copy(
        update={"score": math.nan, "metrics": {"val/hmean": math.nan, "loss": math.inf}}
    )
    written = write_metadata(
        tmp_path / "last.ckpt", metadata.model_copy(update={"training": training})
    )

    def refuse(token: str) -> None:
        raise AssertionError(f"not strict JSON: {token}")

    raw = json.loads(written.read_text(), parse_constant=refuse)
    assert raw["training"]["metrics"] == {"val/hmean": "NaN", "loss": "Infinity"}
    read = read_metadata(written).training
    assert read.score is not None and math.isnan(read.score)
    assert math.isnan(read.metrics["val/hmean"]) and read.metrics["loss"] == math.inf


def test_version_1_files_are_read_when_the_schema_moves_on() -> None:
    # The golden file is never regenerated: it stands for every v1 sidecar in
    # the wild, which every later ocr must keep reading.
    assert json.loads(GOLDEN_V1.read_bytes())["schema_version"] == 1
    metadata = read_metadata(GOLDEN_V1)
    assert metadata.schema_version == SCHEMA_VERSION
    assert metadata.training.epoch == 3
    assert metadata.model.encoder == "tiny_resnet"


def _write_raw(folder: Path, raw: Any) -> Path:
    target = folder / "x.ckpt.meta.json"
    target.write_text(json.dumps(raw))
    return target


@given(version=st.integers(min_value=SCHEMA_VERSION + 1, max_value=10**6))
def test_read_refuses_with_upgrade_hint_when_the_version_is_newer(
    version: int, tmp_path_factory: pytest.TempPathFactory
) -> None:
    raw = json.loads(GOLDEN_V1.read_text())
    raw["schema_version"] = version
    sidecar = _write_raw(tmp_path_factory.mktemp("newer"), raw)
    with pytest.raises(MetadataVersionError) as info:
        read_metadata(sidecar)
    assert str(info.value) == (
        f"checkpoint metadata {str(sidecar)!r} has schema version {version}, newer than "
        f"this ocr understands ({SCHEMA_VERSION}). Upgrade ocr (pip install --upgrade ocr)"
    )


@pytest.mark.parametrize(
    ("mutate", "why"),
    [
        pytest.param(
            lambda raw: raw["training"].update(global_step=-1),
            "field 'training.global_step' input should be greater than or equal to 0",
            id="negative-step",
        ),
        pytest.param(
            lambda raw: raw["model"].update(encoder="unknown"),
            "field 'model.encoder' value error, 'unknown' means 'not known'; use null instead",
            id="unknown-encoder",
        ),
        pytest.param(
            lambda raw: raw.update(surprise=1),
            "field 'surprise' extra inputs are not permitted",
            id="extra-field",
        ),
        pytest.param(
            lambda raw: raw.update(schema_version="1"),
            "field 'schema_version' must be an integer >= 1, got '1'",
            id="string-version",
        ),
        pytest.param(
            lambda raw: (raw["training"].pop("epoch"), raw["checkpoint"].update(size_bytes="big")),
            "field 'checkpoint.size_bytes' input should be a valid integer, unable to parse "
            "string as an integer; field 'training.epoch' field required",
            id="two-problems",
        ),
    ],
)
def test_read_names_the_file_and_every_field_when_invalid(
    mutate: Any, why: str, tmp_path: Path
) -> None:
    raw = json.loads(GOLDEN_V1.read_text())
    mutate(raw)
    sidecar = _write_raw(tmp_path, raw)
    with pytest.raises(MetadataInvalidError) as info:
        read_metadata(sidecar)
    assert str(info.value) == (
        f"checkpoint metadata is invalid: {str(sidecar)!r}: {why}. "
        "Fix or delete the file; `ocr validate` lists every such file"
    )
    assert info.value.path == sidecar


@pytest.mark.parametrize(
    ("content", "why"),
    [
        pytest.param(b"{not json", "not valid JSON", id="not-json"),
        pytest.param(b"[1, 2]", "expected a JSON object, got list", id="a-list"),
        pytest.param(b"\xff\xfe", "not valid JSON", id="not-utf8"),
    ],
)
def test_read_refuses_when_the_file_is_not_a_json_object(
    content: bytes, why: str, tmp_path: Path
) -> None:
    sidecar = tmp_path / "a.ckpt.meta.json"
    sidecar.write_bytes(content)
    with pytest.raises(MetadataInvalidError, match=why):
        read_metadata(sidecar)


@pytest.mark.parametrize(
    "name",
    [pytest.param(n, id=n or "empty") for n in ["unknown", "None", "custom", "OCRModel", ""]],
)
def test_model_info_refuses_placeholder_names_when_given(name: str) -> None:
    with pytest.raises(ValueError, match="means 'not known'; use null instead"):
        ModelInfo(encoder=name)
